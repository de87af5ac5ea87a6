import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '../delivery/webhook-sms-sender.js'
import { closedPort, startSmtpServer, startTwilioFake, startWebhookReceiver } from '../test-support/fake-providers.js'
import { CookieJar, startTestApp, type TestApp } from '../test-support/harness.js'

/*
 * F-OTP-5 real delivery: e-mail over SMTP to an in-process SMTP server (smtp-server, parsed with
 * mailparser), SMS to a local server that speaks Twilio's Messages API, and a signed webhook. A
 * failing provider shows the user-facing error and loses nothing; credentials never reach logs
 * or answers (SR-07).
 */

const SID = `AC${'a1'.repeat(16)}`
const TOKEN = 'twilio-auth-token-0123456789abcdef'
const SMTP_PASSWORD = 'smtp-password-s3cret'
const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef0123456789'

let smtp: Awaited<ReturnType<typeof startSmtpServer>>
let twilio: Awaited<ReturnType<typeof startTwilioFake>>
let t: TestApp
const logs = new PassThrough()
let logText = ''
logs.on('data', (chunk: Buffer) => {
  logText += chunk.toString('utf8')
})

before(async () => {
  smtp = await startSmtpServer({ user: 'mailer', password: SMTP_PASSWORD })
  twilio = await startTwilioFake({ accountSid: SID, authToken: TOKEN })
  t = await startTestApp(
    {
      COUNTERSIGN_SMTP_URL: smtp.url,
      COUNTERSIGN_SMTP_FROM: 'Countersign <no-reply@countersign.test>',
      COUNTERSIGN_SMS_PROVIDER: 'twilio',
      COUNTERSIGN_TWILIO_ACCOUNT_SID: SID,
      COUNTERSIGN_TWILIO_AUTH_TOKEN: TOKEN,
      COUNTERSIGN_TWILIO_FROM: '+3197010000000',
      COUNTERSIGN_TWILIO_BASE_URL: twilio.baseUrl,
      COUNTERSIGN_DELIVERY_TIMEOUT_MS: '1000',
      COUNTERSIGN_LOG_LEVEL: 'debug',
    },
    { logStream: logs },
  )
})
after(async () => {
  await t.close()
  await smtp.close()
  await twilio.close()
})

let numbers = 0
const nextPhone = () => `+3162${String(3000000 + ++numbers).padStart(7, '0')}`

async function userWithPhone(orgId: string) {
  const user = await t.createUser(orgId)
  const phone = nextPhone()
  const { jar } = await t.signIn(user.username, user.password)
  assert.equal((await t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode, 202)
  const verified = await t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: twilio.codeFor(phone) })
  assert.equal(verified.statusCode, 200, verified.body)
  t.clock.advance(31_000)
  return { ...user, phone, email: `${user.username}@example.test`, jar }
}

async function flowFor(user: { username: string; password: string }) {
  const jar = new CookieJar()
  const response = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
  assert.equal(response.json().state, 'awaiting_second_factor')
  return jar
}

describe('F-OTP-5 e-mail over SMTP', () => {
  it('F-OTP-5: the e-mail code arrives over SMTP (authenticated) with a text and an HTML part, and signs in', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'email' })
    const jar = await flowFor(user)
    const sent = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
    assert.equal(sent.statusCode, 202, sent.body)
    const mail = smtp.to(user.email).find((m) => m.parsed.subject === 'Your verification code')
    assert.ok(mail, 'the code mail reached the SMTP server')
    assert.equal(mail.user, 'mailer', 'authenticated with the URL’s user and password')
    assert.equal(mail.parsed.from?.value[0]?.address, 'no-reply@countersign.test')
    assert.ok(mail.parsed.html && mail.parsed.html.includes(smtp.codeFor(user.email)))
    const done = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'email', code: smtp.codeFor(user.email) })
    assert.equal(done.statusCode, 200, done.body)
  })

  it('F-X-3: an account in Dutch gets its mail in Dutch', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    await t.ctx.store.accounts.update(user.id, { language: 'nl' })
    const fresh = `nl-${user.username}@example.test`
    const started = await t.browser(user.jar, 'PUT', '/api/v1/account/email', { email: fresh })
    assert.equal(started.statusCode, 202, started.body)
    const mail = smtp.to(fresh).at(-1)!
    assert.equal(mail.parsed.subject, 'Uw verificatiecode')
    assert.match(mail.parsed.text ?? '', /Gebruik deze code/)
  })

  it('F-OTP-5: an SMTP server that refuses the message gives 502 DELIVERY_FAILED, audited, and a new code can be asked at once', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    await t.browser(user.jar, 'PUT', '/api/v1/account/method', { method: 'email' })
    const jar = await flowFor(user)
    smtp.rejectAll = true
    try {
      const failed = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
      assert.equal(failed.statusCode, 502, failed.body)
      assert.equal(failed.json().error.code, 'DELIVERY_FAILED')
      assert.match(failed.json().error.message, /try another method/)
    } finally {
      smtp.rejectAll = false
    }
    assert.ok((await t.auditEvents({ account: user.id, event: 'one_time_code.delivery_failed' })).length === 1)
    const retried = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'email' })
    assert.equal(retried.statusCode, 202, 'the flow is not lost, and no cool-down for a code that never left')
    t.clock.advance(31_000)
    const fallback = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
    assert.equal(fallback.statusCode, 202, 'another method still works')
  })
})

describe('F-OTP-5 SMS through Twilio’s Messages API', () => {
  it('F-OTP-5: the SMS goes to /2010-04-01/Accounts/{Sid}/Messages.json with Basic auth and the form fields To, From, Body', async () => {
    const org = await t.createOrganisation()
    const user = await userWithPhone(org.id)
    const jar = await flowFor(user)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202)
    const request = twilio.requests.at(-1)!
    assert.equal(request.path, `/2010-04-01/Accounts/${SID}/Messages.json`)
    assert.equal(request.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`)
    assert.equal(request.contentType, 'application/x-www-form-urlencoded')
    assert.equal(request.form.get('To'), user.phone)
    assert.equal(request.form.get('From'), '+3197010000000')
    assert.match(request.form.get('Body')!, /^\d{6} is your Org \d+ code \(sign-in\)/)
    const done = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: twilio.codeFor(user.phone) })
    assert.equal(done.statusCode, 200, done.body)
  })

  for (const [mode, label] of [['error400', 'a Twilio error answer (21211)'], ['error500', 'a 500'], ['hang', 'a timeout']] as const) {
    it(`F-OTP-5 SR-07: ${label} shows "could not send, try another method", loses nothing, and leaks no credential`, async () => {
      const org = await t.createOrganisation()
      const user = await userWithPhone(org.id)
      const jar = await flowFor(user)
      twilio.mode = mode
      try {
        const failed = await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })
        assert.equal(failed.statusCode, 502, failed.body)
        assert.equal(failed.json().error.code, 'DELIVERY_FAILED')
        assert.ok(!failed.body.includes(TOKEN) && !failed.body.includes(SID))
      } finally {
        twilio.mode = 'ok'
      }
      const audit = await t.ctx.store.audit.list({ accountId: user.id, event: 'one_time_code.delivery_failed', limit: 5 })
      assert.equal(audit.length, 1)
      assert.ok(!JSON.stringify(audit).includes(TOKEN))
      assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/send-code', { method: 'sms' })).statusCode, 202, 'the flow goes on')
      assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'sms', code: twilio.codeFor(user.phone) })).statusCode, 200)
    })
  }

  it('SR-07: the logs name the failure but hold no auth token, SMTP password, code or full number', async () => {
    assert.match(logText, /could not send a one-time code/)
    for (const secret of [TOKEN, SMTP_PASSWORD, Buffer.from(`${SID}:${TOKEN}`).toString('base64')]) assert.ok(!logText.includes(secret), 'no secret in the logs')
    for (const request of twilio.requests) {
      const code = /\b(\d{6})\b/.exec(request.form.get('Body') ?? '')?.[1]
      if (code) assert.ok(!logText.includes(code), 'no code in the logs')
      assert.ok(!logText.includes(request.form.get('To')!), 'no full number in the logs')
    }
  })
})

describe('F-OTP-5 SMS through a signed webhook, and refused connections', () => {
  it('F-OTP-5: the webhook body is signed with HMAC-SHA-256 over timestamp and body; the receiver can verify it', async () => {
    const hook = await startWebhookReceiver()
    const app = await startTestApp({ COUNTERSIGN_SMS_PROVIDER: 'webhook', COUNTERSIGN_SMS_WEBHOOK_URL: hook.url, COUNTERSIGN_SMS_WEBHOOK_SECRET: WEBHOOK_SECRET })
    try {
      const org = await app.createOrganisation()
      const user = await app.createUser(org.id)
      const { jar } = await app.signIn(user.username, user.password)
      assert.equal((await app.browser(jar, 'PUT', '/api/v1/account/phone', { phone: '+31687654321' })).statusCode, 202)
      const request = hook.requests.at(-1)!
      const header = String(request.headers[WEBHOOK_SIGNATURE_HEADER])
      const [, timestamp, signature] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? []
      assert.ok(timestamp && signature, header)
      assert.equal(Number(timestamp), Math.floor(app.clock.now().getTime() / 1000), 'the timestamp is the send time (replay window)')
      assert.equal(signature, webhookSignature(WEBHOOK_SECRET, Number(timestamp), request.body))
      assert.notEqual(signature, webhookSignature(WEBHOOK_SECRET, Number(timestamp) + 600, request.body), 'a replayed body with a new timestamp does not verify')
      const body = JSON.parse(request.body)
      assert.equal(body.to, '+31687654321')
      assert.match(body.text, /\d{6}/)
      hook.status = 500
      app.clock.advance(31_000)
      const failed = await app.browser(jar, 'PUT', '/api/v1/account/phone', { phone: '+31687654321' })
      assert.equal(failed.statusCode, 502)
    } finally {
      await app.close()
      await hook.close()
    }
  })

  it('F-OTP-5: a refused connection (SMTP and SMS) is DELIVERY_FAILED, and the account is unchanged', async () => {
    const port = await closedPort()
    const app = await startTestApp({
      COUNTERSIGN_SMTP_URL: `smtp://127.0.0.1:${port}`,
      COUNTERSIGN_SMS_PROVIDER: 'twilio',
      COUNTERSIGN_TWILIO_ACCOUNT_SID: SID,
      COUNTERSIGN_TWILIO_AUTH_TOKEN: TOKEN,
      COUNTERSIGN_TWILIO_FROM: '+3197010000000',
      COUNTERSIGN_TWILIO_BASE_URL: `http://127.0.0.1:${port}`,
      COUNTERSIGN_DELIVERY_TIMEOUT_MS: '1000',
    })
    try {
      const org = await app.createOrganisation()
      const user = await app.createUser(org.id)
      const { jar } = await app.signIn(user.username, user.password)
      const sms = await app.browser(jar, 'PUT', '/api/v1/account/phone', { phone: '+31687654322' })
      assert.equal(sms.statusCode, 502)
      const mail = await app.browser(jar, 'PUT', '/api/v1/account/email', { email: 'elsewhere@example.test' })
      assert.equal(mail.statusCode, 403, 'a restricted session may not change the e-mail')
      const account = await app.ctx.store.accounts.get(user.id)
      assert.equal(account!.phone, null)
      assert.equal(await app.ctx.store.oneTimeCodes.find(user.id, 'phone_verify'), undefined, 'the undelivered code was revoked')
    } finally {
      await app.close()
    }
  })
})
