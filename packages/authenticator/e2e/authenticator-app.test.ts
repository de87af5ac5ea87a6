import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
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

/** The accounts the app stored (IndexedDB, as the page sees it). */
async function storedAccounts(page: Page): Promise<any[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('countersign-authenticator')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    const accounts = await new Promise<any[]>((resolve) => {
      const request = db.transaction('accounts').objectStore('accounts').getAll()
      request.onsuccess = () => resolve(request.result.map((account: any) => ({ ...account, pairing: account.pairing && { ...account.pairing, keyPair: null } })))
    })
    db.close()
    return accounts
  })
}

/**
 * Every attempt of the phone's pages and service worker to reach a host: the requests that left
 * (then stopped here, so nothing leaves the machine), and the ones the app's CSP (`connect-src
 * 'self'`) blocked before they left, which no request event shows (`securitypolicyviolation`).
 */
async function watchHost(context: BrowserContext, hostname: string): Promise<string[]> {
  const seen: string[] = []
  const matches = (url: string) => {
    try {
      return new URL(url).hostname === hostname
    } catch {
      return false
    }
  }
  context.on('request', (request) => {
    if (matches(request.url())) seen.push(`${request.method()} ${request.url()}`)
  })
  await context.route((url) => url.hostname === hostname, (route) => route.abort())
  await context.exposeFunction('__cspBlocked', (uri: string, directive: string) => {
    if (matches(uri)) seen.push(`blocked by ${directive}: ${uri}`)
  })
  // A string, not a function: tsx would wrap a function's inner arrows in a helper the page lacks.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', function (event) { window.__cspBlocked(event.blockedURI, event.effectiveDirective) }, true);`,
  })
  return seen
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

  /** The app's own host, as its words name it. */
  const host = () => new URL(s.base).host

  /** A second factor besides the app (a TOTP app linked from the account page), so the app may go (F-DEV-2). */
  async function linkTotpApp(account: Page): Promise<void> {
    const started = await account.evaluate(async () => {
      const response = await fetch('/api/v1/account/devices/totp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Other app' }) })
      return response.json()
    })
    const status = await account.evaluate(
      async ({ id, code }) => (await fetch(`/api/v1/account/devices/${id}/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).status,
      { id: started.deviceId as string, code: totpCode(started.secret, s.t.clock.now()) },
    )
    assert.equal(status, 200)
  }

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

  test('F-PUSH-1: a pasted pairing link naming another server (https://evil.example) is refused in words and never contacted; it can still be added for codes only', async () => {
    const secret = randomSecret()
    const phone = await s.phone()
    const contacted = await watchHost(phone.context, 'evil.example')
    await openApp(phone)
    const link = `otpauth://totp/Evil:carol?secret=${secret}&issuer=Evil&cs_pair=tok_1&cs_server=${encodeURIComponent('https://evil.example')}&cs_device=dev_1`
    await pasteLink(phone.page, link)
    await phone.page.getByRole('heading', { name: 'Linking refused' }).waitFor()
    await phone.page
      .getByText(`This link asks to link this phone with another server, evil.example. This app belongs to ${host()} and links only with it, so nothing was sent to evil.example.`)
      .waitFor()
    await phone.page.getByText('If you trust this link, you can still add the account for its codes only').waitFor()
    assert.equal(await phone.page.getByRole('button', { name: 'Login' }).count(), 0, 'no way to pair from it')
    await snapshot(phone.page, 'app-refused-other-server')

    // Its codes only: the TOTP secret is kept, the pairing part is not.
    await phone.page.getByRole('button', { name: 'Add for codes only' }).click()
    await phone.page.getByText('carol at Evil was added.').waitFor()
    assert.ok(isCurrentCode(secret, await shownCode(phone.page, 'Evil')))
    await phone.page.getByText('Codes only').waitFor()
    assert.deepEqual(
      (await storedAccounts(phone.page)).map((account) => [account.name, account.pairing]),
      [['Evil', null]],
    )
    // A start of the app (its pending list, event streams) does not reach for it either.
    await phone.page.reload()
    await shownCode(phone.page, 'Evil')
    assert.deepEqual(contacted, [])
  })

  test('F-PUSH-1 F-X-3: the #/pair?uri= link of another origin is refused too, in Dutch, though that server is this very one under another name', async () => {
    const user = await s.t.createUser(org.id)
    const desktop = await (await s.desktop()).newPage()
    await signInDesktop(desktop, user)
    const { deviceId, pairingUri } = await startPairing(desktop)
    // The same server answers on localhost, but that is not the origin the app was opened from.
    const other = `http://localhost:${new URL(s.base).port}`
    const uri = pairingUri.replace(/([?&]cs_server=)[^&]*/, `$1${encodeURIComponent(other)}`)
    assert.notEqual(uri, pairingUri)
    const phone = await s.phone({ language: 'nl' })
    const contacted = await watchHost(phone.context, 'localhost')
    await phone.page.goto('/app/')
    await phone.page.getByRole('heading', { name: 'Nog geen accounts' }).waitFor()
    await phone.page.goto(`/app/#/pair?uri=${encodeURIComponent(uri)}`)
    await phone.page.getByRole('heading', { name: 'Koppelen geweigerd' }).waitFor()
    await phone.page
      .getByText(`Deze link vraagt om deze telefoon te koppelen met een andere server, ${new URL(other).host}. Deze app hoort bij ${host()} en koppelt alleen daarmee, dus er is niets naar ${new URL(other).host} gestuurd.`)
      .waitFor()
    assert.equal(await phone.page.getByRole('button', { name: 'Login' }).count(), 0)
    await phone.page.getByRole('button', { name: 'Alleen voor codes toevoegen' }).waitFor()
    await phone.page.getByRole('button', { name: 'Annuleren' }).click()
    await phone.page.getByLabel('Link uit de QR-code').waitFor()
    assert.deepEqual(contacted, [])
    // The pending device was never paired: the server does not list it.
    const devices = await desktop.evaluate(() => fetch('/api/v1/account/devices').then((r) => r.json()))
    assert.ok(!devices.some((d: { id: string }) => d.id === deviceId), JSON.stringify(devices))
  })

  test('F-PUSH-1: when the server\'s answer names another device, or another server, the app keeps no account and says so', async () => {
    const user = await s.t.createUser(org.id)
    const desktop = await (await s.desktop()).newPage()
    await signInDesktop(desktop, user)
    const phone = await s.phone()
    await openApp(phone)
    // The real server pairs; its answer is then changed on the way back, as a wrong server's would be.
    let change: (answer: Record<string, unknown>) => Record<string, unknown> = (answer) => answer
    await phone.page.route('**/api/v1/authenticator/pair', async (route) => {
      const response = await route.fetch()
      await route.fulfill({ response, json: change(await response.json()) })
    })

    change = (answer) => ({ ...answer, deviceId: 'dev_someone_else' })
    await pasteLink(phone.page, (await startPairing(desktop)).pairingUri)
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText(`The server ${host()} linked another device than the one in the link, so this account was not added.`).waitFor()
    await phone.page.getByText('If My Account › Security on your computer now lists this phone, remove it there, then show a new QR code.').waitFor()
    assert.ok(await phone.page.getByRole('button', { name: 'Login' }).isDisabled(), 'its token is spent')
    assert.deepEqual(await storedAccounts(phone.page), [])

    change = (answer) => ({ ...answer, server: 'https://evil.example' })
    await phone.page.goto('/app/#/')
    await pasteLink(phone.page, (await startPairing(desktop, 'Second')).pairingUri)
    await phone.page.getByRole('button', { name: 'Login' }).click()
    await phone.page.getByText(`The answer did not come from ${host()}, the server in the link, so this account was not added.`).waitFor()
    assert.deepEqual(await storedAccounts(phone.page), [])

    await phone.page.goto('/app/#/')
    await phone.page.getByText('No accounts yet').waitFor()
  })

  test('F-PUSH-4 F-PUSH-6: accounts stored before the upgrade keep working, and are known by server and device: a removal on this server leaves another server\'s account with the same device id alone', async () => {
    const user = await s.t.createUser(org.id)
    const orgName = (await s.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().name as string
    const desktop = await (await s.desktop()).newPage()
    await signInDesktop(desktop, user)
    const { deviceId, pairingUri, secret } = await startPairing(desktop)
    const token = new URL(pairingUri).searchParams.get('cs_pair')!
    const phone = await s.phone()
    // An account of another server, stored by an older app: its requests are stopped here (the CSP stops them anyway).
    await phone.context.route((url) => url.hostname === 'other.example', (route) => route.abort())

    // What version 1 of the app stored: the database at version 1, accounts by local id only,
    // one paired here (the protocol's signed pairing request) and one of another server with the same device id.
    await phone.page.goto('/app/manifest.webmanifest')
    await phone.page.evaluate(
      async ({ token, deviceId, secret, orgName, username }) => {
        // No named helpers in here: tsx would wrap them in its `__name`, which the page lacks.
        const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
        const keyPair = await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])
        const otherKeyPair = await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])
        const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey)
        const issuedAt = new Date().toISOString()
        const message = new TextEncoder().encode(JSON.stringify(['countersign-authenticator/1', 'pair', deviceId, issuedAt, token]))
        const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keyPair.privateKey, message))
        const signature = btoa(String.fromCharCode(...raw)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
        const response = await fetch('/api/v1/authenticator/pair', {
          method: 'POST',
          credentials: 'omit',
          headers: { accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify({ pairingToken: token, deviceId, publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, pushSubscription: null, name: 'Older app', issuedAt, signature }),
        })
        if (response.status !== 200) throw new Error(`pair: ${response.status} ${await response.text()}`)
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open('countersign-authenticator', 1)
          request.onupgradeneeded = () => {
            request.result.createObjectStore('accounts', { keyPath: 'id' })
            request.result.createObjectStore('settings')
          }
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
        const transaction = db.transaction('accounts', 'readwrite')
        const store = transaction.objectStore('accounts')
        const totp = { secret, algorithm: 'SHA-1', digits: 6, periodSeconds: 30 }
        store.put({ id: 'old-own', name: orgName, issuer: orgName, username, organisation: orgName, totp, addedAt: '2026-01-01T00:00:00.000Z', pairing: { server: location.origin, deviceId, keyPair, pushEndpoint: null, removedAt: null } })
        store.put({ id: 'old-other', name: 'Elsewhere', issuer: 'Elsewhere', username: 'carol', organisation: 'Elsewhere', totp, addedAt: '2026-01-02T00:00:00.000Z', pairing: { server: 'https://other.example', deviceId, keyPair: otherKeyPair, pushEndpoint: null, removedAt: null } })
        await new Promise((resolve, reject) => {
          transaction.oncomplete = resolve
          transaction.onerror = () => reject(transaction.error)
        })
        db.close()
      },
      { token, deviceId, secret, orgName, username: user.username },
    )

    // The new app opens it (version 2): both accounts are there, and the old key still signs.
    const listed = phone.page.waitForResponse((response) => response.url().startsWith(`${s.base}/api/v1/authenticator/challenges?`))
    await openApp(phone)
    assert.equal((await listed).status(), 200)
    assert.ok(isCurrentCode(secret, await shownCode(phone.page, orgName)))
    await shownCode(phone.page, 'Elsewhere')
    const storage = await phone.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('countersign-authenticator')
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const store = db.transaction('accounts').objectStore('accounts')
      const index = store.index('device')
      const shape = { version: db.version, keyPath: index.keyPath, unique: index.unique }
      const ids = await new Promise<IDBValidKey[]>((resolve) => {
        const request = store.getAllKeys()
        request.onsuccess = () => resolve(request.result)
      })
      // A second account for this server and device is refused by the store itself.
      const copy = await new Promise<string>((resolve) => {
        const transaction = db.transaction('accounts', 'readwrite')
        const get = transaction.objectStore('accounts').get('old-own')
        get.onsuccess = () => {
          const put = transaction.objectStore('accounts').put({ ...get.result, id: 'copy' })
          put.onerror = () => resolve(put.error?.name ?? 'error')
          put.onsuccess = () => resolve('stored')
        }
      })
      db.close()
      return { ...shape, ids, copy }
    })
    assert.deepEqual(storage, { version: 2, keyPath: ['pairing.server', 'pairing.deviceId'], unique: true, ids: ['old-other', 'old-own'], copy: 'ConstraintError' })

    // The device is removed on this server: only this server's account shows it.
    await linkTotpApp(desktop)
    const removed = await desktop.evaluate((id) => fetch(`/api/v1/account/devices/${id}`, { method: 'DELETE' }).then((r) => r.status), deviceId)
    assert.equal(removed, 204)
    const own = phone.page.locator('li.account', { hasText: orgName })
    const elsewhere = phone.page.locator('li.account', { hasText: 'Elsewhere' })
    await own.getByText('Removed on the server').waitFor({ timeout: 20_000 })
    await elsewhere.getByText('Sign-in requests and codes').waitFor()
    assert.equal(await phone.page.getByText('Removed on the server').count(), 1)
    const after = Object.fromEntries((await storedAccounts(phone.page)).map((account) => [account.id, account.pairing?.removedAt ?? null]))
    assert.equal(after['old-other'], null)
    assert.match(String(after['old-own']), /^\d{4}-\d\d-\d\dT/)
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
