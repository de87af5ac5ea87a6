import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { snapshot, startWebApp, unlabelledFields, type WebApp } from './support.js'

/**
 * F-OTP-1 and F-OTP-5 in Chromium: sign in with an SMS code read from the development outbox page,
 * and confirm a sensitive change with one (SC-14).
 */
describe('One-time codes (F-OTP)', () => {
  let w: WebApp
  let org: { id: string }

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ policy: 'required' })
  })
  after(() => w.close())

  /** The newest code sent to a number, from the development outbox. */
  async function newestCode(to: string): Promise<string> {
    const messages = (await w.t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(to)}` })).json() as Array<{ text: string }>
    const code = /\b(\d{6})\b/.exec(messages[0]?.text ?? '')?.[1]
    assert.ok(code, `a code was sent to ${to}`)
    return code
  }

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

  test('SC-14 F-OTP-1: an SMS-only user confirms a change in "Confirm it is you" with a code by text message read on /dev/outbox; the password alone does not do', async () => {
    const user = await w.t.createUser(org.id)
    const phone = '+31687650002'
    const { jar } = await w.t.signIn(user.username, user.password, undefined, new CookieJar())
    assert.equal((await w.t.browser(jar, 'PUT', '/api/v1/account/phone', { phone })).statusCode, 202)
    assert.equal((await w.t.browser(jar, 'POST', '/api/v1/account/phone/verify', { code: await newestCode(phone) })).statusCode, 200)
    w.t.clock.advance(31_000)

    const context = await w.context()
    const page = await context.newPage()
    await page.goto('/sign-in')
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Send me a code' }).click()
    await page.getByText(/We sent a code to \+31 ••• ••• 002/).waitFor()
    await page.getByLabel('Code from the text message').fill(await newestCode(phone))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(/\/account\/security$/)

    // Eleven minutes later a new number is a sensitive change (SC-14).
    w.t.clock.advance(11 * 60_000)
    const passwordOnly = await page.evaluate(async (password) => (await fetch('/api/v1/account/reauthenticate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) })).status, user.password)
    assert.equal(passwordOnly, 401, 'the password alone does not confirm an SMS-only account')
    const contact = page.getByRole('region', { name: 'Contact details' })
    await contact.getByRole('button', { name: 'Change mobile number' }).click()
    const change = page.getByRole('dialog', { name: 'Change mobile number' })
    const fresh = '+31687650003'
    await change.getByLabel('Mobile number').fill(fresh)
    await change.getByRole('button', { name: 'Send code' }).click()

    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.getByText('the code we send you by text message').waitFor()
    assert.equal(await reauth.getByLabel('Code from the text message').count(), 0, 'the code field comes once a code is on its way')
    await reauth.getByLabel('Password', { exact: true }).fill(user.password)
    await reauth.getByRole('button', { name: 'Send me a code' }).click()
    await reauth.getByText(/We sent a code to \+31 ••• ••• 002\. It is valid until/).waitFor()
    const code = reauth.getByLabel('Code from the text message')
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'account-reauthenticate-sms')

    // A wrong code is explained and cleared; the password stays.
    const right = await newestCode(phone)
    await code.fill(right === '000000' ? '111111' : '000000')
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.getByRole('alert').filter({ hasText: 'That code is not correct or has expired.' }).waitFor()
    assert.equal(await code.inputValue(), '')
    assert.equal(await reauth.getByLabel('Password', { exact: true }).inputValue(), user.password)

    // The code read on the development outbox page, as a person would.
    const outbox = await context.newPage()
    await outbox.goto(`/dev/outbox?to=${encodeURIComponent(phone)}`)
    const newest = outbox.locator('.outbox-text').first()
    await newest.waitFor()
    const text = (await newest.textContent()) ?? ''
    assert.match(text, /confirm change/)
    const sms = /\b(\d{6})\b/.exec(text)?.[1]
    assert.equal(sms, right)
    await code.fill(sms!)
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })

    // The change that asked carries on by itself: the code for the new number is on its way.
    await change.getByText('We sent a code by text message to +31 ••• ••• 003.').waitFor()
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json())
    assert.deepEqual(session.amr, ['pwd', 'sms', 'mfa'])
  })
})
