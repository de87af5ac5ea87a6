import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { CookieJar, freePort, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'
import { injectTransport, parsePairingUri, TestAuthenticator, testSubscription } from '../test-support/authenticator-device.js'
import { readEventStream, type ReceivedEvent } from '../test-support/event-stream-reader.js'
import { startPushService } from '../test-support/push-service.js'

/*
 * Push approval with the Countersign Authenticator (issue 9): F-PUSH-1…6 and SECURITY.md PU-01…PU-11,
 * against the HTTP API with a phone written in Node from the wire protocol and a local RFC 8030
 * push service that checks VAPID and decrypts every message.
 */

type PushService = Awaited<ReturnType<typeof startPushService>>

for (const backend of ['sqlite', 'postgres'] as const)
describe(`Countersign Authenticator: pairing, push sign-in, signed answers (${backend})`, () => {
  let t: TestApp
  let push: PushService
  let orgId: string
  let pushNumber = 0

  before(async () => {
    push = await startPushService({ status: (path) => (path.endsWith('/gone') ? 410 : 201) })
    t = await startTestApp({ COUNTERSIGN_PUSH_CA_FILE: push.caFile }, { backend })
    orgId = (await t.createOrganisation({ name: 'Demo Clinic' })).id
  })
  after(async () => {
    await t.close()
    await push.close()
  })

  const phone = () => new TestAuthenticator(injectTransport(t.app), () => t.clock.now())

  /** A user with an app linked (TOTP), signed in recently, and `n` paired Countersign Authenticators. */
  async function pairedUser(n = 1, options: { subscribe?: boolean } = {}) {
    const user = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const phones: Array<TestAuthenticator & { endpoint?: string }> = []
    for (let i = 0; i < n; i++) {
      const started = await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: `Phone ${i + 1}` })
      assert.equal(started.statusCode, 201, started.body)
      const device = phone() as TestAuthenticator & { endpoint?: string }
      let pushSubscription: unknown = null
      if (options.subscribe !== false) {
        const keys = testSubscription('')
        const endpoint = push.endpoint(`p${++pushNumber}`, { ecdh: keys.ecdh, auth: keys.auth })
        pushSubscription = { ...keys.subscription, endpoint }
        device.endpoint = endpoint
      }
      const paired = await device.pair(started.json().pairingUri, { pushSubscription })
      assert.equal(paired.status, 200, JSON.stringify(paired.body))
      phones.push(device)
    }
    t.nextStep()
    return { user, jar, phones }
  }

  /** A fresh sign-in up to the second step, then a push: the browser's jar and the answer. */
  async function pushSignIn(user: { username: string; password: string }, headers: Record<string, string> = {}) {
    const jar = new CookieJar()
    const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password }, headers)
    assert.equal(first.json().state, 'awaiting_second_factor', first.body)
    const started = await t.browser(jar, 'POST', '/api/v1/sign-in/push', {}, headers)
    return { jar, first: first.json(), started }
  }

  const complete = (jar: CookieJar) => t.browser(jar, 'POST', '/api/v1/sign-in/push/complete', {})
  const lockout = (accountId: string) => t.ctx.store.lockouts.get(accountId)

  test('F-PUSH-1 PU-09: the QR code carries a 256-bit single-use pairing token; "Login" in the app links the device', async () => {
    const user = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'My phone' })
    assert.equal(started.statusCode, 201)
    const { pairingUri, otpauthUri, qrCode } = started.json()
    assert.ok(pairingUri.startsWith(otpauthUri), 'a standard otpauth URI with extra parameters other apps ignore')
    assert.match(qrCode, /^data:image\/(svg\+xml|png);base64,/)
    const { token, server, deviceId } = parsePairingUri(pairingUri)
    assert.ok(Buffer.from(token, 'base64url').length * 8 >= 112, 'at least 112 bits (PU-09)')
    assert.equal(Buffer.from(token, 'base64url').length, 32)
    assert.equal(server, 'http://127.0.0.1:3000')
    // The database holds a hash of the token, never the token.
    const rows = await t.ctx.store.push.consumePairing(token, t.clock.now())
    assert.equal(rows, undefined, 'the stored value is not the token itself')

    const app = phone()
    const paired = await app.pair(pairingUri)
    assert.equal(paired.status, 200, JSON.stringify(paired.body))
    assert.deepEqual(paired.body.account, { username: user.username, organisation: { name: 'Demo Clinic', slug: paired.body.account.organisation.slug } })
    const devices = (await t.browser(jar, 'GET', '/api/v1/account/devices')).json()
    assert.deepEqual(devices.map((d: { kind: string; name: string }) => [d.kind, d.name]).sort(), [['authenticator', 'My phone'], ['totp', 'Phone']])
    assert.ok(devices.some((d: { id: string }) => d.id === deviceId))

    // Second scan: refused.
    assert.equal((await phone().pair(pairingUri)).status, 404)
    // The user hears of the new device (F-POL-7).
    const mail = await t.ctx.store.outbox.list(`${user.username}@example.test`, 10)
    assert.ok(mail.some((m) => /authenticator app was linked/.test(m.subject ?? '')), JSON.stringify(mail.map((m) => m.subject)))
    // Sign-in now offers push first (F-PUSH-2).
    t.nextStep()
    const { first } = await pushSignIn(user)
    assert.deepEqual(first.methods.slice(0, 2), ['push', 'totp'])
  })

  test('PU-09: a pairing code older than 10 minutes is refused; starting needs a recent sign-in', async () => {
    const user = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Late' })).json()
    t.clock.advance(10 * 60_000 + 1000)
    assert.equal((await phone().pair(started.pairingUri)).status, 404)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Again' })).json().error.code, 'REAUTHENTICATION_REQUIRED')
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/account/devices/authenticator', payload: { name: 'x' } })).statusCode, 401)
  })

  test('F-PUSH-2 PU-01 F-PUSH-5: a push to the phone, the number typed on it, the browser continues with amr swk', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator & { endpoint: string }]
    const before = push.received.length
    const { jar, started } = await pushSignIn(user, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' })
    assert.equal(started.statusCode, 202, started.body)
    const { challengeId, matchNumber, devices, expiresAt } = started.json()
    assert.match(matchNumber, /^[1-9][0-9]$/, 'two digits, no leading zero')
    assert.equal(devices, 1)
    assert.equal(new Date(expiresAt).getTime() - t.clock.now().getTime(), 120_000)

    // The push arrived encrypted, with a valid VAPID signature, and says who is signing in where.
    const [message] = (await push.waitFor(before + 1)).slice(before)
    assert.equal(message!.path, new URL(app.endpoint).pathname)
    assert.equal(message!.ttl, '120')
    assert.equal(message!.urgency, 'high')
    assert.equal(message!.payload.challengeId, challengeId)
    assert.equal(message!.payload.username, user.username)
    assert.equal(message!.payload.organisation, 'Demo Clinic')
    assert.equal(message!.body.includes(Buffer.from(challengeId)), false, 'the push service cannot read the payload')
    assert.equal(Object.values(message!.payload).includes(matchNumber), false, 'the number is not in the push')
    assert.deepEqual(Object.keys(message!.payload).sort(), ['browser', 'challengeId', 'createdAt', 'deviceId', 'expiresAt', 'ip', 'organisation', 'server', 'type', 'username'])

    // The phone reads the context; the number is never sent to it.
    const read = await app.read(challengeId)
    assert.equal(read.status, 200)
    assert.equal(read.body.status, 'pending')
    assert.equal(read.body.username, user.username)
    assert.deepEqual(read.body.organisation, { name: 'Demo Clinic' })
    assert.equal(read.body.browser, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0')
    assert.equal(read.body.numberLength, 2)
    assert.equal(JSON.stringify(read.body).includes(`"${matchNumber}"`), false)
    assert.equal((await complete(jar)).json().error.code, 'PUSH_PENDING')

    const approved = await app.answer(challengeId, 'approve', matchNumber)
    assert.equal(approved.status, 200, JSON.stringify(approved.body))
    const done = await complete(jar)
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().session.amr, ['pwd', 'swk', 'mfa'])
    assert.ok(jar.cookies.has('cs_session'))
    // One approval, one session.
    assert.equal((await complete(jar)).json().error.code, 'FLOW_EXPIRED')
    const devicesAfter = (await t.browser(jar, 'GET', '/api/v1/account/devices')).json()
    assert.ok(devicesAfter.find((d: { kind: string }) => d.kind === 'authenticator').lastUsedAt)
  })

  test('PU-01: a wrong or missing number is refused, ends the attempt and counts as a failed attempt', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    for (const typed of ['', 'wrong']) {
      const { jar, started } = await pushSignIn(user)
      const { challengeId, matchNumber } = started.json()
      const number = typed === '' ? '' : String(((Number(matchNumber) - 10 + 1) % 90) + 10)
      const before = (await lockout(user.id)).failures
      const refused = await app.answer(challengeId, 'approve', number)
      assert.equal(refused.status, 401)
      assert.equal(refused.body.error.code, 'NUMBER_MISMATCH')
      assert.equal((await lockout(user.id)).failures, before + 1, 'counted on the one lockout counter')
      const completed = await complete(jar)
      assert.equal(completed.statusCode, 403)
      assert.equal(completed.json().error.code, 'PUSH_DENIED')
      assert.equal(completed.json().error.reason, 'wrong_number')
      // The right number afterwards does not revive it.
      assert.equal((await app.answer(challengeId, 'approve', matchNumber)).body.error.code, 'CHALLENGE_CLOSED')
      assert.equal(jar.cookies.has('cs_session'), false)
    }
  })

  test('PU-02: wrong key, unpaired device, tampered decision, challenge or number, replayed signature — all refused, 0 sessions', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const { jar, started } = await pushSignIn(user)
    const { challengeId, matchNumber } = started.json()

    const impostor = phone()
    impostor.deviceId = app.deviceId
    assert.equal((await impostor.answer(challengeId, 'approve', matchNumber)).body.error.code, 'SIGNATURE_INVALID', 'wrong key')
    const stranger = phone()
    stranger.deviceId = 'never-paired-device'
    assert.equal((await stranger.answer(challengeId, 'approve', matchNumber)).body.error.code, 'SIGNATURE_INVALID', 'unpaired device')

    const deny = app.answerBody(challengeId, 'deny', matchNumber)
    assert.equal((await app.send(challengeId, { ...deny, decision: 'approve' })).body.error.code, 'SIGNATURE_INVALID', 'deny turned into approve')
    const other = await pushSignIn(user)
    const otherId = other.started.json().challengeId
    const forOther = app.answerBody(otherId, 'approve', other.started.json().matchNumber)
    assert.equal((await app.send(challengeId, forOther)).body.error.code, 'SIGNATURE_INVALID', 'signed for another challenge')
    const wrongNumber = app.answerBody(challengeId, 'approve', '00')
    assert.equal((await app.send(challengeId, { ...wrongNumber, number: matchNumber })).body.error.code, 'SIGNATURE_INVALID', 'number changed after signing')
    assert.equal((await app.send(challengeId, { ...app.answerBody(challengeId, 'approve', matchNumber), notMe: true })).body.error.code, 'SIGNATURE_INVALID', 'notMe changed after signing')

    // A signature for the challenge list cannot open the event stream, nor the reverse (issue 22).
    const events = await t.app.inject({ method: 'GET', url: `/api/v1/authenticator/events?${app.signedQuery('list')}` })
    assert.equal(events.json().error.code, 'SIGNATURE_INVALID', 'a list signature opens no stream')
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/authenticator/challenges?${app.signedQuery('events')}` })
    assert.equal(list.json().error.code, 'SIGNATURE_INVALID', 'a stream signature lists nothing')
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/authenticator/challenges?${app.signedQuery('list')}` })).statusCode, 200)

    // The real answer works once; replaying it is refused, and so is using it on a new challenge.
    const genuine = app.answerBody(otherId, 'approve', other.started.json().matchNumber)
    assert.equal((await app.send(otherId, genuine)).status, 200)
    assert.equal((await app.send(otherId, genuine)).body.error.code, 'CHALLENGE_CLOSED', 'replayed')
    const third = await pushSignIn(user)
    assert.equal((await app.send(third.started.json().challengeId, genuine)).body.error.code, 'SIGNATURE_INVALID', 'replayed on a new challenge')
    assert.equal((await complete(jar)).json().error.code, 'PUSH_PENDING', 'the first browser got nothing')
    assert.equal(jar.cookies.has('cs_session'), false)
    const refusals = await t.auditEvents({ event: 'authenticator.signature_refused' })
    assert.ok(refusals.length >= 6)
  })

  test('PU-03: an answer after the 2 minutes is refused; the phone clock may be 2 minutes off, not more; a broken time is a 400', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const { jar, started } = await pushSignIn(user)
    const { challengeId, matchNumber } = started.json()
    const skewed = await app.answer(challengeId, 'approve', matchNumber, { issuedAt: app.issuedAt(2 * 60_000 + 5000) })
    assert.equal(skewed.status, 401)
    assert.equal(skewed.body.error.code, 'SIGNATURE_INVALID')
    assert.equal(skewed.body.error.reason, 'clock')
    const broken = await app.send(challengeId, { ...app.answerBody(challengeId, 'approve', matchNumber), issuedAt: 'yesterday' })
    assert.equal(broken.status, 400)
    assert.equal(broken.body.error.field, 'issuedAt')

    t.clock.advance(2 * 60_000 + 1)
    const late = await app.answer(challengeId, 'approve', matchNumber)
    assert.equal(late.status, 410)
    assert.equal(late.body.error.code, 'CHALLENGE_EXPIRED')
    assert.equal((await complete(jar)).json().error.code, 'CHALLENGE_EXPIRED')
    assert.equal((await app.read(challengeId)).body.status, 'expired')
    // Within the allowed skew it works.
    const next = await t.browser(jar, 'POST', '/api/v1/sign-in/push', {})
    const ok = await app.answer(next.json().challengeId, 'approve', next.json().matchNumber, { issuedAt: app.issuedAt(-(2 * 60_000 - 5000)) })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
  })

  test('F-PUSH-6 PU-03: issuedAt is any RFC 3339 spelling of a UTC time; other offsets, local times and impossible dates are a 400; a signature holds for its own spelling only', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const { jar, started } = await pushSignIn(user)
    const { challengeId, matchNumber } = started.json()
    const now = t.clock.now()
    const seconds = now.toISOString().slice(0, 19)
    /** The challenge read with a signature over `signed`, sent as `sent` (the same string unless a test swaps it), query-encoded unless `raw`. */
    const read = (signed: string, sent = signed, raw = false) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/authenticator/challenges/${challengeId}?deviceId=${app.deviceId}&issuedAt=${raw ? sent : encodeURIComponent(sent)}&signature=${app.sign('read', app.deviceId, signed, [challengeId])}`,
      })

    const accepted = [now.toISOString(), `${seconds}Z`, `${seconds}.000Z`, `${seconds}.123456789Z`, `${seconds}+00:00`, `${seconds}.000+00:00`, `${seconds}-00:00`, `${seconds.replace('T', 't')}z`]
    for (const issuedAt of accepted) {
      const answer = await read(issuedAt)
      assert.equal(answer.statusCode, 200, `${issuedAt}: ${answer.body}`)
    }
    // One instant, three spellings: each signature verifies for the string it was made over only.
    for (const [signed, sent] of [[`${seconds}Z`, `${seconds}+00:00`], [`${seconds}+00:00`, `${seconds}.000Z`], [`${seconds}.000Z`, `${seconds}Z`]] as const) {
      const swapped = await read(signed, sent)
      assert.equal(swapped.statusCode, 401, `${signed} sent as ${sent}`)
      assert.equal(swapped.json().error.code, 'SIGNATURE_INVALID')
    }
    // The skew rule is the same whatever the spelling.
    const ahead = await read(`${new Date(now.getTime() + 3 * 60_000).toISOString().slice(0, 19)}+00:00`)
    assert.equal(ahead.statusCode, 401)
    assert.equal(ahead.json().error.reason, 'clock')

    // Refused as a form (400), though each is signed correctly and most name this very instant.
    const sameInstantPlusOne = `${new Date(now.getTime() + 60 * 60_000).toISOString().slice(0, 19)}+01:00`
    const refused = [sameInstantPlusOne, `${seconds}-05:00`, seconds, `${seconds}+0000`, `${seconds}+00`, `${seconds.replace('T', ' ')}Z`, `${seconds.slice(0, 16)}Z`, `${seconds.slice(0, 17)}60Z`, `${seconds}.Z`, '2026-02-30T10:00:00Z', '2026-12-08T24:00:00Z']
    for (const issuedAt of refused) {
      const answer = await read(issuedAt)
      assert.equal(answer.statusCode, 400, `${issuedAt}: ${answer.body}`)
      assert.equal(answer.json().error.code, 'INVALID_REQUEST')
      assert.equal(answer.json().error.field, 'issuedAt')
    }
    // In a query string a bare "+" is a space: +00:00 must be percent-encoded (%2B00:00).
    assert.equal((await read(`${seconds}+00:00`, `${seconds}+00:00`, true)).statusCode, 400)

    // In a JSON body: the answer, signed over +00:00; another spelling of it is refused, an offset of +01:00 is a 400.
    const plusZero = app.answerBody(challengeId, 'approve', matchNumber, { issuedAt: `${seconds}+00:00` })
    assert.equal((await app.send(challengeId, { ...plusZero, issuedAt: `${seconds}Z` })).body.error.code, 'SIGNATURE_INVALID')
    assert.equal((await app.send(challengeId, app.answerBody(challengeId, 'approve', matchNumber, { issuedAt: sameInstantPlusOne }))).status, 400)
    const approved = await app.send(challengeId, plusZero)
    assert.equal(approved.status, 200, JSON.stringify(approved.body))
    assert.equal((await complete(jar)).statusCode, 200)

    // Pairing too.
    const { jar: account } = await t.signIn(user.username, user.password, user.secret)
    const pending = (await t.browser(account, 'POST', '/api/v1/account/devices/authenticator', { name: 'Spelled' })).json()
    const { token, deviceId } = parsePairingUri(pending.pairingUri)
    const fresh = phone()
    const issuedAt = `${t.clock.now().toISOString().slice(0, 19)}+00:00`
    const body = { pairingToken: token, deviceId, publicKey: fresh.publicJwk, pushSubscription: null, name: 'Test phone', issuedAt, signature: fresh.sign('pair', deviceId, issuedAt, [token]) }
    const pair = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/authenticator/pair', payload })
    assert.equal((await pair({ ...body, issuedAt: issuedAt.replace('+00:00', 'Z') })).statusCode, 401, 'another spelling of the signed time')
    const paired = await pair(body)
    assert.equal(paired.statusCode, 200, paired.body)
  })

  test('PU-04: push bombing — 50 attempts give at most 3 pushes, then push pauses until a sign-in by another method; user and admin are told once', async () => {
    const admin = await t.createUser(orgId, { role: 'admin' })
    const { user, phones } = await pairedUser(1)
    const before = push.received.length
    const answers: number[] = []
    for (let i = 0; i < 50; i++) {
      const { started } = await pushSignIn(user)
      answers.push(started.statusCode)
      if (i % 10 === 9) t.clock.advance(30_000)
    }
    assert.equal(answers.filter((s) => s === 202).length, 3)
    assert.ok(answers.slice(3).every((s) => s === 429))
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.ok(push.received.length - before <= 5)
    assert.equal(push.received.length - before, 3)
    const refusal = await pushSignIn(user)
    assert.equal(refusal.started.json().error.reason, 'push_suspended')
    const userMail = await t.ctx.store.outbox.list(`${user.username}@example.test`, 50)
    const adminMail = await t.ctx.store.outbox.list(`${admin.username}@example.test`, 50)
    assert.equal(userMail.filter((m) => /paused/.test(m.subject ?? '')).length, 1)
    assert.equal(adminMail.filter((m) => /paused/.test(m.subject ?? '')).length, 1)
    // One open challenge per attempt at most.
    const pending = await (phones[0] as TestAuthenticator).pending()
    assert.ok(pending.body.length <= 3)

    // A sign-in with the app's code turns push back on.
    const { jar } = await pushSignIn(user).catch(() => ({ jar: new CookieJar() }))
    const codeSignIn = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })
    assert.equal(codeSignIn.statusCode, 200, codeSignIn.body)
    t.clock.advance(15 * 60_000)
    assert.equal((await pushSignIn(user)).started.statusCode, 202)
  })

  test('PU-04: "Send again" within one sign-in counts as one unanswered attempt: a push and two resends do not pause push', async () => {
    const { user } = await pairedUser(1)
    const { jar, started } = await pushSignIn(user)
    assert.equal(started.statusCode, 202)
    for (let i = 0; i < 2; i++) assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/push', {})).statusCode, 202, `send again ${i + 1}`)
    const next = await pushSignIn(user)
    assert.equal(next.started.statusCode, 202, 'a new sign-in still gets its push')
    assert.equal((await t.auditEvents({ account: user.id, event: 'push.suspended' })).length, 0)
  })

  test('PU-04: at most 5 pushes in 15 minutes, even when they are answered', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      const { jar, started } = await pushSignIn(user)
      statuses.push(started.statusCode)
      if (started.statusCode === 202) {
        await app.answer(started.json().challengeId, 'approve', started.json().matchNumber)
        assert.equal((await complete(jar)).statusCode, 200)
      } else {
        assert.equal(started.json().error.reason, 'push_rate_limited')
        assert.ok(Number(started.headers['retry-after']) > 0)
      }
    }
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429])
  })

  test('PU-05: "This wasn\'t me" refuses the waiting browser, cannot be approved later from another device, is audited and alerts the admins', async () => {
    const admin = await t.createUser(orgId, { role: 'admin', username: `admin${Date.now()}` })
    const { user, phones } = await pairedUser(2)
    const [first, second] = phones as [TestAuthenticator, TestAuthenticator]
    const { jar, started } = await pushSignIn(user, { 'user-agent': 'Attacker Browser/1.0' })
    const { challengeId, matchNumber } = started.json()
    assert.equal(started.json().devices, 2)
    const denied = await first.answer(challengeId, 'deny', '', { notMe: true })
    assert.deepEqual(denied.body, { status: 'denied' })
    assert.equal((await t.ctx.store.push.getChallenge(challengeId))!.reason, 'not_me')
    assert.equal((await second.answer(challengeId, 'approve', matchNumber)).body.error.code, 'CHALLENGE_CLOSED')
    // The whole attempt is over: no session, no new push, no code on this flow.
    assert.equal((await complete(jar)).json().error.code, 'FLOW_EXPIRED')
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/push', {})).json().error.code, 'FLOW_EXPIRED')
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })).json().error.code, 'FLOW_EXPIRED')
    const events = await t.auditEvents({ account: user.id, event: 'push.reported_not_me' })
    assert.equal(events.length, 1)
    const adminMail = await t.ctx.store.outbox.list(`${admin.username}@example.test`, 10)
    const alert = adminMail.find((m) => /This wasn't me/.test(m.subject ?? ''))
    assert.ok(alert, 'the admin is alerted')
    assert.match(alert!.text, /Attacker Browser\/1\.0/)
  })

  test('PU-06: five devices, two answer at once (approve vs deny), 100 times — one decision each, never approved after denied', async () => {
    const { user, phones } = await pairedUser(4)
    const [a, b] = phones as [TestAuthenticator, TestAuthenticator]
    let approvals = 0
    let denials = 0
    for (let i = 0; i < 100; i++) {
      const { jar, started } = await pushSignIn(user)
      assert.equal(started.statusCode, 202, started.body)
      assert.equal(started.json().devices, 4)
      const { challengeId, matchNumber } = started.json()
      const [yes, no] = await Promise.all([a.answer(challengeId, 'approve', matchNumber), b.answer(challengeId, 'deny', '')])
      const wins = [yes.status, no.status].filter((s) => s === 200).length
      assert.equal(wins, 1, `exactly one answer stands (${yes.status}/${no.status})`)
      const stored = await t.ctx.store.push.getChallenge(challengeId)
      const result = await complete(jar)
      if (yes.status === 200) {
        approvals++
        assert.equal(stored!.status, 'approved')
        assert.equal(result.statusCode, 200)
      } else {
        denials++
        assert.equal(stored!.status, 'denied')
        assert.equal(result.statusCode, 403)
        // Sign in with the app's code instead, so push stays on for the next round.
        t.nextStep()
        assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })).statusCode, 200)
      }
      t.clock.advance(3.5 * 60_000)
    }
    assert.equal(approvals + denials, 100)
  })

  test('F-PUSH-2: "send again" ends the previous request; the new one is the current one, even in the same millisecond', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const { jar, started } = await pushSignIn(user)
    const again = await t.browser(jar, 'POST', '/api/v1/sign-in/push', {})
    assert.equal(again.statusCode, 202)
    assert.equal((await complete(jar)).json().error.code, 'PUSH_PENDING')
    assert.equal((await app.answer(started.json().challengeId, 'approve', started.json().matchNumber)).body.error.code, 'CHALLENGE_CLOSED')
    assert.equal((await app.answer(again.json().challengeId, 'approve', again.json().matchNumber)).status, 200)
    assert.equal((await complete(jar)).statusCode, 200)
  })

  test('PU-09: another password-only session cannot claim the pairing the user made in their own session', async () => {
    const user = await t.createUser(orgId)
    const mine = new CookieJar()
    const theirs = new CookieJar()
    await t.browser(mine, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    await t.browser(theirs, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const started = (await t.browser(mine, 'POST', '/api/v1/account/devices/authenticator', { name: 'Mine' })).json()
    assert.equal((await phone().pair(started.pairingUri)).status, 200)
    const listed = (await t.browser(theirs, 'GET', '/api/v1/account/devices')).json()
    assert.ok(listed.some((d: { id: string }) => d.id === started.deviceId), 'the other session can see the device id')
    const claim = await t.browser(theirs, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, {})
    assert.equal(claim.statusCode, 401)
    assert.equal((await t.browser(theirs, 'GET', '/api/v1/session')).json().restrictedToEnrolment, true)
    assert.equal((await t.browser(mine, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, {})).statusCode, 200)
  })

  test('PU-08 BF-08: an approval whose device was removed, or whose account locked since, completes nothing', async () => {
    const { user, phones } = await pairedUser(2)
    const [app, other] = phones as [TestAuthenticator, TestAuthenticator]
    const first = await pushSignIn(user)
    assert.equal((await app.answer(first.started.json().challengeId, 'approve', first.started.json().matchNumber)).status, 200)
    assert.equal((await t.admin('DELETE', `/api/v1/admin/users/${user.id}/devices/${app.deviceId}`)).statusCode, 204)
    const refused = await complete(first.jar)
    assert.equal(refused.statusCode, 403)
    assert.equal(refused.json().error.reason, 'device_removed')
    assert.equal(first.jar.cookies.has('cs_session'), false)

    t.clock.advance(60_000)
    const second = await pushSignIn(user)
    assert.equal((await other.answer(second.started.json().challengeId, 'approve', second.started.json().matchNumber)).status, 200)
    for (let i = 0; i < 5; i++) {
      const jar = new CookieJar()
      await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: '000000' })
    }
    const locked = await complete(second.jar)
    assert.equal(locked.statusCode, 423)
    assert.ok((await t.auditEvents({ account: user.id, event: 'sign_in.rejected_locked' })).length >= 1)
  })

  test('F-TOTP-5: where new apps are confirmed by SMS, one-tap pairing is refused (the app is linked with its code and the SMS code)', async () => {
    const org = await t.createOrganisation()
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { linkWithSms: true })).statusCode, 200)
    const user = await t.enrolledUser(org.id)
    await t.ctx.store.accounts.update(user.id, { phone: '+31612345678', phoneVerified: true })
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const paired = await phone().pair(started.pairingUri)
    assert.equal(paired.status, 403)
    assert.equal((await t.ctx.store.devices.listActive(user.id)).length, 1)
  })

  test('F-PUSH-1: the app renews its push subscription, signed over the endpoint and both keys', async () => {
    const { user, phones } = await pairedUser(1, { subscribe: false })
    const [app] = phones as [TestAuthenticator]
    const keys = testSubscription('')
    const renewed = { endpoint: push.endpoint(`renewed${++pushNumber}`, { ecdh: keys.ecdh, auth: keys.auth }), keys: keys.subscription.keys }
    const body = app.subscriptionBody(renewed)
    const swapped = { ...body, pushSubscription: { ...renewed, keys: testSubscription('').subscription.keys } }
    assert.equal((await app.setSubscription(swapped)).body.error.code, 'SIGNATURE_INVALID', 'keys swapped after signing')
    assert.equal((await app.setSubscription(body)).status, 204)
    const before = push.received.length
    const { started } = await pushSignIn(user)
    const [message] = (await push.waitFor(before + 1)).slice(before)
    assert.equal(message!.payload.challengeId, started.json().challengeId, 'the renewed subscription gets the push')
    assert.equal((await app.setSubscription(app.subscriptionBody(null))).status, 204)
    assert.equal((await t.ctx.store.push.getKey(app.deviceId))!.sealedSubscription, null)
  })

  test('F-PUSH-3: where only push is allowed, the app\'s own code still signs in and re-authenticates', async () => {
    const pushOnly = await t.createOrganisation({ allowedMethods: ['push'] })
    const user = await t.createUser(pushOnly.id)
    const jar = new CookieJar()
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).json().state, 'awaiting_enrolment')
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/devices/totp', { name: 'Other app' })).statusCode, 403, 'other apps are not allowed here')
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const app = phone()
    assert.equal((await app.pair(started.pairingUri)).status, 200)
    t.nextStep()
    const signIn = new CookieJar()
    const first = (await t.browser(signIn, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).json()
    assert.deepEqual(first.methods, ['push', 'totp'])
    const coded = await t.browser(signIn, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(app.secret, t.clock.now()) })
    assert.equal(coded.statusCode, 200, coded.body)
    t.clock.advance(11 * 60_000)
    assert.deepEqual((await t.browser(signIn, 'GET', '/api/v1/account/security')).json().reauthenticationMethods, ['totp'])
    const reauth = await t.browser(signIn, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'totp', code: totpCode(app.secret, t.clock.now()) })
    assert.equal(reauth.statusCode, 200, reauth.body)
  })

  test('PU-07: the context is right, and the browser text is bounded to 100 characters', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const agent = `<script>alert(1)</script>${'A'.repeat(300)}`
    const { started } = await pushSignIn(user, { 'user-agent': agent })
    const read = await app.read(started.json().challengeId)
    assert.equal(read.body.browser.length, 100)
    assert.equal(read.body.browser, agent.slice(0, 100))
    assert.equal(read.body.ip, '127.0.0.1')
    assert.equal(read.body.username, user.username)
    assert.equal(Math.abs(new Date(read.body.createdAt).getTime() - t.clock.now().getTime()) < 1000, true)
  })

  test('PU-08 F-PUSH-4: unpaired in the app or removed by an admin, the key approves nothing any more', async () => {
    const { user, phones, jar } = await pairedUser(2)
    const [inApp, byAdmin] = phones as [TestAuthenticator, TestAuthenticator]
    const { started } = await pushSignIn(user)
    const { challengeId, matchNumber } = started.json()
    const unpaired = await inApp.unpair()
    assert.equal(unpaired.status, 204)
    assert.equal((await inApp.answer(challengeId, 'approve', matchNumber)).body.error.code, 'SIGNATURE_INVALID')
    // Unpairing a factor ends the account's sessions (SC-09); the store shows what is left.
    const listed = await t.ctx.store.devices.listActive(user.id)
    assert.equal(listed.some((d) => d.id === inApp.deviceId), false)
    void jar

    const removed = await t.admin('DELETE', `/api/v1/admin/users/${user.id}/devices/${byAdmin.deviceId}`)
    assert.equal(removed.statusCode, 204, removed.body)
    assert.equal((await byAdmin.answer(challengeId, 'approve', matchNumber)).body.error.code, 'SIGNATURE_INVALID')
    assert.equal((await byAdmin.read(challengeId)).status, 401)
    // No paired app left: push is no longer offered.
    const { first } = await pushSignIn(user).catch(() => ({ first: null as any }))
    if (first) assert.equal(first.methods.includes('push'), false)
  })

  test('PU-08: the app cannot unpair the last factor of a required 2FA', async () => {
    const user = await t.createUser(orgId)
    const jar = new CookieJar()
    const signed = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(signed.json().state, 'awaiting_enrolment')
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Only' })).json()
    const app = phone()
    assert.equal((await app.pair(started.pairingUri)).status, 200)
    const refused = await app.unpair()
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error.code, 'LAST_FACTOR_REQUIRED')
  })

  test('F-LOGIN-5 F-PUSH-1: forced enrolment finishes when the app pairs; an older device does not finish a bypass sign-in', async () => {
    const user = await t.createUser(orgId)
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const early = await t.browser(jar, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, {})
    assert.equal(early.statusCode, 401, `nothing paired yet: ${early.body} ${JSON.stringify(started).slice(0, 80)}`)
    const app = phone()
    assert.equal((await app.pair(started.pairingUri)).status, 200)
    const confirmed = await t.browser(jar, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, {})
    assert.equal(confirmed.statusCode, 200, confirmed.body)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).json().restrictedToEnrolment, false)

    // A one-time bypass later: the old device must not turn the restricted session into a full one.
    t.clock.advance(60_000)
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/bypass`, {})).statusCode, 201)
    const bypassJar = new CookieJar()
    const bypass = await t.browser(bypassJar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(bypass.json().state, 'awaiting_enrolment')
    assert.equal((await t.browser(bypassJar, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, {})).statusCode, 401)
    assert.equal((await t.browser(bypassJar, 'GET', '/api/v1/session')).json().restrictedToEnrolment, true)
  })

  test('F-DEV-1: past the device limit the app cannot pair', async () => {
    const { jar } = await pairedUser(4)
    const refused = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Sixth' })).json()
    // 1 app + 4 authenticators = 5: the organisation's limit. Starting is refused already…
    assert.equal(refused.error?.code, 'DEVICE_LIMIT_REACHED')
    // …and a QR code shown before the limit was lowered cannot be paired past it either.
    const org = await t.createOrganisation()
    const { user: other, jar: otherJar } = await (async () => {
      const user = await t.enrolledUser(org.id)
      return { user, jar: (await t.signIn(user.username, user.password, user.secret)).jar }
    })()
    const started = (await t.browser(otherJar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Second' })).json()
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { deviceLimit: 1 })).statusCode, 200)
    const paired = await phone().pair(started.pairingUri)
    assert.equal(paired.status, 409)
    assert.equal(paired.body.error.code, 'DEVICE_LIMIT_REACHED')
    assert.equal((await t.ctx.store.devices.listActive(other.id)).length, 1)
  })

  test('F-PUSH-3 PU-11: the app\'s offline code is an ordinary TOTP code: it signs in once, a replay is refused', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const code = totpCode(app.secret, t.clock.now())
    const signed = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code })
    assert.equal(signed.statusCode, 200, signed.body)
    assert.deepEqual(signed.json().session.amr, ['pwd', 'otp', 'mfa'])
    const again = new CookieJar()
    await t.browser(again, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal((await t.browser(again, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code })).json().error.code, 'CODE_INVALID')
  })

  test('PU-10: a copy of the database holds only public keys and approves nothing, whatever stored value is tried', async () => {
    const { user, phones } = await pairedUser(1)
    const [app] = phones as [TestAuthenticator]
    const { jar, started } = await pushSignIn(user)
    const { challengeId, matchNumber } = started.json()
    const key = (await t.ctx.store.push.getKey(app.deviceId))!
    // Sealed at rest; opened with the key file it is the public half only.
    assert.equal(key.publicKeyJwk.includes(app.publicJwk.x), false)
    const opened = t.ctx.sealer.open(key.publicKeyJwk, `authenticator-key|${app.deviceId}|${user.id}`)!.toString('utf8')
    assert.deepEqual(Object.keys(JSON.parse(opened)).sort(), ['crv', 'kty', 'x', 'y'])
    const stored = [key.publicKeyJwk, opened, key.sealedSubscription ?? '', app.publicJwk.x, app.publicJwk.y, challengeId, matchNumber]
    for (const value of stored) {
      const signature = Buffer.concat([Buffer.from(value), Buffer.alloc(64)]).subarray(0, 64).toString('base64url')
      const forged = { ...app.answerBody(challengeId, 'approve', matchNumber), signature }
      assert.equal((await app.send(challengeId, forged)).body.error.code, 'SIGNATURE_INVALID')
    }
    assert.equal((await complete(jar)).json().error.code, 'PUSH_PENDING')
  })

  test('F-PUSH-2: a push service that says the subscription is gone drops it; the app still gets the challenge over its event stream', async () => {
    const user = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Old phone' })).json()
    const app = phone()
    const keys = testSubscription('')
    await app.pair(started.pairingUri, { pushSubscription: { ...keys.subscription, endpoint: push.endpoint('gone') } })
    t.nextStep()
    const { started: sent } = await pushSignIn(user)
    assert.equal(sent.statusCode, 202)
    for (let i = 0; i < 50 && (await t.ctx.store.push.getKey(app.deviceId))?.sealedSubscription; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal((await t.ctx.store.push.getKey(app.deviceId))!.sealedSubscription, null)
    assert.equal((await t.auditEvents({ account: user.id, event: 'push.delivery_failed' }))[0]?.reason, 'gone')
    const pending = await app.pending()
    assert.deepEqual(pending.body.map((c: { id: string }) => c.id), [sent.json().challengeId])
  })

  test('bad input: a private key, a point off the curve, an http endpoint — 400 naming the field, nothing linked', async () => {
    const user = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const { token, deviceId } = parsePairingUri(started.pairingUri)
    const app = phone()
    const issuedAt = app.issuedAt()
    const base = { pairingToken: token, deviceId, publicKey: app.publicJwk, pushSubscription: null, name: 'x', issuedAt, signature: app.sign('pair', deviceId, issuedAt, [token]) }
    const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/authenticator/pair', payload: body as object })
    const withPrivate = await post({ ...base, publicKey: { ...app.publicJwk, d: 'A'.repeat(43) } })
    assert.equal(withPrivate.statusCode, 400)
    assert.equal(withPrivate.json().error.field, 'publicKey')
    const offCurve = await post({ ...base, publicKey: { ...app.publicJwk, y: app.publicJwk.x } })
    assert.equal(offCurve.statusCode, 400)
    const plainHttp = await post({ ...base, pushSubscription: { endpoint: 'http://127.0.0.1/x', keys: testSubscription('').subscription.keys } })
    assert.equal(plainHttp.statusCode, 400)
    assert.equal(plainHttp.json().error.field, 'pushSubscription.endpoint')
    assert.equal((await post({ ...base, extra: 1 })).statusCode, 400)
    const listed = (await t.browser(jar, 'GET', '/api/v1/account/devices')).json()
    assert.equal(listed.length, 1, 'still only the first app')
    assert.equal((await app.pair(started.pairingUri)).status, 200, 'the token was not used up by the refusals')
  })

  describe('event streams (a listening server)', () => {
    let base: string
    before(async () => {
      const port = await freePort()
      await t.app.listen({ host: '127.0.0.1', port })
      base = `http://127.0.0.1:${port}`
    })

    /** The stream at `path` of the listening server, read until `until` says stop; `opened` once it answers. */
    const collect = (path: string, cookie: string | null, until: (events: ReceivedEvent[]) => boolean) => readEventStream(`${base}${path}`, cookie ? { cookie } : {}, until)

    test('F-PUSH-2: the waiting browser hears "approved" by itself', async () => {
      const { user, phones } = await pairedUser(1)
      const [app] = phones as [TestAuthenticator]
      const { jar, started } = await pushSignIn(user)
      const waiting = collect('/api/v1/sign-in/events', jar.header(), (events) => events.some((e) => e.event === 'approved'))
      await waiting.opened
      await app.answer(started.json().challengeId, 'approve', started.json().matchNumber)
      const events = await waiting.events
      assert.equal(events.at(-1)!.data.challengeId, started.json().challengeId)
      assert.equal((await complete(jar)).statusCode, 200)
    })

    test('PU-05: a deny reaches the waiting browser, with its reason', async () => {
      const { user, phones } = await pairedUser(1)
      const [app] = phones as [TestAuthenticator]
      const { jar, started } = await pushSignIn(user)
      const waiting = collect('/api/v1/sign-in/events', jar.header(), (events) => events.some((e) => e.event === 'denied'))
      await waiting.opened
      const t0 = Date.now()
      await app.answer(started.json().challengeId, 'deny', '')
      const events = await waiting.events
      assert.equal(events.at(-1)!.data.reason, 'denied')
      assert.ok(Date.now() - t0 < 2000, 'within 2 s (PU-05)')
    })

    test('F-PUSH-1: the page showing the QR code hears "linked" when the app pairs', async () => {
      const user = await t.enrolledUser(orgId)
      const { jar } = await t.signIn(user.username, user.password, user.secret)
      const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Listening' })).json()
      const waiting = collect(`/api/v1/account/devices/${started.deviceId}/events`, jar.header(), (events) => events.some((e) => e.event === 'linked'))
      await waiting.opened
      await phone().pair(started.pairingUri)
      const events = await waiting.events
      assert.equal(events.at(-1)!.data.id, started.deviceId)
      assert.equal(events.at(-1)!.data.kind, 'authenticator')
    })

    test('F-PUSH-4: an open app hears of a new challenge, of another device answering, and of its removal', async () => {
      const { user, phones, jar: accountJar } = await pairedUser(2)
      const [watcher, answerer] = phones as [TestAuthenticator, TestAuthenticator]
      const listening = collect(watcher.eventsUrl(), null, (events) => events.some((e) => e.event === 'removed'))
      await listening.opened
      const { started } = await pushSignIn(user)
      await answerer.answer(started.json().challengeId, 'approve', started.json().matchNumber)
      // The account page removes the watching device (a recent sign-in is needed: sign in again).
      t.nextStep()
      const fresh = await t.signIn(user.username, user.password, user.secret)
      void accountJar
      assert.equal((await t.browser(fresh.jar, 'DELETE', `/api/v1/account/devices/${watcher.deviceId}`)).statusCode, 204)
      const events = await listening.events
      assert.deepEqual(events.map((e) => e.event), ['challenge', 'closed', 'removed'])
      assert.equal(events[0]!.data.id, started.json().challengeId)
      assert.deepEqual(events[1]!.data, { id: started.json().challengeId, status: 'approved' })
    })

    test('the flow\'s event stream refuses an unknown flow with a JSON error, not a stream', async () => {
      const answer = await fetch(`${base}/api/v1/sign-in/events`)
      assert.equal(answer.status, 410)
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'FLOW_EXPIRED')
    })
  })
})

describe('SR-07: what the app sends stays out of the log', () => {
  test('SR-07: signatures in query strings and pairing tokens are never logged', async () => {
    const { PassThrough } = await import('node:stream')
    const log = new PassThrough()
    let lines = ''
    log.on('data', (chunk: Buffer) => (lines += chunk.toString('utf8')))
    const t = await startTestApp({}, { logStream: log })
    try {
      const org = await t.createOrganisation()
      const user = await t.enrolledUser(org.id)
      const { jar } = await t.signIn(user.username, user.password, user.secret)
      const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
      const app = new TestAuthenticator(injectTransport(t.app), () => t.clock.now())
      assert.equal((await app.pair(started.pairingUri)).status, 200)
      const url = `/api/v1/authenticator/challenges?${app.signedQuery('list')}`
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200)
      const signature = new URL(url, 'http://x').searchParams.get('signature')!
      assert.ok(lines.includes('/api/v1/authenticator/challenges?'), 'the request was logged')
      assert.equal(lines.includes(signature), false)
      assert.equal(lines.includes(parsePairingUri(started.pairingUri).token), false)
    } finally {
      await t.close()
    }
  })
})

describe('F-X-4: graceful shutdown', () => {
  test('F-X-4: open event streams get a reconnect hint and end when the server shuts down', async () => {
    const t = await startTestApp()
    const org = await t.createOrganisation()
    const user = await t.enrolledUser(org.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const port = await freePort()
    await t.app.listen({ host: '127.0.0.1', port })
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`http://127.0.0.1:${port}/api/v1/account/devices/${started.deviceId}/events`, { headers: { cookie: jar.header() } }, (res) => {
        let body = ''
        let closing = false
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8')
          // Listening: now shut the server down while the stream is open.
          if (!closing && body.startsWith('retry:')) {
            closing = true
            void t.close()
          }
        })
        res.on('end', () => resolve(body))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
    assert.match(text, /^retry: 3000/)
    assert.match(text, /event: shutdown\ndata: \{"retryMs":1000\}/)
  })
})
