import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import type { Locator, Page } from 'playwright-core'
import { signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

interface Person {
  id: string
  username: string
  password: string
  secret: string
}

/** The shape of a recovery code (Crockford base32, no I, L, O or U). */
const CODE = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/

/**
 * Recovery codes (F-X-2) in Chromium: made in My Account and shown once, saved by copy, download
 * or print; used at sign-in through "Use another method", with a page that says how many are left
 * before it goes on; counted in the admin console; in Dutch; on a phone.
 */
describe('Recovery codes (F-X-2)', () => {
  let w: WebApp
  let org: { id: string; slug: string }
  /** The application behind forward auth that a sign-in may be on its way to (F-INT-2). */
  const APP = 'http://app.example.test'

  before(async () => {
    w = await startWebApp()
    org = await w.t.createOrganisation({ name: 'Harbour Clinic', policy: 'required' })
    const patched = await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins: [{ origin: APP, requireSecondFactor: true }] })
    assert.equal(patched.statusCode, 200, patched.body)
  })
  after(() => w.close())

  /** The current code of the user's app, as the phone would show it now. */
  const appCode = (person: Person) => () => totpCode(person.secret, w.t.clock.now())

  /** Signs in through the pages with the app and waits for My Account › Security. */
  async function openSecurity(page: Page, person: Person) {
    await signInWithPages(page, person, appCode(person))
    await page.waitForURL(/\/account\/security$/)
    await page.getByRole('heading', { name: /^(My devices|Mijn apparaten)$/ }).waitFor()
  }

  const section = (page: Page) => page.getByRole('region', { name: 'Recovery codes' })
  const codesDialog = (page: Page) => page.getByRole('dialog', { name: 'Your recovery codes' })
  /** The codes the dialog shows, once all ten are there (allTextContents does not wait). */
  async function shownCodes(dialog: Locator): Promise<string[]> {
    await dialog.locator('.recovery-codes code').nth(9).waitFor()
    return dialog.locator('.recovery-codes code').allTextContents()
  }

  /** A user with an app, and codes made through the API (a recent sign-in); the clock moves on a step. */
  async function userWithCodes(): Promise<Person & { codes: string[] }> {
    const person = await w.t.enrolledUser(org.id)
    const { jar } = await w.t.signIn(person.username, person.password, person.secret)
    const made = await w.t.browser(jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(made.statusCode, 201, made.body)
    w.t.nextStep()
    return { ...person, codes: made.json().codes }
  }

  /** Signs in with a recovery code outside the browser (a flow of its own); returns the HTTP status. */
  async function useCode(person: Person, code: string): Promise<number> {
    const [flowId] = await w.t.flows(person, 1)
    const answer = await w.t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId, method: 'recovery_code', code } })
    return answer.statusCode
  }

  /** Password, then "Use another method" → recovery code, then Verify. */
  async function signInWithRecoveryCode(page: Page, person: Person, code: string, words = { other: 'Use another method', choice: 'Recovery code', verify: 'Verify' }) {
    await page.getByLabel(/^(User name|Gebruikersnaam)$/).fill(person.username)
    await page.getByLabel(/^(Password|Wachtwoord)$/).fill(person.password)
    await page.getByRole('button', { name: /^(Sign in|Aanmelden)$/ }).click()
    await page.getByRole('button', { name: words.other }).click()
    await page.getByRole('button', { name: words.choice, exact: true }).click()
    await page.getByLabel(words.choice, { exact: true }).fill(code)
    await page.getByRole('button', { name: words.verify }).click()
  }

  /** The right edge of the widest element on the page, dialogs included (they sit above the page). */
  async function widest(page: Page): Promise<number> {
    return page.evaluate(() => Math.max(document.documentElement.scrollWidth, ...Array.from(document.querySelectorAll('body *'), (e) => e.getBoundingClientRect().right)))
  }

  test('F-X-2: a user makes recovery codes in My Account: ten codes shown once in a monospace grid, and the dialog closes only after "I have saved them" is ticked', async () => {
    const person = await w.t.enrolledUser(org.id)
    const context = await w.context()
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: w.base })
    const page = await context.newPage()
    await openSecurity(page, person)
    await section(page).getByText('None yet', { exact: true }).waitFor()
    await section(page).getByText('Each code works once.').waitFor()
    assert.equal(await section(page).getByRole('button', { name: 'Remove codes' }).count(), 0, 'nothing to remove yet')

    await section(page).getByRole('button', { name: 'Make recovery codes' }).click()
    const dialog = codesDialog(page)
    await dialog.waitFor()
    await dialog.getByText('they are shown only this once. Each code works once.').waitFor()
    const codes = await shownCodes(dialog)
    assert.equal(codes.length, 10)
    for (const code of codes) assert.match(code, CODE)
    assert.equal(new Set(codes).size, 10)
    const font = await dialog.locator('.recovery-codes code').first().evaluate((e) => getComputedStyle(e).fontFamily)
    assert.match(font, /mono/i, 'the codes are in a monospace font')
    const columns = await dialog.locator('.recovery-codes').evaluate((e) => getComputedStyle(e).gridTemplateColumns.split(' ').length)
    assert.equal(columns, 2, 'a grid of two columns on a computer')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'recovery-codes-dialog')

    // Not to be closed before the codes are saved: no close button, Escape (even twice) does nothing.
    assert.equal(await dialog.getByRole('button', { name: 'Close' }).count(), 0)
    const done = dialog.getByRole('button', { name: 'Done' })
    assert.ok(await done.isDisabled())
    await dialog.getByText('Tick the box above once they are saved.').waitFor()
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    await page.waitForTimeout(200)
    assert.ok(await dialog.isVisible(), 'Escape does not close it')
    assert.deepEqual(await shownCodes(dialog), codes)

    // Copy puts the ten codes on the clipboard, one a line.
    await dialog.getByRole('button', { name: 'Copy' }).click()
    await dialog.getByText('The codes are copied.').waitFor()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), codes.join('\n'))

    // Print: on paper there is only the sheet with the codes, not the page or the dialog.
    await page.evaluate(() => {
      window.print = () => document.body.setAttribute('data-printed', 'yes')
    })
    await dialog.getByRole('button', { name: 'Print' }).click()
    assert.equal(await page.locator('body').getAttribute('data-printed'), 'yes')
    await page.emulateMedia({ media: 'print' })
    const sheet = page.locator('.recovery-print')
    assert.ok(await sheet.isVisible())
    assert.ok(!(await page.locator('#app').isVisible()), 'the page is not printed')
    assert.deepEqual(await sheet.locator('code').allTextContents(), codes)
    await sheet.getByText(`${person.username} at Harbour Clinic`).waitFor()
    await page.emulateMedia({ media: 'screen' })
    assert.ok(!(await sheet.isVisible()), 'the sheet is for paper only')

    await dialog.getByLabel('I have saved them').check()
    assert.ok(await done.isEnabled())
    await done.click()
    await dialog.waitFor({ state: 'detached' })
    await page.locator('.recovery-print').waitFor({ state: 'detached' }) // the printed sheet goes with the dialog
    await section(page).getByText('10 of 10 left').waitFor()
    await section(page).getByText('Your new recovery codes are ready.').waitFor()

    // Shown once: after a reload the count is there, the codes are not.
    await page.reload()
    await section(page).getByText('10 of 10 left').waitFor()
    const html = await page.content()
    for (const code of codes) assert.ok(!html.includes(code), 'a code is never shown again')
    const overview = await (await page.request.get('/api/v1/account/security')).json()
    assert.equal(overview.recoveryCodesLeft, 10)
    const events = (await w.t.auditEvents({ account: person.id })).map((e) => e.event)
    assert.ok(events.includes('recovery_codes.generated'))
  })

  test('F-X-2: "Download" saves a .txt file named after the organisation and the user, holding the ten codes', async () => {
    const person = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, person)
    await section(page).getByRole('button', { name: 'Make recovery codes' }).click()
    const dialog = codesDialog(page)
    const codes = await shownCodes(dialog)
    const link = dialog.getByRole('link', { name: 'Download' })
    assert.match((await link.getAttribute('href')) ?? '', /^blob:/, 'made in the browser, not fetched')

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    assert.equal(download.suggestedFilename(), `countersign-recovery-codes-${org.slug}-${person.username}.txt`)
    const text = readFileSync(await download.path(), 'utf8')
    for (const code of codes) assert.ok(text.split('\n').includes(code), `${code} is in the file, on a line of its own`)
    assert.match(text, /^Countersign recovery codes\n/)
    assert.match(text, new RegExp(`${person.username} at Harbour Clinic`))
    assert.match(text, /Each code works once/)
    // Downloading does not leave the page or close the dialog.
    assert.ok(await dialog.isVisible())
    assert.match(page.url(), /\/account\/security$/)
  })

  test('F-X-2 F-INT-2: the next sign-in offers a recovery code under "Use another method"; the page then says 9 are left, and Continue goes on to where the sign-in was going', async () => {
    const person = await userWithCodes()
    const page = await (await w.context()).newPage()
    const app = `${APP}/reports?year=2026`
    await page.route(`${APP}/**`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Reports</title><h1>Reports</h1>' }))
    await page.goto(`/sign-in?return=${encodeURIComponent(app)}`)
    // Typed as people type them off paper: capitals and spaces.
    await signInWithRecoveryCode(page, person, person.codes[0]!.toUpperCase().replaceAll('-', ' '))

    await page.getByRole('heading', { name: 'You signed in with a recovery code — 9 left' }).waitFor()
    const notice = page.locator('.recovery-used .notice')
    await notice.getByText('each recovery code works once. You have 9 left.').waitFor()
    assert.equal(await notice.getAttribute('class'), 'notice notice-info', 'no warning with 9 left')
    await page.getByRole('link', { name: 'Make new codes now' }).waitFor()
    await page.waitForTimeout(300)
    assert.match(page.url(), /\/sign-in\?return=/, 'the page waits for Continue')
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'recovery-code-used')

    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(app)
    await page.getByRole('heading', { name: 'Reports' }).waitFor()

    const used = await w.t.auditEvents({ account: person.id, event: 'recovery_code.used' })
    assert.equal(used.length, 1)
  })

  test('F-X-2 RR-07: a recovery code used once is refused the second time, with the page’s error, and the field is cleared', async () => {
    const person = await userWithCodes()
    assert.equal(await useCode(person, person.codes[4]!), 200)
    const page = await (await w.context()).newPage()
    await page.goto('/sign-in')
    await signInWithRecoveryCode(page, person, person.codes[4]!)
    await page.getByRole('alert').filter({ hasText: 'That recovery code is not correct or has been used already.' }).waitFor()
    assert.equal(await page.getByLabel('Recovery code', { exact: true }).inputValue(), '')
    assert.match(page.url(), /\/sign-in$/)

    // Another of the codes still works.
    await page.getByLabel('Recovery code', { exact: true }).fill(person.codes[5]!)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('heading', { name: 'You signed in with a recovery code — 8 left' }).waitFor()
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('F-X-2: with 2 or fewer left the sign-in page and My Account warn, and "Make new codes now" leads to the section', async () => {
    const person = await userWithCodes()
    for (const code of person.codes.slice(0, 8)) assert.equal(await useCode(person, code), 200)
    const page = await (await w.context()).newPage()
    await page.goto('/sign-in')
    await signInWithRecoveryCode(page, person, person.codes[8]!)

    await page.getByRole('heading', { name: 'You signed in with a recovery code — 1 left' }).waitFor()
    const notice = page.locator('.recovery-used .notice')
    await notice.getByText('you have only 1 left. Make new codes now').waitFor()
    assert.equal(await notice.getAttribute('class'), 'notice notice-warning')
    await snapshot(page, 'recovery-code-used-few')

    await page.getByRole('link', { name: 'Make new codes now' }).click()
    await page.waitForURL(/\/account\/security#recovery-codes$/)
    await section(page).getByText('1 of 10 left').waitFor()
    assert.equal(await section(page).locator('.badge').getAttribute('class'), 'badge badge-warning')
    await section(page).getByRole('status').filter({ hasText: 'Only 1 left. Make new codes now, before they run out.' }).waitFor()
    const top = await section(page).evaluate((e) => e.getBoundingClientRect().top)
    assert.ok(top > -1 && top < 200, `the section is scrolled into view (top at ${top})`)
  })

  test('F-X-2 SC-14: making new codes 11 minutes after sign-in asks to confirm it is you first; the new codes replace the old, which stop working; "Remove codes" voids them all', async () => {
    const person = await userWithCodes()
    const page = await (await w.context()).newPage()
    await openSecurity(page, person)
    await section(page).getByText('10 of 10 left').waitFor()
    w.t.clock.advance(11 * 60_000)

    await section(page).getByRole('button', { name: 'Make new codes' }).click()
    const confirm = page.getByRole('dialog', { name: 'Make new recovery codes?' })
    await confirm.getByText('Your unused codes (10) stop working at once; only the new ones will work.').waitFor()
    await confirm.getByRole('button', { name: 'Make new codes' }).click()

    // The page's own re-authentication (as for devices), then it carries on by itself.
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' })
    await reauth.getByLabel('Password').fill(person.password)
    await reauth.getByLabel('Code from your authenticator app').fill(totpCode(person.secret, w.t.clock.now()))
    await reauth.getByRole('button', { name: 'Confirm' }).click()
    await reauth.waitFor({ state: 'detached' })
    await confirm.waitFor({ state: 'detached' })
    const dialog = codesDialog(page)
    const fresh = await shownCodes(dialog)
    assert.equal(fresh.length, 10)
    assert.equal(fresh.filter((code) => person.codes.includes(code)).length, 0, 'all new')
    await dialog.getByLabel('I have saved them').check()
    await dialog.getByRole('button', { name: 'Done' }).click()
    await section(page).getByText('10 of 10 left').waitFor()

    assert.equal(await useCode(person, person.codes[0]!), 401, 'an old code no longer works')
    assert.equal(await useCode(person, fresh[0]!), 200, 'a new one does')
    await page.reload()
    await section(page).getByText('9 of 10 left').waitFor()

    await section(page).getByRole('button', { name: 'Remove codes' }).click()
    const remove = page.getByRole('dialog', { name: 'Remove your recovery codes?' })
    await remove.getByText('Your unused codes (9) stop working at once.').waitFor()
    await remove.getByRole('button', { name: 'Remove codes' }).click()
    await remove.waitFor({ state: 'detached' })
    await section(page).getByText('Your recovery codes are removed').waitFor()
    await section(page).getByText('None yet', { exact: true }).waitFor()
    assert.equal(await useCode(person, fresh[1]!), 401, 'removed codes do not work')
    const events = (await w.t.auditEvents({ account: person.id })).map((e) => e.event)
    assert.ok(events.includes('reauthentication.succeeded') && events.includes('recovery_codes.removed'))
  })

  test('F-X-2: the section is not there where the organisation does not allow recovery codes', async () => {
    const strict = await w.t.createOrganisation({ policy: 'required', allowedMethods: ['totp'] })
    const person = await w.t.enrolledUser(strict.id)
    const page = await (await w.context()).newPage()
    await openSecurity(page, person)
    await page.getByRole('heading', { name: 'Remembered browsers' }).waitFor()
    assert.equal(await section(page).count(), 0)
  })

  test('F-X-2 F-POL-5: the admin sees how many recovery codes a user has left, in the users list and on the user’s page', async () => {
    const admin = await w.t.createUser(org.id, { role: 'admin' })
    const { jar } = await w.t.signIn(admin.username, admin.password)
    const { secret } = await w.t.linkTotp(jar)
    w.t.nextStep()
    const person = await userWithCodes()
    for (const code of person.codes.slice(0, 8)) assert.equal(await useCode(person, code), 200)
    const without = await w.t.enrolledUser(org.id)

    const page = await (await w.context()).newPage()
    await openSecurity(page, { ...admin, secret })
    await page.goto('/admin')
    await page.waitForURL(new RegExp(`/admin/organisations/${org.id}$`))
    await page.getByRole('link', { name: person.username, exact: true }).waitFor()
    const column = await page.getByRole('columnheader').allTextContents()
    const index = column.indexOf('Recovery codes')
    assert.ok(index >= 0, `a column "Recovery codes" in ${column.join(', ')}`)
    const cell = (username: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: username, exact: true }) }).getByRole('cell').nth(index)
    assert.equal(await cell(person.username).textContent(), '2')
    assert.equal(await cell(person.username).locator('.badge-warning').count(), 1, 'few left: a warning badge')
    assert.equal(await cell(without.username).textContent(), 'None')
    await snapshot(page, 'recovery-admin-users')

    await page.getByRole('link', { name: person.username, exact: true }).click()
    await page.waitForURL(new RegExp(`/admin/users/${person.id}$`))
    const facts = page.getByRole('region', { name: 'Two-step verification' })
    await facts.getByRole('term').filter({ hasText: 'Recovery codes' }).waitFor()
    await facts.getByRole('definition').filter({ hasText: '2 left' }).waitFor()
  })

  test('F-X-3: in Dutch, the section, the dialog and the page after a recovery-code sign-in are in Dutch', async () => {
    const person = await w.t.enrolledUser(org.id)
    const page = await (await w.context({ language: 'nl' })).newPage()
    await openSecurity(page, person)
    const card = page.getByRole('region', { name: 'Herstelcodes' })
    await card.getByText('Nog geen', { exact: true }).waitFor()
    await card.getByRole('button', { name: 'Herstelcodes maken' }).click()
    const dialog = page.getByRole('dialog', { name: 'Je herstelcodes' })
    await dialog.getByText('je ziet ze alleen deze ene keer').waitFor()
    for (const name of ['Kopiëren', 'Afdrukken']) await dialog.getByRole('button', { name }).waitFor()
    await dialog.getByRole('link', { name: 'Downloaden' }).waitFor()
    const codes = await shownCodes(dialog)
    await dialog.getByLabel('Ik heb ze bewaard').check()
    await dialog.getByRole('button', { name: 'Klaar' }).click()
    await card.getByText('10 van 10 over').waitFor()
    await snapshot(page, 'recovery-codes-nl')

    await page.getByRole('button', { name: 'Afmelden', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    await signInWithRecoveryCode(page, person, codes[0]!, { other: 'Een andere methode gebruiken', choice: 'Herstelcode', verify: 'Controleren' })
    await page.getByRole('heading', { name: 'Je bent aangemeld met een herstelcode — nog 9 over' }).waitFor()
    await page.getByText('Je hebt er nog 9.').waitFor()
    await page.getByRole('link', { name: 'Maak nu nieuwe codes' }).waitFor()
    await page.getByRole('button', { name: 'Doorgaan' }).click()
    await page.waitForURL(/\/account\/security$/)
  })

  test('Phone width: the section, the codes dialog and the page after a recovery-code sign-in fit a 390 px screen', async () => {
    const person = await w.t.enrolledUser(org.id)
    const page = await (await w.context({ mobile: true })).newPage()
    await openSecurity(page, person)
    await section(page).getByRole('button', { name: 'Make recovery codes' }).click()
    const dialog = codesDialog(page)
    const codes = await shownCodes(dialog)
    assert.equal(await dialog.locator('.recovery-codes').evaluate((e) => getComputedStyle(e).gridTemplateColumns.split(' ').length), 1, 'one column on a phone')
    assert.ok((await widest(page)) <= 390, `the codes dialog fits (widest edge ${await widest(page)} px)`)
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'recovery-codes-phone')
    await dialog.getByLabel('I have saved them').check()
    await dialog.getByRole('button', { name: 'Done' }).click()
    await section(page).getByText('10 of 10 left').waitFor()
    assert.ok((await widest(page)) <= 390, `the section fits (widest edge ${await widest(page)} px)`)

    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/sign-in$/)
    await signInWithRecoveryCode(page, person, codes[0]!)
    await page.getByRole('heading', { name: 'You signed in with a recovery code — 9 left' }).waitFor()
    assert.ok((await widest(page)) <= 390, `the page after the sign-in fits (widest edge ${await widest(page)} px)`)
    await snapshot(page, 'recovery-code-used-phone')
  })
})
