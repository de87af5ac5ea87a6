import { mkdirSync } from 'node:fs'
import jsQRModule from 'jsqr'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { freePort, startTestApp, totpCode, type TestApp } from '../../server/src/test-support/harness.js'

export { freePort, totpCode }

// jsqr is CommonJS with `exports.default`: under Node's ESM the function is one level down.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null

/** Debian's Chromium (`.ci/run` installs it with apt); nothing here downloads a browser. */
export const CHROMIUM = process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium'

export interface WebApp {
  t: TestApp
  base: string
  browser: Browser
  /** A fresh browser profile (cookies, storage) in the given language. */
  context(options?: { language?: 'en' | 'nl'; mobile?: boolean }): Promise<BrowserContext>
  close(): Promise<void>
}

/**
 * The server of the test harness (fresh SQLite, hand-moved clock, light argon2) listening on a
 * loopback port with that origin as its public URL, and one Chromium for the file. `localhost`:
 * the origin is `http://localhost:PORT` (WebAuthn refuses an IP address as relying party).
 */
export async function startWebApp(env: Record<string, string> = {}, options: { localhost?: boolean } = {}): Promise<WebApp> {
  const port = await freePort()
  const base = `http://${options.localhost ? 'localhost' : '127.0.0.1'}:${port}`
  // COUNTERSIGN_WEB_DIR lets parallel work build the UI to a folder of its own.
  const webDir = process.env.COUNTERSIGN_WEB_DIR
  const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: base, ...(webDir ? { COUNTERSIGN_WEB_DIR: webDir } : {}), ...env })
  await t.app.listen({ host: '127.0.0.1', port })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  const contexts: BrowserContext[] = []
  return {
    t,
    base,
    browser,
    async context(options = {}) {
      const language = options.language ?? 'en'
      const context = await browser.newContext({
        baseURL: base,
        locale: language === 'nl' ? 'nl-NL' : 'en-GB',
        extraHTTPHeaders: { 'accept-language': language === 'nl' ? 'nl-NL,nl;q=0.9' : 'en-GB,en;q=0.9' },
        ...(options.mobile ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 860 } }),
      })
      context.setDefaultTimeout(10_000)
      contexts.push(context)
      return context
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {})
      await browser.close()
      await t.close()
    },
  }
}

/** Reads a QR code off the page as a phone camera would: from a screenshot (jsQR + pngjs). */
export async function readQrCode(page: Page): Promise<string> {
  // The image must be decoded and painted before a screenshot can show it.
  await page.evaluate(async () => {
    await Promise.all(Array.from(document.images, (image) => image.decode().catch(() => undefined)))
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
  })
  const png = PNG.sync.read(await page.screenshot({ fullPage: true }))
  const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)
  if (!found) throw new Error('no QR code on the page')
  return found.data
}

/** The `secret` parameter of an otpauth URI. */
export function secretOf(otpauthUri: string): string {
  const secret = new URL(otpauthUri).searchParams.get('secret')
  if (!secret) throw new Error(`no secret in ${otpauthUri}`)
  return secret
}

/** Every visible input, select and textarea has an accessible name (a cheap axe-style check). */
export async function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = []
    for (const element of Array.from(document.querySelectorAll('input, select, textarea'))) {
      const field = element as HTMLInputElement
      if (field.type === 'hidden' || field.offsetParent === null) continue
      const labelled = (field.labels && field.labels.length > 0) || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby')
      if (!labelled) missing.push(field.outerHTML.slice(0, 120))
    }
    return missing
  })
}

/** Saves a screenshot for a person to look at when a test fails or a page changes. */
export async function snapshot(page: Page, name: string): Promise<void> {
  const dir = process.env.COUNTERSIGN_E2E_SHOTS
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true })
}

/** Signs in through the pages: password, then the app code when asked. */
export async function signInWithPages(page: Page, user: { username: string; password: string }, code?: () => string): Promise<void> {
  await page.goto('/sign-in')
  await fillSignIn(page, user, code)
}

/** Fills the sign-in page the browser is on (an application may have sent it there with a return address). */
export async function fillSignIn(page: Page, user: { username: string; password: string }, code?: () => string): Promise<void> {
  await page.getByLabel(/User name|Gebruikersnaam/).fill(user.username)
  await page.getByLabel(/^(Password|Wachtwoord)$/).fill(user.password)
  await page.getByRole('button', { name: /^(Sign in|Aanmelden)$/ }).click()
  if (code) {
    await page.getByLabel(/Code from your authenticator app|Code uit je authenticator-app/).fill(code())
    await page.getByRole('button', { name: /^(Verify|Controleren)$/ }).click()
  }
}
