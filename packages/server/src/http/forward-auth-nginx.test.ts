import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { startTestApp, totpCode, type TestApp } from '../test-support/harness.js'
import { freePort } from '../test-support/harness.js'
import { nginxMissing, startNginx, type RunningNginx } from '../test-support/nginx.js'

// F-INT-2 end to end: a real nginx (Debian's package) with auth_request in front of a small
// upstream, Countersign behind it on another loopback port; SECURITY.md RB-08, RB-09, RB-10, SC-03,
// SC-07, SC-11 through the proxy. The browser is played by this file: it keeps cookies by domain,
// as a browser does, so the session cookie reaches the protected host only through its Domain.

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Cookies kept the way a browser keeps them: host-only, or for a Domain and its sub-domains. */
class BrowserJar {
  readonly cookies = new Map<string, { value: string; domain: string | null; host: string }>()
  take(host: string, setCookie: string | string[] | undefined) {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const [name = '', value = ''] = pair.split(/=(.*)/s)
      const domain = attributes.find((a) => /^domain=/i.test(a))?.split('=')[1]?.toLowerCase().replace(/^\./, '') ?? null
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()))
      const key = `${domain ?? host}|${name}`
      if (expired || value === '') this.cookies.delete(key)
      else this.cookies.set(key, { value, domain, host })
    }
  }
  header(host: string): string {
    return [...this.cookies]
      .filter(([, c]) => (c.domain === null ? c.host === host : host === c.domain || host.endsWith(`.${c.domain}`)))
      .map(([key, c]) => `${key.split('|')[1]}=${c.value}`)
      .join('; ')
  }
}

describe('forward auth behind a real nginx (F-INT-2)', { skip: nginxMissing }, () => {
  let t: TestApp
  let nginx: RunningNginx
  let upstream: Server
  let port: number
  const seen: Array<Record<string, string | string[] | undefined>> = []
  let app: string
  let pay: string
  let auth: string

  /** One request to nginx as `host`, with the jar's cookies for that host; no redirect is followed. */
  function browse(jar: BrowserJar | null, url: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const target = new URL(url)
    const cookie = jar?.header(target.hostname)
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: options.method ?? 'GET',
          path: target.pathname + target.search,
          headers: {
            host: target.host,
            ...(cookie ? { cookie } : {}),
            ...(payload !== undefined ? { 'content-type': 'application/json', origin: auth } : {}),
            ...options.headers,
          },
        },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (body += chunk))
          res.on('end', () => {
            jar?.take(target.hostname, res.headers['set-cookie'])
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
          })
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Signs in through nginx at the auth host: password, then the TOTP code when one is asked. */
  async function signIn(jar: BrowserJar, user: { username: string; password: string; secret?: string }) {
    const first = await browse(jar, `${auth}/api/v1/sign-in/password`, { method: 'POST', body: { username: user.username, password: user.password } })
    assert.equal(first.status, 200, first.body)
    if (JSON.parse(first.body).state !== 'awaiting_second_factor') return JSON.parse(first.body)
    const second = await browse(jar, `${auth}/api/v1/sign-in/second-factor`, { method: 'POST', body: { method: 'totp', code: totpCode(user.secret!, t.clock.now()) } })
    assert.equal(second.status, 200, second.body)
    return JSON.parse(second.body)
  }

  function signInTarget(answer: Answer): { page: string; return: string | null; mfa: string | null } {
    assert.equal(answer.status, 302, answer.body)
    const location = new URL(String(answer.headers.location))
    return { page: `${location.origin}${location.pathname}`, return: location.searchParams.get('return'), mfa: location.searchParams.get('mfa') }
  }

  before(async () => {
    port = await freePort()
    app = `http://app.example.test:${port}`
    pay = `http://pay.example.test:${port}`
    auth = `http://auth.example.test:${port}`
    t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: auth, COUNTERSIGN_COOKIE_DOMAIN: 'example.test' })
    const countersign = new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port

    upstream = createServer((req, res) => {
      seen.push(req.headers)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, remoteUser: req.headers['remote-user'] ?? null, remoteAmr: req.headers['remote-amr'] ?? null, remoteOrganisation: req.headers['remote-organisation'] ?? null, cookie: req.headers.cookie ?? null }))
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
    const upstreamPort = (upstream.address() as { port: number }).port

    // The configuration of docs/forward-auth-nginx.md, on loopback ports.
    nginx = await startNginx({ port, countersignPort: Number(countersign), upstreamPort, authHost: 'auth.example.test', protectedHosts: ['app.example.test', 'pay.example.test'], sessionCookie: 'cs_session' })
  })

  after(async () => {
    await nginx?.stop()
    await new Promise((resolve) => upstream?.close(resolve))
    await t?.close()
  })

  let org: { id: string; slug: string }
  let user: { username: string; password: string; secret: string }

  it('F-INT-2: unauthenticated → nginx redirects to the sign-in page with the original URL; the upstream is never reached', async () => {
    org = await t.createOrganisation({ policy: 'required' })
    const patched = await t.admin('PATCH', `/api/v1/admin/organisations/${org.id}`, { allowedOrigins: [{ origin: app }, { origin: pay, requireSecondFactor: true }] })
    assert.equal(patched.statusCode, 200, patched.body)
    user = await t.enrolledUser(org.id)
    const answer = await browse(new BrowserJar(), `${app}/reports/2026?year=2026&view=full`)
    const target = signInTarget(answer)
    assert.equal(target.page, `${auth}/sign-in`)
    assert.equal(target.return, `${app}/reports/2026?year=2026&view=full`)
    assert.equal(target.mfa, null)
    assert.equal(seen.length, 0)
  })

  it('F-INT-2 SC-11: after sign-in with a second factor the upstream sees Remote-User, and a forged Remote-User is replaced', async () => {
    const jar = new BrowserJar()
    const done = await signIn(jar, user)
    assert.equal(done.state, 'completed')
    assert.deepEqual(done.session.amr, ['pwd', 'otp', 'mfa'])
    assert.ok(jar.header('app.example.test').includes('cs_session='), 'the session cookie reaches the protected host through its Domain')
    // The sign-in page asks whether it may leave for the original URL.
    const check = await browse(jar, `${auth}/api/v1/forward-auth/return?url=${encodeURIComponent(`${app}/reports`)}`)
    assert.deepEqual(JSON.parse(check.body), { url: `${app}/reports`, secondFactorRequired: false })
    jar.cookies.set('app.example.test|app_pref', { value: 'dark', domain: null, host: 'app.example.test' })
    const answer = await browse(jar, `${app}/reports?x=1`, { headers: { 'remote-user': 'admin', 'remote-amr': 'pwd,hwk,mfa' } })
    assert.equal(answer.status, 200, answer.body)
    const echoed = JSON.parse(answer.body)
    assert.equal(echoed.remoteUser, user.username)
    assert.equal(echoed.remoteAmr, 'pwd,otp,mfa')
    assert.equal(echoed.remoteOrganisation, org.slug)
    assert.equal(echoed.url, '/reports?x=1')
    assert.equal(echoed.cookie, 'app_pref=dark', 'the application keeps its own cookies, not Countersign’s session')
    // The host that asks for a second factor lets this session through as well.
    const payAnswer = await browse(jar, `${pay}/`)
    assert.equal(payAnswer.status, 200)
    assert.equal(JSON.parse(payAnswer.body).remoteUser, user.username)
  })

  it('F-INT-2: a host that asks for a second factor sends a password-only session to sign in with mfa=1', async () => {
    const exempt = await t.createUser(org.id, { twoFactor: 'exempt' })
    const jar = new BrowserJar()
    const done = await signIn(jar, exempt)
    assert.deepEqual(done.session.amr, ['pwd'])
    assert.equal(JSON.parse((await browse(jar, `${app}/`)).body).remoteUser, exempt.username, 'the other host does not ask')
    const target = signInTarget(await browse(jar, `${pay}/salary`))
    assert.equal(target.return, `${pay}/salary`)
    assert.equal(target.mfa, '1')
  })

  it('RB-10 RB-09: open-redirect attempts and forged X-Forwarded-* through nginx never leave the allowed origins', async () => {
    const before = seen.length
    // nginx writes X-Original-URL itself; what the client sends in its place changes nothing.
    const forged = signInTarget(
      await browse(null, `${app}/x`, { headers: { 'x-original-url': 'https://evil.test/', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https', 'x-forwarded-uri': '/' } }),
    )
    assert.equal(forged.return, `${app}/x`)
    // A path that looks like another host stays on this origin.
    for (const path of ['//evil.test/', '/\\evil.test/', '/%2F%2Fevil.test/', '/@evil.test/']) {
      const target = signInTarget(await browse(null, `${app}${path}`))
      assert.ok(target.return === null || new URL(target.return).origin === app, `${path} → ${target.return}`)
    }
    // A Host nobody allows reaches the default server, which is judged by its own name
    // ($server_name), never by the Host the client sent: the return URL stays on the app's origin.
    const evilHost = signInTarget(await browse(null, `http://evil.test:${port}/`))
    assert.ok(evilHost.return === null || new URL(evilHost.return).origin === app, String(evilHost.return))
    assert.equal(evilHost.page, `${auth}/sign-in`)
    assert.equal(seen.length, before, 'the upstream saw none of these')
  })

  it('SC-03 SC-07: a session restricted to enrolment and an expired session are sent to sign in', async () => {
    const before = seen.length
    const newcomer = await t.createUser(org.id)
    const restricted = new BrowserJar()
    const answer = await signIn(restricted, newcomer)
    assert.equal(answer.state, 'awaiting_enrolment')
    assert.equal(signInTarget(await browse(restricted, `${app}/`)).return, `${app}/`)

    const jar = new BrowserJar()
    t.nextStep()
    await signIn(jar, user)
    assert.equal((await browse(jar, `${app}/`)).status, 200)
    t.clock.advance(60 * 60_000 + 1000)
    assert.equal(signInTarget(await browse(jar, `${app}/`)).return, `${app}/`, 'idle limit + 1 s')
    assert.equal(seen.length, before + 1)
  })
})
