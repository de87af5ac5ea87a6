// Push approval figures (issue 9): the time from the phone's "Approve" to the waiting browser's
// `approved` event, with one server process (SQLite) and across two processes on one PostgreSQL
// database; and how many pushes per second reach a push service. The push service is a local one
// that speaks RFC 8030 (checks VAPID, decrypts the message); the phone is the Node implementation
// of the wire protocol. Loopback only, bounded in time; every process started is stopped.
//   npm run bench:push -- [--rounds N] [--pushes N] [--postgres URL] [--json]
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fetchTransport, TestAuthenticator, testSubscription } from '../packages/server/src/test-support/authenticator-device.js'
import { readEventStream } from '../packages/server/src/test-support/event-stream-reader.js'
import { createPostgresDatabase } from '../packages/server/src/test-support/harness.js'
import { startPushService } from '../packages/server/src/test-support/push-service.js'
import { cleanEnvironment, startServerProcess, type ServerProcess } from '../packages/server/src/test-support/server-process.js'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '60' }, pushes: { type: 'string', default: '200' }, json: { type: 'boolean', default: false } } })
const ROUNDS = Number(values.rounds)
const PUSHES = Number(values.pushes)
const ADMIN = `bench-${randomBytes(16).toString('hex')}`
const PASSWORD = 'push bench password'
const ORIGIN = 'http://127.0.0.1:3000'

interface Call {
  status: number
  json: any
  cookies: string
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
  const response = await fetch(`${base}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json', origin: ORIGIN } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : null, cookies: response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const round1 = (n: number) => Math.round(n * 10) / 10

/** An organisation and `n` users, each with a paired phone whose pushes the service can decrypt. */
async function provision(servers: ServerProcess[], push: Awaited<ReturnType<typeof startPushService>>, n: number) {
  const [a] = servers as [ServerProcess]
  const admin = { authorization: `Bearer ${ADMIN}` }
  const org = await call(a.base, 'POST', '/api/v1/admin/organisations', { slug: `bench-${randomBytes(3).toString('hex')}`, name: 'Bench', policy: 'required' }, admin)
  const users: Array<{ username: string; phone: TestAuthenticator }> = []
  for (let i = 0; i < n; i++) {
    const username = `push${i}${randomBytes(2).toString('hex')}`
    await call(a.base, 'POST', `/api/v1/admin/organisations/${org.json.id}/users`, { username, email: `${username}@example.test`, password: PASSWORD }, admin)
    const first = await call(a.base, 'POST', '/api/v1/sign-in/password', { username, password: PASSWORD })
    const started = await call(a.base, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' }, { cookie: first.cookies })
    const keys = testSubscription('')
    // The phone talks to the last instance: with two, its answers land where the browser is not.
    const phone = new TestAuthenticator(fetchTransport(servers[servers.length - 1]!.base), () => new Date())
    const paired = await phone.pair(started.json.pairingUri, { pushSubscription: { ...keys.subscription, endpoint: push.endpoint(`${username}`, { ecdh: keys.ecdh, auth: keys.auth }) } })
    if (paired.status !== 200) throw new Error(`pairing: ${paired.status} ${JSON.stringify(paired.body)}`)
    users.push({ username, phone })
  }
  return users
}

/** Approve → `approved` on the browser's event stream, one sign-in at a time. */
async function approvalLatency(servers: ServerProcess[], users: Array<{ username: string; phone: TestAuthenticator }>): Promise<number[]> {
  const [a] = servers as [ServerProcess]
  const samples: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const user = users[i % users.length]!
    const signIn = await call(a.base, 'POST', '/api/v1/sign-in/password', { username: user.username, password: PASSWORD })
    const cookie = signIn.cookies
    const started = await call(a.base, 'POST', '/api/v1/sign-in/push', {}, { cookie })
    if (started.status !== 202) throw new Error(`push: ${started.status} ${JSON.stringify(started.json)}`)
    let heardAt = 0
    const waiting = readEventStream(`${a.base}/api/v1/sign-in/events`, { cookie }, (events) => {
      if (!events.some((e) => e.event === 'approved')) return false
      heardAt = performance.now()
      return true
    })
    // The stream is open before the phone answers, so the event cannot come before we listen.
    await waiting.opened
    const answeredAt = performance.now()
    const answer = await user.phone.answer(started.json.challengeId, 'approve', started.json.matchNumber)
    if (answer.status !== 200) throw new Error(`answer: ${answer.status}`)
    await waiting.events
    samples.push(heardAt - answeredAt)
    const done = await call(a.base, 'POST', '/api/v1/sign-in/push/complete', {}, { cookie })
    if (done.status !== 200) throw new Error(`complete: ${done.status}`)
  }
  return samples.sort((x, y) => x - y)
}

/** Many sign-ins ask for a push at once (16 in flight); pushes that reached the service per second. */
async function pushRate(servers: ServerProcess[], users: Array<{ username: string; phone: TestAuthenticator }>, push: Awaited<ReturnType<typeof startPushService>>) {
  const [a] = servers as [ServerProcess]
  const cookies: string[] = []
  for (const user of users) cookies.push((await call(a.base, 'POST', '/api/v1/sign-in/password', { username: user.username, password: PASSWORD })).cookies)
  const before = push.received.length
  const start = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < cookies.length) {
        const cookie = cookies[next++]!
        const started = await call(a.base, 'POST', '/api/v1/sign-in/push', {}, { cookie })
        if (started.status !== 202) throw new Error(`push: ${started.status} ${JSON.stringify(started.json)}`)
      }
    }),
  )
  await push.waitFor(before + cookies.length, 60_000)
  const seconds = (performance.now() - start) / 1000
  return { pushes: cookies.length, seconds: round1(seconds), perSecond: round1(cookies.length / seconds) }
}

async function run(label: string, databaseUrl: string | null, instances: number) {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-bench-push-'))
  const push = await startPushService()
  const env = {
    ...cleanEnvironment(),
    COUNTERSIGN_DATABASE_URL: databaseUrl ?? `sqlite:${join(dir, 'bench.db')}`,
    COUNTERSIGN_DATA_DIR: dir,
    COUNTERSIGN_SECRETS_KEY: randomBytes(32).toString('base64'),
    COUNTERSIGN_ADMIN_TOKEN: ADMIN,
    COUNTERSIGN_DEMO: '0',
    COUNTERSIGN_LOG_LEVEL: 'error',
    COUNTERSIGN_PUSH_CA_FILE: push.caFile,
    // The local push service listens on 127.0.0.1, which only the test environment may push to.
    COUNTERSIGN_ENV: 'test',
    COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '1000000',
    COUNTERSIGN_RATE_LIMIT_CODE_PER_MINUTE: '1000000',
  }
  const servers: ServerProcess[] = []
  try {
    for (let i = 0; i < instances; i++) servers.push(await startServerProcess(env))
    // Each user gets at most 5 pushes per 15 minutes (PU-04): enough users for every push.
    const users = await provision(servers, push, Math.max(PUSHES, Math.ceil(ROUNDS / 4)))
    const latency = await approvalLatency(servers, users.slice(0, Math.ceil(ROUNDS / 4)))
    const rate = await pushRate(servers, users.slice(0, PUSHES), push)
    return { label, instances, rounds: latency.length, p50Ms: round1(percentile(latency, 50)), p99Ms: round1(percentile(latency, 99)), maxMs: round1(latency.at(-1)!), ...rate }
  } finally {
    for (const server of servers) server.child.kill('SIGTERM')
    await push.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main() {
  const results = [await run('one process, SQLite', null, 1)]
  const database = await createPostgresDatabase().catch(() => null)
  if (database) {
    try {
      results.push(await run('two processes, PostgreSQL (answer on B, browser on A)', database.url, 2))
    } finally {
      await database.drop()
    }
  }
  if (values.json) {
    console.log(JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model }, results }, null, 2))
    return
  }
  console.log(`\nPush approval, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}\n`)
  console.log('| setup | approve → browser event p50 | p99 | max | pushes delivered/s (16 in flight) |')
  console.log('|---|---|---|---|---|')
  for (const r of results) console.log(`| ${r.label} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms | ${r.perSecond} (${r.pushes} in ${r.seconds} s) |`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
