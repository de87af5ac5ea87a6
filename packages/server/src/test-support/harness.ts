import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { loadConfig } from '../config/load-config.js'
import { createPasswordHasher } from '../crypto/password-hasher.js'
import { ManualClock } from '../domain/clock.js'
import { fromBase32, hotp, timeStep } from '../domain/methods/totp.js'
import { buildApp } from '../http/app.js'
import { createContext } from '../main.js'
import type { Context } from '../use-cases/context.js'

export const ORIGIN = 'http://127.0.0.1:3000'
export const ADMIN_TOKEN = 'test-bootstrap-admin-token-0123456789abcdef'

/** A loopback port nobody listens on now, for a server a test starts itself. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A code computed independently of the server's code path: RFC 4226 over the base32 secret. */
export function totpCode(base32Secret: string, at: Date, offsetSteps = 0): string {
  return hotp(fromBase32(base32Secret), timeStep(at) + offsetSteps)
}

export interface TestApp {
  app: FastifyInstance
  ctx: Context
  clock: ManualClock
  dir: string
  close(): Promise<void>
  /** An admin API call with the bootstrap token. */
  admin(method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse>
  /** A browser-like call: same-origin, with the given cookie jar. */
  browser(jar: CookieJar, method: string, url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  createOrganisation(input?: Record<string, unknown>): Promise<{ id: string; slug: string }>
  createUser(orgId: string, input?: Record<string, unknown>): Promise<{ id: string; username: string; password: string }>
  /** Signs in (password, and the second factor when asked) and returns the jar. */
  signIn(username: string, password: string, secret?: string, jar?: CookieJar): Promise<{ jar: CookieJar; body: any }>
  /** Links a TOTP app for a signed-in jar; returns the base32 secret. */
  linkTotp(jar: CookieJar, name?: string): Promise<{ secret: string; deviceId: string }>
  /** A user of the organisation with an app linked, the clock moved past the linking step. */
  enrolledUser(orgId: string): Promise<{ id: string; username: string; password: string; secret: string }>
  /**
   * Starts `n` separate sign-in flows (separate browsers) for one user, five at a time: at most
   * five password checks run at once for one name (BF-12).
   */
  flows(user: { username: string; password: string }, n: number, ip?: (i: number) => string): Promise<string[]>
  /** Moves the clock to the next TOTP step, so a new code exists. */
  nextStep(): void
  auditEvents(filter?: { account?: string; event?: string }): Promise<Array<{ event: string; reason: string | null; accountId: string | null }>>
}

/** Cookies as a browser keeps them. */
export class CookieJar {
  readonly cookies = new Map<string, string>()
  take(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (cookie.value === '' || cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now())) this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  get(name: string): string | undefined {
    return this.cookies.get(name)
  }
}

let counter = 0

/**
 * A fresh database on the local PostgreSQL (user postgres, trust), dropped by `drop()`;
 * `COUNTERSIGN_TEST_POSTGRES_URL` names another server's maintenance database.
 */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.COUNTERSIGN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `countersign_test_${randomBytes(6).toString('hex')}`
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await run(`CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** Counts password verifications (argon2 runs) from now on, to show work that was never done. */
export function countVerifications(t: TestApp): { readonly count: number; restore(): void } {
  const original = t.ctx.hasher.verify
  let count = 0
  t.ctx.hasher.verify = (stored, password) => {
    count++
    return original(stored, password)
  }
  return {
    get count() {
      return count
    },
    restore() {
      t.ctx.hasher.verify = original
    },
  }
}

/**
 * A server on a fresh SQLite file with a hand-moved clock and light argon2 parameters (the
 * production parameters are tested on their own in password-hasher.test.ts).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { logStream?: NodeJS.WritableStream; backend?: 'sqlite' | 'postgres' } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-test-'))
  const postgres = options.backend === 'postgres' ? await createPostgresDatabase() : null
  const config = loadConfig({
    COUNTERSIGN_DATABASE_URL: postgres?.url ?? `sqlite:${join(dir, 'test.db')}`,
    COUNTERSIGN_DATA_DIR: dir,
    COUNTERSIGN_ENV: 'test',
    COUNTERSIGN_ADMIN_TOKEN: ADMIN_TOKEN,
    COUNTERSIGN_ARGON2_MEMORY_KIB: '1024',
    COUNTERSIGN_ARGON2_TIME_COST: '1',
    COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '100000',
    COUNTERSIGN_RATE_LIMIT_CODE_PER_MINUTE: '100000',
    COUNTERSIGN_HASH_QUEUE_LIMIT: '10000',
    ...env,
  })
  const clock = new ManualClock('2026-11-25T10:00:05Z')
  const { ctx } = await createContext(config, {
    clock,
    ...(options.logStream ? { logStream: options.logStream } : {}),
    hasher: createPasswordHasher({ parameters: { memoryKiB: config.argon2MemoryKib, timeCost: config.argon2TimeCost }, queueLimit: config.hashQueueLimit ?? 10_000, ...(config.hashConcurrency ? { concurrency: config.hashConcurrency } : {}) }),
  })
  const app = await buildApp(ctx, options.logStream ? { log: true, logStream: options.logStream } : {})
  await app.ready()

  const test: TestApp = {
    app,
    ctx,
    clock,
    dir,
    async close() {
      await app.close()
      await ctx.store.close()
      await ctx.notifier.close()
      await postgres?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
    admin(method, url, payload) {
      return app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload !== undefined ? { payload: payload as object } : {}) })
    },
    async browser(jar, method, url, payload, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { origin: new URL(config.publicUrl).origin, 'user-agent': 'test-browser', ...(jar.cookies.size ? { cookie: jar.header() } : {}), ...headers },
        ...(payload !== undefined ? { payload: payload as object } : {}),
      })
      jar.take(response)
      return response
    },
    async createOrganisation(input = {}) {
      counter++
      const response = await test.admin('POST', '/api/v1/admin/organisations', { slug: `org-${counter}`, name: `Org ${counter}`, policy: 'required', ...input })
      if (response.statusCode !== 201) throw new Error(`createOrganisation: ${response.statusCode} ${response.body}`)
      return response.json()
    },
    async createUser(orgId, input = {}) {
      counter++
      const username = (input.username as string) ?? `user${counter}`
      const password = (input.password as string) ?? `correct horse ${counter}`
      const response = await test.admin('POST', `/api/v1/admin/organisations/${orgId}/users`, { username, email: `${username}@example.test`, password, ...input })
      if (response.statusCode !== 201) throw new Error(`createUser: ${response.statusCode} ${response.body}`)
      return { id: response.json().id, username, password }
    },
    async signIn(username, password, secret, jar = new CookieJar()) {
      const first = await test.browser(jar, 'POST', '/api/v1/sign-in/password', { username, password })
      if (first.statusCode !== 200) throw new Error(`password step: ${first.statusCode} ${first.body}`)
      const body = first.json()
      if (body.state !== 'awaiting_second_factor') return { jar, body }
      if (!secret) throw new Error('a second factor is due but no secret was given')
      const second = await test.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(secret, clock.now()) })
      if (second.statusCode !== 200) throw new Error(`second factor: ${second.statusCode} ${second.body}`)
      return { jar, body: second.json() }
    },
    async linkTotp(jar, name = 'Phone') {
      const started = await test.browser(jar, 'POST', '/api/v1/account/devices/totp', { name })
      if (started.statusCode !== 201) throw new Error(`link start: ${started.statusCode} ${started.body}`)
      const { deviceId, secret } = started.json()
      const confirmed = await test.browser(jar, 'POST', `/api/v1/account/devices/${deviceId}/confirm`, { code: totpCode(secret, clock.now()) })
      if (confirmed.statusCode !== 200) throw new Error(`link confirm: ${confirmed.statusCode} ${confirmed.body}`)
      return { secret, deviceId }
    },
    async enrolledUser(orgId) {
      const user = await test.createUser(orgId)
      const { jar } = await test.signIn(user.username, user.password)
      const { secret } = await test.linkTotp(jar)
      test.nextStep()
      return { ...user, secret }
    },
    async flows(user, n, ip) {
      const ids: string[] = []
      for (let start = 0; start < n; start += 5) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(5, n - start) }, async (_, k) => {
            const response = await app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password }, ...(ip ? { remoteAddress: ip(start + k) } : {}) })
            if (response.statusCode !== 200) throw new Error(`password step: ${response.statusCode} ${response.body}`)
            return response.json().flowId as string
          }),
        )
        ids.push(...batch)
      }
      return ids
    },
    nextStep() {
      clock.advance(30_000)
    },
    async auditEvents(filter = {}) {
      const events = await ctx.store.audit.list({ ...(filter.account ? { accountId: filter.account } : {}), ...(filter.event ? { event: filter.event } : {}), limit: 10_000 })
      return events.map((e) => ({ event: e.event, reason: e.reason, accountId: e.accountId }))
    },
  }
  return test
}
