import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fetchTransport, TestAuthenticator } from '../../test-support/authenticator-device.js'
import { readEventStream } from '../../test-support/event-stream-reader.js'
import { freePort } from '../../test-support/harness.js'
import { cleanEnvironment, startServerProcess, type ServerProcess } from '../../test-support/server-process.js'

/*
 * F-X-4 / DD-09: a PostgreSQL restart while the server runs. The test starts a PostgreSQL of its
 * own (initdb into a temporary folder, as the postgres user) so it can stop and start it without
 * disturbing the shared database other tests use.
 */
const bin = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(join(dir, 'initdb'))) : undefined
const canRun = bin !== undefined && process.getuid?.() === 0
const ADMIN = `restart-${randomBytes(16).toString('hex')}`
const PASSWORD = 'restart test password'

function pg(args: string[]) {
  execFileSync('runuser', ['-u', 'postgres', '--', join(bin!, 'pg_ctl'), ...args], { stdio: 'ignore' })
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await response.text()
  return { status: response.status, json: text ? (JSON.parse(text) as any) : null, cookies: response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') }
}

describe('a PostgreSQL restart while the server runs', { skip: canRun ? false : 'needs the PostgreSQL server binaries and root (to run them as postgres)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-pg-restart-'))
  const data = join(dir, 'data')
  let port = 0
  let options = ''
  let server: ServerProcess

  before(async () => {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()))
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin!, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore' })
    port = await freePort()
    options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
    pg(['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
    server = await startServerProcess({
      ...cleanEnvironment(),
      COUNTERSIGN_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
      COUNTERSIGN_DATA_DIR: dir,
      COUNTERSIGN_SECRETS_KEY: randomBytes(32).toString('base64'),
      COUNTERSIGN_ADMIN_TOKEN: ADMIN,
      COUNTERSIGN_DEMO: '0',
      COUNTERSIGN_LOG_LEVEL: 'fatal',
      COUNTERSIGN_ARGON2_MEMORY_KIB: '4096',
      COUNTERSIGN_ARGON2_TIME_COST: '1',
      COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '100000',
      COUNTERSIGN_RATE_LIMIT_CODE_PER_MINUTE: '100000',
    })
  })

  after(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM')
      await new Promise((resolve) => server.child.once('exit', resolve))
    }
    try {
      pg(['-D', data, '-m', 'immediate', '-w', 'stop'])
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('DD-09 F-X-4: requests fail with 503 while PostgreSQL restarts, never 500, and then work again by themselves — push sign-in included', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` }
    const org = await call(server.base, 'POST', '/api/v1/admin/organisations', { slug: 'restart', name: 'Restart', policy: 'required' }, admin)
    const username = `r${randomBytes(3).toString('hex')}`
    await call(server.base, 'POST', `/api/v1/admin/organisations/${org.json.id}/users`, { username, email: `${username}@example.test`, password: PASSWORD }, admin)
    const enrol = await call(server.base, 'POST', '/api/v1/sign-in/password', { username, password: PASSWORD })
    const started = await call(server.base, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' }, { cookie: enrol.cookies })
    const phone = new TestAuthenticator(fetchTransport(server.base), () => new Date())
    assert.equal((await phone.pair(started.json.pairingUri)).status, 200)

    // Load during the outage: readiness and password steps, every 50 ms.
    const statuses: number[] = []
    let running = true
    const load = (async () => {
      while (running) {
        for (const request of [call(server.base, 'GET', '/readyz'), call(server.base, 'POST', '/api/v1/sign-in/password', { username, password: PASSWORD })]) {
          statuses.push((await request.catch(() => ({ status: 0 }))).status)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    await new Promise((resolve) => setTimeout(resolve, 300))
    pg(['-D', data, '-m', 'fast', '-w', 'stop'])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    pg(['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
    // Recovered by itself: readiness comes back without touching the server.
    const deadline = Date.now() + 20_000
    while ((await call(server.base, 'GET', '/readyz')).status !== 200) {
      assert.ok(Date.now() < deadline, 'ready again within 20 s')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
    running = false
    await load
    assert.ok(statuses.includes(503), `the outage was answered 503: ${[...new Set(statuses)].join(',')}`)
    assert.equal(statuses.filter((s) => s >= 500 && s !== 503).length, 0, `never a 500: ${[...new Set(statuses)].join(',')}`)
    assert.equal(statuses.filter((s) => s === 0).length, 0, 'no connection was dropped')

    // A whole push sign-in after the restart, its waiting browser included (the event stream
    // hears the approval through the notifier, whose LISTEN connection reconnects by itself, or
    // through its own 2-second look at the store).
    const signIn = await call(server.base, 'POST', '/api/v1/sign-in/password', { username, password: PASSWORD })
    assert.equal(signIn.status, 200)
    const push = await call(server.base, 'POST', '/api/v1/sign-in/push', {}, { cookie: signIn.cookies })
    assert.equal(push.status, 202)
    const waiting = readEventStream(`${server.base}/api/v1/sign-in/events`, { cookie: signIn.cookies }, (events) => events.some((e) => e.event === 'approved'))
    await waiting.opened
    assert.equal((await phone.answer(push.json.challengeId, 'approve', push.json.matchNumber)).status, 200)
    assert.equal((await waiting.events).at(-1)!.data.challengeId, push.json.challengeId)
    const done = await call(server.base, 'POST', '/api/v1/sign-in/push/complete', {}, { cookie: signIn.cookies })
    assert.equal(done.status, 200)
  })
})
