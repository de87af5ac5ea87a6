/**
 * The Countersign Authenticator's screenshots for the README (docs/screenshots/app-*.png), on a
 * phone-sized screen: the pairing question, the accounts with their codes, and a sign-in request
 * with the number typed. Part of `npm run screenshots`; the same server as the e2e tests.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { openApp, pasteLink, signInDesktop, startAppServer, startPairing } from './support.js'

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
mkdirSync(OUT, { recursive: true })

const s = await startAppServer()
const shot = async (page: Page, name: string) => {
  // Let the countdown and the fonts settle, and show no focus ring from the test's typing.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.waitForTimeout(300)
  await page.screenshot({ path: `${OUT}${name}.png` })
  process.stdout.write(`docs/screenshots/${name}.png\n`)
}

try {
  const org = await s.t.createOrganisation({ name: 'Demo Clinic', slug: 'demo-clinic', policy: 'optional' })
  const bob = await s.t.createUser(org.id, { username: 'bob' })
  const account = await (await s.desktop()).newPage()
  await signInDesktop(account, bob)
  const { pairingUri } = await startPairing(account)

  const phone = await s.phone()
  await openApp(phone)
  await pasteLink(phone.page, 'otpauth://totp/Example%20Mail:bob%40example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example%20Mail')
  await phone.page.getByRole('button', { name: 'Add', exact: true }).click()
  await pasteLink(phone.page, pairingUri)
  await phone.page.getByRole('heading', { name: 'Link bob at Demo Clinic?' }).waitFor()
  await shot(phone.page, 'app-pairing')
  await phone.page.getByRole('button', { name: 'Login' }).click()
  await phone.page.getByText('bob at Demo Clinic is linked.').waitFor()
  await phone.page.getByRole('button', { name: 'Close' }).click()
  await phone.page.waitForFunction(() => document.querySelectorAll('.code[data-code=""]').length === 0)
  // A calm countdown: not in the last seconds of a code.
  await phone.page.waitForFunction(() => Math.floor(Date.now() / 1000) % 30 < 12, undefined, { timeout: 30_000 })
  await shot(phone.page, 'app-home')

  const desktop = await (await s.desktop()).newPage()
  await desktop.goto('/sign-in')
  await desktop.getByLabel('User name').fill(bob.username)
  await desktop.getByLabel('Password', { exact: true }).fill(bob.password)
  await desktop.getByRole('button', { name: 'Sign in' }).click()
  const number = ((await desktop.locator('.push-number').textContent()) ?? '').trim()
  await phone.page.getByRole('heading', { name: 'Sign-in request', exact: true }).waitFor()
  await phone.page.getByLabel('Type the number shown on the sign-in screen').fill(number)
  await shot(phone.page, 'app-challenge')
  await phone.page.getByRole('button', { name: 'Approve' }).click()
  await phone.page.getByText('Sign-in approved.').waitFor()
  await shot(phone.page, 'app-approved')
} finally {
  await s.close()
}
