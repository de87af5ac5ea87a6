import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createApiToken } from '../use-cases/administration.js'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

describe('administration', () => {
  let t: TestApp
  before(async () => {
    t = await startTestApp()
  })
  after(() => t.close())

  /** An organisation with a signed-in admin (full session, app linked). */
  async function orgWithAdmin() {
    const org = await t.createOrganisation({ policy: 'required' })
    const admin = await t.createUser(org.id, { role: 'admin' })
    const { jar } = await t.signIn(admin.username, admin.password)
    const { secret } = await t.linkTotp(jar)
    t.nextStep()
    return { org, admin: { ...admin, jar, secret } }
  }

  it('F-INT-3 F-POL-1: staff create an organisation with a policy, then change its settings', async () => {
    const created = await t.admin('POST', '/api/v1/admin/organisations', { slug: 'clinic-a', name: 'Clinic A', policy: 'optional', allowedMethods: ['totp', 'sms'] })
    assert.equal(created.statusCode, 201)
    const org = created.json()
    assert.deepEqual([org.policy, org.deviceLimit, org.rememberBrowserDays, org.codeTtlMinutes, org.autoUnlockMinutes], ['optional', 5, 30, 20, null])
    const updated = await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { policy: 'required', deviceLimit: 3, rememberBrowserDays: 0, autoUnlockMinutes: 30 })
    assert.equal(updated.statusCode, 200)
    assert.deepEqual([updated.json().policy, updated.json().deviceLimit, updated.json().rememberBrowserDays, updated.json().autoUnlockMinutes], ['required', 3, 0, 30])
    assert.equal((await t.admin('POST', '/api/v1/admin/organisations', { slug: 'clinic-a', name: 'Again' })).json().error.code, 'SLUG_TAKEN')
    assert.equal((await t.admin('GET', '/api/v1/admin/organisations/clinic-a')).json().id, org.id)
    const events = await t.auditEvents({ event: 'organisation.updated' })
    assert.equal(events.length >= 1, true)
  })

  it('F-INT-3: users are created with argon2id passwords; names are unique across case; the list shows 2FA state', async () => {
    const { org, admin } = await orgWithAdmin()
    const created = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: 'Marieke', email: 'marieke@example.nl', password: 'lang genoeg wachtwoord', twoFactor: 'exempt' })
    assert.equal(created.statusCode, 201)
    assert.equal(created.json().twoFactor, 'exempt')
    assert.deepEqual(created.json().secondFactor, { required: false, reason: 'user_override_exempt' })
    const again = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: 'MARIEKE', email: 'm@example.nl', password: 'lang genoeg wachtwoord' })
    assert.equal(again.statusCode, 409)
    assert.equal(again.json().error.code, 'USERNAME_TAKEN')
    const list = (await t.admin('GET', `/api/v1/admin/organisations/${org.id}/users`)).json()
    const adminRow = list.find((u: { username: string }) => u.username === admin.username)
    assert.equal(adminRow.method, 'totp')
    assert.equal(adminRow.devices.length, 1)
    assert.equal(adminRow.locked, false)
    assert.ok(adminRow.lastSignInAt)
    assert.equal((await t.admin('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: 'x', email: 'not-an-email', password: 'lang genoeg wachtwoord' })).json().error.field, 'email')
    assert.equal((await t.admin('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: 'y', email: 'y@example.nl', password: 'short' })).json().error.field, 'password')
  })

  it('F-POL-5 RB-01: an organisation admin manages their own organisation only', async () => {
    const a = await orgWithAdmin()
    const b = await orgWithAdmin()
    const userB = await t.createUser(b.org.id)
    const own = await t.browser(a.admin.jar, 'GET', `/api/v1/admin/organisations/${a.org.id}/users`)
    assert.equal(own.statusCode, 200)
    assert.equal((await t.browser(a.admin.jar, 'GET', `/api/v1/admin/organisations/${b.org.id}/users`)).statusCode, 403)
    assert.equal((await t.browser(a.admin.jar, 'POST', `/api/v1/admin/users/${userB.id}/unlock`)).statusCode, 404)
    assert.equal((await t.browser(a.admin.jar, 'POST', `/api/v1/admin/users/${userB.id}/bypass`, {})).statusCode, 404)
    assert.equal((await t.browser(a.admin.jar, 'POST', '/api/v1/admin/organisations', { slug: 'mine', name: 'Mine' })).statusCode, 403)
    const orgs = (await t.browser(a.admin.jar, 'GET', '/api/v1/admin/organisations')).json()
    assert.deepEqual(orgs.map((o: { id: string }) => o.id), [a.org.id])
    const refusals = await t.auditEvents({ event: 'bypass.refused' })
    assert.ok(refusals.length >= 1)
  })

  it('RB-01: an admin cannot grant a bypass to themselves, and a plain user reaches no admin route', async () => {
    const { org, admin } = await orgWithAdmin()
    const self = await t.browser(admin.jar, 'POST', `/api/v1/admin/users/${(await t.browser(admin.jar, 'GET', '/api/v1/session')).json().account.id}/bypass`, {})
    assert.equal(self.statusCode, 403)
    const user = await t.createUser(org.id, { twoFactor: 'exempt' })
    const { jar } = await t.signIn(user.username, user.password)
    assert.equal((await t.browser(jar, 'GET', `/api/v1/admin/organisations/${org.id}/users`)).statusCode, 403)
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/admin/organisations', headers: { authorization: 'Bearer cs_nope' } })).statusCode, 401)
  })

  it('F-POL-4 RB-02: a one-time sign-in without 2FA still needs the password, is used once, forces enrolment, and leaves the override alone', async () => {
    const { org, admin } = await orgWithAdmin()
    const user = await t.createUser(org.id)
    const { jar: userJar } = await t.signIn(user.username, user.password)
    const { secret } = await t.linkTotp(userJar)
    t.nextStep()
    const grant = await t.browser(admin.jar, 'POST', `/api/v1/admin/users/${user.id}/bypass`, { reason: 'lost phone' })
    assert.equal(grant.statusCode, 201)
    const expiresAt = new Date(grant.json().expiresAt)
    assert.equal(expiresAt.getTime() - t.clock.now().getTime(), 24 * 3_600_000)
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().bypassExpiresAt, expiresAt.toISOString())

    const wrong = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: 'not the password' } })
    assert.equal(wrong.statusCode, 401, 'the password is still required')
    const jar = new CookieJar()
    const used = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(used.json().state, 'awaiting_enrolment')
    assert.equal(used.json().reason, 'one_time_bypass')
    assert.deepEqual(used.json().session.amr, ['pwd'], 'a bypass never claims mfa')
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/activity')).statusCode, 403, 'nothing but enrolment')
    await t.linkTotp(jar, 'New phone')
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/activity')).statusCode, 200)

    t.nextStep()
    const next = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(next.json().state, 'awaiting_second_factor', 'the grant was used up')
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().twoFactor, 'default')
    assert.ok((await t.auditEvents({ account: user.id, event: 'bypass.used' })).length === 1)
    void secret
  })

  it('RR-08: an unused bypass expires after 24 hours', async () => {
    const { org } = await orgWithAdmin()
    const user = await t.createUser(org.id)
    const { jar } = await t.signIn(user.username, user.password)
    await t.linkTotp(jar)
    t.nextStep()
    await t.admin('POST', `/api/v1/admin/users/${user.id}/bypass`, {})
    t.clock.advance(24 * 3_600_000 + 1000)
    const late = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(late.json().state, 'awaiting_second_factor')
  })

  it('F-POL-2: the per-user override changes what the next sign-in asks', async () => {
    const off = await t.createOrganisation({ policy: 'off' })
    const user = await t.createUser(off.id)
    assert.equal((await t.signIn(user.username, user.password)).body.state, 'completed')
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'required' })
    const forced = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(forced.json().state, 'awaiting_enrolment')
    assert.equal(forced.json().reason, 'user_override_required')
    assert.equal((await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { locked: false })).statusCode, 400, 'IV-07: unknown fields are refused')
  })

  it('F-POL-3: staff users have their own "Sign in with two-factor authentication" switch', async () => {
    const created = await t.admin('POST', '/api/v1/admin/staff', { username: 'ops-anna', email: 'anna@operator.example', password: 'operator password 1', twoFactor: false })
    assert.equal(created.statusCode, 201)
    const staff = created.json()
    assert.deepEqual(staff.secondFactor, { required: false, reason: 'staff_switch_off' })
    const { jar, body } = await t.signIn('ops-anna', 'operator password 1')
    assert.equal(body.state, 'completed')
    assert.equal(body.session.account.organisation, null)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/admin/organisations')).statusCode, 200, 'staff reach every organisation')
    await t.admin('PATCH', `/api/v1/admin/users/${staff.id}`, { staffTwoFactor: true })
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: 'ops-anna', password: 'operator password 1' } })
    assert.equal(again.json().state, 'awaiting_enrolment')
    assert.equal(again.json().reason, 'staff_switch_on')
    const list = (await t.admin('GET', '/api/v1/admin/staff')).json()
    assert.ok(list.some((u: { username: string; staffTwoFactor: boolean }) => u.username === 'ops-anna' && u.staffTwoFactor))
  })

  it('F-POL-5: an admin removes a user’s device; the user can then enrol again', async () => {
    const { org, admin } = await orgWithAdmin()
    const user = await t.createUser(org.id)
    const { jar } = await t.signIn(user.username, user.password)
    const { deviceId } = await t.linkTotp(jar)
    t.nextStep()
    assert.equal((await t.browser(admin.jar, 'DELETE', `/api/v1/admin/users/${user.id}/devices/${deviceId}`)).statusCode, 204)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401, 'the user’s sessions end')
    const next = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(next.json().state, 'awaiting_enrolment')
  })

  it('F-POL-6: the audit log records who, what, when and from where, filtered and newest first', async () => {
    const { org, admin } = await orgWithAdmin()
    const user = await t.createUser(org.id)
    await t.browser(admin.jar, 'POST', `/api/v1/admin/users/${user.id}/unlock`)
    const log = await t.browser(admin.jar, 'GET', `/api/v1/admin/audit?account=${user.id}`)
    assert.equal(log.statusCode, 200)
    const events = log.json()
    assert.deepEqual(events.map((e: { event: string }) => e.event), ['account.unlocked', 'account.created'])
    assert.equal(events[0].actor.startsWith('account:'), true)
    assert.equal(events[0].ip, '127.0.0.1')
    assert.equal(events[0].userAgent, 'test-browser')
    const filtered = (await t.browser(admin.jar, 'GET', `/api/v1/admin/audit?event=account.created&limit=1`)).json()
    assert.equal(filtered.length, 1)
    assert.equal(filtered[0].organisationId, org.id, 'an organisation admin sees their own organisation’s events')
    assert.equal((await t.browser(admin.jar, 'GET', '/api/v1/admin/audit?limit=0')).statusCode, 400)
  })

  it('F-INT-3: tokens made by `countersign token create` are stored hashed and may be scoped to one organisation', async () => {
    const a = await t.createOrganisation()
    const b = await t.createOrganisation()
    const scoped = await createApiToken(t.ctx, { name: 'provisioning', organisationSlug: a.slug, createdBy: 'cli' })
    const call = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${scoped.token}` } })
    assert.equal((await call(`/api/v1/admin/organisations/${a.id}/users`)).statusCode, 200)
    assert.equal((await call(`/api/v1/admin/organisations/${b.id}/users`)).statusCode, 403)
    const stored = await t.ctx.store.apiTokens.get(scoped.id)
    assert.ok(stored && !scoped.token.includes(stored.secretHash.toString('base64url')))
    const staff = await createApiToken(t.ctx, { name: 'ops', createdBy: 'cli' })
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/organisations', headers: { authorization: `Bearer ${staff.token}` }, payload: { slug: 'via-token', name: 'Via token' } })
    assert.equal(created.statusCode, 201)
    void totpCode
  })
})
