import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { CookieJar, startTestApp, totpCode } from '../test-support/harness.js'

describe('operations', () => {
  it('LD-03: past the hashing queue the password step answers 503 OVERLOADED at once, with Retry-After, never a 500', async () => {
    const t = await startTestApp({ COUNTERSIGN_HASH_CONCURRENCY: '1', COUNTERSIGN_HASH_QUEUE_LIMIT: '2', COUNTERSIGN_ARGON2_MEMORY_KIB: '8192', COUNTERSIGN_ARGON2_TIME_COST: '2' })
    try {
      const org = await t.createOrganisation()
      const users = await Promise.all(Array.from({ length: 3 }, () => t.createUser(org.id)))
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const user = users[i % users.length]!
          return t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: `${user.username}`, password: 'wrong password' }, remoteAddress: `10.1.0.${i}` })
        }),
      )
      const overloaded = answers.filter((a) => a.statusCode === 503)
      assert.ok(overloaded.length > 0)
      for (const answer of overloaded) {
        assert.equal(answer.json().error.code, 'OVERLOADED')
        assert.equal(answer.headers['retry-after'], '1')
      }
      assert.equal(answers.filter((a) => a.statusCode >= 500 && a.statusCode !== 503).length, 0)
      // An overload never counted as a password failure: the real users still sign in.
      for (const user of users) assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })).statusCode, 200)
    } finally {
      await t.close()
    }
  })

  it('SR-07 SC-15: a sign-in logged at debug level leaves no password, code, seed or token in the log', async () => {
    let log = ''
    const stream = new Writable({ write(chunk, _encoding, done) { log += chunk.toString(); done() } })
    const t = await startTestApp({ COUNTERSIGN_LOG_LEVEL: 'trace' }, { logStream: stream })
    try {
      const org = await t.createOrganisation()
      const user = await t.createUser(org.id, { password: 'my very secret passphrase' })
      const { jar } = await t.signIn(user.username, user.password)
      const { secret } = await t.linkTotp(jar)
      t.nextStep()
      const fresh = new CookieJar()
      const first = await t.browser(fresh, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      const code = totpCode(secret, t.clock.now())
      await t.browser(fresh, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code, rememberBrowser: true })
      await t.admin('GET', '/api/v1/admin/organisations')
      assert.ok(log.length > 1000, 'the log was written')
      const secrets = [user.password, secret, code, first.json().flowId.split('.')[1], fresh.get('cs_session')!.split('.')[1], fresh.get('cs_remember')!.split('.')[1], 'test-bootstrap-admin-token']
      for (const needle of secrets) assert.equal(log.includes(needle), false, `found ${needle.slice(0, 6)}… in the log`)
      for (const line of log.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), 'one event, one JSON line (IV-08)')
    } finally {
      await t.close()
    }
  })

  it('DD-09: with the database gone, readiness says so and requests answer 503 UNAVAILABLE with Retry-After, never 500', async () => {
    const t = await startTestApp()
    const org = await t.createOrganisation()
    const user = await t.createUser(org.id)
    assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
    await t.ctx.store.close()
    const down = await t.app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(down.statusCode, 503)
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
    const signIn = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(signIn.statusCode, 503)
    assert.equal(signIn.json().error.code, 'UNAVAILABLE')
    assert.equal(signIn.headers['retry-after'], '1')
    const admin = await t.admin('GET', `/api/v1/admin/organisations/${org.id}/users`)
    assert.equal(admin.statusCode, 503)
    await t.app.close()
  })
})
