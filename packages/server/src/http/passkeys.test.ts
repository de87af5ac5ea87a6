import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'
import { SoftAuthenticator } from '../test-support/webauthn-authenticator.js'

const ORIGIN = 'http://localhost:3000'

/**
 * Passkeys (F-X-1) through the API, with an authenticator written in Node from the WebAuthn
 * specification (test-support/webauthn-authenticator.ts); the pages' tests use Chromium's.
 * The relying party is the public URL's host, `localhost` (browsers refuse IP addresses).
 */
for (const backend of ['sqlite', 'postgres'] as const)
describe(`Passkeys (F-X-1) on ${backend}`, () => {
  let t: TestApp
  let orgId: string
  before(async () => {
    t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: ORIGIN }, { backend })
    orgId = (await t.createOrganisation({ policy: 'required' })).id
  })
  after(() => t.close())

  const post = (url: string, payload?: unknown) => t.app.inject({ method: 'POST', url, ...(payload !== undefined ? { payload: payload as object } : {}) })

  /** An enrolled user (an app linked), signed in now, with a passkey registered from My Account. */
  async function userWithPasskey(organisation = orgId, flags: { residentKey?: boolean } = {}) {
    const user = await t.enrolledUser(organisation)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const key = new SoftAuthenticator()
    const options = await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')
    assert.equal(options.statusCode, 200, options.body)
    const registered = await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'Laptop', response: key.register(options.json(), ORIGIN, flags) })
    assert.equal(registered.statusCode, 201, registered.body)
    return { ...user, jar, key, device: registered.json() }
  }

  async function flowFor(user: { username: string; password: string }) {
    const answer = await post('/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(answer.statusCode, 200, answer.body)
    return answer.json() as { flowId: string; methods: string[] }
  }

  async function assertionFor(flowId: string, key: SoftAuthenticator, flags: Parameters<SoftAuthenticator['assert']>[2] = {}, origin = ORIGIN) {
    const options = await post('/api/v1/sign-in/passkey/options', { flowId })
    assert.equal(options.statusCode, 200, options.body)
    return key.assert(options.json(), origin, flags)
  }

  it('F-X-1: a passkey is registered from My Account (attestation none, user verification preferred, the account’s passkeys excluded), listed as a device, and the next sign-in offers it', async () => {
    const user = await userWithPasskey()
    assert.equal(user.device.kind, 'passkey')
    assert.equal(user.device.name, 'Laptop')
    const devices = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).json() as Array<{ kind: string }>
    assert.deepEqual(devices.map((d) => d.kind).sort(), ['passkey', 'totp'])
    const again = (await t.browser(user.jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    assert.equal(again.rp.id, 'localhost')
    assert.equal(again.attestation, 'none')
    assert.equal(again.authenticatorSelection.userVerification, 'preferred')
    assert.deepEqual(again.excludeCredentials.map((c: { id: string }) => c.id), [user.key.id])
    const flow = await flowFor(user)
    assert.deepEqual(flow.methods, ['totp', 'passkey'])
    const linked = await t.ctx.store.audit.list({ accountId: user.id, event: 'device.linked', limit: 5 })
    assert.equal(linked[0]!.details.kind, 'passkey')
    const mail = (await t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(`${user.username}@example.test`)}` })).json() as Array<{ subject: string }>
    assert.ok(mail.some((m) => /passkey or security key was added/.test(m.subject)))
  })

  it('F-X-1: the passkey completes the second step; amr is pwd hwk user mfa with user verification, pwd hwk mfa without', async () => {
    const user = await userWithPasskey()
    const flow = await flowFor(user)
    const done = await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response: await assertionFor(flow.flowId, user.key) })
    assert.equal(done.statusCode, 200, done.body)
    assert.equal(done.json().state, 'completed')
    assert.deepEqual(done.json().session.amr, ['pwd', 'hwk', 'user', 'mfa'])
    const next = await flowFor(user)
    const presence = await post('/api/v1/sign-in/passkey', { flowId: next.flowId, response: await assertionFor(next.flowId, user.key, { userVerified: false }) })
    assert.equal(presence.statusCode, 200, presence.body)
    assert.deepEqual(presence.json().session.amr, ['pwd', 'hwk', 'mfa'])
    const options = (await post('/api/v1/sign-in/passkey/options', { flowId: (await flowFor(user)).flowId })).json()
    assert.deepEqual(options.allowCredentials.map((c: { id: string }) => c.id), [user.key.id])
  })

  it('F-X-1: a signature counter that goes backwards is refused and audited; an authenticator that keeps no counter (0) passes every time', async () => {
    const user = await userWithPasskey()
    const first = await flowFor(user)
    assert.equal((await post('/api/v1/sign-in/passkey', { flowId: first.flowId, response: await assertionFor(first.flowId, user.key, { counter: 7 }) })).statusCode, 200)
    const cloned = await flowFor(user)
    const refused = await post('/api/v1/sign-in/passkey', { flowId: cloned.flowId, response: await assertionFor(cloned.flowId, user.key, { counter: 3 }) })
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.json().error.code, 'CODE_INVALID')
    assert.equal((await t.auditEvents({ account: user.id, event: 'passkey.counter_regressed' })).length, 1)

    const counterless = await userWithPasskey()
    for (let i = 0; i < 2; i++) {
      const flow = await flowFor(counterless)
      assert.equal((await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response: await assertionFor(flow.flowId, counterless.key, { counter: 0 }) })).statusCode, 200)
    }
  })

  it('Bad input: bad base64url, wrong type, origin, RP ID, a replayed challenge, an unknown or another account’s credential: 400/401, never 500, each failure counted', async () => {
    const user = await userWithPasskey()
    const other = await userWithPasskey()
    const malformedFlow = await flowFor(user)
    const good = await assertionFor(malformedFlow.flowId, user.key)
    for (const response of [{ ...good, id: 'not base64url!' }, { ...good, type: 'password' }, { ...good, response: { ...good.response, signature: undefined } }, 'x', null]) {
      const answer = await post('/api/v1/sign-in/passkey', { flowId: malformedFlow.flowId, response })
      assert.equal(answer.statusCode, 400, answer.body)
      assert.equal(answer.json().error.code, 'INVALID_REQUEST')
    }
    const cases: Array<[string, (flowId: string) => Promise<unknown>]> = [
      ['wrong type', async (flowId) => assertionFor(flowId, user.key, { type: 'webauthn.create' })],
      ['wrong origin', async (flowId) => assertionFor(flowId, user.key, {}, 'https://evil.example')],
      ['wrong RP ID', async (flowId) => user.key.assert({ challenge: (await post('/api/v1/sign-in/passkey/options', { flowId })).json().challenge, rpId: 'evil.example' }, ORIGIN)],
      ['unknown credential', async (flowId) => new SoftAuthenticator().assert((await post('/api/v1/sign-in/passkey/options', { flowId })).json(), ORIGIN)],
      ['another account’s credential', async (flowId) => other.key.assert((await post('/api/v1/sign-in/passkey/options', { flowId })).json(), ORIGIN)],
    ]
    for (const [i, [name, make]] of cases.entries()) {
      const flow = await flowFor(user)
      const answer = await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response: await make(flow.flowId) })
      // The fifth failure locks the account, and its answer says so (issue 17).
      assert.equal(answer.statusCode, i < 4 ? 401 : 423, `${name}: ${answer.body}`)
      assert.equal(answer.json().error.code, i < 4 ? 'CODE_INVALID' : 'ACCOUNT_LOCKED', name)
    }
    const failed = await t.auditEvents({ account: user.id, event: 'sign_in.second_factor_failed' })
    assert.equal(failed.length, 5, 'each charged on the one counter')
    // The account is locked now (5 failures): a replayed, once-good assertion is refused as well.
    await t.ctx.store.lockouts.unlock(user.id, 5)
    const flow = await flowFor(user)
    const response = await assertionFor(flow.flowId, user.key)
    assert.equal((await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response })).statusCode, 200)
    const replayFlow = await flowFor(user)
    const replayed = await post('/api/v1/sign-in/passkey', { flowId: replayFlow.flowId, response })
    assert.equal(replayed.statusCode, 401, 'the challenge was used (and was another flow’s)')
  })

  it('F-LOGIN-4: failed assertions lock the account like wrong codes; then even a good one is refused', async () => {
    const user = await userWithPasskey()
    for (let i = 0; i < 5; i++) {
      const flow = await flowFor(user)
      assert.equal((await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response: await assertionFor(flow.flowId, new SoftAuthenticator()) })).statusCode, i < 4 ? 401 : 423)
    }
    const flow = await post('/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(flow.statusCode, 423, 'locked, said after the correct password')
  })

  it('Bad input at registration: a challenge of another session, another origin, or a passkey registered already is refused with 400', async () => {
    const user = await userWithPasskey()
    const stranger = await t.enrolledUser(orgId)
    const { jar } = await t.signIn(stranger.username, stranger.password, stranger.secret)
    const foreign = (await t.browser(user.jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    const stolen = await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'X', response: new SoftAuthenticator().register(foreign, ORIGIN) })
    assert.equal(stolen.statusCode, 400, 'the challenge belongs to another session')
    const options = (await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'X', response: new SoftAuthenticator().register(options, 'https://evil.example') })).statusCode, 400)
    const again = (await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    const copy = new SoftAuthenticator({ credentialId: user.key.credentialId })
    const duplicate = await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'X', response: copy.register(again, ORIGIN) })
    assert.equal(duplicate.statusCode, 400, 'a credential id is unique across accounts')
    const devices = (await t.browser(jar, 'GET', '/api/v1/account/devices')).json() as unknown[]
    assert.equal(devices.length, 1, 'nothing was linked')
  })

  it('F-X-1 F-LOGIN-5: a passkey completes a forced enrolment; the device limit counts passkeys', async () => {
    const user = await t.createUser(orgId)
    const jar = new CookieJar()
    const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(first.json().state, 'awaiting_enrolment')
    const options = (await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    const done = await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'Phone', response: new SoftAuthenticator().register(options, ORIGIN) })
    assert.equal(done.statusCode, 201, done.body)
    assert.equal(done.json().session.restrictedToEnrolment, false)
    assert.deepEqual(done.json().session.amr, ['pwd'], 'a factor made in this sign-in proves no earlier binding')

    const small = await t.createOrganisation({ policy: 'required' })
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${small.id}`, { deviceLimit: 1 })).statusCode, 200)
    const limited = await t.enrolledUser(small.id)
    const signedIn = await t.signIn(limited.username, limited.password, limited.secret)
    const full = await t.browser(signedIn.jar, 'POST', '/api/v1/account/devices/passkey/options')
    assert.equal(full.statusCode, 409)
    assert.equal(full.json().error.code, 'DEVICE_LIMIT_REACHED')
  })

  it('SC-14: an account whose only factor is a passkey confirms it is itself with the password and the passkey', async () => {
    const user = await t.createUser(orgId)
    const jar = new CookieJar()
    await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const key = new SoftAuthenticator()
    const options = (await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')).json()
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/devices/passkey', { name: 'Phone', response: key.register(options, ORIGIN) })).statusCode, 201)
    t.clock.advance(11 * 60_000)
    const security = (await t.browser(jar, 'GET', '/api/v1/account/security')).json()
    assert.deepEqual(security.reauthenticationMethods, ['passkey'])
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password })).statusCode, 401, 'the password alone is not enough')
    const request = (await t.browser(jar, 'POST', '/api/v1/account/reauthenticate/passkey/options')).json()
    const confirmed = await t.browser(jar, 'POST', '/api/v1/account/reauthenticate', { password: user.password, method: 'passkey', passkey: key.assert(request, ORIGIN) })
    assert.equal(confirmed.statusCode, 200, confirmed.body)
    assert.deepEqual(confirmed.json().amr, ['pwd', 'hwk', 'user', 'mfa'])
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/devices/passkey/options')).statusCode, 200, 'a sensitive change goes through now')
  })

  it('F-X-1: a removed passkey is neither offered nor accepted', async () => {
    const user = await userWithPasskey()
    const flow = await flowFor(user)
    const response = await assertionFor(flow.flowId, user.key)
    assert.equal((await t.browser(user.jar, 'DELETE', `/api/v1/account/devices/${user.device.id}`)).statusCode, 204)
    assert.equal((await post('/api/v1/sign-in/passkey', { flowId: flow.flowId, response })).statusCode, 401)
    assert.deepEqual((await flowFor(user)).methods, ['totp'])
  })

  it('Passwordless: a discoverable passkey with user verification signs in alone (amr hwk user mfa); without verification, unknown, not allowed or locked, it is the wrong password’s CREDENTIALS_INVALID', async () => {
    const user = await userWithPasskey()
    const discover = async (key: SoftAuthenticator, flags: Parameters<SoftAuthenticator['assert']>[2] = {}) => {
      const options = await post('/api/v1/sign-in/passkey/discoverable/options')
      assert.equal(options.statusCode, 200)
      assert.equal(options.json().userVerification, 'required')
      assert.equal(options.json().allowCredentials?.length ?? 0, 0, 'no account is named')
      return post('/api/v1/sign-in/passkey/discoverable', { response: key.assert(options.json(), ORIGIN, flags) })
    }
    const done = await discover(user.key)
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json().session.amr, ['hwk', 'user', 'mfa'])
    assert.equal(done.json().session.account.username, user.username)
    const cookie = done.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).json().account.username, user.username)

    const wrongPassword = await post('/api/v1/sign-in/password', { username: user.username, password: 'not the password' })
    for (const refused of [await discover(user.key, { userVerified: false }), await discover(new SoftAuthenticator())]) {
      assert.equal(refused.statusCode, 401)
      assert.deepEqual(refused.json(), wrongPassword.json())
    }

    const strict = await t.createOrganisation({ policy: 'required' })
    const elsewhere = await userWithPasskey(strict.id)
    await t.admin('PATCH', `/api/v1/admin/organisations/${strict.id}`, { allowedMethods: ['totp'] })
    assert.equal((await discover(elsewhere.key)).statusCode, 401, 'the organisation no longer allows passkeys')

    // Failed assertions here are not charged: knowing a credential id must not let anyone lock its owner out.
    const locked = await userWithPasskey()
    for (let i = 0; i < 6; i++) assert.equal((await discover(locked.key, { userVerified: false })).statusCode, 401)
    assert.equal((await post('/api/v1/sign-in/password', { username: locked.username, password: locked.password })).statusCode, 200, 'not locked')
    // Locked by wrong codes: the passkey alone is refused too (BF-08), with the same answer.
    for (const flowId of await t.flows(locked, 5)) {
      await post('/api/v1/sign-in/second-factor', { flowId, method: 'totp', code: '000000' === totpCode(locked.secret, t.clock.now()) ? '111111' : '000000' })
    }
    const afterLock = await discover(locked.key)
    assert.equal(afterLock.statusCode, 401, 'a locked account: the same answer')
    assert.deepEqual(afterLock.json(), wrongPassword.json())
    assert.ok((await t.auditEvents({ account: locked.id, event: 'sign_in.rejected_locked' })).length >= 1)
  })
})
