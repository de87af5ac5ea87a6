import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { signInWithPages, snapshot, startWebApp, unlabelledFields, type WebApp } from './support.js'

/**
 * F-SET-2 (register and verify a mobile number, change the e-mail address with a code) and F-OTP-4
 * (SMS chosen without a number: the code goes by e-mail once, then the number must be registered)
 * in Chromium, with both channels on the development outbox.
 */
describe('Contact details and SMS without a number (F-SET-2, F-OTP-4)', () => {
  let w: WebApp
  let optional: { id: string }
  let smsOnly: { id: string }
  let required: { id: string }

  before(async () => {
    w = await startWebApp()
    optional = await w.t.createOrganisation({ policy: 'optional' })
    smsOnly = await w.t.createOrganisation({ policy: 'required', allowedMethods: ['sms'] })
    required = await w.t.createOrganisation({ policy: 'required' })
  })
  after(() => w.close())

  let numbers = 0
  /** A fresh Dutch mobile number in E.164 for each use (the per-recipient budgets stay clear). */
  const nextPhone = () => `+3161${String(3000000 + ++numbers).padStart(7, '0')}`
  const masked = (phone: string) => `+31 ••• ••• ${phone.slice(-3)}`

  /** The newest code sent to a number or address, read from the development outbox as the page would. */
  async function newestCode(page: Page, to: string): Promise<string> {
    const response = await page.request.get(`/api/v1/dev/outbox?to=${encodeURIComponent(to)}`)
    assert.equal(response.status(), 200)
    const [message] = (await response.json()) as Array<{ text: string }>
    const code = /\b(\d{6})\b/.exec(message?.text ?? '')?.[1]
    assert.ok(code, `a code was sent to ${to}`)
    return code
  }

  const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')
  const contactCard = (page: Page) => page.getByRole('region', { name: 'Contact details' })

  async function openSecurity(page: Page, user: { username: string; password: string }) {
    await signInWithPages(page, user)
    await page.waitForURL(/\/account\/security$/)
    await contactCard(page).waitFor()
  }

  test('F-SET-2: a user registers a mobile number, a wrong code is explained and cleared, the right one verifies it, and it is shown masked', async () => {
    const user = await w.t.createUser(optional.id)
    const phone = nextPhone()
    const page = await (await w.context()).newPage()
    await openSecurity(page, user)
    await contactCard(page).getByText('No mobile number registered.').waitFor()

    await contactCard(page).getByRole('button', { name: 'Register a mobile number' }).click()
    const dialog = page.getByRole('dialog', { name: 'Register a mobile number' })
    const number = dialog.getByLabel('Mobile number')
    assert.equal(await number.getAttribute('type'), 'tel')
    assert.equal(await number.getAttribute('autocomplete'), 'tel')
    await dialog.getByText('for example +31612345678').waitFor()

    // An invalid number: the server's 400 message, at the field, and what was typed stays.
    await number.fill('0612345678')
    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByText('must start with + and the country code').waitFor()
    assert.equal(await number.getAttribute('aria-invalid'), 'true')
    assert.equal(await number.inputValue(), '0612345678')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'contact-phone-invalid')

    // A network error keeps the number too.
    const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 4)} ${phone.slice(4, 8)} ${phone.slice(8)}`
    await number.fill(spaced)
    await page.route('**/api/v1/account/phone', (route) => route.abort('connectionrefused'))
    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor()
    assert.equal(await number.inputValue(), spaced)
    await page.unroute('**/api/v1/account/phone')

    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByText(`We sent a code by text message to ${masked(phone)}.`).waitFor()
    const code = dialog.getByLabel('Code from the text message')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    assert.deepEqual(await unlabelledFields(page), [])

    // "Send a new code" at once: the server's cool-down, said and counted down on the button.
    await dialog.getByRole('button', { name: 'Send a new code' }).click()
    await dialog.getByRole('alert').filter({ hasText: /Wait \d+ seconds before asking for a new code/ }).waitFor()
    const waiting = dialog.getByRole('button', { name: /^Send a new code \(wait \d+ s\)$/ })
    assert.equal(await waiting.isDisabled(), true)
    await snapshot(page, 'contact-phone-resend-too-soon')

    const right = await newestCode(page, phone)
    await code.fill(otherCode(right))
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await dialog.getByRole('alert').filter({ hasText: 'That code is not correct or has expired. Type the code from the newest text message.' }).waitFor()
    assert.equal(await code.inputValue(), '', 'a wrong code is cleared')

    await code.fill(right)
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await dialog.waitFor({ state: 'detached' })
    await contactCard(page).getByText(`Your mobile number ${masked(phone)} is verified.`).waitFor()
    assert.equal(await contactCard(page).locator('.phone').textContent(), masked(phone))
    await contactCard(page).getByText('verified', { exact: true }).waitFor()
    await contactCard(page).getByRole('button', { name: 'Change mobile number' }).waitFor()
    assert.equal(await page.getByText(phone.slice(3)).count(), 0, 'the full number is never on the page')
    const overview = await (await page.request.get('/api/v1/account/security')).json()
    assert.equal(overview.phone, masked(phone))
    assert.equal(overview.phoneVerified, true)
    await page.getByRole('region', { name: 'Recent activity' }).getByText('Mobile number verified').waitFor()
    await snapshot(page, 'contact-phone-verified')
  })

  test('F-SET-2: a user changes the e-mail address with the code sent to the new address', async () => {
    const user = await w.t.createUser(optional.id)
    const old = `${user.username}@example.test`
    const fresh = `new-${user.username}@example.test`
    const page = await (await w.context()).newPage()
    await openSecurity(page, user)
    await contactCard(page).getByText(old).waitFor()

    await contactCard(page).getByRole('button', { name: 'Change e-mail address' }).click()
    const dialog = page.getByRole('dialog', { name: 'Change e-mail address' })
    const address = dialog.getByLabel('New e-mail address')
    assert.equal(await address.getAttribute('type'), 'email')
    assert.equal(await address.getAttribute('autocomplete'), 'email')
    await address.fill(fresh)
    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByText(`We sent a code by e-mail to n•••@example.test.`).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'contact-email-code')
    const overview = await (await page.request.get('/api/v1/account/security')).json()
    assert.equal(overview.email, old, 'unchanged until the code comes back')

    await dialog.getByLabel('Code from the e-mail').fill(await newestCode(page, fresh))
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await dialog.waitFor({ state: 'detached' })
    await contactCard(page).getByText(`Your e-mail address is now ${fresh}.`).waitFor()
    await contactCard(page).locator('dd').filter({ hasText: fresh }).waitFor()
    assert.equal((await (await page.request.get('/api/v1/account/security')).json()).email, fresh)
  })

  test('SC-14 F-SET-2: 11 minutes after sign-in, registering a number asks for the password and then sends the code by itself', async () => {
    const user = await w.t.createUser(optional.id)
    const phone = nextPhone()
    const page = await (await w.context()).newPage()
    await openSecurity(page, user)
    w.t.clock.advance(11 * 60_000)

    await contactCard(page).getByRole('button', { name: 'Register a mobile number' }).click()
    const dialog = page.getByRole('dialog', { name: 'Register a mobile number' })
    await dialog.getByLabel('Mobile number').fill(phone)
    await dialog.getByRole('button', { name: 'Send code' }).click()
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.getByLabel('Password', { exact: true }).fill(user.password)
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })
    await dialog.getByText(`We sent a code by text message to ${masked(phone)}.`).waitFor()
    await dialog.getByLabel('Code from the text message').fill(await newestCode(page, phone))
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await contactCard(page).getByText(`Your mobile number ${masked(phone)} is verified.`).waitFor()
  })

  test('F-OTP-4: SMS chosen without a number — the code comes by e-mail once, then the sign-in asks for a mobile number, verifies it, and reaches My Account', async () => {
    // The user chose SMS at an earlier, restricted sign-in, without registering a number.
    const user = await w.t.createUser(smsOnly.id)
    const email = `${user.username}@example.test`
    const first = await w.t.signIn(user.username, user.password, undefined, new CookieJar())
    assert.equal(first.body.state, 'awaiting_enrolment')
    assert.equal((await w.t.browser(first.jar, 'PUT', '/api/v1/account/method', { method: 'sms' })).statusCode, 204)

    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    await page.getByRole('button', { name: 'Send me a code' }).click()
    await page.getByText(/We sent a code to .•••@example\.test/).waitFor()
    await page.getByLabel('Code from the text message').fill(await newestCode(page, email))
    await page.getByRole('button', { name: 'Verify' }).click()

    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.getByText('your account has no mobile number yet').waitFor()
    await dialog.getByLabel('Mobile number').waitFor()
    await page.keyboard.press('Escape')
    assert.equal(await dialog.isVisible(), true, 'the dialog cannot be skipped')
    assert.equal((await page.request.get('/api/v1/account/remembered-browsers')).status(), 403, 'nothing else until a number is verified')

    // A reload loses the sign-in's answer; the account still says a number is needed.
    await page.reload()
    await dialog.getByText('your account has no mobile number yet').waitFor()
    const phone = nextPhone()
    await dialog.getByLabel('Mobile number').fill(phone)
    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByText(`We sent a code by text message to ${masked(phone)}.`).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'enrolment-phone')
    await dialog.getByLabel('Code from the text message').fill(await newestCode(page, phone))
    await dialog.getByRole('button', { name: 'Verify' }).click()

    await page.waitForURL(/\/account\/security$/)
    await dialog.waitFor({ state: 'detached' })
    await contactCard(page).locator('.phone').filter({ hasText: masked(phone) }).waitFor()
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.equal(session.restrictedToEnrolment, false)
    assert.deepEqual(session.amr, ['pwd', 'mail', 'mfa'])
    assert.deepEqual(await unlabelledFields(page), [])

    // The next sign-in sends the code to the verified number.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    w.t.clock.advance(31_000)
    await signInWithPages(page, user)
    await page.getByRole('button', { name: 'Send me a code' }).click()
    await page.getByText(`We sent a code to ${masked(phone)}`).waitFor()
  })

  test('F-LOGIN-5 F-SET-2: after a reload the enrolment dialog offers "Register a mobile number" among the choices, says an admin corrects a wrong e-mail address, and a verified number completes it', async () => {
    const user = await w.t.createUser(required.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.getByRole('button', { name: 'Code from an authenticator app' }).click()
    await dialog.getByRole('button', { name: 'Show the QR code' }).waitFor()

    await page.reload()
    await dialog.getByRole('button', { name: 'Code from an authenticator app' }).waitFor()
    // The e-mail address cannot be changed in a restricted session; the dialog says who can fix it.
    await dialog.getByText(`Codes by e-mail and security notices go to ${user.username}@example.test. If that address is wrong, ask your administrator to correct it`).waitFor()
    assert.equal(await dialog.getByRole('button', { name: 'Change e-mail address' }).count(), 0)
    await dialog.getByRole('button', { name: 'Register a mobile number' }).click()
    const phone = nextPhone()
    await dialog.getByLabel('Mobile number').fill(phone)
    await dialog.getByRole('button', { name: 'Send code' }).click()
    await dialog.getByLabel('Code from the text message').fill(await newestCode(page, phone))
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    await contactCard(page).locator('.phone').filter({ hasText: masked(phone) }).waitFor()
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.equal(session.restrictedToEnrolment, false)
  })
})
