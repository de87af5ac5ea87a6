import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { CDPSession, Page } from 'playwright-core'
import { signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

interface Person {
  id: string
  username: string
  password: string
  secret: string
}

/** Chromium's virtual authenticator on one page (the recipe in the shared browser-testing notes). */
interface VirtualAuthenticator {
  cdp: CDPSession
  id: string
}

/**
 * Passkeys (F-X-1) in Chromium, with the DevTools protocol's virtual authenticator (CTAP2, built in,
 * resident keys, user verification) on `http://localhost:PORT` (WebAuthn refuses an IP address as
 * relying party): added under My Account, as the second step, alone without a password, in a forced
 * enrolment, for re-authentication; not offered where the organisation does not allow it or once
 * removed; a closed prompt said calmly; Dutch; a phone's width.
 */
describe('Passkeys (F-X-1)', () => {
  let w: WebApp
  let org: { id: string }
  /** An organisation that allows authenticator apps only. */
  let appsOnly: { id: string }

  before(async () => {
    w = await startWebApp({}, { localhost: true })
    org = await w.t.createOrganisation({ name: 'Harbour Clinic', policy: 'required' })
    const patched = await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { rememberBrowserDays: 30 })
    assert.equal(patched.statusCode, 200, patched.body)
    appsOnly = await w.t.createOrganisation({ name: 'Dune Practice', policy: 'required', allowedMethods: ['totp'] })
  })
  after(() => w.close())

  async function addAuthenticator(page: Page, options: { isUserVerified?: boolean } = {}): Promise<VirtualAuthenticator> {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: options.isUserVerified ?? true, automaticPresenceSimulation: true },
    })
    return { cdp, id: authenticatorId }
  }

  async function credentials(key: VirtualAuthenticator) {
    return (await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.id })).credentials
  }

  const appCode = (person: Person) => () => totpCode(person.secret, w.t.clock.now())
  const devicesCard = (page: Page) => page.getByRole('region', { name: /^(My devices|Mijn apparaten)$/ })
  const deviceNames = async (page: Page) => {
    await devicesCard(page).getByRole('heading').first().waitFor()
    return devicesCard(page).locator('.item-title strong').allTextContents()
  }
  const session = async (page: Page) => (await page.request.get('/api/v1/session')).json() as Promise<{ amr: string[]; account: { username: string } }>

  /** Signs in through the pages with the app's code and waits for My Account › Security. */
  async function openSecurity(page: Page, person: Person) {
    await signInWithPages(page, person, appCode(person))
    await page.waitForURL(/\/account\/security$/)
    await devicesCard(page).waitFor()
  }

  /** My devices › "Passkey or security key", a name, "Create passkey": the browser's prompt, answered by the virtual authenticator. */
  async function addPasskey(page: Page, name: string) {
    await devicesCard(page).getByRole('button', { name: /^Passkey or security key/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Add a passkey or security key' })
    await dialog.getByLabel('Device name').fill(name)
    await dialog.getByRole('button', { name: 'Create passkey' }).click()
    await dialog.waitFor({ state: 'detached' })
    await devicesCard(page).getByText(`“${name}” is added.`).waitFor()
  }

  /** An enrolled user (an app), signed in on `page` with a virtual authenticator that now holds their passkey. */
  async function userWithPasskey(page: Page, name = 'Work laptop') {
    const person = await w.t.enrolledUser(org.id)
    const key = await addAuthenticator(page)
    await openSecurity(page, person)
    await addPasskey(page, name)
    w.t.nextStep()
    return { person, key }
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: /^(Sign out|Afmelden)$/ }).click()
    await page.waitForURL(/\/sign-in$/)
  }

  async function passwordStep(page: Page, person: Person) {
    await page.getByLabel(/^(User name|Gebruikersnaam)$/).fill(person.username)
    await page.getByLabel(/^(Password|Wachtwoord)$/).fill(person.password)
    await page.getByRole('button', { name: /^(Sign in|Aanmelden)$/ }).click()
  }

  async function widest(page: Page): Promise<number> {
    return page.evaluate(() => Math.max(document.documentElement.scrollWidth, ...Array.from(document.querySelectorAll('body *'), (e) => e.getBoundingClientRect().right)))
  }

  test('F-X-1: a passkey added under My devices is listed with its own label; the next sign-in offers it as the second step (amr pwd hwk mfa), with "Remember this browser"', async () => {
    const person = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    const key = await addAuthenticator(page)
    await openSecurity(page, person)

    // The third way to add a device, with the browser's name as the name to start from.
    await devicesCard(page).getByRole('button', { name: /^Passkey or security key/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Add a passkey or security key' })
    assert.equal(await dialog.getByLabel('Device name').inputValue(), 'Chrome on Linux')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'passkey-add')
    await dialog.getByLabel('Device name').fill('Work laptop')
    await dialog.getByRole('button', { name: 'Create passkey' }).click()
    await dialog.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Work laptop” is added. You can now confirm it is you with it.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Phone', 'Work laptop'])
    const item = devicesCard(page).locator('.item').filter({ hasText: 'Work laptop' })
    await item.locator('.badge').getByText('Passkey', { exact: true }).waitFor()
    assert.equal(await item.locator('svg.device-icon circle').count(), 1, 'the key icon, not the phone')
    const stored = await credentials(key)
    assert.equal(stored.length, 1)
    assert.equal(stored[0]!.rpId, 'localhost')
    assert.equal(stored[0]!.isResidentCredential, true)
    const devices = (await (await page.request.get('/api/v1/account/devices')).json()) as Array<{ kind: string; name: string }>
    assert.deepEqual(devices.map((d) => `${d.kind}:${d.name}`).sort(), ['passkey:Work laptop', 'totp:Phone'])

    // Renamed as any device.
    await page.getByRole('button', { name: 'Rename “Work laptop”' }).click()
    await page.getByLabel('New name for “Work laptop”').fill('My laptop')
    await devicesCard(page).getByRole('button', { name: 'Save' }).click()
    await devicesCard(page).getByText('The device is now called “My laptop”.').waitFor()
    await snapshot(page, 'passkey-listed')

    await signOut(page)
    w.t.nextStep()
    await passwordStep(page, person)
    // The app is the method offered first; the passkey is one click away.
    await page.getByLabel('Code from your authenticator app').waitFor()
    await page.getByRole('button', { name: 'Use another method' }).click()
    await page.getByRole('button', { name: 'Passkey', exact: true }).click()
    await page.getByText('Use the passkey or security key you added to your account.').waitFor()
    await page.getByLabel('Remember this browser for 30 days').check()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'passkey-second-step')
    await page.getByRole('button', { name: 'Use your passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
    const signedIn = await session(page)
    assert.equal(signedIn.account.username, person.username)
    for (const amr of ['pwd', 'hwk', 'mfa']) assert.ok(signedIn.amr.includes(amr), `amr ${signedIn.amr.join(' ')} has ${amr}`)
    const overview = (await (await page.request.get('/api/v1/account/security')).json()) as { rememberedBrowsers: unknown[]; devices: Array<{ name: string; lastUsedAt: string | null }> }
    assert.equal(overview.rememberedBrowsers.length, 1, 'this browser is remembered')
    assert.ok(overview.devices.find((d) => d.name === 'My laptop')?.lastUsedAt, 'the passkey was used')
  })

  test('F-X-1: "Sign in with a passkey" under the password form signs in with no user name or password (amr hwk user mfa), and goes on as any sign-in', async () => {
    const page = await (await w.context()).newPage()
    const { person } = await userWithPasskey(page)
    await signOut(page)
    await page.getByLabel('User name').waitFor()
    await page.getByText('No password needed').waitFor()
    await snapshot(page, 'passkey-sign-in-page')
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
    const signedIn = await session(page)
    assert.equal(signedIn.account.username, person.username)
    assert.deepEqual([...signedIn.amr].sort(), ['hwk', 'mfa', 'user'])
    assert.ok(!signedIn.amr.includes('pwd'), 'no password')

    // A return address is followed as after any sign-in.
    await signOut(page)
    await page.goto('/sign-in?return=%2Faccount%2Fsecurity%23recovery-codes')
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(/\/account\/security#recovery-codes$/)
  })

  test('F-X-1 F-LOGIN-5: a forced enrolment is completed with a passkey; the restricted session becomes a full one', async () => {
    const person = await w.t.createUser(org.id)
    const page = await (await w.context()).newPage()
    const key = await addAuthenticator(page)
    await signInWithPages(page, person)
    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.getByRole('button', { name: 'Passkey or security key' }).click()
    await dialog.getByRole('heading', { name: 'Passkey or security key' }).waitFor()
    assert.equal(await dialog.getByLabel('Device name').inputValue(), 'Chrome on Linux')
    await snapshot(page, 'passkey-enrolment')
    await dialog.getByRole('button', { name: 'Create passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
    assert.deepEqual(await deviceNames(page), ['Chrome on Linux'])
    const full = await session(page)
    assert.equal((full as { restrictedToEnrolment?: boolean }).restrictedToEnrolment ?? false, false)
    assert.equal((await credentials(key)).length, 1)

    // The passkey is now this user's second step, and the method offered first.
    await signOut(page)
    w.t.nextStep()
    await passwordStep(page, { ...person, secret: '' })
    await page.getByRole('button', { name: 'Use your passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
    assert.ok((await session(page)).amr.includes('hwk'))
  })

  test('F-POL-1 F-X-1: where the organisation does not allow passkeys, neither My devices nor the enrolment dialog offers one, and a passkey made earlier is not offered at sign-in', async () => {
    const page = await (await w.context()).newPage()
    await addAuthenticator(page)
    const person = await w.t.enrolledUser(appsOnly.id)
    await openSecurity(page, person)
    await devicesCard(page).getByRole('button', { name: /^Time-based One-Time-Password from app/ }).waitFor()
    assert.equal(await page.getByText('Passkey or security key').count(), 0)
    await signOut(page)

    const newcomer = await w.t.createUser(appsOnly.id)
    await signInWithPages(page, newcomer)
    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.getByRole('heading', { name: 'Time-based One-Time-Password from app' }).waitFor()
    assert.equal(await dialog.getByText('Passkey or security key').count(), 0)
    await dialog.getByRole('button', { name: 'Cancel and sign out' }).click()
    await page.waitForURL(/\/sign-in$/)

    // A passkey made while allowed, then the organisation allows apps only: the sign-in offers the app alone.
    const other = await w.t.createOrganisation({ policy: 'required' })
    const owner = await (await w.context()).newPage()
    const { person: holder } = await (async () => {
      const somebody = await w.t.enrolledUser(other.id)
      await addAuthenticator(owner)
      await openSecurity(owner, somebody)
      await addPasskey(owner, 'Desk key')
      return { person: somebody }
    })()
    await signOut(owner)
    const patched = await w.t.admin('PATCH', `/api/v1/admin/organisations/${other.id}`, { allowedMethods: ['totp'] })
    assert.equal(patched.statusCode, 200, patched.body)
    w.t.nextStep()
    await passwordStep(owner, holder)
    await owner.getByLabel('Code from your authenticator app').waitFor()
    assert.equal(await owner.getByRole('button', { name: 'Use another method' }).count(), 0, 'no other method to choose')
  })

  test('F-DEV-2 F-X-1: a removed passkey is no longer offered, neither as the second step nor alone', async () => {
    const page = await (await w.context()).newPage()
    const { person } = await userWithPasskey(page, 'Old key')
    await page.getByRole('button', { name: 'Remove “Old key”' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove “Old key”?' })
    await confirm.getByText('It will no longer work for signing in.').waitFor()
    await confirm.getByRole('button', { name: 'Remove' }).click()
    await confirm.waitFor({ state: 'detached' })
    await devicesCard(page).getByText('“Old key” is removed. It no longer signs you in.').waitFor()
    assert.deepEqual(await deviceNames(page), ['Phone'])

    await signOut(page)
    w.t.nextStep()
    // The authenticator still holds the credential; the server no longer knows it.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.getByRole('alert').getByText('That passkey could not sign you in. Sign in with your user name and password instead.').waitFor()
    await passwordStep(page, person)
    await page.getByLabel('Code from your authenticator app').waitFor()
    assert.equal(await page.getByRole('button', { name: 'Use another method' }).count(), 0, 'the app is the only method left')
  })

  test('F-X-1: a prompt that ends without a passkey (none on this device, or no user verification) says so calmly, and trying again works', async () => {
    const page = await (await w.context()).newPage()
    const { person, key } = await userWithPasskey(page)
    // Adding the same authenticator twice: the browser refuses, the page says it is added already.
    await devicesCard(page).getByRole('button', { name: /^Passkey or security key/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Add a passkey or security key' })
    await dialog.getByRole('button', { name: 'Create passkey' }).click()
    await dialog.getByText('This passkey or security key is already added to your account.').waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await signOut(page)

    // The second step, with the credential gone from the device: NotAllowedError, a calm note (not an error).
    const [saved] = await credentials(key)
    await key.cdp.send('WebAuthn.clearCredentials', { authenticatorId: key.id })
    w.t.nextStep()
    await passwordStep(page, person)
    await page.getByRole('button', { name: 'Use another method' }).click()
    await page.getByRole('button', { name: 'Passkey', exact: true }).click()
    await page.getByRole('button', { name: 'Use your passkey' }).click()
    const note = page.getByRole('status').filter({ hasText: 'The passkey prompt was closed before it finished. No problem: try again when you are ready, or use another method.' })
    await note.waitFor()
    assert.equal(await note.getAttribute('class'), 'notice notice-info')
    assert.equal(await page.getByRole('alert').count(), 0, 'no error')
    await snapshot(page, 'passkey-cancelled')
    // Nothing was charged: a closed prompt sends nothing.
    assert.equal((await w.t.auditEvents({ account: person.id, event: 'sign_in.second_factor_failed' })).length, 0)
    await key.cdp.send('WebAuthn.addCredential', { authenticatorId: key.id, credential: saved! })
    await page.getByRole('button', { name: 'Use your passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
    await signOut(page)

    // Alone, a passkey needs user verification: an authenticator that cannot verify the user ends the prompt.
    await key.cdp.send('WebAuthn.setUserVerified', { authenticatorId: key.id, isUserVerified: false })
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.getByRole('status').getByText('The passkey prompt was closed before it finished. Try again when you are ready, or sign in with your user name and password.').waitFor()
    await key.cdp.send('WebAuthn.setUserVerified', { authenticatorId: key.id, isUserVerified: true })
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('SC-14 F-X-1: 11 minutes after sign-in, "Confirm it is you" offers the passkey: the password, then the prompt, and the change carries on', async () => {
    const page = await (await w.context()).newPage()
    const { person } = await userWithPasskey(page)
    const overview = (await (await page.request.get('/api/v1/account/security')).json()) as { reauthenticationMethods: string[] }
    assert.deepEqual(overview.reauthenticationMethods, ['totp', 'passkey'])
    w.t.clock.advance(11 * 60_000)

    // Adding a device is a sensitive change (renaming is not).
    await devicesCard(page).getByRole('button', { name: /^Time-based One-Time-Password from app/ }).click()
    const setup = page.getByRole('dialog', { name: 'Time-based One-Time-Password from app' })
    await setup.getByRole('button', { name: 'Show the QR code' }).click()
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.getByRole('button', { name: 'Use another method' }).click()
    await reauth.getByRole('button', { name: 'Passkey', exact: true }).click()
    await reauth.getByText('type your password, then confirm with your passkey').waitFor()
    assert.equal(await reauth.getByLabel('Code from your authenticator app').count(), 0)
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'passkey-reauthenticate')
    await reauth.getByLabel('Password').fill('not my password')
    await reauth.getByRole('button', { name: 'Confirm with passkey' }).click()
    await reauth.getByRole('alert').getByText('The password is not correct.').waitFor()
    await reauth.getByLabel('Password').fill(person.password)
    await reauth.getByRole('button', { name: 'Confirm with passkey' }).click()
    await reauth.waitFor({ state: 'detached' })
    await setup.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
    const events = await w.t.auditEvents({ account: person.id })
    assert.equal(events.filter((e) => e.event === 'reauthentication.succeeded').length, 1)
  })

  test('F-X-3: in Dutch, the passkey choice, the second step and the sign-in page’s button are in Dutch', async () => {
    const page = await (await w.context({ language: 'nl' })).newPage()
    const person = await w.t.enrolledUser(org.id)
    await addAuthenticator(page)
    await openSecurity(page, person)
    await devicesCard(page).getByRole('button', { name: /^Passkey of beveiligingssleutel/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Een passkey of beveiligingssleutel toevoegen' })
    await dialog.getByLabel('Naam van het apparaat').fill('Werklaptop')
    await dialog.getByRole('button', { name: 'Passkey maken' }).click()
    await devicesCard(page).getByText('“Werklaptop” is toegevoegd.').waitFor()
    await snapshot(page, 'passkey-nl')
    await signOut(page)
    await page.getByRole('button', { name: 'Aanmelden met een passkey' }).waitFor()
    await page.getByText('Geen wachtwoord nodig').waitFor()
    w.t.nextStep()
    await passwordStep(page, person)
    await page.getByRole('button', { name: 'Een andere methode gebruiken' }).click()
    await page.getByRole('button', { name: 'Passkey', exact: true }).click()
    await page.getByText('Gebruik de passkey of beveiligingssleutel die je aan je account hebt toegevoegd.').waitFor()
    await page.getByRole('button', { name: 'Je passkey gebruiken' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('Phone width: the sign-in page with its passkey button, the passkey step and adding a passkey fit a 390 px screen', async () => {
    const page = await (await w.context({ mobile: true })).newPage()
    const { person } = await userWithPasskey(page)
    await devicesCard(page).getByRole('button', { name: /^Passkey or security key/ }).click()
    await page.getByRole('dialog', { name: 'Add a passkey or security key' }).getByLabel('Device name').waitFor()
    assert.ok((await widest(page)) <= 390, 'adding a passkey fits')
    await snapshot(page, 'passkey-phone-add')
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    await signOut(page)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).waitFor()
    assert.ok((await widest(page)) <= 390, 'the sign-in page fits')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'passkey-phone-sign-in')
    w.t.nextStep()
    await passwordStep(page, person)
    await page.getByRole('button', { name: 'Use another method' }).click()
    await page.getByRole('button', { name: 'Passkey', exact: true }).click()
    await page.getByRole('button', { name: 'Use your passkey' }).waitFor()
    assert.ok((await widest(page)) <= 390, 'the passkey step fits')
    await snapshot(page, 'passkey-phone-step')
  })
})
