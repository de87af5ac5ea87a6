import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { readQrCode, secretOf, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

interface Person {
  id: string
  username: string
  password: string
  secret?: string
}

/** F-POL-1…6, F-LOGIN-4, F-X-3 in Chromium: what an administrator sees and clicks in the console. */
describe('Admin console (F-POL)', () => {
  let w: WebApp
  let org: { id: string; slug: string }
  let orgAdmin: Person
  let staff: Person

  /** An organisation admin with an authenticator app linked (the organisation requires 2FA). */
  async function adminOf(orgId: string): Promise<Person> {
    const admin = await w.t.createUser(orgId, { role: 'admin' })
    const { jar } = await w.t.signIn(admin.username, admin.password)
    const { secret } = await w.t.linkTotp(jar)
    w.t.nextStep()
    return { ...admin, secret }
  }

  /** Signs a person in through the pages (with a fresh app code when they have an app). */
  async function signIn(page: Page, person: Person) {
    w.t.nextStep()
    await signInWithPages(page, person, person.secret ? () => totpCode(person.secret!, w.t.clock.now()) : undefined)
    await page.waitForURL(/\/account\/security$/)
  }

  /** A browser with the admin signed in, on the admin console. */
  async function openConsole(person: Person, options: { language?: 'en' | 'nl'; mobile?: boolean } = {}) {
    const page = await (await w.context(options)).newPage()
    await signIn(page, person)
    await page.goto('/admin')
    return page
  }

  /** Five wrong app codes in a row (F-LOGIN-4), through the API as a browser would send them. */
  async function fiveWrongCodes(user: Person) {
    const jar = new CookieJar()
    const first = await w.t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(first.json().state, 'awaiting_second_factor')
    const right = totpCode(user.secret!, w.t.clock.now())
    for (let i = 0; i < 5; i++) {
      const wrong = String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')
      const answer = await w.t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: wrong })
      assert.ok([401, 423].includes(answer.statusCode), answer.body)
    }
  }

  /** The users-list row of one user (by the exact link to their page). */
  function rowOf(page: Page, username: string) {
    return page.getByRole('row').filter({ has: page.getByRole('link', { name: username, exact: true }) })
  }

  async function noUnlabelledFields(page: Page) {
    assert.deepEqual(await unlabelledFields(page), [])
  }

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ name: 'Harbour Clinic', policy: 'required' })
    orgAdmin = await adminOf(org.id)
    const created = await w.t.admin('POST', '/api/v1/admin/staff', { username: 'ops-lead', email: 'ops-lead@example.test', password: 'staff password 1', twoFactor: false })
    assert.equal(created.statusCode, 201, created.body)
    staff = { id: created.json().id, username: 'ops-lead', password: 'staff password 1' }
  })
  after(() => w.close())

  test('F-POL-5 + F-LOGIN-4: after 5 wrong codes the admin sees "Locked" in the users list, unlocks the user, and the user signs in with a correct code', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    await fiveWrongCodes(user)

    const page = await openConsole(orgAdmin)
    await page.waitForURL(new RegExp(`/admin/organisations/${org.id}$`))
    await page.getByRole('heading', { name: 'Harbour Clinic', level: 1 }).waitFor()
    await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Locked' })
    const row = rowOf(page, user.username)
    await row.getByText('Locked', { exact: true }).waitFor()
    assert.equal(await rowOf(page, orgAdmin.username).count(), 0, 'the filter leaves out users who are not locked')
    await noUnlabelledFields(page)
    await snapshot(page, 'admin-organisation')

    await page.getByLabel('Search', { exact: true }).fill(user.username.toUpperCase())
    await row.waitFor()
    await row.getByRole('link', { name: user.username, exact: true }).click()
    await page.waitForURL(new RegExp(`/admin/users/${user.id}$`))
    await page.getByText('This account is locked because of too many wrong codes.').waitFor()
    await page.getByText('Locked after 5 wrong codes').waitFor()
    await noUnlabelledFields(page)
    await snapshot(page, 'admin-user-locked')
    await page.getByRole('button', { name: 'Unlock account' }).click()
    await page.getByRole('status').filter({ hasText: 'The account is unlocked. The user can sign in again.' }).waitFor()
    assert.equal(await page.getByRole('button', { name: 'Unlock account' }).count(), 0)

    const userPage = await (await w.context()).newPage()
    await signIn(userPage, user)
    const events = await w.t.auditEvents({ account: user.id, event: 'account.unlocked' })
    assert.equal(events.length, 1)
    assert.equal(events[0]!.reason, 'admin_unlock')
  })

  test('F-POL-4: the admin grants a one-time sign-in without 2FA; the user signs in with the password, must link an app first, and the next sign-in asks for the code again', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const page = await openConsole(orgAdmin)
    await page.goto(`/admin/users/${user.id}`)
    const card = page.getByRole('region', { name: 'Lost phone: one-time sign-in without 2FA' })
    await card.getByText('The permission lasts 24 hours').waitFor()
    await card.getByText('must set up an authenticator app again').waitFor()
    await card.getByLabel('Reason (optional)').fill('new phone, ticket 1234')
    await card.getByRole('button', { name: 'Allow one-time sign-in without 2FA' }).click()
    const granted = card.getByRole('status').filter({ hasText: 'One-time sign-in without 2FA is allowed. If not used, it expires on' })
    await granted.waitFor()
    assert.match(await granted.innerText(), /26 Nov 2026/, 'expires 24 hours after the grant (the server clock is 25 Nov 2026)')
    await snapshot(page, 'admin-user-bypass')
    assert.equal(await page.getByLabel('Two-step verification for this user').inputValue(), 'default', 'the override is not changed')

    const userPage = await (await w.context()).newPage()
    await signInWithPages(userPage, user)
    const dialog = userPage.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.waitFor()
    await dialog.getByRole('button', { name: 'Code from an authenticator app' }).click()
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
    const secret = secretOf(await readQrCode(userPage))
    await dialog.getByLabel('Code from the app').fill(totpCode(secret, w.t.clock.now()))
    await dialog.getByRole('button', { name: 'Link now' }).click()
    await userPage.waitForURL(/\/account\/security$/)
    await dialog.waitFor({ state: 'detached' })

    await userPage.getByRole('button', { name: 'Sign out', exact: true }).click()
    await userPage.waitForURL(/\/sign-in$/)
    await signInWithPages(userPage, user)
    await userPage.getByLabel('Code from your authenticator app').waitFor()

    await page.reload()
    await page.getByRole('heading', { name: `User ${user.username}` }).waitFor()
    assert.equal(await page.getByText('One-time sign-in without 2FA is allowed.').count(), 0, 'the grant is used up')
    assert.deepEqual(
      (await w.t.auditEvents({ account: user.id })).filter((e) => e.event.startsWith('bypass.')).map((e) => e.event).sort(),
      ['bypass.granted', 'bypass.used'],
    )
  })

  test('F-POL-1/F-POL-2: the organisation policy and a user’s override, changed in the console, change what the sign-in asks for', async () => {
    const other = await w.t.createOrganisation({ name: 'Dune Dental', policy: 'required' })
    const admin = await adminOf(other.id)
    const user: Person = await w.t.enrolledUser(other.id)
    const page = await openConsole(admin)
    await page.waitForURL(new RegExp(`/admin/organisations/${other.id}$`))

    // Policy Off: the password is enough.
    const policy = page.getByLabel('Two-step verification', { exact: true })
    await policy.selectOption({ label: 'Off' })
    await page.getByText('Nobody is asked for a second step').waitFor()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor()
    const userPage = await (await w.context()).newPage()
    await signInWithPages(userPage, user)
    await userPage.waitForURL(/\/account\/security$/)
    await userPage.getByRole('button', { name: 'Sign out', exact: true }).click()
    await userPage.waitForURL(/\/sign-in$/)

    // Override Required for this user: the code is asked again, although the organisation has it off.
    await page.getByRole('link', { name: user.username, exact: true }).click()
    await page.getByText('Not asked — Organisation has it off').waitFor()
    await page.getByLabel('Two-step verification for this user').selectOption({ label: 'Required' })
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.getByRole('status').filter({ hasText: 'User saved.' }).waitFor()
    await page.getByText('Asked — Required for this user').waitFor()
    await signInWithPages(userPage, user)
    await userPage.getByLabel('Code from your authenticator app').waitFor()

    // Organisation Required, the user Exempt: the password is enough for this user only.
    await page.getByLabel('Two-step verification for this user').selectOption({ label: 'Exempt' })
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.getByText('Not asked — Exempt').waitFor()
    await page.getByRole('link', { name: '← Dune Dental' }).click()
    await policy.selectOption({ label: 'Required' })
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor()
    await page.getByLabel('Show', { exact: true }).selectOption({ label: 'Exempt' })
    await rowOf(page, user.username).getByText('Not asked', { exact: true }).waitFor()
    assert.equal(await rowOf(page, admin.username).count(), 0)
    const exemptPage = await (await w.context()).newPage()
    await signInWithPages(exemptPage, user)
    await exemptPage.waitForURL(/\/account\/security$/)
    const neighbour: Person = await w.t.enrolledUser(other.id)
    const neighbourPage = await (await w.context()).newPage()
    await signInWithPages(neighbourPage, neighbour)
    await neighbourPage.getByLabel('Code from your authenticator app').waitFor()

    const changes = await w.t.ctx.store.audit.list({ organisationId: other.id, event: 'organisation.updated', limit: 10 })
    assert.deepEqual(
      changes.map((e) => e.details.changes).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [{ policy: 'off' }, { policy: 'required' }],
      'only what changed is sent',
    )
  })

  test('F-SET-2 F-LOGIN-5: a user stuck in forced enrolment with a mistyped e-mail address: the admin corrects it in the console (a malformed one is refused at the field), and the dialog then shows the right one', async () => {
    const user = await w.t.createUser(org.id, { email: 'dana@harbour-clinc.test' })
    const userPage = await (await w.context()).newPage()
    await signInWithPages(userPage, user)
    const enrolment = userPage.getByRole('dialog', { name: 'Set up two-step verification' })
    await enrolment.getByText('Codes by e-mail and security notices go to dana@harbour-clinc.test. If that address is wrong, ask your administrator to correct it').waitFor()

    const page = await openConsole(orgAdmin)
    await page.goto(`/admin/users/${user.id}`)
    const address = page.getByLabel('E-mail address', { exact: true })
    assert.equal(await address.inputValue(), 'dana@harbour-clinc.test')
    await address.fill('not an address')
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.locator('.field-error').filter({ hasText: /email/ }).waitFor()
    assert.equal(await address.inputValue(), 'not an address', 'what was typed stays')
    await address.fill('dana@harbour-clinic.test')
    await page.getByRole('button', { name: 'Save user' }).click()
    await page.getByRole('status').filter({ hasText: 'User saved.' }).waitFor()
    await page.locator('.admin-facts dd').filter({ hasText: 'dana@harbour-clinic.test' }).waitFor()
    await noUnlabelledFields(page)
    const changes = await w.t.ctx.store.audit.list({ accountId: user.id, event: 'account.updated', limit: 5 })
    assert.deepEqual(changes.map((e) => e.details.changes), [{ email: 'dana@harbour-clinic.test' }], 'only the address was sent')

    await userPage.reload()
    await enrolment.getByText('Codes by e-mail and security notices go to dana@harbour-clinic.test.').waitFor()
  })

  test('F-POL-3: staff add an organisation and a staff user, and the "Sign in with two-factor authentication" switch decides whether that staff user is asked for a second step', async () => {
    const page = await openConsole(staff)
    await page.getByRole('heading', { name: 'Organisations', level: 1 }).waitFor()
    await page.getByRole('link', { name: 'Harbour Clinic' }).waitFor()
    await noUnlabelledFields(page)
    await page.getByLabel('Name', { exact: true }).fill('North Clinic')
    await page.getByLabel('Short name').fill('north-clinic')
    await page.getByRole('button', { name: 'Add organisation' }).click()
    await page.getByRole('heading', { name: 'North Clinic', level: 1 }).waitFor()
    assert.equal(await page.getByLabel('Two-step verification', { exact: true }).inputValue(), 'required')

    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Staff users' }).click()
    await page.getByRole('heading', { name: 'Staff users', level: 1 }).waitFor()
    await page.getByRole('switch', { name: 'Sign in with two-factor authentication: ops-lead' }).waitFor()
    await page.getByLabel('User name').fill('night-ops')
    await page.getByLabel('E-mail address').fill('night-ops@example.test')
    await page.getByLabel('Initial password').fill('night shift password')
    await page.getByLabel('Sign in with two-factor authentication', { exact: true }).uncheck()
    await page.getByRole('button', { name: 'Add staff user' }).click()
    await page.getByRole('status').filter({ hasText: 'Staff user “night-ops” was added.' }).waitFor()
    const toggle = page.getByRole('switch', { name: 'Sign in with two-factor authentication: night-ops' })
    await toggle.waitFor()
    assert.equal(await toggle.isChecked(), false)
    await noUnlabelledFields(page)
    await snapshot(page, 'admin-staff')
    const nightOps = { username: 'night-ops', password: 'night shift password' }

    const other = await (await w.context()).newPage()
    await signInWithPages(other, nightOps)
    await other.waitForURL(/\/account\/security$/)
    await other.getByRole('button', { name: 'Sign out', exact: true }).click()
    await other.waitForURL(/\/sign-in$/)

    await toggle.check()
    await page.getByRole('status').filter({ hasText: 'night-ops now signs in with two-factor authentication.' }).waitFor()
    assert.equal(await toggle.isChecked(), true)
    await signInWithPages(other, nightOps)
    await other.getByRole('dialog', { name: 'Set up two-step verification' }).waitFor()

    await toggle.uncheck()
    await page.getByRole('status').filter({ hasText: 'night-ops now signs in without two-factor authentication.' }).waitFor()
    const third = await (await w.context()).newPage()
    await signInWithPages(third, nightOps)
    await third.waitForURL(/\/account\/security$/)
    const switched = await w.t.auditEvents({ event: 'account.updated' })
    assert.ok(switched.length >= 2)
  })

  test('F-POL-6: the audit log shows who did what, and the filters narrow it', async () => {
    const page = await openConsole(orgAdmin)
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click()
    await page.waitForURL(/\/admin\/audit$/)
    const table = page.getByRole('table', { name: 'Audit log' })
    await table.waitFor()
    await noUnlabelledFields(page)
    await table.getByRole('row').filter({ hasText: 'Account unlocked' }).first().waitFor()
    const unlocked = table.getByRole('row').filter({ hasText: 'Account unlocked' }).first()
    assert.match(await unlocked.innerText(), new RegExp(`${orgAdmin.username}[\\s\\S]*Unlocked by an administrator[\\s\\S]*127\\.0\\.0\\.1[\\s\\S]*Chrome on Linux`))
    await table.getByRole('row').filter({ hasText: 'One-time sign-in without 2FA granted' }).filter({ hasText: 'new phone, ticket 1234' }).waitFor()
    assert.equal(await table.getByText('Dune Dental').count(), 0, 'an organisation admin sees only their own organisation')
    const all = await table.getByRole('row').count()

    await page.getByLabel('Event').selectOption({ label: 'Account unlocked' })
    await page.getByRole('button', { name: 'Show events' }).click()
    await page.waitForURL(/event=account\.unlocked/)
    await page.getByText('1 event', { exact: true }).waitFor()
    const rows = table.getByRole('row')
    assert.equal(await rows.count(), 2, 'the heading row and one event')
    await snapshot(page, 'admin-audit')

    await page.getByRole('button', { name: 'Clear filters' }).click()
    await page.waitForURL(/\/admin\/audit$/)
    await page.getByText(`${all - 1} events`, { exact: true }).waitFor()
    const count = page.locator('.admin-count')
    const unfiltered = await count.innerText()
    await page.getByLabel('Account', { exact: true }).selectOption({ label: orgAdmin.username })
    await page.getByRole('button', { name: 'Show events' }).click()
    await page.waitForURL(/account=/)
    await count.filter({ hasNotText: unfiltered }).waitFor()
    await table.getByRole('row').filter({ hasText: 'Signed in' }).first().waitFor()
    const mine = await table.getByRole('row').count()
    assert.equal(await count.innerText(), `${mine - 1} events`)
    assert.ok(mine < all, 'the account filter narrows the list')

    await page.getByLabel('From', { exact: true }).fill('2027-01-01T00:00')
    await page.getByRole('button', { name: 'Show events' }).click()
    await page.getByText('No events match these filters.').waitFor()
    await page.getByLabel('From', { exact: true }).fill('')
    await page.getByLabel('Until', { exact: true }).fill('2026-11-24T00:00')
    await page.getByRole('button', { name: 'Show events' }).click()
    await page.getByText('No events match these filters.').waitFor()

    // The user page links to that user's own log.
    await page.goto(`/admin/users/${orgAdmin.id}`)
    await page.getByRole('link', { name: 'Audit log for this user' }).click()
    await page.waitForURL(new RegExp(`account=${orgAdmin.id}`))
    assert.equal(await page.getByLabel('Account', { exact: true }).inputValue(), orgAdmin.id)
  })

  test('Bad input: an out-of-range device limit shows the server’s message at the field and keeps the form; a bad user name keeps the dialog; a non-admin is sent to their own security page', async () => {
    const page = await openConsole(orgAdmin)
    await page.waitForURL(/\/admin\/organisations\//)
    await page.getByLabel('Organisation name').fill('Harbour Clinic West')
    const limit = page.getByLabel('Devices per user')
    await limit.fill('50')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('alert').filter({ hasText: 'Please check the marked field.' }).waitFor()
    const message = page.locator('.field-invalid').filter({ has: limit }).locator('.field-error')
    assert.match(await message.innerText(), /deviceLimit/)
    assert.equal(await limit.getAttribute('aria-invalid'), 'true')
    assert.equal(await limit.inputValue(), '50')
    assert.equal(await page.getByLabel('Organisation name').inputValue(), 'Harbour Clinic West')
    await snapshot(page, 'admin-bad-device-limit')
    const stored = (await w.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json()
    assert.equal(stored.deviceLimit, 5, 'nothing was written')
    assert.equal(stored.name, 'Harbour Clinic')

    await limit.fill('6')
    await page.getByLabel('Organisation name').fill('Harbour Clinic')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor()
    assert.equal((await w.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().deviceLimit, 6)

    await page.getByRole('button', { name: 'Add a user' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add a user' })
    await dialog.getByLabel('User name').fill('no spaces allowed')
    await dialog.getByLabel('E-mail address').fill('new@example.test')
    await dialog.getByLabel('Initial password').fill('a good long passphrase')
    await dialog.getByRole('button', { name: 'Add user' }).click()
    await dialog.getByText(/The field "username" is not valid/).waitFor()
    assert.equal(await dialog.getByLabel('User name').inputValue(), 'no spaces allowed')
    assert.equal(await dialog.getByLabel('E-mail address').inputValue(), 'new@example.test')
    await noUnlabelledFields(page)
    await dialog.getByLabel('User name').fill('new.colleague')
    await dialog.getByRole('button', { name: 'Add user' }).click()
    await page.getByRole('status').filter({ hasText: 'User “new.colleague” was added.' }).waitFor()
    await page.getByRole('link', { name: 'new.colleague', exact: true }).waitFor()

    const user: Person = await w.t.enrolledUser(org.id)
    const userPage = await (await w.context()).newPage()
    await signIn(userPage, user)
    await userPage.goto('/admin')
    await userPage.waitForURL(/\/account\/security$/)
    assert.equal(await userPage.getByRole('link', { name: 'Administration' }).count(), 0)
    const api = await userPage.evaluate(() => fetch('/api/v1/admin/organisations').then((r) => r.status))
    assert.equal(api, 403)
  })

  test('F-POL-5: removing a device asks first (the X icon), then the device is gone', async () => {
    const user: Person = await w.t.enrolledUser(org.id)
    const page = await openConsole(orgAdmin)
    await page.goto(`/admin/users/${user.id}`)
    await page.getByRole('button', { name: 'Remove Phone' }).click()
    const dialog = page.getByRole('dialog', { name: 'Remove this device?' })
    await dialog.getByText(`“Phone” will no longer work for signing in as ${user.username}.`).waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    assert.equal((await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().devices.length, 1)
    await page.getByRole('button', { name: 'Remove Phone' }).click()
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Device “Phone” was removed.' }).waitFor()
    await page.getByText('No devices are linked.').waitFor()
    assert.equal((await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().devices.length, 0)
  })

  test('F-X-3: the console in Dutch, and readable on a phone', async () => {
    const page = await openConsole(orgAdmin, { language: 'nl' })
    await page.getByRole('heading', { name: 'Beleid voor tweestapsverificatie' }).waitFor()
    assert.equal(await page.getAttribute('html', 'lang'), 'nl')
    await page.getByLabel('Apparaten per gebruiker').fill('25')
    await page.getByRole('button', { name: 'Instellingen opslaan' }).click()
    await page.getByRole('alert').filter({ hasText: 'Controleer het gemarkeerde veld.' }).waitFor()
    await page.getByText('Het veld "deviceLimit" is niet geldig.').waitFor()
    await page.getByLabel('Apparaten per gebruiker').fill('5')
    await page.getByRole('button', { name: 'Instellingen opslaan' }).click()
    await page.getByRole('status').filter({ hasText: 'Instellingen opgeslagen.' }).waitFor()
    await page.getByLabel('Toon', { exact: true }).selectOption({ label: 'Beheerders' })
    await rowOf(page, orgAdmin.username).getByText('Beheerder', { exact: true }).waitFor()
    await noUnlabelledFields(page)
    await snapshot(page, 'admin-organisation-nl')

    await page.getByRole('button', { name: 'Gebruiker toevoegen' }).click()
    const dialog = page.getByRole('dialog', { name: 'Gebruiker toevoegen' })
    await dialog.getByLabel('Gebruikersnaam').fill('j.de.vries')
    await dialog.getByLabel('E-mailadres').fill('j.de.vries@example.test')
    await dialog.getByLabel('Eerste wachtwoord').fill('een goed wachtwoord')
    await dialog.getByLabel('Tweestapsverificatie voor deze gebruiker').selectOption({ label: 'Vrijgesteld' })
    await dialog.getByRole('button', { name: 'Gebruiker toevoegen' }).click()
    await page.getByRole('status').filter({ hasText: 'Gebruiker “j.de.vries” is toegevoegd.' }).waitFor()
    await page.getByLabel('Toon', { exact: true }).selectOption({ label: 'Vrijgesteld' })
    await page.getByRole('link', { name: 'j.de.vries', exact: true }).click()
    await page.getByRole('heading', { name: 'Gebruiker j.de.vries' }).waitFor()
    await page.getByText('Niet gevraagd — Vrijgesteld').waitFor()
    await page.getByRole('heading', { name: 'Telefoon kwijt: eenmalig aanmelden zonder 2FA' }).waitFor()
    await noUnlabelledFields(page)
    await snapshot(page, 'admin-user-nl')

    await page.getByRole('link', { name: 'Auditlog', exact: true }).click()
    await page.getByRole('table', { name: 'Auditlog' }).getByText('Account aangemaakt').first().waitFor()
    await snapshot(page, 'admin-audit-nl')

    const phone = await openConsole(orgAdmin, { mobile: true })
    await phone.getByRole('heading', { name: 'Users', exact: true }).waitFor()
    await phone.getByRole('link', { name: 'j.de.vries', exact: true }).waitFor()
    await noUnlabelledFields(phone)
    await snapshot(phone, 'admin-organisation-phone')
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(overflow <= 1, 'the page itself does not scroll sideways; wide tables scroll in their own box')
    await phone.goto('/admin/audit')
    await phone.getByRole('table', { name: 'Audit log' }).waitFor()
    await snapshot(phone, 'admin-audit-phone')
  })
})
