import { createECDH, randomBytes, verify, type ECDH } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { PNG } from 'pngjs'
import QRCode from 'qrcode'
import { freePort, startTestApp, totpCode, type TestApp } from '../../server/src/test-support/harness.js'
import { startPushService } from '../../server/src/test-support/push-service.js'

export { totpCode }

/** Debian's Chromium; nothing here downloads a browser. */
export const CHROMIUM = process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']

export type PushService = Awaited<ReturnType<typeof startPushService>>

export interface AppServer {
  t: TestApp
  base: string
  push: PushService
  browser: Browser
  /** A phone: small touch screen, notifications allowed, its push subscription pointing at the test's push service. */
  phone(options?: { language?: 'en' | 'nl'; browser?: Browser; subscription?: boolean }): Promise<Phone>
  /** A desktop browser profile. */
  desktop(options?: { language?: 'en' | 'nl' }): Promise<BrowserContext>
  /** A browser that shows this QR code to its camera (Chromium's fake capture device). */
  cameraBrowser(text: string): Promise<Browser>
  close(): Promise<void>
}

export interface Phone {
  context: BrowserContext
  page: Page
  /** The subscription keys the test holds, so the push service decrypts what the server sends it. */
  subscriber: { ecdh: ECDH; auth: Buffer } | null
  endpoint: string | null
}

/**
 * The server of the test harness (fresh SQLite, light argon2) on a loopback port, with a local
 * RFC 8030 push service whose certificate it trusts (COUNTERSIGN_PUSH_CA_FILE), and one Chromium.
 * The browser's clock is the real one, and signatures carry it (PU-03 allows two minutes): so the
 * server's clock follows real time here, and never runs backwards.
 */
export async function startAppServer(env: Record<string, string> = {}): Promise<AppServer> {
  const push = await startPushService()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const webDir = process.env.COUNTERSIGN_WEB_DIR
  const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: base, COUNTERSIGN_PUSH_CA_FILE: push.caFile, ...(webDir ? { COUNTERSIGN_WEB_DIR: webDir } : {}), ...env })
  t.clock.set(new Date())
  const ticking = setInterval(() => {
    if (Date.now() > t.clock.now().getTime()) t.clock.set(new Date())
  }, 100)
  await t.app.listen({ host: '127.0.0.1', port })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const browsers: Browser[] = [browser]
  const contexts: BrowserContext[] = []
  const dirs: string[] = []
  let phones = 0

  const server: AppServer = {
    t,
    base,
    push,
    browser,
    async phone(options = {}) {
      const language = options.language ?? 'en'
      const context = await (options.browser ?? browser).newContext({
        baseURL: base,
        locale: language === 'nl' ? 'nl-NL' : 'en-GB',
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
        permissions: ['notifications', 'camera'],
        serviceWorkers: 'allow',
      })
      context.setDefaultTimeout(10_000)
      contexts.push(context)
      let subscriber: Phone['subscriber'] = null
      let endpoint: string | null = null
      if (options.subscription !== false) {
        // Headless Chromium has no push service, so subscribe() always fails (notes/browser-testing.md):
        // the app under test gets a subscription that points at the test's own push service.
        const ecdh = createECDH('prime256v1')
        ecdh.generateKeys()
        const auth = randomBytes(16)
        subscriber = { ecdh, auth }
        endpoint = push.endpoint(`phone-${++phones}`, subscriber)
        const json = { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') } }
        // A string, not a function: tsx would wrap the function's inner arrows in its `__name` helper,
        // which does not exist in the page.
        await context.addInitScript({
          content: `(() => {
            const sub = ${JSON.stringify(json)};
            PushManager.prototype.subscribe = async function () {
              return { endpoint: sub.endpoint, options: {}, toJSON() { return sub }, getKey() { return null }, async unsubscribe() { return true } };
            };
            PushManager.prototype.getSubscription = async function () { return null };
          })();`,
        })
      }
      const page = await context.newPage()
      return { context, page, subscriber, endpoint }
    },
    async desktop(options = {}) {
      const language = options.language ?? 'en'
      const context = await browser.newContext({
        baseURL: base,
        locale: language === 'nl' ? 'nl-NL' : 'en-GB',
        extraHTTPHeaders: { 'accept-language': language === 'nl' ? 'nl-NL,nl;q=0.9' : 'en-GB,en;q=0.9' },
        viewport: { width: 1280, height: 860 },
      })
      context.setDefaultTimeout(10_000)
      contexts.push(context)
      return context
    },
    async cameraBrowser(text) {
      const dir = mkdtempSync(join(tmpdir(), 'countersign-camera-'))
      dirs.push(dir)
      const file = join(dir, 'qr.y4m')
      writeFileSync(file, await qrVideo(text))
      const camera = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`],
      })
      browsers.push(camera)
      return camera
    },
    async close() {
      clearInterval(ticking)
      for (const context of contexts) await context.close().catch(() => {})
      for (const each of browsers) await each.close().catch(() => {})
      await t.close()
      await push.close()
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
  return server
}

/**
 * A QR code as a Y4M video for Chromium's fake camera: the luma plane from a grey PNG, the two
 * chroma planes at 128 (no ffmpeg needed; notes/browser-testing.md).
 */
async function qrVideo(text: string): Promise<Buffer> {
  const png = PNG.sync.read(await QRCode.toBuffer(text, { width: 480, margin: 4, errorCorrectionLevel: 'M' }))
  const width = png.width - (png.width % 2)
  const height = png.height - (png.height % 2)
  const y = Buffer.alloc(width * height)
  for (let row = 0; row < height; row++) for (let col = 0; col < width; col++) y[row * width + col] = png.data[(row * png.width + col) * 4]!
  const uv = Buffer.alloc((width / 2) * (height / 2), 128)
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, uv, uv])
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), frame, frame])
}

/** Waits until the app's service worker controls the page (the shell is cached from then on). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const registration = await navigator.serviceWorker.ready
    return registration.active?.state === 'activated' && navigator.serviceWorker.controller !== null
  })
}

/** Hands a decrypted push payload to the app's service worker, as the browser's push service would (CDP). */
export async function deliverPush(page: Page, origin: string, data: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page)
  try {
    const registrationId = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
        const registration = event.registrations.find((r) => r.scopeURL.startsWith(origin) && !r.isDeleted)
        if (registration) resolve(registration.registrationId)
      })
    })
    await cdp.send('ServiceWorker.enable')
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: await registrationId, data })
  } finally {
    await cdp.detach().catch(() => {})
  }
}

/** Verifies a WebCrypto signature in Node exactly as the protocol defines it (§2). */
export function verifiesInNode(publicJwk: { kty: string; crv: string; x: string; y: string }, message: string, signature: string): boolean {
  return verify('sha256', Buffer.from(message, 'utf8'), { key: publicJwk, format: 'jwk', dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
}

/** Saves a screenshot for a person to look at (COUNTERSIGN_E2E_SHOTS=dir). */
export async function snapshot(page: Page, name: string): Promise<void> {
  const dir = process.env.COUNTERSIGN_E2E_SHOTS
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true })
}

/** A user of an organisation whose policy lets them sign in with the password alone until they link a device. */
export async function newUser(s: AppServer, orgId: string): Promise<{ id: string; username: string; password: string }> {
  return s.t.createUser(orgId)
}

/** Signs the desktop in through the pages (password only) and lands on My Account › Security. */
export async function signInDesktop(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.goto('/sign-in')
  await page.getByLabel(/User name|Gebruikersnaam/).fill(user.username)
  await page.getByLabel(/^(Password|Wachtwoord)$/).fill(user.password)
  await page.getByRole('button', { name: /^(Sign in|Aanmelden)$/ }).click()
  await page.waitForURL(/\/account\/security$/)
}

/** The account page's request for a Countersign Authenticator: a pending device and its pairing link (protocol §1). */
export async function startPairing(page: Page, name = 'Phone app'): Promise<{ deviceId: string; pairingUri: string; secret: string }> {
  const answer = await page.evaluate(async (deviceName) => {
    const response = await fetch('/api/v1/account/devices/authenticator', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: deviceName }) })
    return { status: response.status, body: await response.json() }
  }, name)
  if (answer.status !== 201) throw new Error(`pairing start: ${answer.status} ${JSON.stringify(answer.body)}`)
  return answer.body
}

/** Opens the app on the phone and waits until its service worker runs it. */
export async function openApp(phone: Phone): Promise<void> {
  await phone.page.goto('/app/')
  await phone.page.getByRole('heading', { name: /^(Accounts)$/ }).waitFor()
  await waitForServiceWorker(phone.page)
}

/** Add account › paste the link › Continue: the confirmation screen. */
export async function pasteLink(page: Page, link: string): Promise<void> {
  await page.getByRole('button', { name: /^(Add account|Account toevoegen)$/ }).click()
  await page.getByLabel(/^(Link from the QR code|Link uit de QR-code)$/).fill(link)
  await page.getByRole('button', { name: /^(Continue|Doorgaan)$/ }).click()
}
