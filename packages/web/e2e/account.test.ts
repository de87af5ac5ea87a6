import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { readQrCode, secretOf, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

/** My Account > Security in Chromium (F-SET-1…4, F-TOTP-1…4, F-DEV-1…2, F-X-3). */
describe('My Account > Security', () => {
  let w: WebApp
  let required: { id: string }
  let optional: { id: string }

  before(async () => {
    w = await startWebApp()
    required = await w.t.createOrganisation({ policy: 'required' })
    optional = await w.t.createOrganisation({ policy: 'optional' })
    await w.t.admin('PATCH', `/api/v1/admin/organisations/${required.id}`, { rememberBrowserDays: 30 })
  })
  after(() => w.close())

  /** The current code of an app, as the phone would show it now. */
  const codeOf = (secret: string) => () => totpCode(secret, w.t.clock.now())

  /** Signs in through the pages and waits for the security page to show its devices. */
  async function openSecurity(page: Page, user: { username: string; password: string }, secret?: string) {
    await signInWithPages(page, user, secret ? codeOf(secret) : undefined)
    await page.waitForURL(/\/account\/security$/)
    await page.getByRole('heading', { name: /^(My devices|Mijn apparaten)$/ }).waitFor()
  }

  const devicesCard = (page: Page) => page.getByRole('region', { name: 'My devices' })
  const deviceNames = (page: Page) => devicesCard(page).locator('.item-title strong').allTextContents()

  async function apiDevices(page: Page): Promise<Array<{ name: string }>> {
    const response = await page.request.get('/api/v1/account/devices')
    assert.equal(response.status(), 200)
    return response.json()
  }

  /** The QR code as a phone camera reads it, once the image is decoded and painted. */
  async function scanQrCode(page: Page): Promise<string> {
    const image = page.getByRole('img', { name: 'QR code to scan with your authenticator app' })
    await image.waitFor()
    await image.evaluate((img: HTMLImageElement) => img.decode())
    await page.waitForFunction(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))))
    return readQrCode(page)
  }

  async function noHorizontalOverflow(page: Page): Promise<boolean> {
    return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
  }

  test('F-TOTP-1…4: a user links an app from the QR code, it is listed only once confirmed, and the next sign-in asks for its code', async () => {
    const user = await w.t.createUser(optional.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, user)
    await devicesCard(page).getByText('No devices are linked yet.').waitFor()
    await devicesCard(page).getByText('0 of 5 devices').waitFor()

    await page.getByRole('button', { name: /^Time-based One-Time-Password from app/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Time-based One-Time-Password from app' })
    await dialog.getByLabel('Device name').fill('Work phone')
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()

    // The phone's view: the QR code read from the screen, not from the page's data.
    const uri = await scanQrCode(page)
    assert.match(uri, /^otpauth:\/\/totp\//)
    assert.equal(new URL(uri).searchParams.get('digits'), '6')
    assert.equal(new URL(uri).searchParams.get('period'), '30')
    const secret = secretOf(uri)
    await dialog.getByText('Cannot scan? Type the key instead').click()
    const readable = (await dialog.getByLabel('Setup key').textContent()) ?? ''
    assert.equal(readable.replace(/\s/g, ''), secret, 'the readable key is the QR code’s secret')
    await dialog.getByText('make sure the clock on your phone is set automatically').waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'account-link-qr')

    assert.deepEqual(await apiDevices(page), [], 'a pending device is not listed')
    assert.deepEqual(await deviceNames(page), [])

    const code = dialog.getByLabel('Code from the app')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    await code.fill(totpCode(secret, w.t.clock.now()))
    await dialog.getByRole('button', { name: 'Link now' }).click()
    await dialog.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Work phone” is linked.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Work phone'])
    assert.deepEqual((await apiDevices(page)).map((d) => d.name), ['Work phone'])
    await devicesCard(page).getByText('1 of 5 devices').waitFor()
    // In an organisation that leaves it to the user, linking turns two-step verification on.
    await page.getByRole('region', { name: 'Two-step verification' }).getByText('On', { exact: true }).waitFor()
    await snapshot(page, 'account-linked')

    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    w.t.nextStep()
    await openSecurity(page, user, secret)
    assert.deepEqual(await deviceNames(page), ['Work phone'])
  })

  test('F-DEV-2: rename a device inline; remove one with the X icon (Cancel keeps it, Remove removes it); the last required one stays, with the reason', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, user, user.secret)
    assert.deepEqual(await deviceNames(page), ['Phone'])

    // Rename, through a network error that keeps what was typed.
    await page.getByRole('button', { name: 'Rename “Phone”' }).click()
    const field = page.getByLabel('New name for “Phone”')
    await field.fill('Work phone')
    assert.deepEqual(await unlabelledFields(page), [])
    await page.route('**/api/v1/account/devices/*', (route) => (route.request().method() === 'PATCH' ? route.abort('connectionrefused') : route.continue()))
    await devicesCard(page).getByRole('button', { name: 'Save' }).click()
    await devicesCard(page).getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor()
    assert.equal(await field.inputValue(), 'Work phone')
    await page.unroute('**/api/v1/account/devices/*')
    await devicesCard(page).getByRole('button', { name: 'Save' }).click()
    await devicesCard(page).getByText('The device is now called “Work phone”.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Work phone'])

    // A second app, linked elsewhere.
    w.t.nextStep()
    const { jar } = await w.t.signIn(user.username, user.password, user.secret)
    await w.t.linkTotp(jar, 'Tablet')
    await page.reload()
    await devicesCard(page).getByText('Tablet').waitFor()
    await devicesCard(page).getByText('2 of 5 devices').waitFor()
    await snapshot(page, 'account-devices')

    await page.getByRole('button', { name: 'Remove “Tablet”' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove “Tablet”?' })
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await confirm.waitFor({ state: 'detached' })
    assert.deepEqual(await deviceNames(page), ['Work phone', 'Tablet'])

    await page.getByRole('button', { name: 'Remove “Tablet”' }).click()
    await confirm.getByRole('button', { name: 'Remove' }).click()
    await confirm.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Tablet” is removed.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Work phone'])
    assert.deepEqual((await apiDevices(page)).map((d) => d.name), ['Work phone'])

    await page.getByRole('button', { name: 'Remove “Work phone”' }).click()
    const last = page.getByRole('dialog', { name: 'Remove “Work phone”?' })
    await last.getByRole('button', { name: 'Remove' }).click()
    await last.getByRole('alert').filter({ hasText: 'Two-step verification is required for you, so your last device cannot be removed' }).waitFor()
    await snapshot(page, 'account-last-factor')
    await last.getByRole('button', { name: 'Close' }).first().click()
    await last.waitFor({ state: 'detached' })
    assert.deepEqual(await deviceNames(page), ['Work phone'])
  })

  test('Re-authentication: 11 minutes after sign-in, adding and removing a device ask for the password and a code, then carry on by themselves', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, user, user.secret)
    w.t.clock.advance(11 * 60_000)

    await page.getByRole('button', { name: /^Time-based One-Time-Password from app/ }).click()
    const setup = page.getByRole('dialog', { name: 'Time-based One-Time-Password from app' })
    await setup.getByRole('button', { name: 'Show the QR code' }).click()
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.waitFor()
    const code = reauth.getByLabel('Code from your authenticator app')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'account-reauthenticate')

    // A wrong password is said and cleared; the code stays.
    await reauth.getByLabel('Password').fill('not my password')
    await code.fill(totpCode(user.secret, w.t.clock.now()))
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.getByRole('alert').filter({ hasText: 'The password is not correct.' }).waitFor()
    assert.equal(await reauth.getByLabel('Password').inputValue(), '')
    await reauth.getByLabel('Password').fill(user.password)
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })
    await setup.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()

    const secret = secretOf(await scanQrCode(page))
    await setup.getByLabel('Code from the app').fill(totpCode(secret, w.t.clock.now()))
    await setup.getByRole('button', { name: 'Link now' }).click()
    await setup.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Authenticator app” is linked.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Phone', 'Authenticator app'])

    w.t.clock.advance(11 * 60_000)
    await page.getByRole('button', { name: 'Remove “Authenticator app”' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove “Authenticator app”?' })
    await confirm.getByRole('button', { name: 'Remove' }).click()
    await reauth.getByLabel('Password').fill(user.password)
    await reauth.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })
    await confirm.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Authenticator app” is removed.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Phone'])

    const events = await w.t.auditEvents({ account: user.id })
    assert.equal(events.filter((e) => e.event === 'reauthentication.succeeded').length, 2)
    assert.equal(events.filter((e) => e.event === 'reauthentication.failed').length, 1)
  })

  test('F-SET-4: where the organisation makes it optional the user turns two-step verification off and on; where it is required there is no off switch', async () => {
    const user = await w.t.enrolledUser(optional.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, user, user.secret)
    const card = page.getByRole('region', { name: 'Two-step verification' })
    await card.getByText('Your organisation leaves it to you, and you have turned it on').waitFor()
    await card.getByText('On', { exact: true }).waitFor()

    await card.getByRole('button', { name: 'Turn off two-step verification' }).click()
    const confirm = page.getByRole('dialog', { name: 'Turn off two-step verification?' })
    await confirm.getByRole('button', { name: 'Turn off' }).click()
    await confirm.waitFor({ state: 'detached' })
    await card.getByText('Two-step verification is off.').waitFor()
    await card.getByText('Off', { exact: true }).waitFor()
    await snapshot(page, 'account-two-factor-off')

    // Off means the password alone signs in.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    await openSecurity(page, user)

    await card.getByRole('button', { name: 'Turn on two-step verification' }).click()
    await card.getByText('Two-step verification is on.').waitFor()
    await card.getByText('On', { exact: true }).waitFor()
    const events = (await w.t.auditEvents({ account: user.id })).map((e) => e.event)
    assert.ok(events.includes('two_factor.disabled') && events.includes('two_factor.enabled'))

    const bound = await w.t.enrolledUser(required.id)
    const other = await (await w.context()).newPage()
    await openSecurity(other, bound, bound.secret)
    const boundCard = other.getByRole('region', { name: 'Two-step verification' })
    await boundCard.getByText('Your organisation requires two-step verification for everyone.').waitFor()
    assert.equal(await other.getByRole('button', { name: /Turn (off|on) two-step verification/ }).count(), 0)
  })

  test('F-SET-3: a remembered browser is listed, and after "Forget" the next sign-in in it asks for the code again', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    await page.getByLabel('Remember this browser for 30 days').check()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)

    const card = page.getByRole('region', { name: 'Remembered browsers' })
    const item = card.getByRole('listitem')
    await item.getByText('Chrome on Linux').waitFor()
    await item.getByText('127.0.0.1').waitFor()
    for (const label of ['Remembered on', 'Expires']) await item.getByText(label).waitFor()
    await snapshot(page, 'account-browsers')

    await card.getByRole('button', { name: 'Forget Chrome on Linux' }).click()
    await card.getByText('Chrome on Linux is forgotten').waitFor()
    await card.getByText('No browser is remembered.').waitFor()
    assert.equal(await item.count(), 0)

    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    await signInWithPages(page, user)
    await page.getByLabel('Code from your authenticator app').waitFor()
  })

  test('F-SET-3: recent activity lists the sign-in, in words, with the IP address and the browser', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, user, user.secret)
    const card = page.getByRole('region', { name: 'Recent activity' })
    const first = card.getByRole('listitem').first()
    await first.getByText('Signed in with two-step verification').waitFor()
    await first.getByText('From 127.0.0.1 · Chrome on Linux').waitFor()
    await card.getByText('Device linked').waitFor()
  })

  test('F-X-3: in Dutch, the page and its sections are in Dutch', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context({ language: 'nl' })).newPage()
    await openSecurity(page, user, user.secret)
    await page.getByRole('heading', { level: 1, name: 'Mijn account › Beveiliging' }).waitFor()
    for (const name of ['Verificatie in twee stappen', 'Mijn apparaten', 'Onthouden browsers', 'Recente activiteit', 'Contactgegevens']) {
      await page.getByRole('heading', { level: 2, name }).waitFor()
    }
    await page.getByText('1 van 5 apparaten').waitFor()
    await page.getByRole('button', { name: '“Phone” verwijderen' }).waitFor()
    await snapshot(page, 'account-nl')
  })

  test('Accessibility and phone width: every field is labelled, and nothing is wider than a 390 px screen', async () => {
    const user = await w.t.enrolledUser(required.id)
    const page = await (await w.context({ mobile: true })).newPage()
    await signInWithPages(page, user)
    await page.getByLabel('Remember this browser for 30 days').check()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, w.t.clock.now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    await page.getByRole('region', { name: 'Remembered browsers' }).getByText('Chrome on Linux').waitFor()
    await page.getByRole('region', { name: 'Recent activity' }).getByText('Signed in with two-step verification').waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    assert.ok(await noHorizontalOverflow(page), 'the page fits a phone screen')
    await snapshot(page, 'account-phone')

    await page.getByRole('button', { name: 'Rename “Phone”' }).click()
    await page.getByLabel('New name for “Phone”').waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    assert.ok(await noHorizontalOverflow(page), 'renaming fits a phone screen')
    await page.getByRole('button', { name: 'Cancel' }).click()

    await page.getByRole('button', { name: /^Time-based One-Time-Password from app/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Time-based One-Time-Password from app' })
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    assert.ok(await noHorizontalOverflow(page), 'the linking dialog fits a phone screen')
    await snapshot(page, 'account-phone-link')
  })
})
