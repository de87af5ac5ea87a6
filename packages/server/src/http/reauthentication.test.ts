import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startSmtpServer, startTwilioFake } from '../test-support/fake-providers.js'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/*
 * Re-authentication with a code by SMS or e-mail (issue 5, SC-14): a sensitive change more than
 * 10 minutes after sign-in needs the password AND a second factor for every account that has one,
 * on the one lockout counter (F-LOGIN-4). Codes travel through a real SMTP server and a server
 * that speaks Twilio's Messages API.
 */

const SID = `AC${'b2'.repeat(16)}`
const TOKEN = 'twilio-auth-token-reauth-0123456789'

let smtp: Awaited<ReturnType<typeof startSmtpServer>>
let twilio: Awaited<ReturnType<typeof startTwilioFake>>
let t: TestApp

before(async () => {
  smtp = await startSmtpServer()
  twilio = await startTwilioFake({ accountSid: SID, authToken: TOKEN })
  t = await startTestApp({
    COUNTERSIGN_SMTP_URL: smtp.url,
    COUNTERSIGN_SMS_PROVIDER: 'twilio',
    COUNTERSIGN_TWILIO_ACCOUNT_SID: SID,
    COUNTERSIGN_TWILIO_AUTH_TOKEN: TOKEN,
    COUNTERSIGN_TWILIO_FROM: '+3197010000000',
    COUNTERSIGN_TWILIO_BASE_URL: twilio.baseUrl,
  })
})
after(async () => {
  await t.close()
  await smtp.close()
  await twilio.close()
})

let numbers = 0
const nextPhone = () => `+3163${String(4000000 + ++numbers).padStart(7, '0')}`
const wrong = (code: string) => (code === '000000' ? '111111' : '000000')

/** An account whose only method is SMS: a number verified in the forced enrolment of its first sign-in. */
async function smsOnlyUser(orgId: string) {
  const user = await t.createUser(orgId)
  const phone = nextPhone()
  const { jar, body } = await t.signIn(user.username, user.password)
  assert.equal(body.state, 'awaiting_enrolment')
  assert.equal((await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode, 202)
  const verified = await t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: twilio.codeFor(phone) })
  assert.equal(verified.statusCode, 200, verified.body)
  assert.equal(verified.json().session.restrictedToEnrolment, false)
  const overview = (await t.browser(jar, 'GET', '/api/v1/account/security')).json()
  assert.deepEqual(overview.availableMethods, ['sms'], 'SMS is the only method')
  assert.deepEqual(overview.reauthenticationMethods, ['sms'])
  return { ...user, phone, email: `${user.username}@example.test`, jar }
}

/** Signed in long enough ago that a sensitive change asks to confirm it is you (SC-14). */
function signedInElevenMinutesAgo() {
  t.clock.advance(11 * 60_000)
}

describe('SC-14 re-authentication with a code by SMS or e-mail', () => {
  let org: { id: string }
  before(async () => {
    org = await t.createOrganisation({ policy: 'required' })
  })

  it('SC-14 F-OTP-1: an SMS-only account cannot re-authenticate with the password alone, and can with the code from the SMS', async () => {
    const user = await smsOnlyUser(org.id)
    signedInElevenMinutesAgo()
    const refused = await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone: nextPhone() })
    assert.equal(refused.json().error.code, 'REAUTHENTICATION_REQUIRED')

    const passwordOnly = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password })
    assert.equal(passwordOnly.statusCode, 401, 'the password alone is not enough')
    assert.equal(passwordOnly.json().error.code, 'CODE_INVALID')
    const withMethod = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms' })
    assert.equal(withMethod.statusCode, 401, 'nor naming the method without its code')
    assert.equal((await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone: nextPhone() })).statusCode, 403, 'still not recent')

    const sent = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })
    assert.equal(sent.statusCode, 202, sent.body)
    assert.equal(sent.json().sentTo, `+31 ••• ••• ${user.phone.slice(-3)}`, 'masked')
    assert.equal(sent.json().channel, 'sms')
    assert.match(twilio.requests.at(-1)!.form.get('Body')!, /^\d{6} is your Org \d+ code \(confirm change\)/)
    const code = twilio.codeFor(user.phone)

    const before = user.jar.get('cs_session')
    const done = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().amr, ['pwd', 'sms', 'mfa'])
    assert.notEqual(user.jar.get('cs_session'), before, 'a fresh session (SC-01)')
    assert.equal((await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone: nextPhone() })).statusCode, 202, 'the change goes through now')

    t.clock.advance(11 * 60_000)
    const again = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code })
    assert.equal(again.statusCode, 401, 'a code works once')
  })

  it('F-OTP-3 F-LOGIN-4: wrong re-authentication codes count on the one lockout counter with sign-in codes; at five the account locks and the right code is refused', async () => {
    const user = await smsOnlyUser(org.id)
    signedInElevenMinutesAgo()
    assert.equal((await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })).statusCode, 202)
    const code = twilio.codeFor(user.phone)
    for (let i = 0; i < 4; i++) {
      const answer = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code: wrong(code) })
      assert.equal(answer.statusCode, 401, `wrong code ${i + 1}`)
    }
    assert.equal((await t.ctx.store.lockouts.get(user.id)).failures, 4)
    // The fifth wrong code comes from a sign-in in another browser: the same counter.
    const other = new CookieJar()
    assert.equal((await t.browser(other, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).json().state, 'awaiting_second_factor')
    assert.equal((await t.browser(other, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: '123456' })).statusCode, 423, 'the fifth locks, and says so')
    const locked = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code })
    assert.equal(locked.statusCode, 423, 'locked: the right code is refused')
    assert.equal(locked.json().error.code, 'ACCOUNT_LOCKED')
    const events = (await t.auditEvents({ account: user.id })).map((e) => e.event)
    assert.equal(events.filter((e) => e === 'sign_in.second_factor_failed').length, 5)
    assert.ok(events.includes('account.locked'))
    const sendLocked = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })
    assert.equal(sendLocked.statusCode, 423, 'no codes for a locked account')
  })

  it('SC-14 F-OTP-1: an account whose method is e-mail confirms with the code from the e-mail; SMS is not offered to it', async () => {
    const user = await smsOnlyUser(org.id)
    assert.equal((await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'email' })).statusCode, 204)
    const overview = (await t.browser(user.jar, 'GET', '/api/v1/account/security')).json()
    assert.deepEqual(overview.reauthenticationMethods, ['email', 'sms'], 'the chosen method first')
    signedInElevenMinutesAgo()
    assert.equal((await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password })).statusCode, 401)
    const sent = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'email' })
    assert.equal(sent.statusCode, 202, sent.body)
    assert.equal(sent.json().sentTo, `${user.email.slice(0, 1)}•••@example.test`)
    const mail = smtp.to(user.email).at(-1)!
    assert.match(mail.parsed.text ?? '', /to confirm it is you, for a change to your Org \d+ account/)
    const done = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'email', code: smtp.codeFor(user.email) })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().amr, ['pwd', 'mail', 'mfa'])

    const appOnly = await t.createOrganisation({ policy: 'required', allowedMethods: ['totp'] })
    const appUser = await t.enrolledUser(appOnly.id)
    const { jar } = await t.signIn(appUser.username, appUser.password, appUser.secret)
    for (const method of ['sms', 'email']) {
      const refused = await t.browser(jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method })
      assert.equal(refused.statusCode, 400, `${method}: ${refused.body}`)
      assert.equal(refused.json().error.field, 'method')
    }
  })

  it('RR-06: a re-authentication code works only in the session it was sent for; a sign-in code does not re-authenticate', async () => {
    const user = await smsOnlyUser(org.id)
    const { jar: second } = await (async () => {
      const jar = new CookieJar()
      await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      t.clock.advance(31_000)
      assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
      const signInCode = twilio.codeFor(user.phone)
      assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: signInCode })).statusCode, 200)
      return { jar }
    })()
    signedInElevenMinutesAgo()
    // A live sign-in code of another flow is no re-authentication code.
    const flow = new CookieJar()
    await t.browser(flow, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal((await t.browser(flow, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
    const signInCode = twilio.codeFor(user.phone)
    assert.equal((await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code: signInCode })).statusCode, 401)

    t.clock.advance(31_000)
    assert.equal((await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })).statusCode, 202)
    const code = twilio.codeFor(user.phone)
    const elsewhere = await t.browser(second, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code })
    assert.equal(elsewhere.statusCode, 401, 'not in another session of the same user')
    const here = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'sms', code })
    assert.equal(here.statusCode, 200, here.body)
  })

  it('F-OTP-2 BF-11: "Send me a code" has the sign-in codes’ cool-down: a second request within 30 seconds is 429 with Retry-After and sends nothing', async () => {
    const user = await smsOnlyUser(org.id)
    signedInElevenMinutesAgo()
    assert.equal((await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })).statusCode, 202)
    const sent = twilio.requests.length
    t.clock.advance(10_000)
    const tooSoon = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'sms' })
    assert.equal(tooSoon.statusCode, 429)
    assert.equal(tooSoon.json().error.code, 'RESEND_TOO_SOON')
    assert.equal(tooSoon.headers['retry-after'], '20')
    assert.equal(twilio.requests.length, sent)
  })

  it('SC-14: an account with an app and a phone may confirm with either', async () => {
    const user = await smsOnlyUser(org.id)
    const { secret } = await t.linkTotp(user.jar)
    t.nextStep()
    const overview = (await t.browser(user.jar, 'GET', '/api/v1/account/security')).json()
    assert.deepEqual(overview.reauthenticationMethods, ['sms', 'totp'], 'the chosen method (SMS) first')
    signedInElevenMinutesAgo()
    const withApp = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'totp', code: totpCode(secret, t.clock.now()) })
    assert.equal(withApp.statusCode, 200, withApp.body)
    assert.deepEqual(withApp.json().amr, ['pwd', 'otp', 'mfa'])
  })

  it('F-LOGIN-5: a session in forced enrolment has proved no factor yet: it re-enters the password only and cannot ask for a re-authentication code', async () => {
    const user = await t.createUser(org.id)
    const { jar, body } = await t.signIn(user.username, user.password)
    assert.equal(body.state, 'awaiting_enrolment')
    signedInElevenMinutesAgo()
    const sent = await t.browser(jar, 'POST', '/api/v1/account/reauthenticate/send-code', { method: 'email' })
    assert.equal(sent.statusCode, 403)
    assert.equal(sent.json().error.code, 'ENROLMENT_REQUIRED')
    const done = await t.browser(jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().amr, ['pwd'])
  })
})
