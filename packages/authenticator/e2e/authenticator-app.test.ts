import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { openApp, pasteLink, signInDesktop, snapshot, startAppServer, startPairing, totpCode, verifiesInNode, type AppServer } from './support.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const randomSecret = () => Array.from(randomBytes(32), (byte) => BASE32[byte % 32]).join('')

/** The code an account shows now, and whether it is one the server would accept at this moment (RFC 6238, ±1 step). */
async function shownCode(page: Page, accountName: string): Promise<string> {
  const button = page.getByRole('button', { name: `Code for ${accountName}` })
  await page.waitForFunction((name) => /^\d{6}$/.test(document.querySelector(`[aria-label="Code for ${name}"]`)?.getAttribute('data-code') ?? ''), accountName)
  return (await button.getAttribute('data-code')) ?? ''
}

function isCurrentCode(secret: string, code: string): boolean {
  const now = new Date()
  return [-1, 0, 1].some((offset) => totpCode(secret, now, offset) === code)
}

/** The Countersign Authenticator in Chromium: installable, offline codes, its device key (F-PUSH-1, F-PUSH-3, F-PUSH-6). */
describe('Countersign Authenticator: the app', () => {
  let s: AppServer
  let org: { id: string }

  before(async () => {
    s = await startAppServer()
    org = await s.t.createOrganisation({ policy: 'optional' })
  })
  after(() => s.close())

  test('F-PUSH-1: the app is installable: a manifest with its name, icons, standalone display and scope /app/, and a service worker', async () => {
    const phone = await s.phone()
    await openApp(phone)
    const manifest = await (await phone.page.request.get('/app/manifest.webmanifest')).json()
    assert.equal(manifest.name, 'Countersign Authenticator')
    assert.equal(manifest.start_url, '/app/')
    assert.equal(manifest.scope, '/app/')
    assert.equal(manifest.display, 'standalone')
    assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/)
    const sizes = manifest.icons.map((icon: { sizes: string; type: string }) => `${icon.sizes} ${icon.type}`)
    assert.ok(sizes.includes('192x192 image/png') && sizes.includes('512x512 image/png') && sizes.includes('any image/svg+xml'), sizes.join(', '))
    for (const icon of manifest.icons as Array<{ src: string; type: string }>) {
      const response = await phone.page.request.get(icon.src)
      assert.equal(response.status(), 200, icon.src)
      assert.equal(response.headers()['content-type']?.split(';')[0], icon.type)
    }
    const worker = await phone.page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)
    assert.equal(worker, `${s.base}/app/sw.js`)

    const cdp = await phone.context.newCDPSession(phone.page)
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
    // A Playwright context is incognito, which Chromium always reports; nothing else may be wrong.
    assert.deepEqual(installabilityErrors.map((error) => error.errorId).filter((id) => id !== 'in-incognito'), [])
    const { errors } = await cdp.send('Page.getAppManifest')
    assert.deepEqual(errors, [])
  })

  test('F-PUSH-3 PU-11: a plain otpauth link gives a codes-only account whose codes are the server\'s RFC 6238 codes, with a countdown', async () => {
    const secret = randomSecret()
    const phone = await s.phone()
    await openApp(phone)
    await phone.page.getByText('No accounts yet').waitFor()
    await pasteLink(phone.page, `otpauth://totp/Example%20Co:alice?secret=${secret}&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30`)
    await phone.page.getByRole('heading', { name: 'Add alice at Example Co?' }).waitFor()
    await phone.page.getByText('This link is for codes only').waitFor()
    await phone.page.getByRole('button', { name: 'Add', exact: true }).click()
    await phone.page.getByText('alice at Example Co was added.').waitFor()
    const code = await shownCode(phone.page, 'Example Co')
    assert.ok(isCurrentCode(secret, code), `${code} is a current code for the secret`)
    await phone.page.getByText('Codes only').waitFor()
    await phone.page.getByLabel(/^New code in \d+ seconds$/).waitFor()
  })

  test('F-PUSH-3: after the first visit the app and its codes work offline', async () => {
    const secret = randomSecret()
    const phone = await s.phone()
    await openApp(phone)
    await pasteLink(phone.page, `otpauth://totp/Offline:bob?secret=${secret}&issuer=Offline`)
    await phone.page.getByRole('button', { name: 'Add', exact: true }).click()
    await shownCode(phone.page, 'Offline')

    await phone.context.setOffline(true)
    try {
      await phone.page.reload()
      await phone.page.getByRole('heading', { name: 'Accounts', exact: true }).waitFor()
      await phone.page.getByText('You are offline. Codes keep working').waitFor()
      assert.ok(isCurrentCode(secret, await shownCode(phone.page, 'Offline')), 'the offline code is a current code')
      // The camera's decoder, loaded only when scanning, is in the offline shell too.
      const cached = await phone.page.evaluate(async () => {
        const names = await caches.keys()
        const cache = await caches.open(names.find((name) => name.startsWith('countersign-app-'))!)
        return (await cache.keys()).map((request) => new URL(request.url).pathname)
      })
      assert.ok(cached.includes('/app/'), cached.join(' '))
      assert.ok(cached.some((path) => /^\/app\/assets\/jsQR-.+\.js$/.test(path)), cached.join(' '))
    } finally {
      await phone.context.setOffline(false)
    }
  })

  test('F-PUSH-6 PU-10: pairing makes a P-256 key that cannot be exported, keeps it across a reload, and signs the protocol\'s exact messages', async () => {
    const user = await s.t.createUser(org.id)
    const desktop = await (await s.desktop()).newPage()
    await signInDesktop(desktop, user)
    const { deviceId, pairingUri, secret } = await startPairing(desktop)
    const token = new URL(pairingUri).searchParams.get('cs_pair')!

    const phone = await s.phone()
    await openApp(phone)
    const pairRequest = phone.page.waitForRequest((request) => request.url().endsWith('/api/v1/authenticator/pair'))
    await pasteLink(phone.page, pairingUri)
    const orgName = (await s.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().name as string
    await phone.page.getByRole('heading', { name: `Link ${user.username} at ${orgName}?` }).waitFor()
    await snapshot(phone.page, 'app-pairing')
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText(`${user.username} at ${orgName} is linked.`).waitFor()

    // The pairing request: only the public half, signed with the new key (proof of possession).
    const body = (await pairRequest).postDataJSON()
    assert.deepEqual(Object.keys(body.publicKey).sort(), ['crv', 'kty', 'x', 'y'])
    assert.equal(body.publicKey.crv, 'P-256')
    assert.equal(body.deviceId, deviceId)
    assert.ok(Math.abs(Date.parse(body.issuedAt) - Date.now()) < 10_000, 'issuedAt is the phone\'s clock')
    assert.ok(verifiesInNode(body.publicKey, JSON.stringify(['countersign-authenticator/1', 'pair', deviceId, body.issuedAt, token]), body.signature))
    assert.ok(!verifiesInNode(body.publicKey, JSON.stringify(['countersign-authenticator/1', 'pair', deviceId, body.issuedAt, `${token}x`]), body.signature), 'and only that message')

    const stored = await phone.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('countersign-authenticator')
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const accounts = await new Promise<any[]>((resolve) => {
        const request = db.transaction('accounts').objectStore('accounts').getAll()
        request.onsuccess = () => resolve(request.result)
      })
      const key: CryptoKey = accounts[0].pairing.keyPair.privateKey
      const refusals: string[] = []
      for (const format of ['jwk', 'pkcs8'] as const) {
        await crypto.subtle.exportKey(format, key).then(
          () => refusals.push(`${format}: exported`),
          (error: Error) => refusals.push(`${format}: ${error.name}`),
        )
      }
      return { count: accounts.length, extractable: key.extractable, type: key.type, algorithm: key.algorithm as EcKeyAlgorithm, usages: key.usages, refusals }
    })
    assert.deepEqual(stored, {
      count: 1,
      extractable: false,
      type: 'private',
      algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
      usages: ['sign'],
      refusals: ['jwk: InvalidAccessError', 'pkcs8: InvalidAccessError'],
    })

    // After a reload the same key signs the app's first request (its pending list), in the protocol's format.
    const listRequest = phone.page.waitForRequest((request) => request.url().includes('/api/v1/authenticator/challenges?'))
    const listResponse = phone.page.waitForResponse((response) => response.url().includes('/api/v1/authenticator/challenges?'))
    await phone.page.reload()
    const query = new URL((await listRequest).url()).searchParams
    assert.equal(query.get('deviceId'), deviceId)
    assert.ok(verifiesInNode(body.publicKey, JSON.stringify(['countersign-authenticator/1', 'list', deviceId, query.get('issuedAt')]), query.get('signature')!))
    assert.equal((await listResponse).status(), 200)

    // The offline code of the paired account is the pairing link's TOTP secret (F-PUSH-3).
    assert.ok(isCurrentCode(secret, await shownCode(phone.page, orgName)))
    await phone.page.getByText('Sign-in requests and codes').waitFor()
    const devices = await desktop.evaluate(() => fetch('/api/v1/account/devices').then((r) => r.json()))
    assert.deepEqual(
      devices.map((d: { id: string; kind: string }) => [d.id, d.kind]),
      [[deviceId, 'authenticator']],
    )
  })

  test('F-PUSH-1: a pairing link of another server that the app cannot reach can still be added for codes only', async () => {
    const secret = randomSecret()
    const phone = await s.phone()
    await openApp(phone)
    // Port 9 on loopback: nobody answers, as with a server this origin's CSP (connect-src 'self') keeps out.
    await pasteLink(phone.page, `otpauth://totp/Elsewhere:carol?secret=${secret}&issuer=Elsewhere&cs_pair=tok&cs_server=${encodeURIComponent('http://127.0.0.1:9')}&cs_device=dev_1`)
    await phone.page.getByRole('heading', { name: 'Link carol at Elsewhere?' }).waitFor()
    await phone.page.getByText('This account belongs to another server (127.0.0.1:9).').waitFor()
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText('The server 127.0.0.1:9 could not be reached.').waitFor()
    await phone.page.getByRole('button', { name: 'Add for codes only' }).click()
    assert.ok(isCurrentCode(secret, await shownCode(phone.page, 'Elsewhere')))
    await phone.page.getByText('Codes only').waitFor()
  })

  test('F-X-3: the app speaks Dutch on a Dutch phone, and its switch changes the language', async () => {
    const phone = await s.phone({ language: 'nl' })
    await phone.page.goto('/app/')
    await phone.page.getByRole('heading', { name: 'Nog geen accounts' }).waitFor()
    assert.equal(await phone.page.getAttribute('html', 'lang'), 'nl')
    await phone.page.getByRole('button', { name: 'English' }).click()
    await phone.page.getByRole('heading', { name: 'No accounts yet' }).waitFor()
    // The document's language follows in an effect after the render.
    await phone.page.waitForFunction(() => document.documentElement.lang === 'en', undefined, { timeout: 5000 })
    await phone.page.reload()
    await phone.page.getByRole('heading', { name: 'No accounts yet' }).waitFor()
  })
})
