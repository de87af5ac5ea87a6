import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { fetchTransport, TestAuthenticator } from '../../server/src/test-support/authenticator-device.js'
import { readQrCode, secretOf, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

/**
 * The phone: the server's Node stand-in for the Countersign Authenticator (a P-256 key of its own,
 * every request signed per docs/authenticator-protocol.md §2), over real HTTP to the listening
 * server. Its clock is the server's hand-moved one (PU-03 allows 2 minutes of difference).
 */
type Phone = TestAuthenticator

/** Waits for the newest pending challenge, as the notification would bring it. */
async function newestChallenge(phone: Phone): Promise<{ id: string; numberLength: number; username: string }> {
  for (let i = 0; i < 50; i++) {
    const answer = await phone.pending()
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    const [newest] = answer.body as Array<{ id: string; numberLength: number; username: string }>
    if (newest) return newest
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('no challenge reached the phone')
}

/** F-PUSH-1…5 and F-DEV-2 in Chromium: the browser's side of the Countersign Authenticator. */
describe('Countersign Authenticator in the browser (F-PUSH)', () => {
  let w: WebApp
  let org: { id: string }
  const now = () => w.t.clock.now()

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ policy: 'required' })
    await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { rememberBrowserDays: 30 })
  })
  after(() => w.close())

  /** Reads the QR code (or pairing URI) and taps "Login" in the app. */
  async function pairPhone(pairingUri: string, name = 'Node phone'): Promise<Phone> {
    const phone = new TestAuthenticator(fetchTransport(w.base), now)
    const answer = await phone.pair(pairingUri, { name })
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    return phone
  }

  /**
   * The server tells a flow's challenges apart by creation time; under the hand-moved clock two
   * pushes would otherwise share one instant, so a test moves it on before sending again.
   */
  const laterPush = () => w.t.clock.advance(1000)

  /** A user with an app code and a paired Countersign Authenticator (push is then their first method). */
  async function pairedUser() {
    const user = await w.t.enrolledUser(org.id)
    const { jar } = await w.t.signIn(user.username, user.password, user.secret)
    const started = await w.t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone app' })
    assert.equal(started.statusCode, 201, started.body)
    const { pairingUri } = started.json()
    const phone = await pairPhone(pairingUri)
    w.t.nextStep()
    return { ...user, phone, appSecret: secretOf(pairingUri) }
  }

  /** Password on the page; the second step then asks the phone by itself. Returns the number shown. */
  async function signInToPush(page: Page, user: { username: string; password: string }): Promise<string> {
    await signInWithPages(page, user)
    const number = page.locator('.push-number')
    await number.waitFor()
    return ((await number.textContent()) ?? '').trim()
  }

  test('F-PUSH-2 F-PUSH-5: the waiting page shows the number, and continues by itself when the phone approves with it', async () => {
    const user = await pairedUser()
    const context = await w.context()
    const page = await context.newPage()
    const number = await signInToPush(page, user)
    assert.match(number, /^[1-9][0-9]$/, 'two digits by default')
    await page.getByText('Type this number in the Countersign Authenticator on your phone').waitFor()
    await page.getByText('A notification went to your phone.').waitFor()
    await page.getByText(/The request expires in [12]:\d\d\./).waitFor()
    await page.getByRole('button', { name: 'Enter the code from the app instead' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'push-waiting')
    await page.getByLabel('Remember this browser for 30 days').check()

    const challenge = await newestChallenge(user.phone)
    assert.equal(challenge.numberLength, 2)
    const answer = await user.phone.answer(challenge.id, 'approve', number)
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    await page.waitForURL(/\/account\/security$/)
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.deepEqual(session.amr, ['pwd', 'swk', 'mfa'])
    const cookies = await context.cookies()
    assert.ok(cookies.some((c) => c.name.endsWith('cs_remember')), 'the browser is remembered, as with a code')
  })

  test('F-PUSH-2: "Deny" on the phone: the page says the sign-in was refused, with Try again and Use another method', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    await signInToPush(page, user)
    const challenge = await newestChallenge(user.phone)
    assert.equal((await user.phone.answer(challenge.id, 'deny', '')).status, 200)
    await page.getByRole('alert').filter({ hasText: 'The sign-in was refused on your phone.' }).waitFor()
    await snapshot(page, 'push-denied')
    await page.getByRole('button', { name: 'Use another method' }).first().waitFor()

    // Try again: a new request with a new challenge, approved this time.
    laterPush()
    await page.getByRole('button', { name: 'Try again' }).click()
    await page.locator('.push-number').waitFor()
    const number = ((await page.locator('.push-number').textContent()) ?? '').trim()
    const second = await newestChallenge(user.phone)
    assert.notEqual(second.id, challenge.id)
    assert.equal((await user.phone.answer(second.id, 'approve', number)).status, 200)
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-5: "This wasn\'t me" on the phone is a refusal too', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    await signInToPush(page, user)
    const challenge = await newestChallenge(user.phone)
    assert.equal((await user.phone.answer(challenge.id, 'deny', '', { notMe: true })).status, 200)
    await page.getByRole('alert').filter({ hasText: 'The sign-in was refused on your phone.' }).waitFor()
  })

  test('F-PUSH-5 PU-01: a wrong number typed on the phone ends the request: the page says the number did not match', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    const number = await signInToPush(page, user)
    const wrong = number === '99' ? '98' : '99'
    const challenge = await newestChallenge(user.phone)
    const answer = await user.phone.answer(challenge.id, 'approve', wrong)
    assert.equal(answer.status, 401)
    assert.equal(answer.body.error.code, 'NUMBER_MISMATCH')
    await page.getByRole('alert').filter({ hasText: 'The number typed on the phone did not match.' }).waitFor()
    await snapshot(page, 'push-wrong-number')
    assert.equal(await page.locator('.push-number').count(), 0, 'the old number is gone')
  })

  test('F-PUSH-2: a request left unanswered expires: the page says so and "Send again" sends a new one', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    await signInToPush(page, user)
    const challenge = await newestChallenge(user.phone)
    w.t.clock.advance(2 * 60_000 + 1000)
    await page.getByText('The request expired.').waitFor({ timeout: 20_000 })
    await snapshot(page, 'push-expired')
    await page.getByRole('button', { name: 'Send again' }).click()
    await page.locator('.push-number').waitFor()
    const second = await newestChallenge(user.phone)
    assert.notEqual(second.id, challenge.id)
    const number = ((await page.locator('.push-number').textContent()) ?? '').trim()
    assert.equal((await user.phone.answer(second.id, 'approve', number)).status, 200)
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-3: "Enter the code from the app instead" signs in with the app\'s code', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    await signInToPush(page, user)
    await page.getByRole('button', { name: 'Enter the code from the app instead' }).click()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.appSecret, now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-2: when the event stream fails, the page asks every 2 seconds and still continues by itself', async () => {
    const user = await pairedUser()
    const page = await (await w.context()).newPage()
    await page.route('**/api/v1/sign-in/events', (route) => route.abort('connectionrefused'))
    let polls = 0
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/sign-in/push/complete')) polls++
    })
    const number = await signInToPush(page, user)
    await page.waitForTimeout(2500)
    assert.ok(polls >= 1, 'the page polls')
    const challenge = await newestChallenge(user.phone)
    assert.equal((await user.phone.answer(challenge.id, 'approve', number)).status, 200)
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-5 PU-04: after three sign-ins in a row whose pushes went unanswered the page explains that push is paused and offers the other methods', async () => {
    const user = await pairedUser()
    // Three sign-in attempts, each with a push nobody answered (through the API). "Send again"
    // within one sign-in would not do: it adds pushes, not attempts.
    for (let i = 0; i < 3; i++) {
      const jar = new CookieJar()
      laterPush()
      assert.equal((await w.t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).statusCode, 200)
      const started = await w.t.browser(jar, 'POST', '/api/v1/sign-in/push', {})
      assert.equal(started.statusCode, 202, started.body)
    }
    const page = await (await w.context()).newPage()
    laterPush()
    await signInWithPages(page, user)
    await page.getByText('Approving on your phone is paused for your account: several requests in a row went unanswered').waitFor()
    await snapshot(page, 'push-paused')
    await page.getByRole('button', { name: 'Use another method' }).first().click()
    await page.getByRole('button', { name: 'Code from an authenticator app' }).click()
    await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, now()))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-5 PU-04: the sixth request in 15 minutes is refused, and the page says for how long', async () => {
    const user = await pairedUser()
    // Five sign-ins approved on the phone, through the API (each a push of its own).
    for (let i = 0; i < 5; i++) {
      const jar = new CookieJar()
      laterPush()
      assert.equal((await w.t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).statusCode, 200)
      const started = await w.t.browser(jar, 'POST', '/api/v1/sign-in/push', {})
      assert.equal(started.statusCode, 202, started.body)
      const answer = await user.phone.answer(started.json().challengeId, 'approve', started.json().matchNumber)
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.equal((await w.t.browser(jar, 'POST', '/api/v1/sign-in/push/complete', {})).statusCode, 200)
    }
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    await page.getByText(/Too many sign-in requests were sent to your phone, so approving on the phone is paused for \d+ min\./).waitFor()
    await page.getByRole('button', { name: 'Enter the code from the app instead' }).waitFor()
  })

  test('F-PUSH-1 F-DEV-2: linking the Countersign Authenticator from My devices: the phone scans the QR code, and the dialog and the list update by themselves', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user, () => totpCode(user.secret, now()))
    await page.waitForURL(/\/account\/security$/)
    const devices = page.getByRole('region', { name: 'My devices' })
    await devices.getByRole('button', { name: /^Time-based One-Time-Password from app/ }).waitFor()
    await devices.getByRole('button', { name: /^Countersign Authenticator \(approve sign-ins with one tap\)/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Countersign Authenticator' })
    await dialog.getByLabel('Device name').fill('Work phone')
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    const image = dialog.getByRole('img', { name: 'QR code to scan with Countersign Authenticator' })
    await image.waitFor()
    await dialog.getByText(`open Countersign Authenticator at ${w.base}/app/`).waitFor()
    await dialog.getByRole('status').filter({ hasText: 'Waiting for your phone…' }).waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'push-link-qr')

    // The phone's view: the QR code read off the screen.
    const uri = await readQrCode(page)
    assert.match(uri, /^otpauth:\/\/totp\/.*[?&]cs_pair=/)
    const link = await dialog.getByRole('link', { name: 'Open this link in Countersign Authenticator' }).getAttribute('href')
    assert.equal(link, `${w.base}/app/#/pair?uri=${encodeURIComponent(uri)}`)
    assert.equal(await dialog.getByLabel('Link for the app').inputValue(), link)

    await pairPhone(uri, 'Pixel')
    await dialog.getByText('“Work phone” is linked. You can now approve sign-ins on it.').waitFor()
    await snapshot(page, 'push-link-done')
    const names = await devices.locator('.item-title strong').allTextContents()
    assert.deepEqual(names.sort(), ['Phone', 'Work phone'])
    await devices.locator('.item').filter({ hasText: 'Work phone' }).getByText('Countersign Authenticator', { exact: true }).waitFor()
    await dialog.getByRole('button', { name: 'Close' }).first().click()
    await dialog.waitFor({ state: 'detached' })
  })

  test('F-PUSH-1 F-TOTP-1: another app can scan the same QR code and be confirmed with its code', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user, () => totpCode(user.secret, now()))
    await page.waitForURL(/\/account\/security$/)
    await page.getByRole('button', { name: /^Countersign Authenticator \(approve/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Countersign Authenticator' })
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with Countersign Authenticator' }).waitFor()
    const secret = secretOf(await readQrCode(page))
    await dialog.getByText('Scanned it with another app? Type its code instead').click()
    w.t.nextStep()
    await dialog.getByLabel('Code from the app').fill(totpCode(secret, now()))
    await dialog.getByRole('button', { name: 'Link now' }).click()
    await dialog.getByText('“My phone” is linked.', { exact: true }).waitFor()
    const devices = await page.evaluate(() => fetch('/api/v1/account/devices').then((r) => r.json()))
    assert.deepEqual(devices.map((d: { kind: string }) => d.kind).sort(), ['totp', 'totp'], 'an ordinary app: no push without the app’s key')
  })

  test('F-LOGIN-5 F-PUSH-1: forced enrolment with the Countersign Authenticator: the app pairs and the page goes on by itself with a full session', async () => {
    const user = await w.t.createUser(org.id)
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    const dialog = page.getByRole('dialog', { name: 'Set up two-step verification' })
    await dialog.getByRole('button', { name: 'Countersign Authenticator (approve sign-ins with one tap)' }).click()
    await dialog.getByRole('button', { name: 'Show the QR code' }).click()
    await dialog.getByRole('img', { name: 'QR code to scan with Countersign Authenticator' }).waitFor()
    await snapshot(page, 'push-enrolment')
    await pairPhone(await readQrCode(page))
    await page.waitForURL(/\/account\/security$/)
    await dialog.waitFor({ state: 'detached' })
    const session = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.json()))
    assert.equal(session.restrictedToEnrolment, false)
    const devices = await page.evaluate(() => fetch('/api/v1/account/devices').then((r) => r.json()))
    assert.deepEqual(devices.map((d: { kind: string }) => d.kind), ['authenticator'])
  })

  test('F-PUSH-5: the admin sets the digits of the number; the next sign-in shows that many', async () => {
    const other = await w.t.createOrganisation({ policy: 'required' })
    const admin = await w.t.enrolledUser(other.id)
    await w.t.admin('PATCH', `/api/v1/admin/users/${admin.id}`, { role: 'admin' })
    const page = await (await w.context()).newPage()
    await signInWithPages(page, admin, () => totpCode(admin.secret, now()))
    await page.waitForURL(/\/account\/security$/)
    await page.goto(`/admin/organisations/${other.id}`)
    const digits = page.getByLabel('Digits in the number to type on the phone')
    assert.equal(await digits.inputValue(), '2')
    await digits.fill('4')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Settings saved.').waitFor()
    const saved = await w.t.admin('GET', `/api/v1/admin/organisations/${other.id}`)
    assert.equal(saved.json().pushNumberDigits, 4)

    const user = await w.t.enrolledUser(other.id)
    const { jar } = await w.t.signIn(user.username, user.password, user.secret)
    const started = await w.t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone app' })
    await pairPhone(started.json().pairingUri)
    w.t.nextStep()
    const userPage = await (await w.context()).newPage()
    assert.match(await signInToPush(userPage, user), /^[1-9][0-9]{3}$/)
  })

  test('F-X-3: the waiting page in Dutch, on a phone-sized screen', async () => {
    const user = await pairedUser()
    const page = await (await w.context({ language: 'nl', mobile: true })).newPage()
    await signInWithPages(page, user)
    await page.getByText('Typ dit getal in de Countersign Authenticator op je telefoon').waitFor()
    await page.getByRole('button', { name: 'Typ in plaats daarvan de code uit de app' }).waitFor()
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits a phone screen')
    await snapshot(page, 'push-waiting-phone-nl')
  })
})
