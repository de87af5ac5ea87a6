/**
 * `npm run screenshots`: walks the main pages in Chromium and writes the PNGs the README shows
 * (docs/screenshots/). The same server as the e2e tests: fresh database, fixed clock.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { injectTransport, TestAuthenticator } from '../../server/src/test-support/authenticator-device.js'
import { CookieJar } from '../../server/src/test-support/harness.js'
import { SoftAuthenticator } from '../../server/src/test-support/webauthn-authenticator.js'
import { readQrCode, secretOf, signInWithPages, startWebApp, totpCode } from './support.js'

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
mkdirSync(OUT, { recursive: true })

// On localhost: WebAuthn refuses an IP address, and the pages offer passkeys only where they work.
const w = await startWebApp({}, { localhost: true })
const shot = async (page: Page, name: string) => {
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true })
  process.stdout.write(`docs/screenshots/${name}.png\n`)
}

try {
  const org = await w.t.createOrganisation({ name: 'Demo Clinic', slug: 'demo-clinic', policy: 'required' })
  await w.t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { rememberBrowserDays: 30 })
  /** A user with an authenticator app linked, under a readable name. */
  const withApp = async (username: string, role: 'user' | 'admin' = 'user') => {
    const user = await w.t.createUser(org.id, { username, role })
    const { jar } = await w.t.signIn(user.username, user.password)
    const { secret } = await w.t.linkTotp(jar)
    w.t.nextStep()
    return { ...user, secret }
  }
  const bob = await withApp('bob')
  const alice = await w.t.createUser(org.id, { username: 'alice' })
  // Issue 17: bob is signed in on his phone too (linking his app through the API left a session: gone).
  await w.t.admin('POST', `/api/v1/admin/users/${bob.id}/sessions/end`)
  const iphone = { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1' }
  const bobsPhone = new CookieJar()
  await w.t.browser(bobsPhone, 'POST', '/api/v1/sign-in/password', { username: bob.username, password: bob.password }, iphone)
  await w.t.browser(bobsPhone, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(bob.secret, w.t.clock.now()) }, iphone)
  w.t.nextStep()

  const desktop = await (await w.context()).newPage()
  await desktop.goto('/sign-in')
  await desktop.getByLabel('User name').fill(bob.username)
  await shot(desktop, 'sign-in')
  await desktop.getByLabel('Password', { exact: true }).fill(bob.password)
  await desktop.getByRole('button', { name: 'Sign in', exact: true }).click()
  await desktop.getByLabel('Code from your authenticator app').waitFor()
  await shot(desktop, 'second-factor')
  await desktop.getByLabel('Code from your authenticator app').fill(totpCode(bob.secret, w.t.clock.now()))
  await desktop.getByRole('button', { name: 'Verify' }).click()
  await desktop.waitForURL(/\/account\/security$/)
  // Every section drawn (a full-page shot measures the page once, before it takes the picture).
  await desktop.getByRole('heading', { name: 'Recovery codes' }).waitFor()
  await desktop.getByRole('region', { name: 'Recent activity' }).getByRole('listitem').first().waitFor()
  await shot(desktop, 'account-security')
  // Issue 17: where bob is signed in, this browser marked.
  const sessions = desktop.getByRole('region', { name: 'Sessions', exact: true })
  await sessions.getByText('Safari on iOS').waitFor()
  await sessions.screenshot({ path: `${OUT}sessions.png` })
  process.stdout.write('docs/screenshots/sessions.png\n')

  // F-X-2: recovery codes, shown once; then a sign-in with one of them.
  await desktop.getByRole('button', { name: 'Make recovery codes' }).click()
  const codes = desktop.getByRole('dialog', { name: 'Your recovery codes' })
  await codes.locator('.recovery-codes code').first().waitFor()
  // The dialog as the user sees it (a full-page shot would show the page under the backdrop).
  await desktop.screenshot({ path: `${OUT}recovery-codes.png` })
  process.stdout.write('docs/screenshots/recovery-codes.png\n')
  const recoveryCode = (await codes.locator('.recovery-codes code').first().textContent())!
  await codes.getByLabel('I have saved them').check()
  await codes.getByRole('button', { name: 'Done' }).click()
  const recovered = await (await w.context()).newPage()
  await recovered.goto('/sign-in')
  await recovered.getByLabel('User name').fill(bob.username)
  await recovered.getByLabel('Password', { exact: true }).fill(bob.password)
  await recovered.getByRole('button', { name: 'Sign in', exact: true }).click()
  await recovered.getByRole('button', { name: 'Use another method' }).click()
  await recovered.getByRole('button', { name: 'Recovery code', exact: true }).click()
  await recovered.getByLabel('Recovery code', { exact: true }).fill(recoveryCode)
  await recovered.getByRole('button', { name: 'Verify' }).click()
  await recovered.getByRole('heading', { name: /^You signed in with a recovery code/ }).waitFor()
  await shot(recovered, 'sign-in-recovery-code')

  const enrol = await (await w.context()).newPage()
  await signInWithPages(enrol, alice)
  await enrol.getByRole('dialog').getByRole('button', { name: 'Code from an authenticator app' }).click()
  await enrol.getByRole('dialog').getByRole('button', { name: 'Show the QR code' }).click()
  await enrol.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor()
  await shot(enrol, 'enrolment')
  const secret = secretOf(await readQrCode(enrol))
  await enrol.getByLabel('Code from the app').fill(totpCode(secret, w.t.clock.now()))
  await enrol.getByRole('button', { name: 'Link now' }).click()
  await enrol.waitForURL(/\/account\/security$/)

  // The admin console: an organisation admin with an app, a locked user, a user without a factor.
  const admin = await withApp('demo-admin', 'admin')
  const carol = await withApp('carol')
  const jar = new CookieJar()
  await w.t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: carol.username, password: carol.password })
  for (let i = 0; i < 5; i++) await w.t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: '000000' })
  w.t.nextStep()
  const console = await (await w.context()).newPage()
  await signInWithPages(console, admin, () => totpCode(admin.secret, w.t.clock.now()))
  await console.waitForURL(/\/account\/security$/)
  await console.goto('/admin')
  await console.getByRole('link', { name: carol.username, exact: true }).waitFor()
  await shot(console, 'admin-users')
  await console.getByRole('link', { name: carol.username, exact: true }).click()
  await console.getByRole('button', { name: 'Unlock account' }).waitFor()
  await shot(console, 'admin-user')
  await w.t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'Staff handbook', redirectUris: ['https://handbook.demo-clinic.example/oidc/callback'] })
  await console.goto(`/admin/organisations/${org.id}/applications`)
  await console.getByLabel('Name', { exact: true }).fill('Rota planner')
  await console.getByLabel('Redirect URIs').fill('https://rota.demo-clinic.example/auth/callback')
  await console.getByRole('button', { name: 'Add application' }).click()
  await console.getByText('The client secret of “Rota planner”').waitFor()
  await shot(console, 'admin-applications')
  await console.goto('/admin/audit')
  await console.getByRole('table').waitFor()
  await shot(console, 'admin-audit')

  // Issue 9: linking the Countersign Authenticator from My devices, then a sign-in waiting for it.
  const dave = await withApp('dave')
  const link = await (await w.context()).newPage()
  await signInWithPages(link, dave, () => totpCode(dave.secret, w.t.clock.now()))
  await link.waitForURL(/\/account\/security$/)
  await link.getByRole('button', { name: /^Countersign Authenticator \(approve/ }).click()
  await link.getByRole('dialog').getByRole('button', { name: 'Show the QR code' }).click()
  await link.getByRole('img', { name: 'QR code to scan with Countersign Authenticator' }).waitFor()
  await link.getByRole('img', { name: 'QR code to scan with Countersign Authenticator' }).evaluate((img: HTMLImageElement) => img.decode())
  // The dialog as the user sees it (a full-page shot would show the page under the backdrop).
  await link.screenshot({ path: `${OUT}link-authenticator.png` })
  process.stdout.write('docs/screenshots/link-authenticator.png\n')
  const davesPhone = new TestAuthenticator(injectTransport(w.t.app), () => w.t.clock.now())
  await davesPhone.pair(await readQrCode(link), { name: 'Pixel 8' })
  await link.getByRole('dialog').getByText('“My phone” is linked.').waitFor()
  const waiting = await (await w.context()).newPage()
  await signInWithPages(waiting, dave)
  await waiting.locator('.push-number').waitFor()
  await waiting.screenshot({ path: `${OUT}sign-in-push.png`, fullPage: true })
  process.stdout.write('docs/screenshots/sign-in-push.png\n')

  // F-X-1: the passkey among the ways to add a device, and the second step with a passkey (erin's
  // registered through the API by an authenticator written in Node; the page only shows the button).
  const erin = await withApp('erin')
  const keys = await (await w.context()).newPage()
  await signInWithPages(keys, erin, () => totpCode(erin.secret, w.t.clock.now()))
  await keys.waitForURL(/\/account\/security$/)
  const devices = keys.getByRole('region', { name: 'My devices' })
  await devices.getByRole('button', { name: /^Passkey or security key/ }).waitFor()
  await devices.screenshot({ path: `${OUT}passkey-choice.png` })
  process.stdout.write('docs/screenshots/passkey-choice.png\n')
  w.t.nextStep()
  const erinsJar = (await w.t.signIn(erin.username, erin.password, erin.secret)).jar
  const options = await w.t.browser(erinsJar, 'POST', '/api/v1/account/devices/passkey/options')
  const registered = await w.t.browser(erinsJar, 'POST', '/api/v1/account/devices/passkey', { name: 'Work laptop', response: new SoftAuthenticator().register(options.json(), w.base) })
  if (registered.statusCode !== 201) throw new Error(`passkey: ${registered.statusCode} ${registered.body}`)
  w.t.nextStep()
  const step = await (await w.context()).newPage()
  await signInWithPages(step, erin)
  await step.getByRole('button', { name: 'Use another method' }).click()
  await step.getByRole('button', { name: 'Passkey', exact: true }).click()
  await step.getByRole('button', { name: 'Use your passkey' }).waitFor()
  await shot(step, 'sign-in-passkey')

  // Issue 17: "Forgot your password?" from the sign-in page.
  const forgot = await (await w.context()).newPage()
  await forgot.goto('/forgot-password')
  await forgot.getByLabel('User name or e-mail address').fill('bob')
  await shot(forgot, 'forgot-password')

  const phone = await (await w.context({ language: 'nl', mobile: true })).newPage()
  await phone.goto('/sign-in')
  await phone.getByRole('heading', { name: 'Aanmelden' }).waitFor()
  await shot(phone, 'sign-in-phone-nl')
} finally {
  await w.close()
}
