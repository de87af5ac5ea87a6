import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestApp, type TestApp } from '../test-support/harness.js'

/** A build of the app as Vite lays it out, small enough to write here (the real one is tested in Chromium). */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-app-'))
  mkdirSync(join(dir, 'assets'))
  mkdirSync(join(dir, 'icons'))
  mkdirSync(join(dir, '.vite'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Countersign Authenticator</title><script type="module" src="/app/assets/index-abc123.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")')
  writeFileSync(join(dir, 'assets', 'index-abc123.js.map'), '{}')
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {})')
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Countersign Authenticator"}')
  writeFileSync(join(dir, 'icons', 'icon-192.png'), Buffer.from('89504e470d0a1a0a', 'hex'))
  writeFileSync(join(dir, '.vite', 'manifest.json'), '{}')
  return dir
}

/** The Countersign Authenticator served at /app/ (F-PUSH-1, issue 9). */
describe('the authenticator app at /app/', () => {
  let t: TestApp
  let dir: string
  before(async () => {
    dir = fakeBuild()
    t = await startTestApp({ COUNTERSIGN_APP_DIR: dir })
  })
  after(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })

  it('F-PUSH-1: /app/ is the page, never cached, under the same CSP without inline script or style', async () => {
    const page = await get('/app/')
    assert.equal(page.statusCode, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.match(page.body, /Countersign Authenticator/)
    assert.equal(page.headers['cache-control'], 'no-store')
    const csp = String(page.headers['content-security-policy'])
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.match(csp, /style-src 'self'(;|$)/)
    assert.match(csp, /connect-src 'self'(;|$)/)
    const bare = await get('/app')
    assert.equal(bare.statusCode, 308)
    assert.equal(bare.headers.location, '/app/')
  })

  it('hashed assets are immutable; the service worker and the manifest are revalidated on every load', async () => {
    const asset = await get('/app/assets/index-abc123.js')
    assert.equal(asset.statusCode, 200)
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable')
    const worker = await get('/app/sw.js')
    assert.equal(worker.statusCode, 200)
    assert.match(String(worker.headers['content-type']), /javascript/)
    assert.equal(worker.headers['cache-control'], 'no-cache')
    const manifest = await get('/app/manifest.webmanifest')
    assert.equal(manifest.statusCode, 200)
    assert.match(String(manifest.headers['content-type']), /^application\/manifest\+json/)
    assert.equal(manifest.headers['cache-control'], 'no-cache')
    assert.equal((await get('/app/icons/icon-192.png')).headers['cache-control'], 'public, max-age=3600')
  })

  it('source maps, the build manifest and index.html by name are not published', async () => {
    for (const url of ['/app/assets/index-abc123.js.map', '/app/.vite/manifest.json', '/app/index.html']) {
      assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 404, url)
    }
  })

  it('the API beside the app answers as before, and an unknown file under /app/ is a 404', async () => {
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/authenticator/config' })
    assert.equal(api.statusCode, 200)
    assert.equal((await t.app.inject({ method: 'GET', url: '/app/assets/nothing.js' })).statusCode, 404)
  })
})

describe('the authenticator app without a build', () => {
  it('/app/ says how to build it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-app-empty-'))
    const t = await startTestApp({ COUNTERSIGN_APP_DIR: dir })
    try {
      const page = await t.app.inject({ method: 'GET', url: '/app/' })
      assert.equal(page.statusCode, 404)
      assert.match(page.body, /npm run build/)
    } finally {
      await t.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
