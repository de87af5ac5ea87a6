/**
 * `npm run screenshots`: walks the main pages in Chromium and writes the PNGs the README shows
 * (docs/screenshots/). The same server as the e2e tests: fresh database, fixed clock.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { readQrCode, secretOf, signInWithPages, startWebApp, totpCode } from './support.js'

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
mkdirSync(OUT, { recursive: true })

const w = await startWebApp()
const shot = async (page: Page, name: string) => {
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true })
  process.stdout.write(`docs/screenshots/${name}.png\n`)
}

try {
  const org = await w.t.createOrganisation({ name: 'Demo Clinic', slug: 'demo-clinic', policy: 'required' })
  await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { rememberBrowserDays: 30 })
  const bob = await w.t.enrolledUser(org.id)
  const alice = await w.t.createUser(org.id, { username: 'alice' })

  const desktop = await (await w.context()).newPage()
  await desktop.goto('/sign-in')
  await desktop.getByLabel('User name').fill(bob.username)
  await shot(desktop, 'sign-in')
  await desktop.getByLabel('Password', { exact: true }).fill(bob.password)
  await desktop.getByRole('button', { name: 'Sign in' }).click()
  await desktop.getByLabel('Code from your authenticator app').waitFor()
  await shot(desktop, 'second-factor')
  await desktop.getByLabel('Code from your authenticator app').fill(totpCode(bob.secret, w.t.clock.now()))
  await desktop.getByRole('button', { name: 'Verify' }).click()
  await desktop.waitForURL(/\/account\/security$/)
  await shot(desktop, 'account-security')

  const enrol = await (await w.context()).newPage()
  await signInWithPages(enrol, alice)
  await enrol.getByRole('dialog').getByRole('button', { name: 'Show the QR code' }).click()
  await enrol.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
  await shot(enrol, 'enrolment')
  const secret = secretOf(await readQrCode(enrol))
  await enrol.getByLabel('Code from the app').fill(totpCode(secret, w.t.clock.now()))
  await enrol.getByRole('button', { name: 'Link now' }).click()
  await enrol.waitForURL(/\/account\/security$/)

  const phone = await (await w.context({ language: 'nl', mobile: true })).newPage()
  await phone.goto('/sign-in')
  await phone.getByRole('heading', { name: 'Aanmelden' }).waitFor()
  await shot(phone, 'sign-in-phone-nl')
} finally {
  await w.close()
}
