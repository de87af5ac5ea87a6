import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startTestApp, totpCode, type TestApp } from '../../server/src/test-support/harness.js'
import { freePort } from '../../server/src/test-support/harness.js'
import { nginxMissing, startNginx, type RunningNginx } from '../../server/src/test-support/nginx.js'
import { CHROMIUM } from './support.js'

/**
 * F-INT-2 in Chromium: a protected application behind Debian's nginx sends the browser to the
 * sign-in page, and after the password and the app code the page leaves for the application,
 * which sees Remote-User. Host names under example.test all resolve to loopback in this browser.
 */
const skip = nginxMissing || (existsSync(CHROMIUM) ? false : `Chromium is not installed (${CHROMIUM})`)

describe('Forward auth through nginx, in the browser (F-INT-2)', { skip }, () => {
  let t: TestApp
  let nginx: RunningNginx
  let upstream: Server
  let browser: Browser
  let app: string
  let pay: string
  let auth: string
  let org: { id: string }

  before(async () => {
    const port = await freePort()
    app = `http://app.example.test:${port}`
    pay = `http://pay.example.test:${port}`
    auth = `http://auth.example.test:${port}`
    const webDir = process.env.COUNTERSIGN_WEB_DIR
    t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: auth, COUNTERSIGN_COOKIE_DOMAIN: 'example.test', ...(webDir ? { COUNTERSIGN_WEB_DIR: webDir } : {}) })
    const countersignPort = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port)
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(`<!doctype html><title>App</title><p id="user">${String(req.headers['remote-user'] ?? 'nobody').replace(/[<&]/g, '')}</p><p id="amr">${String(req.headers['remote-amr'] ?? '')}</p>`)
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    const upstreamPort = (upstream.address() as { port: number }).port
    nginx = await startNginx({ port, countersignPort, upstreamPort, authHost: 'auth.example.test', protectedHosts: ['app.example.test', 'pay.example.test'], sessionCookie: 'cs_session' })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    })
    org = await t.createOrganisation({ policy: 'required' })
    await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins: [{ origin: app }, { origin: pay, requireSecondFactor: true }] })
  })
  after(async () => {
    await browser?.close()
    await nginx?.stop()
    await new Promise((resolve) => upstream?.close(resolve))
    await t?.close()
  })

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB', extraHTTPHeaders: { 'accept-language': 'en-GB' } })
    context.setDefaultTimeout(10_000)
    return context.newPage()
  }

  async function signIn(page: Page, user: { username: string; password: string; secret?: string }) {
    await page.getByLabel('User name').fill(user.username)
    await page.getByLabel('Password', { exact: true }).fill(user.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    if (user.secret) {
      await page.getByLabel('Code from your authenticator app').fill(totpCode(user.secret, t.clock.now()))
      await page.getByRole('button', { name: 'Verify' }).click()
    }
  }

  test('F-INT-2: signed out at the application → sign-in page → password and app code → back at the same URL, which sees Remote-User', async () => {
    const user = await t.enrolledUser(org.id)
    const page = await newPage()
    await page.goto(`${app}/reports?year=2026&view=full`)
    await page.waitForURL((url) => url.origin === auth && url.pathname === '/sign-in')
    assert.equal(new URL(page.url()).searchParams.get('return'), `${app}/reports?year=2026&view=full`)
    await signIn(page, user)
    await page.waitForURL(`${app}/reports?year=2026&view=full`)
    assert.equal(await page.locator('#user').textContent(), user.username)
    assert.equal(await page.locator('#amr').textContent(), 'pwd,otp,mfa')
    // The host that asks for a second factor lets this session in as well, without a new sign-in.
    await page.goto(`${pay}/`)
    assert.equal(await page.locator('#user').textContent(), user.username)
  })

  test('RB-10: a crafted link to the sign-in page with a foreign return URL ends on My Account, not there', async () => {
    t.nextStep()
    const user = await t.enrolledUser(org.id)
    const page = await newPage()
    await page.goto(`${auth}/sign-in?return=${encodeURIComponent('https://evil.example/')}`)
    await signIn(page, user)
    await page.waitForURL(`${auth}/account/security`)
  })

  test('F-INT-2: without a second factor, the host that asks for one sends the user to sign in with one', async () => {
    const exempt = await t.createUser(org.id, { twoFactor: 'exempt' })
    const page = await newPage()
    await page.goto(`${app}/`)
    await signIn(page, exempt)
    await page.waitForURL(`${app}/`)
    assert.equal(await page.locator('#user').textContent(), exempt.username)
    await page.goto(`${pay}/salary`)
    await page.waitForURL((url) => url.origin === auth && url.searchParams.get('mfa') === '1')
    await page.getByText('The site you are going to asks for a second step').waitFor()
  })
})
