import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { snapshot, startWebApp, unlabelledFields, type WebApp } from './support.js'

/** F-OTP-1 and F-OTP-5 in Chromium: sign in with an SMS code read from the development outbox page. */
describe('One-time codes (F-OTP)', () => {
  let w: WebApp
  let org: { id: string }

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ policy: 'required' })
  })
  after(() => w.close())

  test('F-OTP-1 F-OTP-5: "Send me a code", read the SMS on /dev/outbox, type it, and the account page follows', async () => {
    // A user who registered and verified a phone at the first sign-in (F-SET-2), through the API.
    const user = await w.t.createUser(org.id)
    const phone = '+31687650001'
    const { jar } = await w.t.signIn(user.username, user.password, undefined, new CookieJar())
    assert.equal((await w.t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode, 202)
    const first = (await w.t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}` })).json()[0].text as string
    assert.equal((await w.t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: /\d{6}/.exec(first)![0] })).statusCode, 200)
    w.t.clock.advance(31_000)

    const context = await w.context()
    const page = await context.newPage()
    await page.goto('/sign-in')
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Send me a code' }).click()
    await page.getByText(/We sent a code to \+31 ••• ••• 001/).waitFor()
    const code = page.getByLabel('Code from the text message')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.deepEqual(await unlabelledFields(page), [])

    const outbox = await context.newPage()
    await outbox.goto(`/dev/outbox?to=${encodeURIComponent(phone)}`)
    const newest = outbox.locator('.outbox-text').first()
    await newest.waitFor()
    const text = (await newest.textContent()) ?? ''
    const sms = /\b(\d{6})\b/.exec(text)?.[1]
    assert.ok(sms, text)
    assert.deepEqual(await unlabelledFields(outbox), [])
    await snapshot(outbox, 'dev-outbox')

    await code.fill(sms)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json())
    assert.deepEqual(session.amr, ['pwd', 'sms', 'mfa'])
  })
})
