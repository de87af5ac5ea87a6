import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

describe('sign-in', () => {
  let t: TestApp
  let org: { id: string }
  before(async () => {
    t = await startTestApp()
    org = await t.createOrganisation({ policy: 'required' })
  })
  after(() => t.close())

  async function userWithApp(overrides: Record<string, unknown> = {}) {
    const user = await t.createUser(org.id, overrides)
    const { jar } = await t.signIn(user.username, user.password)
    const { secret, deviceId } = await t.linkTotp(jar)
    t.nextStep()
    return { ...user, secret, deviceId }
  }

  it('F-LOGIN-1 F-LOGIN-2: password, then the app code; the session reports amr pwd+otp+mfa', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(first.statusCode, 200)
    const flow = first.json()
    assert.equal(flow.state, 'awaiting_second_factor')
    assert.deepEqual(flow.methods, ['totp'])
    assert.equal(flow.preferredMethod, 'totp')
    assert.match(flow.flowId, /^[\w-]{16}\.[\w-]{43}$/)
    assert.ok(jar.get('cs_flow'))
    assert.equal(jar.get('cs_session'), undefined, 'no session before the second factor')
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401)

    const second = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })
    assert.equal(second.statusCode, 200)
    const body = second.json()
    assert.equal(body.state, 'completed')
    assert.deepEqual(body.session.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(body.session.account.username, user.username)
    const session = await t.browser(jar, 'GET', '/api/v1/session')
    assert.equal(session.statusCode, 200)
    assert.deepEqual(session.json().amr, ['pwd', 'otp', 'mfa'])
  })

  it('F-LOGIN-1: an API client can carry the flow in the body instead of the cookie', async () => {
    const user = await userWithApp()
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    const { flowId } = first.json()
    const second = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId, method: 'totp', code: totpCode(user.secret, t.clock.now()) } })
    assert.equal(second.statusCode, 200)
    assert.ok(second.cookies.some((c) => c.name === 'cs_session'))
  })

  it('SC-01: the flow id, and the session after the second factor, are new values; the old session ends on sign-out', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const flowCookie = jar.get('cs_flow')
    await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })
    const sessionCookie = jar.get('cs_session')!
    assert.notEqual(sessionCookie, flowCookie)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-out')).statusCode, 204)
    const replay = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `cs_session=${sessionCookie}` } })
    assert.equal(replay.statusCode, 401, 'SC-08: the old cookie is dead after sign-out')
  })

  it('SC-02: a session cookie planted before sign-in never becomes the signed-in session', async () => {
    const user = await userWithApp()
    const attacker = await userWithApp()
    const { jar: planted } = await t.signIn(attacker.username, attacker.password, attacker.secret)
    t.nextStep()
    const plantedValue = planted.get('cs_session')!
    const victim = new CookieJar()
    victim.cookies.set('cs_session', plantedValue)
    await t.signIn(user.username, user.password, user.secret, victim)
    t.nextStep()
    assert.notEqual(victim.get('cs_session'), plantedValue)
    const session = await t.browser(victim, 'GET', '/api/v1/session')
    assert.equal(session.json().account.username, user.username)
  })

  it('F-LOGIN-3: "remember this browser" skips the second factor next time, without claiming mfa, and rotates the token', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
    const remembered = jar.get('cs_remember')!
    assert.ok(remembered)
    await t.browser(jar, 'POST', '/api/v1/sign-out')
    const again = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(again.json().state, 'completed')
    assert.deepEqual(again.json().session.amr, ['pwd'], 'T4: a remembered browser never claims mfa')
    assert.notEqual(jar.get('cs_remember'), remembered, 'RR-12: rotated on use')
    const stale = new CookieJar()
    stale.cookies.set('cs_remember', remembered)
    const old = await t.browser(stale, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(old.json().state, 'awaiting_second_factor', 'the old token value no longer works')
  })

  it('F-LOGIN-3 SC-10: a remembered browser does not skip the factor for another user, after 30 days, or after a factor change', async () => {
    const user = await userWithApp()
    const other = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
    t.nextStep()
    const forOther = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: other.username, password: other.password })
    assert.equal(forOther.json().state, 'awaiting_second_factor')

    // A factor change voids it: link a second app as the user, then try again.
    const { jar: signedIn } = await t.signIn(user.username, user.password, user.secret)
    t.nextStep()
    await t.linkTotp(signedIn, 'Tablet')
    t.nextStep()
    const afterChange = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(afterChange.json().state, 'awaiting_second_factor')
  })

  it('RR-12: parallel sign-ins with one remembered-browser token: at most one skips the factor, the others are asked', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
    const cookie = `cs_remember=${jar.get('cs_remember')}`
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { cookie, origin: 'http://127.0.0.1:3000' }, payload: { username: user.username, password: user.password } })),
    )
    const states = answers.map((a) => a.json().state)
    assert.equal(states.filter((s) => s === 'completed').length, 1, states.join())
    assert.equal(states.filter((s) => s === 'awaiting_second_factor').length, 4)
  })

  it('F-LOGIN-3: a remembered browser expires after the organisation’s number of days', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
    t.clock.advance(30 * 86_400_000 + 1000)
    const expired = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(expired.json().state, 'awaiting_second_factor')
  })

  it('F-LOGIN-5: with 2FA required and no method, the sign-in lands in forced enrolment with a restricted session', async () => {
    const user = await t.createUser(org.id)
    const jar = new CookieJar()
    const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(first.json().state, 'awaiting_enrolment')
    assert.equal(first.json().session.restrictedToEnrolment, true)
    assert.deepEqual(first.json().session.amr, ['pwd'])
    // SC-03: the restricted session reaches only the enrolment endpoints.
    for (const [method, url] of [['GET', '/api/v1/account/activity'], ['GET', '/api/v1/account/remembered-browsers'], ['GET', '/api/v1/admin/organisations']] as const) {
      const response = await t.browser(jar, method, url)
      assert.equal(response.statusCode, 403, url)
      assert.equal(response.json().error.code, 'ENROLMENT_REQUIRED', url)
    }
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/security')).statusCode, 200)
    const restrictedCookie = jar.get('cs_session')
    await t.linkTotp(jar)
    assert.notEqual(jar.get('cs_session'), restrictedCookie, 'a new session once enrolment is done')
    const session = await t.browser(jar, 'GET', '/api/v1/session')
    assert.equal(session.json().restrictedToEnrolment, false)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/activity')).statusCode, 200)
  })

  it('F-POL-1: with the organisation policy off, the password alone completes the sign-in', async () => {
    const offOrg = await t.createOrganisation({ policy: 'off' })
    const user = await t.createUser(offOrg.id)
    const { body } = await t.signIn(user.username, user.password)
    assert.equal(body.state, 'completed')
    assert.deepEqual(body.session.amr, ['pwd'])
  })

  it('F-SET-4 F-POL-1: under Optional a user signs in with the password until they link an app, then the code is asked', async () => {
    const optional = await t.createOrganisation({ policy: 'optional' })
    const user = await t.createUser(optional.id)
    const { jar, body } = await t.signIn(user.username, user.password)
    assert.equal(body.state, 'completed')
    const { secret } = await t.linkTotp(jar)
    t.nextStep()
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(again.json().state, 'awaiting_second_factor')
    // Turning 2FA off again (re-authenticated within 10 minutes) brings back password-only sign-in.
    const { jar: fresh } = await t.signIn(user.username, user.password, secret)
    assert.equal((await t.browser(fresh, 'PUT', '/api/v1/account/two-factor', { enabled: false })).statusCode, 204)
    const off = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(off.json().state, 'completed')
  })

  it('SC-05: a pending second factor expires after 10 minutes', async () => {
    const user = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    t.clock.advance(10 * 60_000 + 1000)
    const late = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })
    assert.equal(late.statusCode, 410)
    assert.equal(late.json().error.code, 'FLOW_EXPIRED')
  })

  it('SC-07: a session ends after an hour idle, and after 24 hours even when active', async () => {
    const user = await userWithApp()
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    t.clock.advance(59 * 60_000)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 200)
    t.clock.advance(60 * 60_000 + 1000)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401)

    t.nextStep()
    const { jar: active } = await t.signIn(user.username, user.password, user.secret)
    for (let i = 0; i < 29; i++) {
      t.clock.advance(50 * 60_000)
      await t.browser(active, 'GET', '/api/v1/session')
    }
    assert.equal((await t.browser(active, 'GET', '/api/v1/session')).statusCode, 401)
  })

  it('SC-04: the second factor stays bound to the user who passed the password step', async () => {
    const user = await userWithApp()
    const other = await userWithApp()
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const swapped = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(other.secret, t.clock.now()) })
    assert.equal(swapped.statusCode, 401)
    const withUser = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), userId: other.id })
    assert.equal(withUser.statusCode, 400)
  })

  it('F-POL-6: the user reads their own sign-in activity, newest first', async () => {
    const user = await userWithApp()
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const activity = await t.browser(jar, 'GET', '/api/v1/account/activity')
    assert.equal(activity.statusCode, 200)
    const events = activity.json().map((e: { event: string }) => e.event)
    assert.equal(events[0], 'sign_in.completed')
    assert.ok(events.includes('device.linked'))
    assert.ok(activity.json().every((e: { ip: string | null }) => e.ip === '127.0.0.1'))
  })
})
