import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { passwordResetsSettled } from './routes/lifecycle.js'
import { startSmtpServer } from '../test-support/fake-providers.js'
import { CookieJar, countVerifications, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/*
 * Passwords over an account's life (issue 17): changing one's own (SC-09), "Forgot your password?"
 * (RB-04, EN-03, IV-02), an admin's reset link and "a new password at next sign-in", and the
 * rules every new password meets (NIST SP 800-63B §3.1.1.2). Mail goes through a real SMTP server.
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

const emailOf = (user: { username: string }) => `${user.username}@example.test`

/** The token of the newest reset link mailed to `address`, read from the text part. */
function resetTokenFor(address: string): string {
  const mail = smtp.to(address).at(-1)
  const token = /\/password-reset#token=([A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43})/.exec(mail?.parsed.text ?? '')?.[1]
  if (!token) throw new Error(`no reset link mailed to ${address}`)
  return token
}

let requests = 0
/** Asks for a reset link, each from its own address unless told (five a minute per address), and waits for the work behind the 202. */
async function requestReset(body: unknown, ip = `198.51.100.${++requests % 250}`) {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/password-reset', payload: body as object, remoteAddress: ip })
  await passwordResetsSettled()
  return response
}

const complete = (token: string, newPassword: string) => t.app.inject({ method: 'POST', url: '/api/v1/password-reset/complete', payload: { token, newPassword } })

describe('Password change (SC-09)', () => {
  it('SC-09: a change needs the current password; this session stays, every other session and remembered browser ends, and the user is e-mailed', async () => {
    const user = await t.enrolledUser(org.id)
    const here = await t.signIn(user.username, user.password, user.secret)
    t.nextStep()
    const elsewhere = new CookieJar()
    await t.browser(elsewhere, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const remembered = await t.browser(elsewhere, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
    assert.equal(remembered.statusCode, 200, remembered.body)
    assert.ok(elsewhere.get('cs_remember'))

    const wrong = await t.browser(here.jar, 'PUT', '/api/v1/account/password', { currentPassword: 'not my password', newPassword: 'violet lantern harbour' })
    assert.equal(wrong.statusCode, 401)
    assert.equal(wrong.json().error.code, 'CREDENTIALS_INVALID')

    const changed = await t.browser(here.jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: 'violet lantern harbour' })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.equal(changed.json().endedSessions, 2, 'the other browser’s, and the one the user enrolled in')
    assert.equal((await t.browser(here.jar, 'GET', '/api/v1/session')).statusCode, 200, 'this session stays')
    assert.equal((await t.browser(elsewhere, 'GET', '/api/v1/session')).statusCode, 401, 'the other one ended')
    assert.equal((await t.ctx.store.rememberedBrowsers.list(user.id)).length, 0, 'remembered browsers are void')

    const old = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(old.statusCode, 401, 'the old password no longer works')
    const fresh = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: 'violet lantern harbour' } })
    assert.equal(fresh.json().state, 'awaiting_second_factor')
    await smtp.waitFor(() => smtp.to(emailOf(user)).some((m) => /password of your account was changed/.test(m.parsed.text ?? '')))
    const events = (await t.auditEvents({ account: user.id })).map((e) => e.event)
    assert.ok(events.includes('password.changed') && events.includes('password.change_failed'))
  })

  it('SC-14: more than 10 minutes after sign-in a change asks to confirm it is you first', async () => {
    const user = await t.enrolledUser(org.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    t.clock.advance(11 * 60_000)
    const refused = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: 'violet lantern harbour' })
    assert.equal(refused.statusCode, 403)
    assert.equal(refused.json().error.code, 'REAUTHENTICATION_REQUIRED')
  })

  it('NIST 800-63B: a refused new password is explained in words, before any hashing; long Unicode passphrases pass', async () => {
    const user = await t.enrolledUser(org.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const hashes = { count: 0 }
    const originalHash = t.ctx.hasher.hash
    t.ctx.hasher.hash = (password) => {
      hashes.count++
      return originalHash(password)
    }
    const verifications = countVerifications(t)
    try {
      const cases: Array<[string, string]> = [
        ['short pass', 'too_short'],
        ['123456789012', 'common'],
        ['password1234', 'similar_to_common'],
        ['P@ssw0rd2024!', 'similar_to_common'],
        ['Summer2024!!', 'guessable'],
        [`${user.username}-spring-2026!`, 'personal'],
        ['countersign2026', 'personal'],
        ['aaaaaaaaaaaaaaaa', 'repeated'],
        ['abcdefghijklmnop', 'sequence'],
        ['asdfghjkl;asdfgh', 'sequence'],
        [user.password, 'same_as_current'],
      ]
      for (const [newPassword, reason] of cases) {
        const answer = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword })
        assert.equal(answer.statusCode, 422, `${newPassword}: ${answer.body}`)
        assert.equal(answer.json().error.code, 'PASSWORD_REJECTED')
        assert.equal(answer.json().error.reason, reason, newPassword)
        assert.ok(answer.json().error.message.length > 30, 'a sentence, not a code')
      }
      const short = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: 'short pass' })
      assert.match(short.json().error.message, /at least 12 characters/)
      const dutch = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: '123456789012' }, { 'accept-language': 'nl' })
      assert.match(dutch.json().error.message, /meest gebruikte wachtwoorden/)
      const tooLong = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: 'ä'.repeat(257) })
      assert.equal(tooLong.statusCode, 400, 'over 256 characters is a malformed request')
      assert.equal(tooLong.json().error.field, 'newPassword')
      assert.equal(hashes.count + verifications.count, 0, 'no refused password was ever hashed, nor the current one checked')
    } finally {
      t.ctx.hasher.hash = originalHash
      verifications.restore()
    }
    const unicode = 'ﬁve ｗｉｄｅ words 🦊 über den Fluss'
    const accepted = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: unicode })
    assert.equal(accepted.statusCode, 200, accepted.body)
    const nfkc = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: unicode.normalize('NFKC') } })
    assert.equal(nfkc.json().state, 'awaiting_second_factor', 'IV-04: the NFKC form of the new password signs in')
  })

  it('an organisation may ask for longer passwords (8 to 64); the admin’s own passwords for users meet the same rules', async () => {
    const strict = await t.createOrganisation({ policy: 'required' })
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${strict.id}`, { minPasswordLength: 20 })).json().minPasswordLength, 20)
    assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${strict.id}`, { minPasswordLength: 7 })).statusCode, 400)
    const refused = await t.admin('POST', `/api/v1/admin/organisations/${strict.id}/users`, { username: 'strict-user', email: 'strict@example.test', password: 'violet lantern' })
    assert.equal(refused.statusCode, 422)
    assert.deepEqual([refused.json().error.reason, refused.json().error.minLength], ['too_short', 20])
    const common = await t.admin('POST', `/api/v1/admin/organisations/${strict.id}/users`, { username: 'strict-user', email: 'strict@example.test', password: 'passwordpasswordpassword' })
    assert.equal(common.json().error.reason, 'repeated')
    const created = await t.admin('POST', `/api/v1/admin/organisations/${strict.id}/users`, { username: 'strict-user', email: 'strict@example.test', password: 'violet lantern over the harbour' })
    assert.equal(created.statusCode, 201, created.body)
  })
})

describe('Forgot your password? (RB-04, EN-03)', () => {
  it('RB-04: the link goes to the stored address, works once, never signs in, and the next sign-in still asks for the second factor; every session ends', async () => {
    const user = await t.enrolledUser(org.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const answer = await requestReset({ username: user.username.toUpperCase() })
    assert.equal(answer.statusCode, 202)
    const token = resetTokenFor(emailOf(user))
    const mail = smtp.to(emailOf(user)).at(-1)!
    assert.match(mail.parsed.text ?? '', /30 minutes/)
    assert.ok(!(mail.parsed.text ?? '').includes('?token='), 'the secret rides in the fragment, never in a query string')

    const weak = await complete(token, 'password1234')
    assert.equal(weak.statusCode, 422, 'a refused password leaves the link usable')
    const done = await complete(token, 'quiet copper meadow')
    assert.equal(done.statusCode, 200, done.body)
    assert.deepEqual(done.json(), { username: user.username })
    assert.equal(done.headers['set-cookie'], undefined, 'a reset never signs in')
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401, 'sessions opened with the old password ended')

    const again = await complete(token, 'another fine passphrase')
    assert.equal(again.statusCode, 400)
    assert.equal(again.json().error.code, 'RESET_LINK_INVALID', 'used once')

    const signIn = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: 'quiet copper meadow' } })
    assert.equal(signIn.json().state, 'awaiting_second_factor', 'the second factor is still asked')
    await smtp.waitFor(() => smtp.to(emailOf(user)).some((m) => /reset with a link/.test(m.parsed.text ?? '')))
  })

  it('RB-04: only the newest link works, and a link lasts 30 minutes', async () => {
    const user = await t.createUser(org.id)
    await requestReset({ username: user.username })
    const first = resetTokenFor(emailOf(user))
    await requestReset({ email: emailOf(user).toUpperCase() })
    const second = resetTokenFor(emailOf(user))
    assert.notEqual(first, second)
    assert.equal((await complete(first, 'quiet copper meadow')).json().error.code, 'RESET_LINK_INVALID', 'the older link was replaced')
    t.clock.advance(30 * 60_000)
    assert.equal((await complete(second, 'quiet copper meadow')).json().error.code, 'RESET_LINK_INVALID', 'expired after 30 minutes')
    const garbage = await complete('not-a-token', 'quiet copper meadow')
    assert.deepEqual([garbage.statusCode, garbage.json().error.code], [400, 'RESET_LINK_INVALID'])

    await requestReset({ username: user.username })
    const beforeDeactivation = resetTokenFor(emailOf(user))
    await t.admin('POST', `/api/v1/admin/users/${user.id}/deactivate`)
    const refused = await complete(beforeDeactivation, 'quiet copper meadow')
    assert.deepEqual([refused.statusCode, refused.json().error.code], [400, 'RESET_LINK_INVALID'], 'a deactivated account’s link: the same one error')
    assert.equal(refused.body, garbage.body)
  })

  it('EN-03: unknown names and addresses, known ones, deactivated users get the same answer, byte for byte', async () => {
    const known = await t.createUser(org.id)
    const deactivated = await t.createUser(org.id)
    await t.admin('POST', `/api/v1/admin/users/${deactivated.id}/deactivate`)
    const answers = [
      await requestReset({ username: 'nobody-at-all' }),
      await requestReset({ username: known.username }),
      await requestReset({ email: 'nobody@example.test' }),
      await requestReset({ email: emailOf(known) }),
      await requestReset({ username: deactivated.username }),
    ]
    for (const answer of answers) {
      assert.equal(answer.statusCode, 202)
      assert.equal(answer.body, answers[0]!.body)
      assert.deepEqual(Object.keys(answer.headers).sort(), Object.keys(answers[0]!.headers).sort())
    }
    assert.equal(smtp.to(emailOf(deactivated)).length, 0, 'a deactivated account gets no link')
    assert.equal(smtp.to('nobody@example.test').length, 0)
  })

  it('IV-02 CVE-2023-7028: arrays, objects, two fields or a second address are refused with 400 and nothing is sent', async () => {
    const user = await t.createUser(org.id)
    const before = smtp.mails.length
    const bodies: unknown[] = [
      { email: [emailOf(user), 'attacker@evil.example'] },
      { username: [user.username] },
      { username: { $ne: null } },
      { username: user.username, email: 'attacker@evil.example' },
      { email: `${emailOf(user)},attacker@evil.example` },
      {},
    ]
    for (const body of bodies) {
      const answer = await requestReset(body)
      assert.equal(answer.statusCode, 400, JSON.stringify(body))
      assert.equal(answer.json().error.code, 'INVALID_REQUEST')
    }
    assert.equal(smtp.mails.length, before, 'no mail to anyone')
    const completion = await t.app.inject({ method: 'POST', url: '/api/v1/password-reset/complete', payload: { token: ['a', 'b'], newPassword: 'quiet copper meadow' } })
    assert.equal(completion.statusCode, 400)
  })

  it('caps: three links an hour per account, whoever asks; five requests a minute per address', async () => {
    const user = await t.createUser(org.id)
    for (let i = 0; i < 5; i++) await requestReset({ username: user.username }, `203.0.113.${i + 1}`)
    assert.equal(smtp.to(emailOf(user)).length, 3, 'the fourth and fifth were dropped without a word')
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await requestReset({ username: `someone-${i}` }, '192.0.2.99')).statusCode)
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429])
  })

  it('an organisation that turned self-service off: the e-mail says to ask an admin; an admin’s link still works, and admins can be told of every reset', async () => {
    const closed = await t.createOrganisation({ policy: 'off' })
    await t.admin('PATCH', `/api/v1/admin/organisations/${closed.id}`, { selfServicePasswordReset: false, notifyAdminsOfPasswordReset: true })
    const admin = await t.createUser(closed.id, { role: 'admin' })
    const user = await t.createUser(closed.id)
    await requestReset({ username: user.username })
    const mail = smtp.to(emailOf(user)).at(-1)
    assert.match(mail?.parsed.text ?? '', /ask your administrator/)
    assert.ok(!(mail?.parsed.text ?? '').includes('#token='), 'no link')

    const sent = await t.admin('POST', `/api/v1/admin/users/${user.id}/password-reset`)
    assert.equal(sent.statusCode, 202)
    assert.match(sent.json().sentTo, /•/)
    assert.equal((await complete(resetTokenFor(emailOf(user)), 'quiet copper meadow')).statusCode, 200)
    await smtp.waitFor(() => smtp.to(emailOf(admin)).some((m) => /reset with a link/.test(m.parsed.text ?? '')))
  })
})

describe('A new password at next sign-in', () => {
  it('the session says so, every other route answers 403 PASSWORD_CHANGE_REQUIRED until the password is changed, and forward auth lets nobody through', async () => {
    const user = await t.enrolledUser(org.id)
    assert.equal((await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { requirePasswordChange: true })).json().passwordChangeRequired, true)
    const { jar, body } = await t.signIn(user.username, user.password, user.secret)
    assert.equal(body.session.passwordChangeRequired, true)
    const blocked = await t.browser(jar, 'GET', '/api/v1/account/activity')
    assert.deepEqual([blocked.statusCode, blocked.json().error.code], [403, 'PASSWORD_CHANGE_REQUIRED'])
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).statusCode, 200)
    const forward = await t.browser(jar, 'GET', '/api/v1/forward-auth', undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/' })
    assert.notEqual(forward.statusCode, 200)
    const changed = await t.browser(jar, 'PUT', '/api/v1/account/password', { currentPassword: user.password, newPassword: 'quiet copper meadow' })
    assert.equal(changed.statusCode, 200, changed.body)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/account/activity')).statusCode, 200)
    assert.equal((await t.browser(jar, 'GET', '/api/v1/session')).json().passwordChangeRequired, false)
  })
})
