import { errorCodes } from '@countersign/protocol'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { passwordResetsSettled } from '../../http/routes/lifecycle.js'
import { ADMIN_TOKEN, CookieJar, freePort, startTestApp, type TestApp } from '../harness.js'
import { mutatedObject, pathValue, queryValue, rawBody, valueFor, type JsonSchema, type RawBody } from './arbitraries.js'

/*
 * IV-10: a fuzzer over the OpenAPI document. Every operation is called with requests generated
 * from its schemas and mutated, with no credentials, a full session, a session restricted to
 * enrolment, a sign-in flow, or the admin token, over real HTTP on loopback. The properties: never
 * a 5xx, never a dropped connection, every error in the catalogue's shape, and an invalid request
 * (400, 404, 405, 413, 415, 422, 431) never sets a session nor changes a row.
 */

export type Credential = 'none' | 'session' | 'restricted' | 'flow' | 'admin'

/** One request, with ids as names (`userId`…) resolved when it is sent, so a case can be replayed. */
export interface FuzzCase {
  method: string
  template: string
  credential: Credential
  params: Record<string, string>
  query: Record<string, string | string[]>
  body: RawBody
  origin: string | null
  acceptLanguage: string | null
}

export interface FuzzFailure {
  problem: string
  fuzzCase: FuzzCase
}

export interface FuzzReport {
  seed: number
  requests: number
  operations: number
  /** Operations called at least once. */
  covered: number
  /** Operations that answered 2xx at least once (the request reached the use-case and passed). */
  reachedSuccess: number
  statuses: Record<string, number>
  durationMs: number
  failure: FuzzFailure | null
}

const INVALID = new Set([400, 404, 405, 413, 415, 422, 431])
/** Tables an invalid request may still write: the audit (failures are audited) and rate windows. */
const MAY_CHANGE = new Set(['audit_events', 'rate_limits', 'kysely_migration', 'kysely_migration_lock'])
const KNOWN_CODES = new Set<string>(errorCodes)

interface Operation {
  method: string
  template: string
  parameters: Array<{ name: string; in: 'path' | 'query'; schema?: JsonSchema }>
  body: JsonSchema | undefined
}

interface Known {
  jars: Record<'session' | 'restricted' | 'flow', CookieJar>
  ids: Record<string, string>
}

/** Which known ids a path parameter may take, by its name. */
const ID_NAMES: Record<string, string[]> = {
  id: ['orgId', 'orgSlug', 'userId', 'otherUserId', 'sessionId', 'clientId'],
  deviceId: ['deviceId', 'otherDeviceId'],
}

function operationsOf(document: { paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const operations: Operation[] = []
  for (const [template, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      operations.push({ method: method.toUpperCase(), template, parameters: operation.parameters ?? [], body: operation.requestBody?.content['application/json']?.schema })
    }
  }
  return operations
}

function caseFor(operation: Operation): fc.Arbitrary<FuzzCase> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path')
  const queryParams = operation.parameters.filter((p) => p.in === 'query')
  const params = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, pathValue(ID_NAMES[p.name] ?? ['userId']).map((v) => v)])))
  const query = fc.record(Object.fromEntries(queryParams.map((p) => [p.name, queryValue(p.schema)])), { requiredKeys: [] })
  const body: fc.Arbitrary<RawBody> = operation.body
    ? fc.oneof(
        { weight: 3, arbitrary: valueFor(operation.body).map((v) => ({ text: JSON.stringify(v) ?? 'null', contentType: 'application/json' })) },
        { weight: 3, arbitrary: mutatedObject(operation.body).map((v) => ({ text: JSON.stringify(v) ?? 'null', contentType: 'application/json' })) },
        { weight: 2, arbitrary: rawBody },
      )
    : fc.oneof({ weight: 4, arbitrary: fc.constant<RawBody>({ text: null, contentType: null }) }, { weight: 1, arbitrary: rawBody })
  return fc.record({
    method: fc.constant(operation.method),
    template: fc.constant(operation.template),
    credential: fc.constantFrom<Credential>('none', 'session', 'restricted', 'flow', 'admin'),
    params,
    query,
    body,
    origin: fc.oneof({ weight: 8, arbitrary: fc.constant('PUBLIC') }, { weight: 1, arbitrary: fc.constantFrom('https://evil.example', 'null') }, { weight: 1, arbitrary: fc.constant(null) }),
    acceptLanguage: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('nl', 'en-GB,nl;q=0.5', 'x'.repeat(300), 'nl;q=abc, *') }),
  }) as fc.Arbitrary<FuzzCase>
}

/** A fingerprint of every table an invalid request must not touch. */
function fingerprint(db: Database.Database): Map<string, string> {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string }>
  const prints = new Map<string, string>()
  for (const { name } of tables) {
    if (MAY_CHANGE.has(name)) continue
    const hash = createHash('sha256')
    for (const row of db.prepare(`SELECT * FROM "${name}"`).iterate()) hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
    prints.set(name, hash.digest('hex'))
  }
  return prints
}

/** Percent-encodes a path value; a lone surrogate goes as the invalid UTF-8 it would be (ED A0 80…). */
function encodePathValue(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return value.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80').replace(/[^%A-Za-z0-9._~-]/g, (c) => encodeURIComponent(c))
  }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  error: string | null
}

function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body: string | null): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: body === null ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 15_000 }, (res) => {
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        // A stream stays open by design: its headers are the answer.
        res.destroy()
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', error: null })
      }
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), error: null }))
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', error: `response: ${e.message}` }))
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', (e) => resolve({ status: 0, headers: {}, text: '', error: e.message }))
    if (body !== null) req.write(body)
    req.end()
  })
}

export class Fuzzer {
  private t!: TestApp
  private port = 0
  private origin = ''
  private db!: Database.Database
  private agent = new Agent({ keepAlive: true, maxSockets: 1 })
  private known!: Known
  private sinceRefresh = 0
  operations: Operation[] = []
  readonly statuses: Record<string, number> = {}
  readonly called = new Set<string>()
  readonly succeeded = new Set<string>()
  requests = 0

  async start() {
    this.port = await freePort()
    this.origin = `http://127.0.0.1:${this.port}`
    this.t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: this.origin, COUNTERSIGN_RATE_LIMIT_PASSWORD_RESET_PER_MINUTE: '1000000' })
    await this.t.app.listen({ host: '127.0.0.1', port: this.port })
    this.db = new Database(join(this.t.dir, 'test.db'), { readonly: true })
    this.operations = operationsOf((await this.t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json())
    await this.refresh()
  }

  async stop() {
    this.agent.destroy()
    this.db.close()
    await this.t.close()
  }

  /** Fresh users, sessions and a flow: fuzzed admin calls may deactivate or delete the old ones. */
  private async refresh() {
    const t = this.t
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.enrolledUser(org.id)
    const other = await t.enrolledUser(org.id)
    const session = (await t.signIn(user.username, user.password, user.secret)).jar
    t.nextStep()
    const restrictedUser = await t.createUser(org.id)
    const restricted = (await t.signIn(restrictedUser.username, restrictedUser.password)).jar
    const flow = new CookieJar()
    await t.browser(flow, 'POST', '/api/v1/sign-in/password', { username: other.username, password: other.password })
    const devices = (await t.browser(session, 'GET', '/api/v1/account/devices')).json() as Array<{ id: string }>
    const sessions = (await t.browser(session, 'GET', '/api/v1/account/sessions')).json() as { sessions: Array<{ id: string }> }
    const client = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'Fuzz', redirectUris: ['https://app.example.test/cb'] })
    this.known = {
      jars: { session, restricted, flow },
      ids: {
        orgId: org.id,
        orgSlug: org.slug,
        userId: user.id,
        otherUserId: other.id,
        deviceId: devices[0]?.id ?? 'none',
        otherDeviceId: 'dev-unknown',
        sessionId: sessions.sessions[0]?.id ?? 'none',
        clientId: (client.json() as { id?: string }).id ?? 'none',
      },
    }
    this.sinceRefresh = 0
  }

  private resolve(value: string) {
    return this.known.ids[value] ?? value
  }

  /** Sends one case and returns what is wrong with the answer, or null. */
  async run(fuzzCase: FuzzCase): Promise<string | null> {
    if (++this.sinceRefresh > 150) await this.refresh()
    let path = fuzzCase.template.replace(/\{(\w+)\}/g, (_, name: string) => encodePathValue(this.resolve(fuzzCase.params[name] ?? 'x')))
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(fuzzCase.query)) for (const v of Array.isArray(value) ? value : [value]) query.append(key, v)
    if ([...query].length) path += `?${query.toString()}`
    const headers: Record<string, string> = { accept: 'application/json' }
    if (fuzzCase.body.contentType) headers['content-type'] = fuzzCase.body.contentType
    if (fuzzCase.origin) headers.origin = fuzzCase.origin === 'PUBLIC' ? this.origin : fuzzCase.origin
    if (fuzzCase.acceptLanguage) headers['accept-language'] = fuzzCase.acceptLanguage
    if (fuzzCase.credential === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`
    else if (fuzzCase.credential !== 'none') headers.cookie = this.known.jars[fuzzCase.credential].header()

    const before = fingerprint(this.db)
    const answer = await send(this.agent, this.port, fuzzCase.method, path, headers, fuzzCase.body.text)
    await passwordResetsSettled()
    this.requests++
    const operation = `${fuzzCase.method} ${fuzzCase.template}`
    this.called.add(operation)
    this.statuses[String(answer.status)] = (this.statuses[String(answer.status)] ?? 0) + 1
    if (answer.status >= 200 && answer.status < 300) this.succeeded.add(operation)

    if (answer.error) return `no answer: ${answer.error}`
    if (answer.status >= 500) return `${answer.status}: ${answer.text.slice(0, 300)}`
    if (answer.status >= 400) {
      let error: { code?: unknown; message?: unknown } | undefined
      try {
        error = (JSON.parse(answer.text) as { error?: typeof error }).error
      } catch {
        return `${answer.status} without a JSON body: ${answer.text.slice(0, 200)}`
      }
      if (typeof error?.code !== 'string' || !KNOWN_CODES.has(error.code) || typeof error.message !== 'string' || error.message === '') {
        return `${answer.status} not in the catalogue's shape: ${answer.text.slice(0, 200)}`
      }
    }
    if (INVALID.has(answer.status)) {
      const cookies = [answer.headers['set-cookie'] ?? []].flat()
      if (cookies.some((c) => /^(__Host-)?cs_session=[^;]+/.test(c))) return `${answer.status} set a session cookie`
      const after = fingerprint(this.db)
      const changed = [...after].filter(([table, print]) => before.get(table) !== print).map(([table]) => table)
      if (changed.length) return `${answer.status} ${answer.text.slice(0, 120)} changed ${changed.join(', ')}`
    }
    return null
  }

  /** fast-check over every operation, for `timeLimitMs`, from `seed`; the first failure, shrunk. */
  async fuzz(seed: number, timeLimitMs: number, numRuns = 1_000_000_000): Promise<FuzzFailure | null> {
    const arbitrary = fc.constantFrom(...this.operations).chain(caseFor)
    let failure: FuzzFailure | null = null
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (fuzzCase) => {
        const problem = await this.run(fuzzCase)
        if (problem) {
          failure = { problem, fuzzCase }
          return false
        }
        return true
      }),
      { seed, numRuns, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false, endOnFailure: true, maxSkipsPerRun: 0 },
    )
    if (result.failed && result.counterexample) {
      // The shrunk case, and what its last run said.
      const [fuzzCase] = result.counterexample as [FuzzCase]
      failure = { problem: (await this.run(fuzzCase)) ?? (failure as FuzzFailure | null)?.problem ?? 'failed', fuzzCase }
    }
    return failure
  }

  report(seed: number, durationMs: number, failure: FuzzFailure | null): FuzzReport {
    return {
      seed,
      requests: this.requests,
      operations: this.operations.length,
      covered: this.called.size,
      reachedSuccess: this.succeeded.size,
      statuses: this.statuses,
      durationMs,
      failure,
    }
  }
}

export function describeReport(report: FuzzReport): string {
  const minutes = report.durationMs / 60_000
  const statuses = Object.entries(report.statuses).sort().map(([s, n]) => `${s}×${n}`).join(' ')
  return [
    `fuzz seed ${report.seed}: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(0)} s (${Math.round(report.requests / minutes)}/min)`,
    `  operations covered ${report.covered}/${report.operations}, ${report.reachedSuccess} of them answered 2xx at least once`,
    `  statuses ${statuses}`,
    report.failure ? `  FAILED: ${report.failure.problem}\n  case ${JSON.stringify(report.failure.fuzzCase)}` : '  5xx: 0, dropped connections: 0, catalogue shape and no-state-change: held',
  ].join('\n')
}
