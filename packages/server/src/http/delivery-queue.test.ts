import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import type { Email } from '../delivery/delivery.js'
import { closedPort, startSmtpServer } from '../test-support/fake-providers.js'
import { CookieJar, startTestApp, type TestApp } from '../test-support/harness.js'
import { cleanEnvironment, startServerProcess } from '../test-support/server-process.js'
import { retryStaleDeliveries } from '../use-cases/delivery-queue.js'

/*
 * DD-07: a code's message is queued, sealed, in the transaction that issues the code, sent after the
 * commit, and resent after a crash between the commit and the provider's answer (at least once);
 * a duplicate or a late copy never makes a second code valid (only the latest is, F-OTP-2). The
 * crash is a real SIGKILL of a server process at a failpoint; the details run in-process, where a
 * "crash" is a send that never comes back and a "restart" a second server on the same database.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>
const cleanups: Array<() => Promise<void>> = []
before(async () => {
  smtp = await startSmtpServer()
})
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  await smtp.close()
})

const CODE_SUBJECT = 'Your verification code'
const codeMails = (to: string) => smtp.to(to).filter((m) => m.parsed.subject === CODE_SUBJECT)
const zero = { sent: 0, skipped: 0, dropped: 0, waiting: 0 }

/** The database files as a dump would see them (SR-04): main file and write-ahead log. */
function databaseBytes(file: string): string {
  return [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('')
}

/**
 * A user whose method is e-mail, a sign-in waiting for the code, and a server that "dies" when it
 * hands the code to the SMTP server: the send never comes back (no answer, no cleanup). Then a
 * second server starts on the same database file and key, with the clock where the first one stopped.
 */
async function crashDuringSend(env: Record<string, string> = {}) {
  let logText = ''
  const logStream = new PassThrough()
  logStream.on('data', (chunk: Buffer) => (logText += chunk.toString('utf8')))
  const crashed = await startTestApp({ COUNTERSIGN_SMTP_URL: smtp.url }, { logStream })
  const org = await crashed.createOrganisation({ policy: 'required' })
  const user = await crashed.createUser(org.id)
  const email = `${user.username}@example.test`
  const first = await crashed.signIn(user.username, user.password)
  assert.equal((await crashed.browser(first.jar, 'PUT', '/api/v1/account/method', { method: 'email' })).statusCode, 204)
  const jar = new CookieJar()
  const flow = await crashed.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
  assert.deepEqual(flow.json().methods, ['email'])

  // The failpoint: after the commit, before the provider.
  const mailer = crashed.ctx.delivery.mailer as { send(mail: Email): Promise<void> }
  const lost = new Promise<Email>((resolve) => {
    mailer.send = (mail) => {
      resolve(mail)
      return new Promise<void>(() => {})
    }
  })
  void crashed.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
  const code = /\b(\d{6})\b/.exec((await lost).text)![1]!

  const database = join(crashed.dir, 'test.db')
  const restarted = await startTestApp({ COUNTERSIGN_SMTP_URL: smtp.url, COUNTERSIGN_DATABASE_URL: `sqlite:${database}`, COUNTERSIGN_DATA_DIR: crashed.dir, ...env }, { logStream })
  restarted.clock.set(crashed.clock.now())
  cleanups.push(async () => {
    await restarted.close()
    await crashed.close()
  })
  return { restarted, user, email, jar, code, database, logs: () => logText }
}

async function signInWith(t: TestApp, jar: CookieJar, code: string) {
  return t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code })
}

describe('DD-07 durable sends of one-time codes', () => {
  it('DD-07: a code sent just before a crash still arrives after restart, and signs in (SIGKILL of a real server process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-dd07-'))
    const admin = 'dd07-bootstrap-token-0123456789abcdef0123'
    const database = join(dir, 'cs.db')
    const env = {
      ...cleanEnvironment(),
      COUNTERSIGN_DATABASE_URL: `sqlite:${database}`,
      COUNTERSIGN_DATA_DIR: dir,
      COUNTERSIGN_DEMO: '0',
      COUNTERSIGN_LOG_LEVEL: 'error',
      COUNTERSIGN_ADMIN_TOKEN: admin,
      COUNTERSIGN_ARGON2_MEMORY_KIB: '4096',
      COUNTERSIGN_ARGON2_TIME_COST: '1',
      COUNTERSIGN_SMTP_URL: smtp.url,
      // A short provider timeout, so the lease (three timeouts) runs out within the test.
      COUNTERSIGN_DELIVERY_TIMEOUT_MS: '500',
    }
    const failpoint = new URL('../test-support/crash-before-send.ts', import.meta.url).pathname
    let server = await startServerProcess(env, { script: failpoint })
    cleanups.push(async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM')
        await new Promise((resolve) => server.child.once('exit', resolve))
      }
      rmSync(dir, { recursive: true, force: true })
    })
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000', ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='))
      return { status: response.status, json: (await response.json().catch(() => null)) as any, cookie: cookies.join('; ') }
    }
    const auth = { authorization: `Bearer ${admin}` }
    const org = (await call('POST', '/api/v1/admin/organisations', { slug: 'dd07', name: 'DD-07', policy: 'required' }, auth)).json
    await call('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: 'crashy', email: 'crashy@example.test', password: 'durable copper passphrase' }, auth)
    const enrolment = await call('POST', '/api/v1/sign-in/password', { username: 'crashy', password: 'durable copper passphrase' })
    assert.equal(enrolment.json.state, 'awaiting_enrolment')
    assert.equal((await call('PUT', '/api/v1/account/method', { method: 'email' }, { cookie: enrolment.cookie })).status, 204)
    const flow = (await call('POST', '/api/v1/sign-in/password', { username: 'crashy', password: 'durable copper passphrase' })).json
    assert.deepEqual(flow.methods, ['email'])

    const exited = new Promise<NodeJS.Signals | null>((resolve) => server.child.once('exit', (_code, signal) => resolve(signal)))
    await assert.rejects(call('POST', '/api/v1/sign-in/send-code', { flowId: flow.flowId, method: 'email' }), 'the process dies before it answers')
    assert.equal(await exited, 'SIGKILL')
    assert.equal(codeMails('crashy@example.test').length, 0, 'nothing reached the SMTP server')
    const dump = databaseBytes(database)

    server = await startServerProcess(env)
    await smtp.waitFor(() => codeMails('crashy@example.test').length > 0, 20_000)
    const code = smtp.codeFor('crashy@example.test')
    assert.ok(!dump.includes(code), 'SR-04: the queued message was sealed, the code not readable in the database')
    const signedIn = await call('POST', '/api/v1/sign-in/second-factor', { flowId: flow.flowId, method: 'email', code })
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.json))
    assert.deepEqual(signedIn.json.session.amr, ['pwd', 'mail', 'mfa'])
    await new Promise((resolve) => setTimeout(resolve, 2000))
    assert.equal(codeMails('crashy@example.test').length, 1, 'sent once: the row went with the send')
  })

  it('DD-07: a message whose sender died waits out its lease, then the next retry round sends it and its code signs in', async () => {
    const { restarted, email, jar, code, database, logs } = await crashDuringSend()
    assert.ok(!databaseBytes(database).includes(code), 'SR-04: the queued message is sealed')
    assert.equal(codeMails(email).length, 0)
    assert.deepEqual(await retryStaleDeliveries(restarted.ctx), zero, 'within the lease its sender may still be at work')
    restarted.clock.advance(30_000)
    assert.deepEqual(await retryStaleDeliveries(restarted.ctx), { ...zero, sent: 1 })
    await smtp.waitFor(() => codeMails(email).length === 1)
    assert.equal(smtp.codeFor(email), code, 'the very code that was issued before the crash')
    const done = await signInWith(restarted, jar, code)
    assert.equal(done.statusCode, 200, done.body)
    restarted.clock.advance(60_000)
    assert.deepEqual(await retryStaleDeliveries(restarted.ctx), zero, 'nothing left to send')
    assert.equal(codeMails(email).length, 1)
    assert.match(logs(), /a queued one-time code was sent/)
    assert.ok(!logs().includes(code) && !logs().includes(email), 'SR-07: the logs hold neither the code nor the address')
  })

  it('DD-07 F-OTP-2: a queued message for a code replaced since is not sent, and its code would not work anyway: only the latest code signs in', async () => {
    const { restarted, email, jar, code: old } = await crashDuringSend()
    // The user saw no answer and asks again, on the restarted server, after the cool-down.
    restarted.clock.advance(31_000)
    assert.equal((await restarted.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })).statusCode, 202)
    const latest = smtp.codeFor(email)
    assert.deepEqual(await retryStaleDeliveries(restarted.ctx), { ...zero, skipped: 1 }, 'the old message is dropped unsent')
    assert.equal(codeMails(email).length, 1)
    if (old !== latest) {
      // As if the old message had gone out anyway (a retry racing the new send): its code is dead.
      const stale = await signInWith(restarted, jar, old)
      assert.equal(stale.statusCode, 401)
      assert.equal(stale.json().error.code, 'CODE_INVALID')
    }
    const done = await signInWith(restarted, jar, latest)
    assert.equal(done.statusCode, 200, done.body)
  })

  it('DD-07: a retry the provider refuses for good is not repeated: dropped, its code revoked, audited; a new code can be asked at once', async () => {
    const { restarted, user, email, jar, code } = await crashDuringSend()
    restarted.clock.advance(30_000)
    smtp.rejectAll = true
    try {
      assert.deepEqual(await retryStaleDeliveries(restarted.ctx), { ...zero, dropped: 1 })
    } finally {
      smtp.rejectAll = false
    }
    const dropped = await restarted.auditEvents({ account: user.id, event: 'one_time_code.delivery_dropped' })
    assert.deepEqual(dropped.map((e) => e.reason), ['refused'])
    assert.equal(await restarted.ctx.store.oneTimeCodes.find(user.id, 'sign_in'), undefined, 'the code that never arrived is revoked')
    restarted.clock.advance(60_000)
    assert.deepEqual(await retryStaleDeliveries(restarted.ctx), zero, 'not tried again')
    assert.equal((await signInWith(restarted, jar, code)).statusCode, 401)
    assert.equal((await restarted.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })).statusCode, 202)
    assert.equal((await signInWith(restarted, jar, smtp.codeFor(email))).statusCode, 200)
  })

  it('DD-07: a provider that cannot be reached is tried again after each lease, four sends in all, then the message is dropped and audited', async () => {
    const port = await closedPort()
    const { restarted, user } = await crashDuringSend({ COUNTERSIGN_SMTP_URL: `smtp://127.0.0.1:${port}`, COUNTERSIGN_DELIVERY_TIMEOUT_MS: '1000' })
    // The crashed server held a 30 s lease (its timeout was the default 10 s); each retry holds 3 s.
    const rounds = []
    for (const wait of [30_000, 3_000, 3_000, 3_000]) {
      restarted.clock.advance(wait)
      rounds.push(await retryStaleDeliveries(restarted.ctx))
    }
    assert.deepEqual(rounds, [{ ...zero, waiting: 1 }, { ...zero, waiting: 1 }, { ...zero, dropped: 1 }, zero])
    const dropped = await restarted.auditEvents({ account: user.id, event: 'one_time_code.delivery_dropped' })
    assert.deepEqual(dropped.map((e) => e.reason), ['too_many_attempts'])
    assert.equal(await restarted.ctx.store.oneTimeCodes.find(user.id, 'sign_in'), undefined)
  })

  it('DD-07 F-OTP-5: a failure the request saw is answered 502 at once and leaves nothing to retry: the user has moved on', async () => {
    const t = await startTestApp({ COUNTERSIGN_SMTP_URL: smtp.url }, { logStream: new PassThrough().resume() })
    cleanups.push(() => t.close())
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.createUser(org.id)
    const email = `${user.username}@example.test`
    const first = await t.signIn(user.username, user.password)
    await t.browser(first.jar, 'PUT', '/api/v1/account/method', { method: 'email' })
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    smtp.rejectAll = true
    try {
      const failed = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
      assert.equal(failed.statusCode, 502)
      assert.equal(failed.json().error.code, 'DELIVERY_FAILED')
    } finally {
      smtp.rejectAll = false
    }
    t.clock.advance(60_000)
    assert.deepEqual(await retryStaleDeliveries(t.ctx), zero)
    assert.equal(codeMails(email).length, 0)
  })
})
