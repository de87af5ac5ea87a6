import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/*
 * One-time codes by SMS and e-mail (issue 5), with both channels on the development outbox:
 * F-OTP-1…4, F-SET-2, F-TOTP-5, and the SECURITY.md rows about codes, resend and flooding.
 */

let t: TestApp
before(async () => {
  t = await startTestApp()
})
after(() => t.close())

let numbers = 0
const nextPhone = () => `+3161${String(2000000 + ++numbers).padStart(7, '0')}`

async function outbox(to: string): Promise<Array<{ channel: string; to: string; subject: string | null; text: string; sentAt: string }>> {
  const response = await t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(to)}` })
  assert.equal(response.statusCode, 200, response.body)
  return response.json()
}

async function newestCode(to: string): Promise<string> {
  const [message] = await outbox(to)
  const code = /\b(\d{6})\b/.exec(message?.text ?? '')?.[1]
  assert.ok(code, `a code was sent to ${to}`)
  return code
}

/** A user who registered and verified a phone in the forced enrolment after the first sign-in. */
async function userWithPhone(orgId: string) {
  const user = await t.createUser(orgId)
  const phone = nextPhone()
  const { jar, body } = await t.signIn(user.username, user.password)
  assert.equal(body.state, 'awaiting_enrolment')
  const started = await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })
  assert.equal(started.statusCode, 202, started.body)
  const verified = await t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: await newestCode(phone) })
  assert.equal(verified.statusCode, 200, verified.body)
  assert.equal(verified.json().session.restrictedToEnrolment, false)
  t.clock.advance(31_000)
  return { ...user, phone, email: `${user.username}@example.test`, jar }
}

async function passwordStep(user: { username: string; password: string }, jar = new CookieJar()) {
  const response = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
  assert.equal(response.statusCode, 200, response.body)
  return { jar, flow: response.json() }
}

describe('F-OTP-1 codes by SMS and e-mail', () => {
  it('F-OTP-1: a user with a verified phone signs in with a six-digit SMS code; sentTo is masked and amr says sms', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar, flow } = await passwordStep(user)
    assert.equal(flow.state, 'awaiting_second_factor')
    assert.ok(flow.methods.includes('sms'))
    const sent = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(sent.statusCode, 202, sent.body)
    assert.equal(sent.json().sentTo, `${user.phone.slice(0, 3)} ••• ••• ${user.phone.slice(-3)}`)
    assert.equal(new Date(sent.json().expiresAt).getTime() - t.clock.now().getTime(), 20 * 60_000, 'valid 20 minutes by default (T1)')
    const code = await newestCode(user.phone)
    assert.match(code, /^\d{6}$/)
    const done = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().session.amr, ['pwd', 'sms', 'mfa'])
  })

  it('F-OTP-1 T2: a user who chose e-mail signs in with a code from the mail; amr says mail, not otp', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    assert.equal((await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'email' })).statusCode, 204)
    const { jar, flow } = await passwordStep(user)
    assert.equal(flow.preferredMethod, 'email')
    const sent = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
    assert.equal(sent.statusCode, 202, sent.body)
    assert.equal(sent.json().sentTo, `${user.email.slice(0, 1)}•••@example.test`)
    const [mail] = await outbox(user.email)
    assert.equal(mail!.channel, 'email')
    const done = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code: await newestCode(user.email) })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().session.amr, ['pwd', 'mail', 'mfa'])
  })

  it('SR-04: the database holds the code only as an HMAC, never the six digits', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const code = await newestCode(user.phone)
    const stored = await t.ctx.store.oneTimeCodes.find(user.id, 'sign_in')
    assert.ok(stored)
    assert.equal(stored.codeHmac.length, 32)
    assert.ok(!stored.codeHmac.toString('latin1').includes(code) && !stored.codeHmac.toString('hex').includes(code))
  })
})

describe('F-OTP-2 resend', () => {
  it('RR-05 F-OTP-2: after "Send a new code" the old code is refused and the new one works once', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const first = await newestCode(user.phone)
    t.clock.advance(30_000)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
    const second = await newestCode(user.phone)
    if (first !== second) {
      const old = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: first })
      assert.equal(old.statusCode, 401)
      assert.equal(old.json().error.code, 'CODE_INVALID')
    }
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: second })).statusCode, 200)
    const { jar: again } = await passwordStep(user)
    assert.equal((await t.browser(again, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: second })).statusCode, 401, 'one use')
  })

  it('F-OTP-2 BF-11: a resend within 30 seconds is 429 RESEND_TOO_SOON with Retry-After, and sends nothing', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
    const before = (await outbox(user.phone)).length
    t.clock.advance(10_000)
    const tooSoon = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(tooSoon.statusCode, 429)
    assert.equal(tooSoon.json().error.code, 'RESEND_TOO_SOON')
    assert.equal(tooSoon.headers['retry-after'], '20')
    assert.equal((await outbox(user.phone)).length, before)
  })

  it('BF-11: 50 resend clicks give at most 5 sends per account per hour, whatever the timing', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    const before = (await outbox(user.phone)).length
    const statuses: number[] = []
    for (let i = 0; i < 50; i++) {
      // A fresh flow every 10 clicks, so the flow's ten-minute life is never what stops them.
      const flowJar = i % 10 === 0 ? (await passwordStep(user)).jar : jar
      statuses.push((await t.browser(flowJar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode)
      t.clock.advance(31_000)
      if (i % 10 === 0) Object.assign(jar, flowJar)
    }
    const sent = (await outbox(user.phone)).length - before
    // The phone verification in userWithPhone was the first send of this hour.
    assert.ok(sent <= 4, `sent ${sent}`)
    assert.ok(statuses.filter((s) => s === 429).length >= 46)
  })

  it('BF-11: at most 10 codes per recipient per 10 minutes, even across accounts', async () => {
    const org = await t.createOrganisation()
    const phone = nextPhone()
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const user = await t.createUser(org.id)
      const { jar } = await t.signIn(user.username, user.password)
      statuses.push((await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode)
    }
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(202))
    assert.deepEqual(statuses.slice(10), [429, 429])
    assert.equal((await outbox(phone)).length, 10)
  })

  it('BF-11: the organisation daily budget stops sends with 429 RATE_LIMITED', async () => {
    const small = await startTestApp({ COUNTERSIGN_CODE_SENDS_PER_ORGANISATION_PER_DAY: '2' })
    try {
      const org = await small.createOrganisation()
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        const user = await small.createUser(org.id)
        const { jar } = await small.signIn(user.username, user.password)
        const response = await small.browser(jar, 'PUT', '/api/v1/account/phone', { phone: nextPhone() })
        statuses.push(response.statusCode)
        if (i === 2) assert.equal(response.json().error.code, 'RATE_LIMITED')
      }
      assert.deepEqual(statuses, [202, 202, 429])
    } finally {
      await small.close()
    }
  })

  it('RR-05 F-OTP-1: with a fixed clock the code works one second before its lifetime ends and not one second after', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const code = await newestCode(user.phone)
    // The flow lives 10 minutes; a shorter lifetime for codes shows the code's own expiry.
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { codeTtlMinutes: 5 })).statusCode, 200)
    const { jar: second } = await passwordStep(user)
    t.clock.advance(31_000)
    await t.browser(second, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const fresh = await newestCode(user.phone)
    t.clock.advance(5 * 60_000 + 1000)
    const late = await t.browser(second, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: fresh })
    assert.equal(late.statusCode, 401, 'expired one second after five minutes')
    const { jar: third } = await passwordStep(user)
    await t.browser(third, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const last = await newestCode(user.phone)
    t.clock.advance(5 * 60_000 - 1000)
    assert.equal((await t.browser(third, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: last })).statusCode, 200, 'accepted one second before')
    assert.ok(code)
  })

  it('RR-06: a code sent for one sign-in does not complete another sign-in of the same user', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar: a } = await passwordStep(user)
    const { jar: b } = await passwordStep(user)
    await t.browser(a, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const code = await newestCode(user.phone)
    assert.equal((await t.browser(b, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code })).statusCode, 401)
  })
})

describe('F-OTP-3 wrong codes and the one lockout counter', () => {
  it('BF-06 F-OTP-3: 2 wrong app codes, 2 wrong SMS codes and 1 wrong e-mail code lock the account; the user is e-mailed', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { secret } = await t.linkTotp(user.jar)
    t.nextStep()
    await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'email' })
    const { jar, flow } = await passwordStep(user)
    assert.deepEqual([...flow.methods].sort(), ['email', 'sms', 'totp'])
    const wrong = (code: string) => (code === '000000' ? '111111' : '000000')
    const answers: number[] = []
    for (let i = 0; i < 2; i++) answers.push((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: wrong(totpCode(secret, t.clock.now())) })).statusCode)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const sms = await newestCode(user.phone)
    for (let i = 0; i < 2; i++) answers.push((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: wrong(sms) })).statusCode)
    t.clock.advance(31_000)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
    const mailCode = await newestCode(user.email)
    answers.push((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code: wrong(mailCode) })).statusCode)
    assert.deepEqual(answers, [401, 401, 401, 401, 423], 'the fifth wrong code locks, and says so')
    const locked = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code: mailCode })
    assert.equal(locked.statusCode, 423, 'the right code is refused once locked')
    const notices = (await outbox(user.email)).filter((m) => m.subject?.includes('locked'))
    assert.equal(notices.length, 1)
    assert.match(notices[0]!.text, /Time: 2026-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\)/)
    assert.match(notices[0]!.text, /Browser: test-browser/)
    assert.match(notices[0]!.text, /IP address: 127\.0\.0\.1/)
  })

  it('BF-04: four wrong SMS codes, "Resend", one wrong new code: locked (a resend does not reset the count)', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { jar } = await passwordStep(user)
    await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    const code = await newestCode(user.phone)
    const wrong = code === '000000' ? '111111' : '000000'
    for (let i = 0; i < 4; i++) assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: wrong })).statusCode, 401)
    t.clock.advance(31_000)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
    const fresh = await newestCode(user.phone)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: fresh === '000000' ? '111111' : '000000' })).statusCode, 423)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: fresh })).statusCode, 423)
    const sendLocked = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(sendLocked.statusCode, 423, 'no codes are sent to a locked account')
  })
})

describe('F-OTP-4 SMS without a phone number', () => {
  it('RB-11 F-OTP-4: the code goes to the e-mail address once, then a phone must be registered and verified before anything else', async () => {
    const org = await t.createOrganisation()
    const user = await t.createUser(org.id)
    const email = `${user.username}@example.test`
    const first = await t.signIn(user.username, user.password)
    assert.equal((await t.browser(first.jar, 'PUT', '/api/v1/account/method', { method: 'sms' })).statusCode, 204)
    const { jar, flow } = await passwordStep(user)
    assert.equal(flow.state, 'awaiting_second_factor')
    assert.deepEqual(flow.methods, ['sms'])
    const sent = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(sent.statusCode, 202, sent.body)
    assert.equal(sent.json().channel, 'email')
    assert.equal(sent.json().sentTo, `${email.slice(0, 1)}•••@example.test`)
    const done = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: await newestCode(email) })
    assert.equal(done.statusCode, 200, done.body)
    assert.equal(done.json().state, 'awaiting_enrolment')
    assert.equal(done.json().reason, 'phone_required')
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/remembered-browsers')).statusCode, 403, 'nothing else until a phone is verified')
    const phone = nextPhone()
    assert.equal((await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode, 202)
    const verified = await t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: await newestCode(phone) })
    assert.equal(verified.statusCode, 200, verified.body)
    assert.equal(verified.json().session.restrictedToEnrolment, false)
    assert.deepEqual(verified.json().session.amr, ['pwd', 'mail', 'mfa'])
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/remembered-browsers')).statusCode, 200)
    // The next sign-in sends the SMS to the verified number.
    t.clock.advance(31_000)
    const { jar: next } = await passwordStep(user)
    const again = await t.browser(next, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(again.json().channel, 'sms')
  })
})

describe('F-SET-2 phone and e-mail', () => {
  it('IV-12: invalid phone numbers and e-mail addresses are 400 naming the field, and nothing is sent', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    for (const phone of ['0612345678', '+31201234567', '+3161234', '+1 (555) abc', '', '+316123456789012345', 42]) {
      const response = await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone })
      assert.equal(response.statusCode, 400, `${phone}: ${response.body}`)
      assert.equal(response.json().error.field, 'phone')
    }
    for (const email of ['not-an-address', 'a@', `${'x'.repeat(250)}@example.test`, '', ['a@example.test']]) {
      const response = await t.browser(user.jar, 'PUT', '/api/v1/account/email', { email })
      assert.equal(response.statusCode, 400, `${email}: ${response.body}`)
      assert.equal(response.json().error.field, 'email')
    }
    assert.equal(await t.ctx.store.oneTimeCodes.find(user.id, 'phone_verify'), undefined)
    assert.equal(await t.ctx.store.oneTimeCodes.find(user.id, 'email_change'), undefined)
  })

  it('F-SET-2: a phone number typed with spaces is stored in E.164 and shown masked', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const response = await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone: '+31 6 2345 6789' })
    assert.equal(response.statusCode, 202, response.body)
    assert.equal(response.json().sentTo, '+31 ••• ••• 789')
    await t.browser(user.jar, 'POST', '/api/v1/account/phone/verify', { code: await newestCode('+31623456789') })
    const overview = (await t.browser(user.jar, 'GET', '/api/v1/account/security')).json()
    assert.equal(overview.phone, '+31 ••• ••• 789')
    assert.equal(overview.phoneVerified, true)
  })

  it('RB-05 F-SET-2: the e-mail address changes only with the code sent to the new address; old and new are told', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const fresh = `new-${user.username}@example.test`
    const started = await t.browser(user.jar, 'PUT', '/api/v1/account/email', { email: fresh })
    assert.equal(started.statusCode, 202, started.body)
    assert.equal((await t.ctx.store.accounts.get(user.id))!.email, user.email, 'unchanged until verified')
    const code = await newestCode(fresh)
    const done = await t.browser(user.jar, 'POST', '/api/v1/account/email/verify', { code })
    assert.equal(done.statusCode, 200, done.body)
    assert.equal((await t.ctx.store.accounts.get(user.id))!.email, fresh)
    assert.ok((await outbox(user.email)).some((m) => m.subject?.includes('e-mail address')))
    assert.ok((await outbox(fresh)).some((m) => m.subject?.includes('e-mail address')))
  })

  it('F-LOGIN-5 F-SET-2: in forced enrolment the e-mail address cannot be changed (403 ENROLMENT_REQUIRED, nothing sent); an admin corrects it, and codes then go there', async () => {
    // The password alone must not move where codes and security notices go: a code sent to the
    // NEW address proves nothing about the account, only that the caller reads that mailbox.
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.createUser(org.id, { email: 'someone@exmaple.test' }) // the domain mistyped by whoever created the account
    const { jar, body } = await t.signIn(user.username, user.password)
    assert.equal(body.state, 'awaiting_enrolment')
    const attacker = 'someone-else@example.test'
    const change = await t.browser(jar, 'PUT', '/api/v1/account/email', { email: attacker })
    assert.equal(change.statusCode, 403)
    assert.equal(change.json().error.code, 'ENROLMENT_REQUIRED')
    const verify = await t.browser(jar, 'POST', '/api/v1/account/email/verify', { code: '123456' })
    assert.equal(verify.json().error.code, 'ENROLMENT_REQUIRED')
    assert.deepEqual(await outbox(attacker), [], 'nothing was sent to the new address')
    assert.equal(await t.ctx.store.oneTimeCodes.find(user.id, 'email_change'), undefined)
    assert.equal((await t.ctx.store.lockouts.get(user.id)).failures, 0)
    const overview = await t.browser(jar, 'GET', '/api/v1/account/security')
    assert.equal(overview.json().email, 'someone@exmaple.test', 'the enrolment dialog can show the address codes go to')

    // The administrator corrects it; the user picks e-mail in the enrolment, and the code goes there.
    const corrected = `${user.username}@example.test`
    assert.equal((await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { email: corrected })).statusCode, 200)
    assert.equal((await t.browser(jar, 'PUT', '/api/v1/account/method', { method: 'email' })).statusCode, 204)
    const { jar: next, flow } = await passwordStep(user)
    assert.deepEqual(flow.methods, ['email'])
    assert.equal((await t.browser(next, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })).statusCode, 202)
    const done = await t.browser(next, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code: await newestCode(corrected) })
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(await outbox('someone@exmaple.test').then((m) => m.filter((x) => /\b\d{6}\b/.test(x.text))), [], 'no code went to the wrong address')
  })

  it('SC-14: changing the phone needs a sign-in within the last 10 minutes', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    t.clock.advance(11 * 60_000)
    const response = await t.browser(user.jar, 'PUT', '/api/v1/account/phone', { phone: nextPhone() })
    assert.equal(response.statusCode, 403)
    assert.equal(response.json().error.code, 'REAUTHENTICATION_REQUIRED')
  })
})

describe('F-TOTP-5 linking with SMS', () => {
  it('F-TOTP-5: with linkWithSms, "Link now" needs both the SMS code and the app code', async () => {
    const org = await t.createOrganisation()
    await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { linkWithSms: true })
    const user = await userWithPhone(org.id)
    const started = await t.browser(user.jar, 'POST', '/api/v1/account/devices/totp', { name: 'Phone' })
    assert.equal(started.statusCode, 201, started.body)
    assert.equal(started.json().smsCodeRequired, true)
    const { deviceId, secret } = started.json()
    const smsCode = await newestCode(user.phone)
    const onlyApp = await t.browser(user.jar, 'POST', `/api/v1/account/devices/${deviceId}/confirm`, { code: totpCode(secret, t.clock.now()) })
    assert.equal(onlyApp.statusCode, 401)
    const both = await t.browser(user.jar, 'POST', `/api/v1/account/devices/${deviceId}/confirm`, { code: totpCode(secret, t.clock.now()), smsCode })
    assert.equal(both.statusCode, 200, both.body)
  })
})

describe('F-POL-7 security e-mails', () => {
  it('F-POL-7: linking and removing a device, changing the method and a one-time bypass each e-mail the user', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const { deviceId } = await t.linkTotp(user.jar)
    await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'totp' })
    assert.equal((await t.browser(user.jar, 'DELETE', `/api/v1/account/devices/${deviceId}`)).statusCode, 204)
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/bypass`, {})).statusCode, 201)
    const subjects = (await outbox(user.email)).map((m) => m.subject)
    for (const words of ['was linked', 'was removed', 'method was changed', 'one-time sign-in']) {
      assert.ok(subjects.some((s) => s?.includes(words)), `${words} in ${subjects.join(' | ')}`)
    }
  })

  it('F-X-3: a Dutch browser gets the code and the notices in Dutch', async () => {
    const org = await t.createOrganisation()
    const user = await t.createUser(org.id)
    const { jar } = await t.signIn(user.username, user.password)
    const phone = nextPhone()
    await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone }, { 'accept-language': 'nl' })
    const [sms] = await outbox(phone)
    assert.match(sms!.text, /is uw .*-code/)
  })
})

describe('F-OTP-5 development outbox', () => {
  it('F-OTP-5: GET /api/v1/dev/outbox is 404 when no channel uses it', async () => {
    const real = await startTestApp({ COUNTERSIGN_SMTP_URL: 'smtp://127.0.0.1:9', COUNTERSIGN_SMS_PROVIDER: 'webhook', COUNTERSIGN_SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms', COUNTERSIGN_SMS_WEBHOOK_SECRET: 'x'.repeat(32) })
    try {
      assert.equal((await real.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' })).statusCode, 404)
    } finally {
      await real.close()
    }
  })

  it('BF-11: no code is sent by an unauthenticated request (no flow, no session)', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/send-code', payload: { method: 'sms' } })
    assert.equal(response.statusCode, 410)
    assert.equal((await t.app.inject({ method: 'PUT', url: '/api/v1/account/phone', payload: { phone: '+31612345678' } })).statusCode, 401)
  })
})
