import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { fillSignIn, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

interface Person {
  id: string
  username: string
  password: string
  secret?: string
}

/**
 * The account lifecycle in Chromium (issue 17): "Forgot your password?" and the e-mailed link
 * (RB-04), changing one's password (SC-09), seeing and ending sessions (SC-12), and what an
 * administrator does over a user's life: a reset link, a new password required, "Sign out
 * everywhere", deactivation and deletion (F-POL-5), with the organisation's password and session
 * settings; and the lock said on the attempt that locks (F-LOGIN-4).
 */
describe('Account lifecycle: passwords, sessions, deactivation (issue 17)', () => {
  let w: WebApp
  let org: { id: string }
  let orgAdmin: Person

  /** An organisation admin with an authenticator app linked. */
  async function adminOf(orgId: string): Promise<Person> {
    const admin = await w.t.createUser(orgId, { role: 'admin' })
    const { jar } = await w.t.signIn(admin.username, admin.password)
    const { secret } = await w.t.linkTotp(jar)
    w.t.nextStep()
    return { ...admin, secret }
  }

  const codeOf = (person: Person) => () => totpCode(person.secret!, w.t.clock.now())

  /** A user with an app linked and no session yet (linking it through the API left one behind). */
  async function freshUser(orgId: string): Promise<Person> {
    const user = await w.t.enrolledUser(orgId)
    const ended = await w.t.admin('POST', `/api/v1/admin/users/${user.id}/sessions/end`)
    assert.equal(ended.statusCode, 200, ended.body)
    return user
  }

  /** Signs a person in through the pages (a fresh app code when they have an app) and waits for where they land. */
  async function signIn(page: Page, person: Person, landing: RegExp = /\/account\/security$/) {
    w.t.nextStep()
    await signInWithPages(page, person, person.secret ? codeOf(person) : undefined)
    await page.waitForURL(landing)
  }

  async function newPage(options: { language?: 'en' | 'nl'; mobile?: boolean } = {}): Promise<Page> {
    return (await w.context(options)).newPage()
  }

  /** A browser that says it is Safari on an iPhone, so the sessions list can tell it apart. */
  async function iphone(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await w.browser.newContext({
      baseURL: w.base,
      locale: 'en-GB',
      extraHTTPHeaders: { 'accept-language': 'en-GB,en;q=0.9' },
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    })
    context.setDefaultTimeout(10_000)
    return { context, page: await context.newPage() }
  }

  /** The messages the development outbox holds for an address, newest first. */
  async function outbox(to: string): Promise<Array<{ subject: string | null; text: string }>> {
    return (await w.t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(to)}` })).json()
  }

  /** Waits for the next e-mail to an address (reset e-mails go out after the 202 answer). */
  async function nextMail(to: string, before: number): Promise<{ subject: string | null; text: string }> {
    for (let i = 0; i < 100; i++) {
      const messages = await outbox(to)
      if (messages.length > before) return messages[0]!
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`no new e-mail to ${to}`)
  }

  /** The reset link in an e-mail, as the user would click it. */
  function linkIn(text: string): string {
    const link = /(https?:\/\/\S+\/password-reset#token=\S+)/.exec(text)?.[1]
    assert.ok(link, `a reset link in: ${text}`)
    return link
  }

  /** "Forgot your password?" from the sign-in page, for a user name or an address. */
  async function askForLink(page: Page, identifier: string) {
    // Five requests a minute per IP address: every test here starts a minute later.
    w.t.clock.advance(61_000)
    await page.goto('/sign-in')
    await page.getByRole('link', { name: /^(Forgot your password\?|Wachtwoord vergeten\?)$/ }).click()
    await page.waitForURL(/\/forgot-password$/)
    await page.getByLabel(/^(User name or e-mail address|Gebruikersnaam of e-mailadres)$/).fill(identifier)
    await page.getByRole('button', { name: /^(Send me a link|Stuur mij een link)$/ }).click()
  }

  const emailOf = (person: Person) => `${person.username}@example.test`
  const passwordCard = (page: Page) => page.getByRole('region', { name: 'Password', exact: true })
  const sessionsCard = (page: Page) => page.getByRole('region', { name: 'Sessions', exact: true })

  /** The users-list row of one user (by the exact link to their page). */
  function rowOf(page: Page, username: string) {
    return page.getByRole('row').filter({ has: page.getByRole('link', { name: username, exact: true }) })
  }

  async function openUserAsAdmin(user: Person): Promise<Page> {
    const page = await newPage()
    await signIn(page, orgAdmin)
    await page.goto(`/admin/users/${user.id}`)
    await page.getByRole('heading', { level: 1, name: new RegExp(`^User ${user.username}`) }).waitFor()
    return page
  }

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ name: 'Harbour Clinic', policy: 'required' })
    orgAdmin = await adminOf(org.id)
  })
  after(() => w.close())

  test('RB-04: "Forgot your password?" says the same for everyone; the e-mailed link asks for a new password, explains a weak one in words, and the next sign-in still asks for the second factor', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const page = await newPage()
    const before = (await outbox(emailOf(user))).length
    await askForLink(page, emailOf(user))
    const sent = page.getByRole('status').filter({ hasText: 'If an account matches, we have sent a link to its e-mail address. The link works for 30 minutes' })
    await sent.waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'lifecycle-forgot-sent')

    // Nobody by that name: the very same words (EN-03).
    const stranger = await newPage()
    await askForLink(stranger, 'nobody-by-this-name')
    await stranger.getByRole('heading', { name: 'Check your e-mail' }).waitFor()
    assert.equal(await stranger.locator('main').innerText(), await page.locator('main').innerText())

    const mail = await nextMail(emailOf(user), before)
    const link = linkIn(mail.text)
    assert.ok(link.startsWith(`${w.base}/password-reset#token=`))

    await page.goto(link)
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    assert.doesNotMatch(page.url(), /token/, 'the token leaves the address bar at once')
    const field = page.getByLabel('New password')
    assert.equal(await field.getAttribute('autocomplete'), 'new-password')
    await page.getByText('At least 12 characters, or more where your organisation asks; a few unrelated words work well.').waitFor()
    assert.deepEqual(await unlabelledFields(page), [])

    // A weak one: refused, with the reason in words at the field; what was typed stays.
    await field.fill('aaaaaaaaaaaa')
    await page.getByRole('button', { name: 'Save the new password' }).click()
    const refusal = page.locator('.field-invalid .field-error')
    await refusal.filter({ hasText: 'Repeated characters or words, such as "aaaa" or "abcabc", are easy to guess. Choose another.' }).waitFor()
    assert.equal(await field.getAttribute('aria-invalid'), 'true')
    assert.equal(await field.inputValue(), 'aaaaaaaaaaaa')
    await snapshot(page, 'lifecycle-reset-refused')

    // "Show password" shows what is typed, so no second field is needed.
    assert.equal(await field.getAttribute('type'), 'password')
    await page.getByRole('button', { name: 'Show password' }).click()
    assert.equal(await field.getAttribute('type'), 'text')
    await field.fill('violet kettle marching slowly')
    await page.getByRole('button', { name: 'Hide password' }).click()
    assert.equal(await field.getAttribute('type'), 'password')
    await page.getByRole('button', { name: 'Save the new password' }).click()
    await page.getByText('Your password is changed. Sign in with it; you will still be asked for your second factor.').waitFor()
    await page.getByText(`Your user name is ${user.username}.`).waitFor()
    await snapshot(page, 'lifecycle-reset-done')

    // The link worked once.
    const again = await newPage()
    await again.goto(link)
    await again.getByLabel('New password').fill('amber otter drifts north')
    await again.getByRole('button', { name: 'Save the new password' }).click()
    await again.getByRole('heading', { name: 'This link no longer works' }).waitFor()
    await again.getByText('has been used, has expired or has been replaced by a newer one').waitFor()
    await snapshot(again, 'lifecycle-reset-invalid')
    await again.getByRole('link', { name: 'Ask for a new link' }).click()
    await again.waitForURL(/\/forgot-password$/)

    // The reset did not sign in: the new password, then the second factor as always.
    await page.getByRole('link', { name: 'Sign in' }).click()
    await page.waitForURL(/\/sign-in$/)
    await fillSignIn(page, { username: user.username, password: 'violet kettle marching slowly' })
    await page.getByLabel('Code from your authenticator app').waitFor()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret!, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    const old = await w.t.browser(new CookieJar(), 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(old.statusCode, 401, 'the old password no longer works')
    assert.equal((await w.t.auditEvents({ account: user.id, event: 'password.reset' })).length, 1)
  })

  test('SC-09: changing the password on My Account keeps this browser signed in and signs out another; a wrong current password and a refused new one are said at their fields; an old sign-in confirms first', async () => {
    const user: Person = await freshUser(org.id)
    const page = await newPage()
    const other = await newPage()
    await signIn(page, user)
    await signIn(other, user)
    await page.reload()
    const card = passwordCard(page)
    await card.waitFor()
    await card.getByText('Changing your password signs you out everywhere else').waitFor()
    const current = card.getByLabel('Current password')
    const next = card.getByLabel('New password')
    assert.equal(await current.getAttribute('autocomplete'), 'current-password')
    assert.equal(await next.getAttribute('autocomplete'), 'new-password')

    await current.fill('not my password')
    await next.fill('violet kettle marching slowly')
    await card.getByRole('button', { name: 'Change password' }).click()
    await card.locator('.field-error').filter({ hasText: 'Your current password is not correct.' }).waitFor()
    assert.equal(await current.inputValue(), '', 'a wrong current password is cleared')
    assert.equal(await next.inputValue(), 'violet kettle marching slowly', 'the new one stays')

    await current.fill(user.password)
    await next.fill(user.password)
    await card.getByRole('button', { name: 'Change password' }).click()
    await card.locator('.field-error').filter({ hasText: 'The new password must differ from your current one.' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'lifecycle-change-refused')

    // Signed in more than 10 minutes ago: "Confirm it is you", then the change carries on.
    w.t.clock.advance(11 * 60_000)
    await next.fill('pebble lantern orbit seven')
    await card.getByRole('button', { name: 'Change password' }).click()
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.getByLabel('Password').fill(user.password)
    await reauth.getByLabel('Code from your authenticator app').fill(totpCode(user.secret!, w.t.clock.now()))
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })
    await card.getByRole('status').filter({ hasText: 'Your password is changed. You stay signed in here; 1 other session was signed out.' }).waitFor()
    assert.equal(await current.inputValue(), '')
    await snapshot(page, 'lifecycle-changed')

    // This browser stays; the other is signed out at its next request.
    await sessionsCard(page).getByText('You are signed in only in this browser.').waitFor()
    await other.reload()
    await other.waitForURL(/\/sign-in\?return=/)
    await page.reload()
    await passwordCard(page).waitFor()
    assert.match(page.url(), /\/account\/security$/)
    const events = await w.t.auditEvents({ account: user.id })
    assert.equal(events.filter((e) => e.event === 'password.changed').length, 1)
    assert.equal(events.filter((e) => e.event === 'password.change_failed').length, 1)
  })

  test('SC-12: the sessions list marks this browser, shows the others with their browser and the organisation’s limits in words; "Sign out" ends one, "Sign out everywhere else" the rest', async () => {
    const user: Person = await freshUser(org.id)
    const page = await newPage()
    await signIn(page, user)
    const phone = await iphone()
    await signIn(phone.page, user)
    w.t.nextStep()
    const { jar } = await w.t.signIn(user.username, user.password, user.secret)
    await page.reload()

    const card = sessionsCard(page)
    await card.getByText('A session ends after 60 minutes without use, and 24 hours after signing in.').waitFor()
    const items = card.getByRole('listitem')
    await items.nth(2).waitFor()
    assert.equal(await items.count(), 3)
    const mine = items.filter({ hasText: 'This browser' })
    assert.equal(await mine.count(), 1)
    await mine.getByText('Chrome on Linux').waitFor()
    assert.equal(await items.first().getByText('This browser').count(), 1, 'this browser comes first')
    assert.equal(await mine.getByRole('button', { name: /^Sign out/ }).count(), 0, 'this browser signs out with the button at the top')
    const iphoneItem = items.filter({ hasText: 'Safari on iOS' })
    for (const label of ['IP address', 'Signed in', 'Last active', 'Ends at']) await iphoneItem.getByText(label).first().waitFor()
    await iphoneItem.getByText('127.0.0.1').waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'lifecycle-sessions')

    await iphoneItem.getByRole('button', { name: /^Sign out Safari on iOS, last active / }).click()
    await card.getByRole('status').filter({ hasText: 'Safari on iOS is signed out.' }).waitFor()
    assert.equal(await items.filter({ hasText: 'Safari on iOS' }).count(), 0)
    await phone.page.reload()
    await phone.page.waitForURL(/\/sign-in\?return=/)

    await card.getByRole('button', { name: 'Sign out everywhere else' }).click()
    await card.getByRole('status').filter({ hasText: '1 other session is signed out.' }).waitFor()
    await card.getByText('You are signed in only in this browser.').waitFor()
    assert.equal((await w.t.browser(jar, 'GET', '/api/v1/session')).statusCode, 401, 'the session signed in elsewhere has ended')
    assert.equal((await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status))), 200, 'this one has not')
    await phone.context.close()
  })

  test('F-POL-5 SC-09: "Require a new password at next sign-in": the user lands on the change page after signing in, nothing else opens until it is changed, then they go on', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const admin = await openUserAsAdmin(user)
    const card = admin.getByRole('region', { name: 'Password', exact: true })
    const toggle = card.getByRole('switch', { name: 'Require a new password at next sign-in' })
    assert.equal(await toggle.isChecked(), false)
    await toggle.check()
    await card.getByRole('status').filter({ hasText: `${user.username} must choose a new password at the next sign-in.` }).waitFor()
    await admin.getByText('Must choose a new password at the next sign-in', { exact: true }).waitFor()
    assert.deepEqual(await unlabelledFields(admin), [])
    await snapshot(admin, 'lifecycle-admin-user')

    const page = await newPage()
    await signIn(page, user, /\/account\/password$/)
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    await page.getByText('Your administrator asks you to choose a new password before you go on.').waitFor()
    assert.equal(await page.getByRole('link', { name: 'My Account › Security' }).count(), 0, 'no way around it in the navigation')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'lifecycle-password-required')

    // Every other page, and the API behind them, leads back here.
    await page.goto('/account/security')
    await page.waitForURL(/\/account\/password$/)
    await page.goto('/admin')
    await page.waitForURL(/\/account\/password\?return=%2Fadmin$/)
    const refused = await page.evaluate(() => fetch('/api/v1/account/activity').then(async (r) => ({ status: r.status, body: await r.json() })))
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'PASSWORD_CHANGE_REQUIRED')

    await page.getByLabel('Current password').fill(user.password)
    await page.getByLabel('New password', { exact: true }).fill('amber otter drifts north')
    await page.getByRole('button', { name: 'Change password' }).click()
    // The return address (/admin) is not this user's; the guard sends them on to their own page.
    await page.waitForURL(/\/account\/security$/)
    await passwordCard(page).waitFor()
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.equal(session.passwordChangeRequired, false)

    await admin.reload()
    await admin.getByRole('heading', { level: 1, name: new RegExp(`^User ${user.username}`) }).waitFor()
    assert.equal(await toggle.isChecked(), false, 'done: the switch is off again')
  })

  test('F-POL-5: "Send a reset link" from the user’s page e-mails the user a link, and says where it went', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const before = (await outbox(emailOf(user))).length
    const admin = await openUserAsAdmin(user)
    const card = admin.getByRole('region', { name: 'Password', exact: true })
    await card.getByRole('button', { name: 'Send a reset link' }).click()
    await card.getByRole('status').filter({ hasText: /A reset link was sent to .+\. It works once, until / }).waitFor()
    const mail = await nextMail(emailOf(user), before)
    linkIn(mail.text)
  })

  test('F-POL-5 SC-12: "Deactivate" (asked first) signs the user out at once, their sign-in then fails like a wrong password; "Reactivate" lets them in again', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const userPage = await newPage()
    await signIn(userPage, user)

    const admin = await openUserAsAdmin(user)
    const sessions = admin.getByRole('region', { name: 'Sessions', exact: true })
    await sessions.getByRole('table', { name: 'Sessions' }).getByText('Chrome on Linux').first().waitFor()
    const lifecycle = admin.getByRole('region', { name: 'Deactivate or delete' })
    await lifecycle.getByRole('button', { name: 'Deactivate' }).click()
    const dialog = admin.getByRole('dialog', { name: `Deactivate ${user.username}?` })
    await dialog.getByText('can no longer sign in, and every session').waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    assert.equal((await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().status, 'active', 'Cancel changes nothing')

    await lifecycle.getByRole('button', { name: 'Deactivate' }).click()
    await dialog.getByRole('button', { name: 'Deactivate' }).click()
    await dialog.waitFor({ state: 'detached' })
    await lifecycle.getByRole('status').filter({ hasText: `${user.username} is deactivated and signed out everywhere.` }).waitFor()
    await admin.getByRole('heading', { level: 1, name: `User ${user.username} Deactivated` }).waitFor()
    await admin.getByText(/This account is deactivated since .+\. The user cannot sign in/).waitFor()
    await sessions.getByText(`${user.username} is not signed in anywhere.`).waitFor()
    await snapshot(admin, 'lifecycle-admin-deactivated')

    // The open session has ended.
    await userPage.reload()
    await userPage.waitForURL(/\/sign-in\?return=/)
    // Signing in says exactly what a wrong password says.
    await fillSignIn(userPage, user)
    const refusal = userPage.getByRole('alert')
    await refusal.filter({ hasText: 'The user name or password is not correct.' }).waitFor()
    assert.equal(await userPage.getByLabel('Code from your authenticator app').count(), 0)

    await admin.getByRole('link', { name: '← Harbour Clinic' }).click()
    await rowOf(admin, user.username).getByText('Deactivated', { exact: true }).waitFor()
    await admin.getByLabel('Show', { exact: true }).selectOption({ label: 'Deactivated' })
    await rowOf(admin, user.username).waitFor()
    assert.equal(await rowOf(admin, orgAdmin.username).count(), 0)

    await rowOf(admin, user.username).getByRole('link', { name: user.username, exact: true }).click()
    await lifecycle.getByRole('button', { name: 'Reactivate' }).click()
    await lifecycle.getByRole('status').filter({ hasText: `${user.username} can sign in again.` }).waitFor()
    await signIn(userPage, user)
  })

  test('F-POL-5: "Delete user" says it cannot be undone and what the audit keeps; after confirming, the user is gone from the list; an admin has no such buttons on their own page', async () => {
    const user: Person = await w.t.createUser(org.id)
    const admin = await openUserAsAdmin(user)
    const lifecycle = admin.getByRole('region', { name: 'Deactivate or delete' })
    await lifecycle.getByRole('button', { name: 'Delete user' }).click()
    const dialog = admin.getByRole('dialog', { name: `Delete ${user.username}?` })
    await dialog.getByText('This cannot be undone.').waitFor()
    await dialog.getByText(`The audit log keeps what happened, with this user shown as deleted-user-${user.id}.`).waitFor()
    await snapshot(admin, 'lifecycle-admin-delete')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    assert.equal((await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).statusCode, 200)

    await lifecycle.getByRole('button', { name: 'Delete user' }).click()
    await dialog.getByRole('button', { name: 'Delete for good' }).click()
    await admin.waitForURL(new RegExp(`/admin/organisations/${org.id}$`))
    await admin.getByRole('status').filter({ hasText: `User “${user.username}” was deleted.` }).waitFor()
    await rowOf(admin, orgAdmin.username).waitFor()
    assert.equal(await rowOf(admin, user.username).count(), 0)
    assert.equal((await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).statusCode, 404)
    assert.equal((await w.t.auditEvents({ event: 'account.deleted' })).filter((e) => e.accountId === user.id).length, 1)

    await admin.goto(`/admin/users/${orgAdmin.id}`)
    await admin.getByText('These actions are not for your own account').waitFor()
    for (const name of ['Delete user', 'Deactivate', 'Sign out everywhere', 'Send a reset link']) assert.equal(await admin.getByRole('button', { name }).count(), 0, name)
  })

  test('F-POL-5 SC-12: "Sign out everywhere" lists the user’s sessions, asks first, and ends them', async () => {
    const user: Person = await freshUser(org.id)
    const userPage = await newPage()
    await signIn(userPage, user)
    const admin = await openUserAsAdmin(user)
    const sessions = admin.getByRole('region', { name: 'Sessions', exact: true })
    await sessions.getByRole('table').getByRole('row').nth(1).waitFor()
    await sessions.getByRole('button', { name: 'Sign out everywhere' }).click()
    const dialog = admin.getByRole('dialog', { name: `Sign ${user.username} out everywhere?` })
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click()
    await dialog.waitFor({ state: 'detached' })
    await sessions.getByRole('status').filter({ hasText: `${user.username} is signed out of 1 session.` }).waitFor()
    await sessions.getByText(`${user.username} is not signed in anywhere.`).waitFor()
    await userPage.reload()
    await userPage.waitForURL(/\/sign-in\?return=/)
  })

  test('F-LOGIN-4: the fifth wrong code itself says the account is locked and whom to ask, and the form stops', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const page = await newPage()
    await signInWithPages(page, user)
    const code = page.getByLabel('Code from your authenticator app')
    for (let i = 0; i < 5; i++) {
      await code.fill(String(100000 + i))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.getByRole('alert').filter({ hasText: i < 4 ? 'That code is not correct' : 'Your account is locked after too many wrong codes. Ask your administrator to unlock it.' }).waitFor()
    }
    assert.equal(await code.isDisabled(), true)
    assert.equal(await page.getByRole('button', { name: 'Verify' }).isDisabled(), true)
    await snapshot(page, 'lifecycle-locked')
    assert.equal((await w.t.auditEvents({ account: user.id, event: 'account.locked' })).length, 1)
  })

  test('F-POL: the organisation’s password and session settings, with their ranges said at the field; a longer minimum, self-service reset off, and shorter sessions take effect', async () => {
    const other = await w.t.createOrganisation({ name: 'Dune Dental', policy: 'required' })
    const admin = await adminOf(other.id)
    const user: Person = await w.t.enrolledUser(other.id)
    const page = await newPage()
    await signIn(page, admin)
    await page.goto('/admin')
    await page.waitForURL(new RegExp(`/admin/organisations/${other.id}$`))
    const group = page.getByRole('group', { name: 'Passwords and sessions' })
    const minimum = group.getByLabel('Shortest password (characters)')
    const idle = group.getByLabel('Sign out after inactivity (minutes)')
    const max = group.getByLabel('Sign out after signing in (hours)')
    const selfService = group.getByLabel('Users may reset a forgotten password themselves, with a link by e-mail')
    const notify = group.getByLabel('E-mail the administrators when a user resets their password')
    assert.equal(await minimum.inputValue(), '12')
    assert.equal(await idle.inputValue(), '60')
    assert.equal(await max.inputValue(), '24')
    assert.equal(await selfService.isChecked(), true)
    assert.equal(await notify.isChecked(), false)
    await group.getByText('8 to 64 characters; 12 is the default.').waitFor()

    await minimum.fill('4')
    await idle.fill('1000')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('alert').filter({ hasText: 'Please check the marked field.' }).waitFor()
    await page.locator('.field-invalid').filter({ has: page.getByLabel('Shortest password (characters)') }).getByText('Choose a whole number from 8 to 64.').waitFor()
    await page.locator('.field-invalid').filter({ has: page.getByLabel('Sign out after inactivity (minutes)') }).getByText('Choose a whole number from 5 to 720.').waitFor()
    assert.equal(await minimum.getAttribute('aria-invalid'), 'true')
    assert.equal((await w.t.admin('GET', `/api/v1/admin/organisations/${other.id}`)).json().minPasswordLength, 12, 'nothing was sent')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'lifecycle-organisation-settings-invalid')

    await minimum.fill('16')
    await idle.fill('30')
    await max.fill('12')
    await selfService.uncheck()
    await notify.check()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor()
    const stored = (await w.t.admin('GET', `/api/v1/admin/organisations/${other.id}`)).json()
    assert.deepEqual(
      [stored.minPasswordLength, stored.sessionIdleMinutes, stored.sessionMaxHours, stored.selfServicePasswordReset, stored.notifyAdminsOfPasswordReset],
      [16, 30, 12, false, true],
    )
    await snapshot(page, 'lifecycle-organisation-settings')

    // The user sees the new limits in words, and the longer minimum when changing the password.
    const userPage = await newPage()
    await signIn(userPage, user)
    await sessionsCard(userPage).getByText('A session ends after 30 minutes without use, and 12 hours after signing in.').waitFor()
    const card = passwordCard(userPage)
    await card.getByText('At least 16 characters; a few unrelated words work well.').waitFor()
    await card.getByLabel('Current password').fill(user.password)
    await card.getByLabel('New password').fill('copper kettle 1')
    await card.getByRole('button', { name: 'Change password' }).click()
    await card.locator('.field-error').filter({ hasText: 'Choose a longer password: at least 16 characters.' }).waitFor()

    // Self-service off: the page says the same as ever, and the e-mail says to ask an administrator.
    const before = (await outbox(emailOf(user))).length
    const forgot = await newPage()
    await askForLink(forgot, user.username)
    await forgot.getByText('If an account matches, we have sent a link to its e-mail address.').waitFor()
    const mail = await nextMail(emailOf(user), before)
    assert.match(mail.text, /ask your administrator for a new password/)
    assert.doesNotMatch(mail.text, /password-reset#token=/)
  })

  test('F-X-3: "Forgot your password?" and the reset page in Dutch, with the server’s refusal in Dutch, and on a phone screen', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const page = await newPage({ language: 'nl', mobile: true })
    const before = (await outbox(emailOf(user))).length
    await askForLink(page, user.username)
    await page.getByRole('heading', { name: 'Kijk in je e-mail' }).waitFor()
    await page.getByText('Als er een account bij past, hebben we een link naar het e-mailadres daarvan gestuurd.').waitFor()
    await snapshot(page, 'lifecycle-forgot-nl')
    const link = linkIn((await nextMail(emailOf(user), before)).text)
    await page.goto(link)
    await page.getByRole('heading', { name: 'Kies een nieuw wachtwoord' }).waitFor()
    await page.getByLabel('Nieuw wachtwoord').fill('password1234')
    await page.getByRole('button', { name: 'Nieuw wachtwoord opslaan' }).click()
    await page.locator('.field-error').filter({ hasText: 'Dit is een bekend wachtwoord met kleine wijzigingen' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(overflow <= 1, 'the page fits a phone screen')
    await snapshot(page, 'lifecycle-reset-nl-phone')
  })
})
