import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../config/load-config.js'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

// F-INT-2 forward auth, with SECURITY.md SC-03, SC-06, SC-07, SC-08, SC-11, EN-06, RB-08, RB-09, RB-10.

const APP = 'https://app.a.test'
const SECURE = 'https://secure.a.test'
const B_ONLY = 'https://b.test'
const SIGN_IN = 'http://127.0.0.1:3000/sign-in'

function forwardAuth(t: TestApp, headers: Record<string, string | string[]>, jar?: CookieJar, query = '') {
  return t.app.inject({
    method: 'GET',
    url: `/api/v1/forward-auth${query}`,
    headers: { ...headers, ...(jar?.cookies.size ? { cookie: jar.header() } : {}) },
  })
}

const original = (url: string) => ({ 'x-original-url': url })

/** A GET of /api/v1/forward-auth written by hand, so a header can be sent twice; the response head. */
function rawGet(address: string, query: string, headerLines: string[]): Promise<string> {
  const { hostname, port } = new URL(address)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write([`GET /api/v1/forward-auth${query} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...headerLines, '', ''].join('\r\n'))
    })
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => (received += chunk))
    socket.on('end', () => resolve(received.split('\r\n\r\n')[0]!))
    socket.on('error', reject)
  })
}

function assertNoIdentity(response: LightMyRequestResponse) {
  for (const name of ['remote-user', 'remote-email', 'remote-organisation', 'remote-amr']) {
    assert.equal(response.headers[name], undefined, `no ${name} on ${response.statusCode}`)
  }
}

/** The return URL the sign-in page is sent to, or null for the plain sign-in page. */
function returnOf(response: LightMyRequestResponse): string | null {
  const location = new URL(String(response.headers.location))
  assert.equal(`${location.origin}${location.pathname}`, SIGN_IN)
  return location.searchParams.get('return')
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`forward auth on ${backend} (F-INT-2)`, () => {
    let t: TestApp
    let orgA: { id: string; slug: string }
    let orgB: { id: string; slug: string }
    let mfaJar: CookieJar
    let pwdJar: CookieJar
    let bJar: CookieJar
    let alice: { username: string }

    before(async () => {
      t = await startTestApp({}, { backend })
      orgA = await t.createOrganisation({ policy: 'required' })
      orgB = await t.createOrganisation({ policy: 'required' })
      const patched = await t.admin('PATCH', `/api/v1/admin/organisations/${orgA.id}`, {
        allowedOrigins: [{ origin: APP }, { origin: SECURE, requireSecondFactor: true }],
      })
      assert.equal(patched.statusCode, 200, patched.body)
      assert.equal((await t.admin('PATCH', `/api/v1/admin/organisations/${orgB.id}`, { allowedOrigins: [{ origin: B_ONLY }] })).statusCode, 200)
      const enrolled = await t.enrolledUser(orgA.id)
      alice = enrolled
      mfaJar = (await t.signIn(enrolled.username, enrolled.password, enrolled.secret)).jar
      const exempt = await t.createUser(orgA.id, { twoFactor: 'exempt' })
      pwdJar = (await t.signIn(exempt.username, exempt.password)).jar
      const bUser = await t.enrolledUser(orgB.id)
      bJar = (await t.signIn(bUser.username, bUser.password, bUser.secret)).jar
    })
    after(() => t.close())

    it('F-INT-2 SC-11: a full session gets 200 with Remote-User, Remote-Email, Remote-Organisation and a truthful Remote-Amr', async () => {
      const response = await forwardAuth(t, original(`${APP}/reports?x=1`), mfaJar)
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['remote-user'], alice.username)
      assert.equal(response.headers['remote-email'], `${alice.username}@example.test`)
      assert.equal(response.headers['remote-organisation'], orgA.slug)
      assert.equal(response.headers['remote-amr'], 'pwd,otp,mfa')
      assert.equal(response.headers['cache-control'], 'no-store')
      const exempt = await forwardAuth(t, original(`${APP}/`), pwdJar)
      assert.equal(exempt.statusCode, 200)
      assert.equal(exempt.headers['remote-amr'], 'pwd', 'no second factor, no mfa (SC-11)')
    })

    it('BF-08: a session made before the account was locked lets nobody through, until an admin unlocks it', async () => {
      const user = await t.enrolledUser(orgA.id)
      const jar = (await t.signIn(user.username, user.password, user.secret)).jar
      assert.equal((await forwardAuth(t, original(`${APP}/`), jar)).statusCode, 200)
      const other = new CookieJar()
      await t.browser(other, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      for (let i = 0; i < 5; i++) await t.browser(other, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: '000000' })
      const locked = await forwardAuth(t, original(`${APP}/`), jar)
      assert.equal(locked.statusCode, 401)
      assertNoIdentity(locked)
      assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/unlock`)).statusCode, 200)
      assert.equal((await forwardAuth(t, original(`${APP}/`), jar)).statusCode, 200)
    })

    it('F-INT-2: Traefik’s X-Forwarded-Proto/Host/Uri describe the URL as well, and HEAD answers like GET', async () => {
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.a.test', 'x-forwarded-uri': '/x?y=1' }
      const response = await forwardAuth(t, headers, mfaJar, '?mode=redirect')
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['remote-user'], alice.username)
      const head = await t.app.inject({ method: 'HEAD', url: '/api/v1/forward-auth?mode=redirect', headers: { ...headers, cookie: mfaJar.header() } })
      assert.equal(head.statusCode, 200)
      assert.equal(head.headers['remote-user'], alice.username)
    })

    it('F-INT-2: signed out → 401 with the sign-in page in Location (nginx), 302 there with mode=redirect (Traefik), the original URL to return to', async () => {
      const nginx = await forwardAuth(t, original(`${APP}/reports?x=1&y=2`))
      assert.equal(nginx.statusCode, 401)
      assert.equal(nginx.json().error.code, 'SESSION_REQUIRED')
      assert.equal(returnOf(nginx), `${APP}/reports?x=1&y=2`)
      assertNoIdentity(nginx)
      const traefik = await forwardAuth(t, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.a.test', 'x-forwarded-uri': '/reports?x=1&y=2' }, undefined, '?mode=redirect')
      assert.equal(traefik.statusCode, 302)
      assert.equal(returnOf(traefik), `${APP}/reports?x=1&y=2`)
      assert.equal(new URL(String(traefik.headers.location)).searchParams.get('mfa'), null)
      // A signed-out browser has no organisation yet: any organisation's origin is a return URL.
      assert.equal(returnOf(await forwardAuth(t, original(`${B_ONLY}/`))), `${B_ONLY}/`)
      // …and an origin that asks for a second factor says so to the sign-in page.
      const secure = await forwardAuth(t, original(`${SECURE}/pay`))
      assert.equal(returnOf(secure), `${SECURE}/pay`)
      assert.equal(new URL(String(secure.headers.location)).searchParams.get('mfa'), '1')
    })

    it('RB-10: thirty open-redirect payloads never become a return URL; the same origin in other spelling does', async () => {
      const payloads = [
        '//evil.com',
        '/\\evil.com',
        'https:evil.com',
        'https:/evil.com',
        'javascript:alert(1)',
        'JaVaScRiPt:alert(1)//https://app.a.test',
        'data:text/html,<script>alert(1)</script>',
        '%2F%2Fevil.com',
        '/%2F%2Fevil.com',
        'https://app.a.test.evil.com/',
        'https://app.a.test@evil.com/',
        'https://app.a.test:443@evil.com/',
        'https://evil.com\\@app.a.test/',
        'https://evil.com#@app.a.test/',
        'https://evil.com?@app.a.test/',
        'https://evil.com/https://app.a.test/',
        'https://app.a.test%2F@evil.com/',
        'https://app.a.test%40evil.com/',
        'https://app.a.test%00.evil.com/',
        'https://app.a.test./',
        'https://xn--pp-8cd.a.test/',
        'http://app.a.test/',
        'https://app.a.test:8443/',
        'ftp://app.a.test/',
        'https:\\\\evil.com',
        'https://evil.com',
        'HTTPS://EVIL.COM/',
        ' https://app.a.test/',
        'https://*.a.test/',
        'https://[::1]/',
      ]
      assert.equal(payloads.length, 30)
      for (const payload of payloads) {
        const response = await forwardAuth(t, original(payload))
        assert.equal(response.statusCode, 401, payload)
        assert.equal(returnOf(response), null, `no return URL for ${payload}`)
        const check = await t.browser(mfaJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(payload)}`)
        assert.equal(check.statusCode, 200)
        assert.equal(check.json().url, null, `not a place to return to: ${payload}`)
      }
      // CRLF and a Cyrillic look-alike cannot even be sent as a header; the check endpoint refuses them.
      for (const payload of ['https://app.a.test/\r\nSet-Cookie: x=1', 'https://аpp.a.test/', 'https://app.a.test/ x']) {
        const check = await t.browser(mfaJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(payload)}`)
        assert.equal(check.json().url, null, JSON.stringify(payload))
        assert.equal(check.headers['set-cookie'], undefined)
      }
      // Browsers compare origins case-insensitively and without the default port: so do we.
      for (const same of ['HTTPS://APP.A.TEST/Path', 'https://app.a.test:443/Path']) {
        assert.equal(returnOf(await forwardAuth(t, original(same))), `${APP}/Path`, same)
        assert.equal((await t.browser(mfaJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(same)}`)).json().url, `${APP}/Path`)
      }
    })

    it('RB-09: a missing, repeated or malformed description of the URL, or a bad cookie, never lets anyone through', async () => {
      const forwarded = (host: string, uri = '/', proto = 'https') => ({ 'x-forwarded-proto': proto, 'x-forwarded-host': host, 'x-forwarded-uri': uri })
      const cases: Array<[string, Record<string, string | string[]>, string]> = [
        ['no headers (nginx style)', {}, ''],
        ['no headers (Traefik style)', {}, '?mode=redirect'],
        ['Traefik headers in nginx style', forwarded('app.a.test'), ''],
        ['X-Original-URL in Traefik style', original(`${APP}/`), '?mode=redirect'],
        ['joined X-Forwarded-Host', forwarded('app.a.test, evil.com'), '?mode=redirect'],
        ['host with a path', forwarded('app.a.test/x'), '?mode=redirect'],
        ['host with userinfo', forwarded('evil.com@app.a.test'), '?mode=redirect'],
        ['uri without slash', forwarded('app.a.test', '@evil.com/'), '?mode=redirect'],
        ['no uri', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.a.test' }, '?mode=redirect'],
        ['other scheme', forwarded('app.a.test', '/', 'ftp'), '?mode=redirect'],
        ['malformed URL', original('https://app.a.test:99999/'), ''],
        ['over-long URL', original(`${APP}/${'a'.repeat(5000)}`), ''],
      ]
      for (const [name, headers, query] of cases) {
        const response = await forwardAuth(t, headers, mfaJar, query)
        assert.equal(response.statusCode, 401, name)
        assert.equal(returnOf(response), null, name)
        assertNoIdentity(response)
      }
      // A valid description with a bad cookie: garbage, over-long, someone else's id with a wrong secret.
      const [id] = mfaJar.get('cs_session')!.split('.')
      for (const cookie of ['cs_session=garbage', `cs_session=${'a'.repeat(5000)}`, `cs_session=${id}.${'A'.repeat(43)}`, 'cs_session=']) {
        const response = await t.app.inject({ method: 'GET', url: '/api/v1/forward-auth', headers: { ...original(`${APP}/`), cookie } })
        assert.equal(response.statusCode, 401, cookie.slice(0, 40))
        assertNoIdentity(response)
      }
      // Repeated headers reach a real server as separate lines: each one counts.
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 })
      const repeated: Array<[string, string[]]> = [
        ['', [`X-Original-URL: ${APP}/`, `X-Original-URL: ${APP}/`]],
        ['?mode=redirect', ['X-Forwarded-Proto: https', 'X-Forwarded-Host: app.a.test', 'X-Forwarded-Host: evil.com', 'X-Forwarded-Uri: /']],
        ['?mode=redirect', ['X-Forwarded-Proto: https', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: app.a.test', 'X-Forwarded-Uri: /']],
        ['?mode=redirect', ['X-Forwarded-Proto: https', 'X-Forwarded-Host: app.a.test', 'X-Forwarded-Uri: /', 'X-Forwarded-Uri: /admin']],
      ]
      for (const [query, lines] of repeated) {
        const head = await rawGet(address, query, [...lines, `Cookie: ${mfaJar.header()}`])
        assert.match(head, /^HTTP\/1\.1 401 /, lines.join(' | '))
        assert.doesNotMatch(head, /remote-user/i)
      }
      assert.match(await rawGet(address, '', [`X-Original-URL: ${APP}/`, `Cookie: ${mfaJar.header()}`]), /^HTTP\/1\.1 200 /)
      // Each style reads only the headers its proxy writes; the client's others cannot describe
      // an easier origin than the one asked for. X-Forwarded-For changes nothing either.
      const nginxStyle = await forwardAuth(t, { ...original(`${SECURE}/`), ...forwarded('app.a.test'), 'x-forwarded-for': '10.9.9.9' }, pwdJar)
      assert.equal(nginxStyle.statusCode, 401, 'nginx style: X-Original-URL (the origin that asks for a second factor) decides')
      const traefikStyle = await forwardAuth(t, { ...forwarded('secure.a.test'), ...original(`${APP}/`) }, pwdJar, '?mode=redirect')
      assert.equal(traefikStyle.statusCode, 302, 'Traefik style: X-Forwarded-* decide')
      assert.equal(returnOf(traefikStyle), `${SECURE}/`)
      // Unknown query parameters are the operator's mistake, not a way around.
      assert.equal((await forwardAuth(t, original(`${APP}/`), mfaJar, '?mode=other')).statusCode, 400)
    })

    it('F-INT-2: a user of one organisation at an origin only another allows gets 403; an unknown origin too', async () => {
      const cross = await forwardAuth(t, original(`${B_ONLY}/`), mfaJar)
      assert.equal(cross.statusCode, 403)
      assert.equal(cross.json().error.code, 'FORBIDDEN')
      assertNoIdentity(cross)
      assert.equal((await forwardAuth(t, original(`${APP}/`), bJar)).statusCode, 403)
      assert.equal((await forwardAuth(t, original('https://unknown.test/'), mfaJar)).statusCode, 403)
      const check = await t.browser(mfaJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(`${B_ONLY}/`)}`)
      assert.deepEqual(check.json(), { url: null, secondFactorRequired: false })
    })

    it('F-INT-2: staff users belong to no organisation and pass no forward auth', async () => {
      const created = await t.admin('POST', '/api/v1/admin/staff', { username: `ops-${backend}`, email: 'ops@operator.example', password: 'operator password 1', twoFactor: false })
      assert.equal(created.statusCode, 201)
      const { jar } = await t.signIn(`ops-${backend}`, 'operator password 1')
      assert.equal((await forwardAuth(t, original(`${APP}/`), jar)).statusCode, 403)
    })

    it('F-INT-2 SC-11: an origin that asks for a second factor sends a password-only session to sign in with mfa=1', async () => {
      const described = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'secure.a.test', 'x-forwarded-uri': '/pay?id=7' }
      for (const query of ['', '?mode=redirect']) {
        const response = await forwardAuth(t, query ? described : original(`${SECURE}/pay?id=7`), pwdJar, query)
        assert.equal(response.statusCode, query ? 302 : 401)
        assert.equal(returnOf(response), `${SECURE}/pay?id=7`)
        assert.equal(new URL(String(response.headers.location)).searchParams.get('mfa'), '1')
        assertNoIdentity(response)
      }
      const check = await t.browser(pwdJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(`${SECURE}/pay`)}`)
      assert.deepEqual(check.json(), { url: null, secondFactorRequired: true })
      const ok = await forwardAuth(t, original(`${SECURE}/pay`), mfaJar)
      assert.equal(ok.statusCode, 200)
      assert.equal(ok.headers['remote-amr'], 'pwd,otp,mfa')
      const allowed = await t.browser(mfaJar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(`${SECURE}/pay`)}`)
      assert.deepEqual(allowed.json(), { url: `${SECURE}/pay`, secondFactorRequired: false })
    })

    it('SC-03 RB-08: a session restricted to enrolment is sent to sign in, never let through', async () => {
      const user = await t.createUser(orgA.id)
      const jar = new CookieJar()
      const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      assert.equal(first.json().state, 'awaiting_enrolment')
      const response = await forwardAuth(t, original(`${APP}/`), jar)
      assert.equal(response.statusCode, 401)
      assert.equal(returnOf(response), `${APP}/`)
      assertNoIdentity(response)
      assert.equal((await t.browser(jar, 'GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(`${APP}/`)}`)).statusCode, 403, 'ENROLMENT_REQUIRED')
    })

    it('SC-07 SC-08: an idle-expired, an absolutely expired and a signed-out session are refused', async () => {
      const user = await t.createUser(orgA.id, { twoFactor: 'exempt' })
      const { jar } = await t.signIn(user.username, user.password)
      assert.equal((await forwardAuth(t, original(`${APP}/`), jar)).statusCode, 200)
      t.clock.advance(60 * 60_000 + 1000)
      assert.equal((await forwardAuth(t, original(`${APP}/`), jar)).statusCode, 401, 'idle limit + 1 s')

      const again = await t.signIn(user.username, user.password)
      for (let step = 0; step < 24; step++) {
        t.clock.advance(59 * 60_000)
        assert.equal((await forwardAuth(t, original(`${APP}/`), again.jar)).statusCode, 200, 'active, within the absolute limit')
      }
      t.clock.advance(60 * 60_000)
      assert.equal((await forwardAuth(t, original(`${APP}/`), again.jar)).statusCode, 401, 'absolute limit passed while active')

      const third = await t.signIn(user.username, user.password)
      const cookie = third.jar.header()
      assert.equal((await t.browser(third.jar, 'POST', '/api/v1/sign-out')).statusCode, 204)
      const replay = await t.app.inject({ method: 'GET', url: '/api/v1/forward-auth', headers: { ...original(`${APP}/`), cookie } })
      assert.equal(replay.statusCode, 401, 'SC-08: the old cookie after sign-out')
    })

    it('EN-06: the 401 and 403 answers say nothing about the user or their state', async () => {
      const locked = await forwardAuth(t, original(`${APP}/`))
      const forbidden = await forwardAuth(t, original(`${B_ONLY}/`), mfaJar)
      for (const response of [locked, forbidden]) {
        assert.ok(!response.body.includes(alice.username))
        assert.doesNotMatch(response.body, /lock|enrol|factor/i)
      }
    })

    it('F-INT-2: the return check needs a session', async () => {
      const response = await t.app.inject({ method: 'GET', url: `/api/v1/forward-auth/return?url=${encodeURIComponent(`${APP}/`)}` })
      assert.equal(response.statusCode, 401)
    })
  })
}

describe('allowed origins setting (F-INT-2)', () => {
  let t: TestApp
  let org: { id: string }
  before(async () => {
    t = await startTestApp()
    org = await t.createOrganisation()
  })
  after(() => t.close())

  it('F-INT-2: origins are normalised as browsers compare them, and shown in GET', async () => {
    const response = await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, {
      allowedOrigins: [{ origin: 'HTTPS://App.Example.COM/' }, { origin: 'https://pay.example.com:443', requireSecondFactor: true }, { origin: 'http://intranet.example.com:8080' }],
    })
    assert.equal(response.statusCode, 200, response.body)
    const expected = [
      { origin: 'https://app.example.com', requireSecondFactor: false },
      { origin: 'https://pay.example.com', requireSecondFactor: true },
      { origin: 'http://intranet.example.com:8080', requireSecondFactor: false },
    ]
    assert.deepEqual(response.json().allowedOrigins, expected)
    assert.deepEqual((await t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().allowedOrigins, expected)
    const audit = await t.auditEvents({ event: 'organisation.updated' })
    assert.ok(audit.length >= 1)
  })

  it('IV-07 RB-10: anything but an origin is a 400 naming the field, and nothing is written', async () => {
    const before = (await t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().allowedOrigins
    const bad: unknown[] = [
      [{ origin: 'https://app.example.com/path' }],
      [{ origin: 'https://app.example.com?x=1' }],
      [{ origin: 'https://app.example.com#x' }],
      [{ origin: 'https://user@app.example.com' }],
      [{ origin: 'javascript:alert(1)' }],
      [{ origin: 'ftp://app.example.com' }],
      [{ origin: '//app.example.com' }],
      [{ origin: 'app.example.com' }],
      [{ origin: 'https://*.example.com' }],
      [{ origin: 'https://app.example.com\\' }],
      [{ origin: 'https://app.example.com' }, { origin: 'https://APP.example.com/' }],
      [{ origin: 'https://app.example.com', extra: true }],
      [{ origin: 'https://app.example.com', requireSecondFactor: 'yes' }],
      ['https://app.example.com'],
      Array.from({ length: 21 }, (_, i) => ({ origin: `https://app${i}.example.com` })),
    ]
    for (const allowedOrigins of bad) {
      const response = await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins })
      assert.equal(response.statusCode, 400, JSON.stringify(allowedOrigins).slice(0, 80))
      assert.equal(response.json().error.code, 'INVALID_REQUEST')
      assert.match(response.json().error.field, /^allowedOrigins/)
    }
    assert.deepEqual((await t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().allowedOrigins, before)
  })
})

describe('session cookie domain (COUNTERSIGN_COOKIE_DOMAIN)', () => {
  function attributes(response: LightMyRequestResponse) {
    const header = response.headers['set-cookie']
    const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)]
    return new Map(
      lines.map((line) => {
        const [pair = '', ...rest] = line.split(';').map((p) => p.trim())
        return [pair.split('=')[0]!, new Map(rest.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? '']))] as const
      }),
    )
  }

  it('SC-06: unset on https, the session cookie is __Host- without Domain, exactly as before', async () => {
    const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com' })
    try {
      const org = await t.createOrganisation({ policy: 'optional' })
      const user = await t.createUser(org.id)
      const jar = new CookieJar()
      const response = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      const cookie = attributes(response).get('__Host-cs_session')
      assert.ok(cookie, 'a __Host- session cookie')
      assert.ok(!cookie.has('domain'))
      assert.ok(cookie.has('secure'))
    } finally {
      await t.close()
    }
  })

  it('SC-06 F-INT-2: set, the session cookie is __Secure- with Domain (flow and remember cookies stay __Host-), and forward auth reads it', async () => {
    const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com', COUNTERSIGN_COOKIE_DOMAIN: 'example.com' })
    try {
      const org = await t.createOrganisation({ policy: 'required' })
      await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins: [{ origin: 'https://app.example.com' }] })
      const user = await t.enrolledUser(org.id)
      const jar = new CookieJar()
      const first = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
      const flow = attributes(first).get('__Host-cs_flow')
      assert.ok(flow && !flow.has('domain'), 'the flow cookie stays on this host')
      const second = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true })
      assert.equal(second.statusCode, 200, second.body)
      const set = attributes(second).get('__Secure-cs_session')
      assert.ok(set, 'a __Secure- session cookie')
      assert.equal(set.get('domain'), 'example.com')
      assert.ok(set.has('secure') && set.has('httponly'))
      assert.equal(set.get('samesite')?.toLowerCase(), 'lax')
      assert.equal(set.get('path'), '/')
      const remember = attributes(second).get('__Host-cs_remember')
      assert.ok(remember && !remember.has('domain'), 'the remember-browser cookie stays on this host')
      assert.equal(jar.get('__Host-cs_session'), undefined)
      const session = jar.get('__Secure-cs_session')!
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/forward-auth',
        headers: { 'x-original-url': 'https://app.example.com/', cookie: `__Secure-cs_session=${session}` },
      })
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['remote-user'], user.username)
      // CSRF still holds for a sibling host that now receives the cookie.
      const csrf = await t.app.inject({ method: 'POST', url: '/api/v1/sign-out', headers: { origin: 'https://app.example.com', cookie: `__Secure-cs_session=${session}` }, payload: {} })
      assert.equal(csrf.statusCode, 403)
      const sibling = await t.app.inject({ method: 'POST', url: '/api/v1/sign-out', headers: { 'sec-fetch-site': 'same-site', cookie: `__Secure-cs_session=${session}` }, payload: {} })
      assert.equal(sibling.statusCode, 403)
      // Sign-out clears the cookie on the same domain.
      const out = await t.browser(jar, 'POST', '/api/v1/sign-out')
      assert.equal(attributes(out).get('__Secure-cs_session')?.get('domain'), 'example.com')
    } finally {
      await t.close()
    }
  })

  it('a cookie domain that does not cover the public URL stops the start, naming the key', () => {
    assert.throws(() => loadConfig({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com', COUNTERSIGN_COOKIE_DOMAIN: 'example.org' }), /COUNTERSIGN_COOKIE_DOMAIN/)
    assert.throws(() => loadConfig({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com', COUNTERSIGN_COOKIE_DOMAIN: 'com' }), /COUNTERSIGN_COOKIE_DOMAIN/)
    assert.throws(() => loadConfig({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com', COUNTERSIGN_COOKIE_DOMAIN: 'ample.com' }), /COUNTERSIGN_COOKIE_DOMAIN/)
    assert.equal(loadConfig({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.com', COUNTERSIGN_COOKIE_DOMAIN: 'Example.com' }).cookieDomain, 'example.com')
  })

  it('F-INT-2: a Unicode user name reaches the application as UTF-8 bytes', async () => {
    const t = await startTestApp()
    try {
      const org = await t.createOrganisation({ policy: 'off' })
      await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins: [{ origin: 'https://app.example.com' }] })
      const user = await t.createUser(org.id, { username: 'zoë.李', email: 'zoe@example.test' })
      const { jar } = await t.signIn(user.username, user.password)
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/forward-auth', headers: { 'x-original-url': 'https://app.example.com/', cookie: jar.header() } })
      assert.equal(response.statusCode, 200)
      assert.equal(Buffer.from(String(response.headers['remote-user']), 'latin1').toString('utf8'), 'zoë.李')
    } finally {
      await t.close()
    }
  })
})
