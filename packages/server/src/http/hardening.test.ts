import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { ADMIN_TOKEN, CookieJar, ORIGIN, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

// SECURITY.md 7.4 (SC-06, SC-13) and 7.5 (CS-01…CS-05): headers, cookies, CSRF, CORS, safe GETs.

const EVIL = 'https://evil.example'
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

function setCookies(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [String(header)]
}

/** `name=value; A; B=c` → name and lower-cased attribute map. */
function parseSetCookie(line: string): { name: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim())
  const attributes = new Map<string, string>()
  for (const attribute of rest) {
    const [key = '', value = ''] = attribute.split('=')
    attributes.set(key.toLowerCase(), value)
  }
  return { name: pair.split('=')[0] ?? '', attributes }
}

function csp(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '')
  const directives = new Map<string, string[]>()
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/)
    if (name) directives.set(name.toLowerCase(), values)
  }
  return directives
}

function assertCookieAttributes(line: string, secure: boolean) {
  const { name, attributes } = parseSetCookie(line)
  assert.ok(attributes.has('httponly'), `${name}: HttpOnly`)
  assert.equal(attributes.get('samesite')?.toLowerCase(), 'lax', `${name}: SameSite=Lax`)
  assert.equal(attributes.get('path'), '/', `${name}: Path=/`)
  assert.ok(!attributes.has('domain'), `${name}: no Domain`)
  assert.equal(attributes.has('secure'), secure, `${name}: Secure ${secure}`)
}

describe('hardening: headers, cookies, CSRF, CORS (SC-06, SC-13, CS-01…CS-05)', () => {
  let t: TestApp
  let orgId: string
  let counter = 0

  /** A user with a linked TOTP app and a full session in `jar`. */
  async function enrolledUser() {
    const user = await t.createUser(orgId, { username: `hard${++counter}` })
    const { jar } = await t.signIn(user.username, user.password)
    const { secret, deviceId } = await t.linkTotp(jar)
    t.nextStep()
    return { ...user, jar, secret, deviceId }
  }

  /** A request with the jar's cookies and exactly the given headers (no default Origin). */
  function withCookie(jar: CookieJar, method: Method, url: string, headers: Record<string, string>, payload?: object) {
    return t.app.inject({ method, url, headers: { cookie: jar.header(), 'user-agent': 'test-browser', ...headers }, ...(payload ? { payload } : {}) })
  }

  before(async () => {
    t = await startTestApp()
    orgId = (await t.createOrganisation()).id
  })
  after(async () => {
    await t.close()
  })

  it('SC-13: JSON answers (success, 401, 404) carry nosniff, Cache-Control no-store, a CSP with frame-ancestors none, and no HSTS on http', async () => {
    const responses = await Promise.all([
      t.app.inject({ method: 'GET', url: '/healthz' }),
      t.app.inject({ method: 'GET', url: '/api/v1/session' }),
      t.app.inject({ method: 'GET', url: '/api/v1/no-such-route' }),
      t.admin('GET', '/api/v1/admin/organisations'),
    ])
    for (const response of responses) {
      assert.match(String(response.headers['content-type']), /^application\/json/)
      assert.equal(response.headers['x-content-type-options'], 'nosniff')
      assert.match(String(response.headers['cache-control']), /no-store/)
      assert.deepEqual(csp(response).get('frame-ancestors'), ["'none'"])
      assert.equal(response.headers['strict-transport-security'], undefined, 'no HSTS on an http public URL')
    }
  })

  it('SC-13: every answer carries the security headers — also the router-level 400/414 for a malformed percent-encoding or an over-long path parameter', async () => {
    for (const url of ['/api/v1/account/devices/%E0%A4%A', '/api/v1/session%', `/api/v1/admin/users/${'a'.repeat(300)}`]) {
      const response = await t.app.inject({ method: 'GET', url })
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${url}: ${response.statusCode}`)
      assert.equal(response.headers['x-content-type-options'], 'nosniff', `${url.slice(0, 40)}: nosniff`)
      assert.match(String(response.headers['cache-control']), /no-store/, `${url.slice(0, 40)}: no-store`)
      assert.deepEqual(csp(response).get('frame-ancestors'), ["'none'"], `${url.slice(0, 40)}: CSP`)
    }
  })

  it('SC-13 CS-05: every page of the web UI has a CSP with object-src none, base-uri none, frame-ancestors none, no inline script or style, plus nosniff, no-store and COOP', async () => {
    for (const url of ['/', '/sign-in', '/account/security', '/admin', '/admin/users/x', '/no-such-page']) {
      const page = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } })
      assert.equal(page.statusCode, url === '/no-such-page' ? 404 : 200, url)
      assert.match(String(page.headers['content-type']), /^text\/html/)
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/, url)
      assert.match(String(page.headers['cache-control']), /no-store/, url)
      for (const tag of page.body.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? []) {
        assert.match(tag, /^<script\b[^>]*\ssrc="\/assets\/[^"]+"[^>]*><\/script>$/, `${url}: scripts only from files: ${tag}`)
      }
      assert.doesNotMatch(page.body, /\son\w+=|\sstyle=|<style/i, `${url}: no inline handler or style`)
    }
  })

  it('SC-13: the UI’s hashed assets are cached for a year, carry the CSP and nosniff, and source maps are not published', async () => {
    const index = (await t.app.inject({ method: 'GET', url: '/sign-in' })).body
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1]
    assert.ok(script, 'index.html loads a script from /assets/')
    const asset = await t.app.inject({ method: 'GET', url: script })
    assert.equal(asset.statusCode, 200)
    assert.match(String(asset.headers['content-type']), /javascript/)
    assert.match(String(asset.headers['cache-control']), /max-age=31536000, immutable/)
    assert.equal(asset.headers['x-content-type-options'], 'nosniff')
    assert.equal((await t.app.inject({ method: 'GET', url: `${script}.map` })).statusCode, 404)
    assert.equal((await t.app.inject({ method: 'GET', url: '/index.html' })).statusCode, 404)
  })

  it('SC-13 CS-05: the / HTML page has a CSP with object-src none, base-uri none, frame-ancestors none, no inline script, plus nosniff, no-store and COOP', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/' })
    assert.equal(page.statusCode, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    const directives = csp(page)
    assert.deepEqual(directives.get('object-src'), ["'none'"])
    assert.deepEqual(directives.get('base-uri'), ["'none'"])
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"])
    const scripts = directives.get('script-src') ?? directives.get('default-src')
    assert.ok(scripts, 'script-src or default-src is set')
    for (const source of scripts) assert.ok(!/unsafe-inline|unsafe-eval|^\*$|^data:$/.test(source), `script source ${source}`)
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.match(String(page.headers['cache-control']), /no-store/)
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin')
    assert.doesNotMatch(page.body.replace(/<script type="module" crossorigin src="\/assets\/[\w.-]+"><\/script>/g, ''), /<script|\son\w+=/i, 'no inline script or event handler in the page')
  })

  it('SC-13 SC-06: with an https public URL, HSTS max-age ≥ 1 year with includeSubDomains, and cookies are __Host-cs_* with Secure, HttpOnly, SameSite=Lax, Path=/', async () => {
    const publicUrl = 'https://auth.example.test'
    const https = await startTestApp({ COUNTERSIGN_PUBLIC_URL: publicUrl })
    try {
      const health = await https.app.inject({ method: 'GET', url: '/healthz' })
      const hsts = String(health.headers['strict-transport-security'] ?? '')
      const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0)
      assert.ok(maxAge >= 31_536_000, `HSTS max-age ${hsts}`)
      assert.match(hsts, /includeSubDomains/i)

      const org = await https.createOrganisation({ policy: 'off' })
      const user = await https.createUser(org.id)
      const credentials = { username: user.username, password: user.password }
      const wrongOrigin = await https.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { origin: ORIGIN }, payload: credentials })
      assert.equal(wrongOrigin.statusCode, 403, 'http://127.0.0.1:3000 is not the https public origin')
      const signIn = await https.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { origin: publicUrl }, payload: credentials })
      assert.equal(signIn.statusCode, 200, signIn.body)
      assert.equal(signIn.json().state, 'completed')
      const lines = setCookies(signIn)
      const names = lines.map((line) => parseSetCookie(line).name)
      assert.ok(names.includes('__Host-cs_session'), `cookies: ${names.join(', ')}`)
      assert.ok(names.every((name) => name.startsWith('__Host-')), `every cookie has the __Host- prefix: ${names.join(', ')}`)
      for (const line of lines) assertCookieAttributes(line, true)

      const value = /^__Host-cs_session=([^;]*)/.exec(lines.find((l) => l.startsWith('__Host-cs_session=')) ?? '')?.[1] ?? ''
      const me = await https.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `__Host-cs_session=${value}` } })
      assert.equal(me.statusCode, 200)
      const unprefixed = await https.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `cs_session=${value}` } })
      assert.equal(unprefixed.statusCode, 401, 'the unprefixed name is not read on https')
    } finally {
      await https.close()
    }
  })

  it('SC-06: every Set-Cookie from sign-in (password step, device confirmation, second factor with remember) is HttpOnly, SameSite=Lax, Path=/, without Domain', async () => {
    const user = await t.createUser(orgId, { username: `cookies${++counter}` })
    const jar = new CookieJar()
    const lines: string[] = []
    const password = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    lines.push(...setCookies(password))
    const started = await t.browser(jar, 'POST', '/api/v1/account/devices/totp', { name: 'Phone' })
    const { deviceId, secret } = started.json() as { deviceId: string; secret: string }
    const confirmed = await t.browser(jar, 'POST', `/api/v1/account/devices/${deviceId}/confirm`, { code: totpCode(secret, t.clock.now()) })
    assert.equal(confirmed.statusCode, 200, confirmed.body)
    lines.push(...setCookies(confirmed))
    t.nextStep()
    const second = new CookieJar()
    const flow = await t.browser(second, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    lines.push(...setCookies(flow))
    const done = await t.browser(second, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(secret, t.clock.now()), rememberBrowser: true })
    assert.equal(done.statusCode, 200, done.body)
    lines.push(...setCookies(done))
    const names = new Set(lines.map((line) => parseSetCookie(line).name))
    for (const expected of ['cs_session', 'cs_flow', 'cs_remember']) assert.ok(names.has(expected), `saw ${expected}`)
    for (const line of lines) assertCookieAttributes(line, false)
  })

  it('CS-01: every unsafe account route with a valid session cookie but a foreign Origin, Sec-Fetch-Site cross-site/same-site, or no Origin at all answers 403 CSRF_REJECTED and changes nothing', async () => {
    const user = await enrolledUser()
    const routes: Array<[Method, string, object | undefined]> = [
      ['POST', '/api/v1/account/devices/totp', { name: 'Attacker phone' }],
      ['POST', `/api/v1/account/devices/${user.deviceId}/confirm`, { code: '123456' }],
      ['PATCH', `/api/v1/account/devices/${user.deviceId}`, { name: 'renamed by attacker' }],
      ['DELETE', `/api/v1/account/devices/${user.deviceId}`, undefined],
      ['PUT', '/api/v1/account/method', { method: 'totp' }],
      ['PUT', '/api/v1/account/two-factor', { enabled: false }],
      ['POST', '/api/v1/account/reauthenticate', { password: user.password }],
      ['DELETE', '/api/v1/account/remembered-browsers/abcdefghijklmnop', undefined],
      ['POST', '/api/v1/sign-out', {}],
      ['POST', '/api/v1/sign-in/password', { username: user.username, password: user.password }],
      ['POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: '123456' }],
    ]
    const contexts: Array<Record<string, string>> = [
      { origin: EVIL },
      { origin: 'null' },
      { origin: `${ORIGIN}.evil.example` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'none' },
      {},
    ]
    const devicesBefore = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).body
    const securityBefore = (await t.browser(user.jar, 'GET', '/api/v1/account/security')).body
    const eventsBefore = (await t.auditEvents()).length
    for (const [method, url, payload] of routes) {
      for (const headers of contexts) {
        const response = await withCookie(user.jar, method, url, headers, payload)
        assert.equal(response.statusCode, 403, `${method} ${url} ${JSON.stringify(headers)}: ${response.body}`)
        assert.equal(response.json().error.code, 'CSRF_REJECTED')
        assert.deepEqual(setCookies(response), [], 'no cookie set or cleared')
      }
    }
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/account/devices')).body, devicesBefore, 'devices unchanged')
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/account/security')).body, securityBefore, 'settings unchanged')
    assert.equal((await t.auditEvents()).length, eventsBefore, 'no audit event written')
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/session')).statusCode, 200, 'the session was not ended')
  })

  it('CS-01: a cookie-authenticated change is not exempt from the Origin check because it also carries a bogus Authorization: Bearer header', async () => {
    const user = await enrolledUser()
    const response = await withCookie(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, { origin: EVIL, authorization: 'Bearer not-a-token' }, { name: 'renamed by attacker' })
    const devices = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).json() as Array<{ name: string }>
    assert.equal(devices[0]?.name, 'Phone', 'device not renamed')
    assert.equal(response.statusCode, 403, response.body)
    assert.equal(response.json().error.code, 'CSRF_REJECTED')
  })

  it('CS-02: login CSRF — a cross-site POST of credentials to /api/v1/sign-in/password is 403 CSRF_REJECTED and sets no cookie', async () => {
    const user = await t.createUser(orgId, { username: `logincsrf${++counter}` })
    const eventsBefore = (await t.auditEvents()).length
    for (const headers of [{ origin: EVIL }, { 'sec-fetch-site': 'cross-site' }, { origin: EVIL, 'sec-fetch-site': 'same-origin' }] as Array<Record<string, string>>) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers, payload: { username: user.username, password: user.password } })
      assert.equal(response.statusCode, 403, JSON.stringify(headers))
      assert.equal(response.json().error.code, 'CSRF_REJECTED')
      assert.deepEqual(setCookies(response), [])
    }
    assert.equal((await t.auditEvents()).length, eventsBefore, 'nothing recorded, nothing charged')
  })

  it('CS-01: a same-origin request identified only by Sec-Fetch-Site: same-origin (no Origin header) passes', async () => {
    const user = await enrolledUser()
    const rename = await withCookie(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, { 'sec-fetch-site': 'same-origin' }, { name: 'Work phone' })
    assert.equal(rename.statusCode, 200, rename.body)
    assert.equal(rename.json().name, 'Work phone')
    const fresh = new CookieJar()
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { 'sec-fetch-site': 'same-origin' }, payload: { username: user.username, password: user.password } })
    fresh.take(login)
    assert.equal(login.statusCode, 200, login.body)
    assert.equal(login.json().state, 'awaiting_second_factor')
  })

  it('CS-01: Bearer admin API requests need no Origin (machine clients are not browsers)', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/organisations',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { slug: `bearer-${++counter}`, name: 'Bearer org' },
    })
    assert.equal(response.statusCode, 201, response.body)
  })

  it('CS-04: no Access-Control-Allow-Origin is reflected for a foreign Origin, on simple requests or preflights', async () => {
    const user = await enrolledUser()
    const responses = [
      await withCookie(user.jar, 'GET', '/api/v1/session', { origin: EVIL }),
      await withCookie(user.jar, 'GET', '/api/v1/account/security', { origin: EVIL }),
      await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { origin: EVIL }, payload: { username: 'x', password: 'y' } }),
      await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/sign-in/password',
        headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      }),
    ]
    for (const response of responses) {
      assert.ok(response.statusCode < 500)
      assert.equal(response.headers['access-control-allow-origin'], undefined, response.body)
      assert.equal(response.headers['access-control-allow-credentials'], undefined)
    }
  })

  it('CS-03: GET and HEAD never change state — GET /api/v1/sign-out and GET on delete/unlock paths are 404 and the session and device survive', async () => {
    const user = await enrolledUser()
    const attempts: Array<[Method, string]> = [
      ['GET', '/api/v1/sign-out'],
      ['HEAD', '/api/v1/sign-out'],
      ['GET', `/api/v1/account/devices/${user.deviceId}`],
      ['GET', `/api/v1/admin/users/${user.id}/unlock`],
      ['GET', `/api/v1/admin/users/${user.id}/bypass`],
      ['GET', '/api/v1/account/devices/totp'],
    ]
    for (const [method, url] of attempts) {
      for (const override of [{}, { 'x-http-method-override': 'DELETE' }, { 'x-http-method': 'POST' }] as Array<Record<string, string>>) {
        const response = await withCookie(user.jar, method, url, { 'sec-fetch-site': 'same-origin', ...override })
        assert.equal(response.statusCode, 404, `${method} ${url} ${JSON.stringify(override)}`)
      }
    }
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/session')).statusCode, 200, 'still signed in')
    const devices = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).json() as unknown[]
    assert.equal(devices.length, 1)
    const bypass = await t.admin('GET', `/api/v1/admin/users/${user.id}`)
    assert.equal(bypass.json().bypassExpiresAt, null, 'no bypass granted by a GET')
  })

  it('API.md: GET /api/v1/openapi.json is valid JSON, OpenAPI 3.1.0, and lists the sign-in paths', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })
    assert.equal(response.statusCode, 200)
    assert.match(String(response.headers['content-type']), /^application\/json/)
    const document = JSON.parse(response.body) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    assert.equal(document.openapi, '3.1.0')
    for (const path of ['/api/v1/sign-in/password', '/api/v1/sign-in/second-factor', '/api/v1/sign-out']) {
      assert.ok(document.paths[path]?.post, `POST ${path} documented`)
    }
    assert.ok(document.paths['/api/v1/session']?.get)
  })

  it('API.md: /healthz and /readyz answer 200', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(health.statusCode, 200)
    assert.deepEqual(health.json(), { status: 'ok' })
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(ready.statusCode, 200)
  })
})
