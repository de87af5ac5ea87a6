import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startSmtpServer } from '../test-support/fake-providers.js'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/*
 * Sessions and users over their life (issue 17): one's own sessions and the organisation's limits
 * (SC-07, SC-12), an admin's "sign out everywhere", deactivation, and erasure.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>
let t: TestApp
let org: { id: string; slug: string }

before(async () => {
  smtp = await startSmtpServer()
  t = await startTestApp({ COUNTERSIGN_SMTP_URL: smtp.url })
  org = await t.createOrganisation({ policy: 'required' })
})
after(async () => {
  await t.close()
  await smtp.close()
})

/** Signs the user in again in a new browser with its own user agent; returns the jar. */
async function anotherBrowser(user: { username: string; password: string; secret: string }, agent: string) {
  t.nextStep()
  const jar = new CookieJar()
  const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password }, { 'user-agent': agent })
  assert.equal(first.json().state, 'awaiting_second_factor')
  const second = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) }, { 'user-agent': agent })
  assert.equal(second.statusCode, 200, second.body)
  return jar
}

describe('My sessions (SC-12)', () => {
  it('SC-12: the list marks this browser, shows where and when each signed in, and one can end another or all others', async () => {
    const user = await t.enrolledUser(org.id)
    const laptop = await anotherBrowser(user, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0')
    const phone = await anotherBrowser(user, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1')
    const tablet = await anotherBrowser(user, 'Mozilla/5.0 (iPad) Safari/604.1')
    const list = (await t.browser(laptop, 'GET', '/api/v1/account/sessions')).json()
    assert.deepEqual([list.idleMinutes, list.maxHours], [60, 24])
    const mine = list.sessions.filter((s: { current: boolean }) => s.current)
    assert.equal(mine.length, 1)
    assert.match(mine[0].userAgent, /Firefox/)
    assert.deepEqual(mine[0].amr, ['pwd', 'otp', 'mfa'])
    const phoneSession = list.sessions.find((s: { userAgent: string }) => /iPhone/.test(s.userAgent))
    assert.ok(phoneSession && phoneSession.ip && phoneSession.signedInAt && phoneSession.lastSeenAt && phoneSession.expiresAt)

    assert.equal((await t.browser(laptop, 'DELETE', `/api/v1/account/sessions/${phoneSession.id}`)).statusCode, 204)
    assert.equal((await t.browser(phone, 'GET', '/api/v1/session')).statusCode, 401, 'the phone is signed out')
    assert.equal((await t.browser(tablet, 'GET', '/api/v1/session')).statusCode, 200)

    const ended = await t.browser(laptop, 'POST', '/api/v1/account/sessions/end-others')
    assert.ok(ended.json().ended >= 1)
    assert.equal((await t.browser(tablet, 'GET', '/api/v1/session')).statusCode, 401)
    assert.equal((await t.browser(laptop, 'GET', '/api/v1/session')).statusCode, 200, 'this browser stays signed in')
    const events = (await t.auditEvents({ account: user.id })).map((e) => e.event)
    assert.ok(events.includes('session.ended') && events.includes('session.others_ended'))
  })

  it('SC-12: nobody ends another account’s session by its id; ending one’s own current session signs out', async () => {
    const user = await t.enrolledUser(org.id)
    const other = await t.enrolledUser(org.id)
    const mine = await anotherBrowser(user, 'Firefox')
    const theirs = await anotherBrowser(other, 'Firefox')
    const theirId = (await t.browser(theirs, 'GET', '/api/v1/account/sessions')).json().sessions.find((s: { current: boolean }) => s.current).id
    assert.equal((await t.browser(mine, 'DELETE', `/api/v1/account/sessions/${theirId}`)).statusCode, 404)
    assert.equal((await t.browser(theirs, 'GET', '/api/v1/session')).statusCode, 200)
    const myId = (await t.browser(mine, 'GET', '/api/v1/account/sessions')).json().sessions.find((s: { current: boolean }) => s.current).id
    const out = await t.browser(mine, 'DELETE', `/api/v1/account/sessions/${myId}`)
    assert.equal(out.statusCode, 204)
    assert.equal(mine.get('cs_session'), undefined, 'the cookie is cleared')
  })

  it('SC-07: the organisation’s idle timeout and absolute lifetime end sessions a second after they are due', async () => {
    const brisk = await t.createOrganisation({ policy: 'required' })
    const patched = await t.admin('PATCH', `/api/v1/admin/organisations/${brisk.id}`, { sessionIdleMinutes: 5, sessionMaxHours: 1 })
    assert.deepEqual([patched.json().sessionIdleMinutes, patched.json().sessionMaxHours], [5, 1])
    for (const bad of [{ sessionIdleMinutes: 4 }, { sessionIdleMinutes: 721 }, { sessionMaxHours: 0 }, { sessionMaxHours: 721 }]) {
      assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${brisk.id}`, bad)).statusCode, 400, JSON.stringify(bad))
    }
    const user = await t.enrolledUser(brisk.id)
    const idle = await anotherBrowser(user, 'Firefox')
    assert.deepEqual(
      [(await t.browser(idle, 'GET', '/api/v1/account/sessions')).json().idleMinutes, (await t.browser(idle, 'GET', '/api/v1/account/sessions')).json().maxHours],
      [5, 1],
    )
    t.clock.advance(5 * 60_000 + 1000)
    assert.equal((await t.browser(idle, 'GET', '/api/v1/session')).statusCode, 401, 'idle 5 minutes + 1 s')

    const busy = await anotherBrowser(user, 'Firefox')
    for (let minute = 0; minute < 60; minute += 4) {
      t.clock.advance(4 * 60_000)
      if (minute + 4 < 60) assert.equal((await t.browser(busy, 'GET', '/api/v1/session')).statusCode, 200, `active at ${minute + 4} min`)
    }
    t.clock.advance(1000)
    assert.equal((await t.browser(busy, 'GET', '/api/v1/session')).statusCode, 401, 'an hour + 1 s after sign-in, however active')

    // Shortened limits count for sessions already open.
    await t.admin('PATCH', `/api/v1/admin/organisations/${brisk.id}`, { sessionMaxHours: 24, sessionIdleMinutes: 720 })
    const longLived = await anotherBrowser(user, 'Firefox')
    t.clock.advance(2 * 3_600_000)
    assert.equal((await t.browser(longLived, 'GET', '/api/v1/session')).statusCode, 200)
    await t.admin('PATCH', `/api/v1/admin/organisations/${brisk.id}`, { sessionMaxHours: 1 })
    assert.equal((await t.browser(longLived, 'GET', '/api/v1/session')).statusCode, 401, 'two hours old, the new limit is one')
  })
})

describe('An admin and a user’s account (F-POL-5, SC-12)', () => {
  it('SC-12: an admin sees the user’s sessions and signs the user out everywhere at once', async () => {
    const user = await t.enrolledUser(org.id)
    const one = await anotherBrowser(user, 'Firefox')
    const two = await anotherBrowser(user, 'Chrome')
    const sessions = (await t.admin('GET', `/api/v1/admin/users/${user.id}/sessions`)).json()
    assert.ok(sessions.sessions.length >= 2)
    assert.ok(sessions.sessions.every((s: { current: boolean }) => !s.current))
    const ended = await t.admin('POST', `/api/v1/admin/users/${user.id}/sessions/end`)
    assert.equal(ended.statusCode, 200)
    assert.ok(ended.json().ended >= 2)
    for (const jar of [one, two]) assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401)
    const forward = await t.browser(one, 'GET', '/api/v1/forward-auth', undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/' })
    assert.notEqual(forward.statusCode, 200, 'forward auth lets nobody through')
  })

  it('deactivation: sessions end, the password step answers as for a wrong password, reactivation lets the user back', async () => {
    const user = await t.enrolledUser(org.id)
    const jar = await anotherBrowser(user, 'Firefox')
    const deactivated = await t.admin('POST', `/api/v1/admin/users/${user.id}/deactivate`)
    assert.equal(deactivated.statusCode, 200)
    assert.equal(deactivated.json().status, 'deactivated')
    assert.ok(deactivated.json().deactivatedAt)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401)
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.deepEqual([refused.statusCode, refused.json().error.code], [401, 'CREDENTIALS_INVALID'])
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/deactivate`)).statusCode, 200, 'repeating it changes nothing')
    const reactivated = await t.admin('POST', `/api/v1/admin/users/${user.id}/reactivate`)
    assert.deepEqual([reactivated.json().status, reactivated.json().deactivatedAt], ['active', null])
    const back = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(back.json().state, 'awaiting_second_factor', 'devices kept: the second factor is asked as before')
    const events = (await t.auditEvents({ account: user.id })).map((e) => e.event)
    assert.ok(events.includes('account.deactivated') && events.includes('account.reactivated'))
  })

  it('RB-01: an organisation admin acts on their own organisation only, never on themselves; staff accounts are out of their reach', async () => {
    const admin = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${admin.id}`, { role: 'admin' })
    const jar = await anotherBrowser(admin, 'Firefox')
    const elsewhere = await t.createOrganisation()
    const stranger = await t.createUser(elsewhere.id)
    for (const [method, path] of [['POST', 'deactivate'], ['POST', 'sessions/end'], ['GET', 'sessions'], ['POST', 'password-reset']] as const) {
      assert.equal((await t.browser(jar, method, `/api/v1/admin/users/${stranger.id}/${path}`)).statusCode, 404, `another organisation: ${path}`)
    }
    assert.equal((await t.browser(jar, 'DELETE', `/api/v1/admin/users/${stranger.id}`)).statusCode, 404)
    assert.equal((await t.browser(jar, 'POST', `/api/v1/admin/users/${admin.id}/deactivate`)).statusCode, 403, 'not themselves')
    assert.equal((await t.browser(jar, 'DELETE', `/api/v1/admin/users/${admin.id}`)).statusCode, 403)
  })

  it('an admin’s change of a user’s e-mail address tells the old address as well as the new one', async () => {
    const user = await t.createUser(org.id)
    const oldAddress = `${user.username}@example.test`
    const newAddress = `${user.username}.new@example.test`
    assert.equal((await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { email: newAddress })).statusCode, 200)
    await smtp.waitFor(() => smtp.to(oldAddress).some((m) => /changed to another address/.test(m.parsed.text ?? '')))
    await smtp.waitFor(() => smtp.to(newAddress).some((m) => /e-mail address of your account was changed/.test(m.parsed.text ?? '')))
  })

  it('erasure: the user and their personal data go; the audit keeps its events under a pseudonym, and the deletion itself', async () => {
    const user = await t.enrolledUser(org.id)
    await anotherBrowser(user, 'Firefox')
    const email = `${user.username}@example.test`
    await t.ctx.store.outbox.append({ channel: 'email', to: email, subject: 'Hello', text: 'a message', sentAt: t.clock.now() })
    assert.equal((await t.admin('DELETE', `/api/v1/admin/users/${user.id}`)).statusCode, 204)

    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).statusCode, 404)
    assert.equal(await t.ctx.store.accounts.get(user.id), undefined)
    assert.deepEqual(await t.ctx.store.devices.listActive(user.id), [])
    assert.deepEqual(await t.ctx.store.sessions.listForAccount(user.id), [])
    assert.deepEqual(await t.ctx.store.outbox.list(email, 10), [])

    const events = await t.ctx.store.audit.list({ accountId: user.id, limit: 100 })
    assert.ok(events.length > 3, 'the events stay')
    const text = JSON.stringify(events.map((e) => e.details))
    assert.ok(!text.includes(user.username) && !text.includes(email), 'no user name or address left in them')
    assert.ok(text.includes(`deleted-user-${user.id}`))
    assert.equal(events[0]?.event, 'account.deleted')
    assert.equal((await t.admin('DELETE', `/api/v1/admin/users/${user.id}`)).statusCode, 404)

    const again = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/users`, { username: user.username, email, password: 'quiet copper meadow' })
    assert.equal(again.statusCode, 201, 'the name is free again')
  })
})
