import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { readQrCode, secretOf, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

/** F-LOGIN-1…5 in Chromium: what a person sees and clicks on the sign-in pages. */
describe('Sign-in pages (F-LOGIN)', () => {
  let w: WebApp
  let org: { id: string }

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ policy: 'required' })
    await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { rememberBrowserDays: 30 })
  })
  after(() => w.close())

  test('F-LOGIN-1/2: password, then the app code; the account page follows and Back does not return to a stale form', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await page.goto('/account/security')
    await page.waitForURL(/\/sign-in\?return=/)
    assert.deepEqual(await unlabelledFields(page), [])
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const code = page.getByLabel('Code from your authenticator app')
    await code.waitFor()
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'sign-in-code')
    await code.fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    await page.goBack().catch(() => {})
    await page.waitForLoadState()
    assert.doesNotMatch(page.url(), /\/sign-in/, 'Back after sign-in does not show the sign-in form')
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0)
  })

  test('RB-10: a return address that normalises to another host (/.//evil.example) is ignored: the user lands on their own security page', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await page.goto('/sign-in?return=%2F.%2F%2Fevil.example%2Fphish')
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    assert.equal(new URL(page.url()).origin, w.base)
  })

  test('F-LOGIN-1: a wrong password says so, keeps the user name and clears the password', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await page.goto('/sign-in')
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'The user name or password is not correct.' }).waitFor()
    assert.equal(await page.getByLabel('User name').inputValue(), user.username)
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '')
  })

  test('Bad input: a network error and a 5xx show a message and keep what the user typed', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await page.goto('/sign-in')
    await page.route('**/api/v1/sign-in/password', (route) => route.abort('connectionrefused'))
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor()
    assert.equal(await page.getByLabel('User name').inputValue(), user.username)
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), user.password)

    await page.unroute('**/api/v1/sign-in/password')
    await page.route('**/api/v1/sign-in/password', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"INTERNAL","message":"boom"}}' }))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'went wrong on the server' }).waitFor()
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), user.password)

    await page.unroute('**/api/v1/sign-in/password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByLabel('Code from your authenticator app').waitFor()
  })

  test('Bad input: clicking Verify twice sends one code, and a wrong code is explained and cleared', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    const code = page.getByLabel('Code from your authenticator app')
    await code.fill('000000')
    let sent = 0
    await page.route('**/api/v1/sign-in/second-factor', async (route) => {
      sent++
      await new Promise((resolve) => setTimeout(resolve, 300))
      await route.continue()
    })
    await page.getByRole('button', { name: 'Verify' }).dblclick()
    await page.getByRole('button', { name: 'Verify' }).click({ force: true }).catch(() => {})
    await page.getByRole('alert').filter({ hasText: 'That code is not correct' }).waitFor()
    assert.equal(sent, 1, 'one request for a double click')
    assert.equal(await code.inputValue(), '')
    const failures = await w.t.auditEvents({ account: user.id, event: 'sign_in.second_factor_failed' })
    assert.equal(failures.length, 1)
  })

  test('F-LOGIN-4: the fifth wrong code itself says the account is locked and when to try again, and the form stops', async () => {
    const user = await w.t.enrolledUser(org.id)
    await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { autoUnlockMinutes: 15 })
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    const code = page.getByLabel('Code from your authenticator app')
    for (let i = 0; i < 4; i++) {
      await code.fill(String(100000 + i))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.getByRole('alert').filter({ hasText: 'That code is not correct' }).waitFor()
    }
    await code.fill('100004')
    await page.getByRole('button', { name: 'Verify' }).click()
    const locked = page.getByRole('alert').filter({ hasText: 'Your account is locked after too many wrong codes. Try again after' })
    await locked.waitFor()
    // The time the lock ends, as this machine's clock shows it (the browser's time zone is the same).
    const lockedUntil = (await w.t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().lockedUntil as string
    const time = new Intl.DateTimeFormat('en-GB', { timeStyle: 'short' }).format(new Date(lockedUntil))
    assert.match(await locked.innerText(), new RegExp(`after (\\d+ \\w+ \\d{4}, )?${time}, or ask your administrator to unlock it sooner\\.$`))
    assert.equal(await code.isDisabled(), true)
    await snapshot(page, 'sign-in-locked')
    await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { autoUnlockMinutes: null })
  })

  test('F-LOGIN-3: "Remember this browser for 30 days" skips the code next time, in this browser only', async () => {
    const user = await w.t.enrolledUser(org.id)
    const context = await w.context()
    const page = await context.newPage()
    await signInWithPages(page, user)
    await page.getByLabel('Remember this browser for 30 days').check()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    await signInWithPages(page, user)
    await page.waitForURL(/\/account\/security$/)

    const other = await (await w.context()).newPage()
    await signInWithPages(other, user)
    await other.getByLabel('Code from your authenticator app').waitFor()
  })

  test('F-LOGIN-5: a required second factor with none set up: a dialog Escape cannot close, linking from the QR code, then in', async () => {
    const user = await w.t.createUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.waitFor()
    await page.keyboard.press('Escape')
    assert.equal(await dialog.isVisible(), true, 'the enrolment dialog cannot be skipped')
    await page.goto('/account/security')
    await dialog.waitFor()
    // After a reload the reason is gone: the dialog offers the methods to choose from (F-OTP-4).
    await dialog.getByRole('button', { name: 'Code from an authenticator app' }).click()
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'enrolment')
    const secret = secretOf(await readQrCode(page))
    await dialog.getByLabel('Code from the app').fill(totpCode(secret, w.t.clock.now()))
    await dialog.getByRole('button', { name: 'Link now' }).click()
    await page.waitForURL(/\/account\/security$/)
    await dialog.waitFor({ state: 'detached' })
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.equal(session.restrictedToEnrolment, false)
  })

  test('F-LOGIN: a sign-in left too long starts again with a message', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    // The flow must exist before the clock moves: under load the password step could otherwise
    // reach the server after the jump, and its flow would not be old at all (the flake CI met).
    await page.getByLabel('Code from your authenticator app').waitFor()
    w.t.clock.advance(11 * 60_000)
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByText('The sign-in took too long. Please start again.').waitFor()
    await page.getByLabel('User name').waitFor()
  })

  test('F-X-3: Dutch from Accept-Language, the switch on the page, and the server answers in the chosen language', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context({ language: 'nl' })).newPage()
    await page.goto('/sign-in')
    await page.getByRole('heading', { name: 'Aanmelden' }).waitFor()
    assert.equal(await page.getAttribute('html', 'lang'), 'nl')
    await page.getByLabel('Gebruikersnaam').fill(user.username)
    await page.getByLabel('Wachtwoord', { exact: true }).fill('fout')
    await page.getByRole('button', { name: 'Aanmelden' }).click()
    await page.getByRole('alert').filter({ hasText: 'De gebruikersnaam of het wachtwoord klopt niet.' }).waitFor()
    await snapshot(page, 'sign-in-nl')

    await page.getByRole('button', { name: 'English' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    // The document's language follows in an effect after the render.
    await page.waitForFunction(() => document.documentElement.lang === 'en', undefined, { timeout: 5000 })
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    const answer = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.match(answer.error.message, /sign in|session/i, 'the server follows the switch (cookie cs_lang)')
  })
})
