import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { deliverPush, openApp, pasteLink, signInDesktop, snapshot, startAppServer, startPairing, totpCode, verifiesInNode, type AppServer, type Phone } from './support.js'

interface PairedPhone {
  user: { id: string; username: string; password: string }
  phone: Phone
  deviceId: string
  secret: string
  orgName: string
  /** The desktop profile that paired it (signed in, on My Account › Security). */
  account: Page
}

/** F-PUSH-1…6, PU-01…PU-11 end to end: the app on a phone, the sign-in page on a desktop, a local push service. */
describe('Countersign Authenticator: pairing and push approval', () => {
  let s: AppServer
  let org: { id: string }
  let orgName: string

  before(async () => {
    s = await startAppServer()
    org = await s.t.createOrganisation({ policy: 'optional' })
    orgName = (await s.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().name
  })
  after(() => s.close())

  /** A user signs in on the desktop, asks for a pairing link, and the phone's app links it (paste, then Login). */
  async function pairedPhone(options: { blockEvents?: boolean } = {}): Promise<PairedPhone> {
    const user = await s.t.createUser(org.id)
    const account = await (await s.desktop()).newPage()
    await signInDesktop(account, user)
    const { deviceId, pairingUri, secret } = await startPairing(account)
    const phone = await s.phone()
    if (options.blockEvents) await phone.page.route('**/api/v1/authenticator/events?*', (route) => route.abort())
    await openApp(phone)
    await pasteLink(phone.page, pairingUri)
    await phone.page.getByRole('button', { name: 'Login' }).click()
    // With a push subscription (the test's push service); without one it would say notifications are off.
    await phone.page.getByText(`${user.username} at ${orgName} is linked. Your computer shows it too.`).waitFor()
    return { user, phone, deviceId, secret, orgName, account }
  }

  /** A second factor besides the app (a TOTP app linked from the account page), so the app may go (F-DEV-2). */
  async function linkTotpApp(account: Page): Promise<void> {
    const started = await account.evaluate(async () => {
      const response = await fetch('/api/v1/account/devices/totp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Other app' }) })
      return response.json()
    })
    const status = await account.evaluate(
      async ({ id, code }) => (await fetch(`/api/v1/account/devices/${id}/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).status,
      { id: started.deviceId as string, code: totpCode(started.secret, s.t.clock.now()) },
    )
    assert.equal(status, 200)
  }

  /** The password on the sign-in page; the page then asks the phone by itself and shows the number. */
  async function signInToPush(page: Page, user: { username: string; password: string }): Promise<string> {
    await page.goto('/sign-in')
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const number = page.locator('.push-number')
    await number.waitFor()
    return ((await number.textContent()) ?? '').trim()
  }

  /** The push messages that reached one phone's endpoint, decrypted by the push service. */
  async function pushesTo(phone: Phone, count: number): Promise<any[]> {
    const path = new URL(phone.endpoint!).pathname
    const deadline = Date.now() + 10_000
    for (;;) {
      const mine = s.push.received.filter((message) => message.path === path)
      if (mine.length >= count) return mine
      if (Date.now() > deadline) throw new Error(`push: ${mine.length} of ${count} (refused: ${JSON.stringify(s.push.refused)})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  const challengeHeading = (page: Page) => page.getByRole('heading', { name: 'Sign-in request', exact: true })
  const numberField = (page: Page) => page.getByLabel('Type the number shown on the sign-in screen')

  test('F-PUSH-1 F-PUSH-2 F-PUSH-5 PU-07: a sign-in pushes to the paired phone; the notification opens the request with its context, and approving with the typed number lets the desktop continue by itself', async () => {
    // The event stream is blocked, so only the push can bring the request to the app.
    const { user, phone, deviceId } = await pairedPhone({ blockEvents: true })
    await phone.page.getByText('Sign-in requests and codes').waitFor()

    const desktop = await (await s.desktop()).newPage()
    const desktopAgent = await desktop.evaluate(() => navigator.userAgent)
    const number = await signInToPush(desktop, user)
    const [message] = await pushesTo(phone, 1)
    assert.equal(message.ttl, '120')
    assert.equal(message.urgency, 'high')
    const payload = message.payload
    assert.equal(payload.type, 'challenge')
    assert.equal(payload.deviceId, deviceId)
    assert.equal(payload.server, s.base)
    assert.equal(payload.organisation, orgName)
    assert.equal(payload.username, user.username)
    assert.equal(payload.ip, '127.0.0.1')
    assert.ok(typeof payload.browser === 'string' && payload.browser.length <= 100 && desktopAgent.startsWith(payload.browser.slice(0, 20)), payload.browser)
    assert.ok(!JSON.stringify(payload).includes(number) || number.length > 2 || !('matchNumber' in payload), 'the number is not in the push')
    assert.equal('matchNumber' in payload || 'number' in payload, false, 'the number never goes to the phone')

    await deliverPush(phone.page, s.base, JSON.stringify(payload))
    await challengeHeading(phone.page).waitFor()
    assert.equal(new URL(phone.page.url()).hash, `#/challenge/${payload.challengeId}?device=${deviceId}`)
    const notifications = await phone.page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction, data: n.data })),
    )
    assert.deepEqual(notifications, [
      {
        title: `Sign-in request for ${user.username} at ${orgName}`,
        body: 'Chrome on Linux · 127.0.0.1. Open to approve or deny.',
        tag: payload.challengeId,
        requireInteraction: true,
        data: { url: `/app/#/challenge/${payload.challengeId}?device=${deviceId}`, challengeId: payload.challengeId, deviceId },
      },
    ])

    // F-PUSH-5: the context, escaped text, and a number to type (never a list to pick from).
    const details = phone.page.locator('.details')
    for (const text of [orgName, user.username, 'Chrome on Linux', '127.0.0.1']) await details.getByText(text, { exact: true }).first().waitFor()
    const field = numberField(phone.page)
    assert.equal(await field.getAttribute('inputmode'), 'numeric')
    assert.equal(await field.getAttribute('maxlength'), '2')
    assert.equal(await phone.page.getByRole('radio').count(), 0)
    await field.fill(number)
    await snapshot(phone.page, 'app-challenge')

    const answerRequest = phone.page.waitForRequest((request) => request.url().endsWith(`/challenges/${payload.challengeId}/answer`))
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('Sign-in approved. Go back to your computer').waitFor()
    await desktop.waitForURL(/\/account\/security$/)

    // F-PUSH-6: the answer is signed over the challenge, the decision, the typed number and notMe.
    const body = (await answerRequest).postDataJSON()
    const publicKey = await phone.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open('countersign-authenticator')
        request.onsuccess = () => resolve(request.result)
      })
      const accounts = await new Promise<any[]>((resolve) => {
        const request = db.transaction('accounts').objectStore('accounts').getAll()
        request.onsuccess = () => resolve(request.result)
      })
      return crypto.subtle.exportKey('jwk', accounts[0].pairing.keyPair.publicKey)
    })
    const jwk = { kty: publicKey.kty!, crv: publicKey.crv!, x: publicKey.x!, y: publicKey.y! }
    assert.deepEqual({ decision: body.decision, number: body.number, notMe: body.notMe, deviceId: body.deviceId }, { decision: 'approve', number, notMe: false, deviceId })
    assert.ok(verifiesInNode(jwk, JSON.stringify(['countersign-authenticator/1', 'answer', deviceId, body.issuedAt, payload.challengeId, 'approve', number, false]), body.signature))
    const left = await phone.page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length)
    assert.equal(left, 0, 'the answered request\'s notification is gone')
  })

  test('F-PUSH-1: the app pairs from the QR code read with the camera, and the page that showed it learns of the link', async () => {
    const user = await s.t.createUser(org.id)
    const account = await (await s.desktop()).newPage()
    await signInDesktop(account, user)
    const { deviceId, pairingUri } = await startPairing(account)
    const linked = account.evaluate(
      (id) =>
        new Promise<{ id: string; kind: string }>((resolve) => {
          const events = new EventSource(`/api/v1/account/devices/${id}/events`)
          events.addEventListener('linked', (event) => {
            events.close()
            resolve(JSON.parse((event as MessageEvent<string>).data))
          })
        }),
      deviceId,
    )

    const camera = await s.cameraBrowser(pairingUri)
    const phone = await s.phone({ browser: camera })
    await openApp(phone)
    await phone.page.getByRole('button', { name: 'Add account' }).click()
    await phone.page.getByRole('button', { name: 'Scan QR code' }).click()
    await phone.page.getByRole('heading', { name: `Link ${user.username} at ${orgName}?` }).waitFor()
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText(`${user.username} at ${orgName} is linked.`).waitFor()
    const device = await linked
    assert.equal(device.id, deviceId)
    assert.equal(device.kind, 'authenticator')
  })

  test('F-PUSH-2 F-PUSH-5 PU-05: an open app brings the request by itself (event stream); Deny then "This wasn\'t me" refuses it, the desktop says so, and the report is audited', async () => {
    const { user, phone } = await pairedPhone()
    const desktop = await (await s.desktop()).newPage()
    await signInToPush(desktop, user)
    await challengeHeading(phone.page).waitFor()
    await phone.page.getByRole('button', { name: 'Deny' }).click()
    await phone.page.getByRole('heading', { name: 'Was this you?' }).waitFor()
    await snapshot(phone.page, 'app-deny')
    await phone.page.getByRole('button', { name: 'This wasn\u2019t me' }).click()
    await phone.page.getByText('Sign-in refused. Your organisation’s administrators have been alerted.').waitFor()
    await desktop.getByRole('alert').filter({ hasText: 'The sign-in was refused on your phone.' }).waitFor()
    const events = await s.t.auditEvents({ account: user.id, event: 'push.reported_not_me' })
    assert.equal(events.length, 1)
  })

  test('F-PUSH-2: Deny with "It was me, but refuse it" refuses without a report', async () => {
    const { user, phone } = await pairedPhone()
    const desktop = await (await s.desktop()).newPage()
    await signInToPush(desktop, user)
    await challengeHeading(phone.page).waitFor()
    await phone.page.getByRole('button', { name: 'Deny' }).click()
    await phone.page.getByRole('button', { name: 'It was me, but refuse it' }).click()
    await phone.page.getByText('Sign-in refused.', { exact: true }).waitFor()
    await desktop.getByRole('alert').filter({ hasText: 'The sign-in was refused on your phone.' }).waitFor()
    assert.equal((await s.t.auditEvents({ account: user.id, event: 'push.reported_not_me' })).length, 0)
    assert.equal((await s.t.auditEvents({ account: user.id, event: 'push.denied' })).length, 1)
  })

  test('F-PUSH-5 PU-01: a wrong number is refused: the phone says the number did not match, and the desktop refuses the sign-in', async () => {
    const { user, phone } = await pairedPhone()
    const desktop = await (await s.desktop()).newPage()
    const number = await signInToPush(desktop, user)
    await challengeHeading(phone.page).waitFor()
    // An incomplete number is not sent at all.
    await numberField(phone.page).fill('7')
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('Type the 2-digit number shown on the sign-in screen.').waitFor()
    await numberField(phone.page).fill(number === '99' ? '98' : '99')
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('The number did not match; the sign-in was refused.').waitFor()
    await snapshot(phone.page, 'app-wrong-number')
    await desktop.getByRole('alert').filter({ hasText: 'The number typed on the phone did not match.' }).waitFor()
  })

  test('F-PUSH-2: an app opened after the push lists the pending request, and it can be approved from there', async () => {
    const { user, phone } = await pairedPhone()
    await phone.page.goto('about:blank')
    const desktop = await (await s.desktop()).newPage()
    const number = await signInToPush(desktop, user)
    await phone.page.goto('/app/')
    const pending = phone.page.getByRole('region', { name: 'Sign-in requests' })
    await pending.getByText(`${user.username} at ${orgName}`).waitFor()
    await pending.getByRole('button', { name: 'Review' }).click()
    await numberField(phone.page).fill(number)
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('Sign-in approved.').waitFor()
    await desktop.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-1: the account page\'s "open on this phone" link (/app/#/pair?uri=…) goes straight to "Login"; pasting that link works too', async () => {
    const user = await s.t.createUser(org.id)
    const account = await (await s.desktop()).newPage()
    await signInDesktop(account, user)
    const first = await startPairing(account)
    const phone = await s.phone()
    await openApp(phone)
    await phone.page.goto(`/app/#/pair?uri=${encodeURIComponent(first.pairingUri)}`)
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText(`${user.username} at ${orgName} is linked. Your computer shows it too.`).waitFor()

    const second = await startPairing(account, 'Second')
    await phone.page.goto('/app/#/')
    await pasteLink(phone.page, `${s.base}/app/#/pair?uri=${encodeURIComponent(second.pairingUri)}`)
    await phone.page.getByRole('button', { name: 'Login' }).waitFor()
  })

  test('F-PUSH-3 PU-11: the code the app shows signs in on the desktop instead of the push', async () => {
    const { user, phone, secret } = await pairedPhone()
    const desktop = await (await s.desktop()).newPage()
    await signInToPush(desktop, user)
    // The open app shows the request at once; the codes are one step back.
    await challengeHeading(phone.page).waitFor()
    await phone.page.getByRole('button', { name: 'Back' }).click()
    await desktop.getByRole('button', { name: 'Enter the code from the app instead' }).click()
    const code = (await phone.page.getByRole('button', { name: `Code for ${orgName}` }).getAttribute('data-code')) ?? ''
    assert.ok([-1, 0, 1].some((offset) => totpCode(secret, new Date(), offset) === code))
    await desktop.getByLabel('Code from your authenticator app').fill(code)
    await desktop.getByRole('button', { name: 'Verify' }).click()
    await desktop.waitForURL(/\/account\/security$/)
  })

  test('F-PUSH-4 PU-08: Unpair in the app removes the device on the server; while it is the last factor the server refuses and the app keeps it', async () => {
    const { user, phone, deviceId, account } = await pairedPhone()
    await snapshot(phone.page, 'app-home')
    await phone.page.getByRole('button', { name: `Options for ${orgName}` }).click()
    await phone.page.getByRole('button', { name: 'Unpair' }).click()
    const dialog = phone.page.getByRole('dialog', { name: `Unpair ${orgName}?` })
    await dialog.getByText('The device is removed on the server too.').waitFor()
    // The organisation's rule that the last factor stays (F-DEV-2): the server's words, nothing forgotten.
    const refused = phone.page.waitForResponse((response) => response.url().includes(`/api/v1/authenticator/devices/${deviceId}?`))
    await dialog.getByRole('button', { name: 'Unpair' }).click()
    assert.equal((await refused).status(), 409)
    await dialog.getByRole('alert').waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await phone.page.getByRole('button', { name: `Code for ${orgName}` }).waitFor()

    await linkTotpApp(account)
    await phone.page.getByRole('button', { name: `Options for ${orgName}` }).click()
    await phone.page.getByRole('button', { name: 'Unpair' }).click()
    await dialog.getByRole('button', { name: 'Unpair' }).click()
    await phone.page.getByText(`${orgName} was unpaired.`).waitFor()
    await phone.page.getByText('No accounts yet').waitFor()
    const devices = (await s.t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().devices as Array<{ id: string; kind: string }>
    assert.deepEqual(devices.map((d) => d.kind), ['totp'], 'only the other app is left')
    assert.ok(!devices.some((d) => d.id === deviceId))
    const events = await s.t.auditEvents({ account: user.id })
    assert.ok(events.some((e) => e.event === 'device.removed'), events.map((e) => e.event).join(' '))
  })

  test('F-PUSH-4 PU-08: a device removed on the server shows as removed in the open app, which can then forget it', async () => {
    const { phone, deviceId, account } = await pairedPhone()
    await phone.page.getByText('Sign-in requests and codes').waitFor()
    await linkTotpApp(account)
    const removed = await account.evaluate((id) => fetch(`/api/v1/account/devices/${id}`, { method: 'DELETE' }).then((r) => r.status), deviceId)
    assert.equal(removed, 204)
    await phone.page.getByText('Removed on the server').waitFor({ timeout: 20_000 })
    await phone.page.getByText('This phone is no longer linked to the account.').waitFor()
    await snapshot(phone.page, 'app-removed')
    await phone.page.getByRole('button', { name: `Options for ${orgName}` }).click()
    await phone.page.getByRole('button', { name: 'Remove from this phone' }).click()
    await phone.page.getByRole('dialog', { name: `Remove ${orgName}?` }).getByRole('button', { name: 'Remove' }).click()
    await phone.page.getByText('No accounts yet').waitFor()
  })

  test('PU-03: when the phone\'s clock is minutes off, the refused answer tells the user to check the clock', async () => {
    const { user, phone } = await pairedPhone()
    const desktop = await (await s.desktop()).newPage()
    const number = await signInToPush(desktop, user)
    await challengeHeading(phone.page).waitFor()
    await phone.page.clock.setSystemTime(new Date(Date.now() + 5 * 60_000))
    await numberField(phone.page).fill(number)
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('the phone’s clock is 5 minutes off').waitFor()
    // The prompt stays: with the clock set right the same request can still be answered.
    await phone.page.clock.setSystemTime(new Date())
    await phone.page.getByRole('button', { name: 'Approve' }).click()
    await phone.page.getByText('Sign-in approved.').waitFor()
    await desktop.waitForURL(/\/account\/security$/)
  })
})
