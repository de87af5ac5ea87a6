import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { CookieJar, startTestApp, type TestApp } from '../test-support/harness.js'

/**
 * The development outbox never exists in production (F-OTP-5): without a provider a channel
 * refuses to send, visibly, instead of keeping codes that anyone could read at /api/v1/dev/outbox.
 */
describe('no outbox in production (F-OTP-5)', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp({ COUNTERSIGN_ENV: 'production', COUNTERSIGN_SECRETS_KEY: randomBytes(32).toString('base64') })
  })
  after(() => t.close())

  it('F-OTP-5: GET /api/v1/dev/outbox is 404, and a code by e-mail is refused with DELIVERY_FAILED and stored nowhere readable', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode, 404)
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.enrolledUser(org.id)
    const { jar: settings } = await t.signIn(user.username, user.password, user.secret)
    assert.equal((await t.browser(settings, 'PUT', '/api/v1/account/method', { method: 'email' })).statusCode, 204)
    const jar = new CookieJar()
    const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(first.json().preferredMethod, 'email')
    const sent = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
    assert.equal(sent.statusCode, 502, sent.body)
    assert.equal(sent.json().error.code, 'DELIVERY_FAILED')
    assert.equal((await t.ctx.store.outbox.list(undefined, 100)).length, 0, 'nothing kept where it could be read')
  })
})
