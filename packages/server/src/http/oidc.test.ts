import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import * as client from 'openid-client'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { translate } from '../i18n/messages.js'
import { freePort, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/** A browser's cookies, enough for the provider's (path-scoped, signed) and ours. */
class Browser {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    if (init.method && init.method !== 'GET') headers.set('origin', this.base)
    const response = await fetch(new URL(url, this.base), { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at)
      const value = pair.slice(at + 1)
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }
  /** Follows redirects on this server; stops at the first one that leaves it (the relying party's callback). */
  async follow(url: string): Promise<{ url: string; response: Response }> {
    let current = new URL(url, this.base).href
    for (let hops = 0; hops < 10; hops++) {
      if (!current.startsWith(this.base)) return { url: current, response: new Response(null, { status: 302 }) }
      const response = await this.fetch(current)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response }
      current = new URL(location, current).href
    }
    throw new Error('too many redirects')
  }
  json(url: string, body: unknown) {
    return this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  }
}

const REDIRECT = 'https://app.example.test/callback'

/** Issue 7, F-INT-1: a relying party (openid-client) signs users in through Countersign. */
describe('OpenID Connect provider (F-INT-1)', () => {
  let t: TestApp
  let base: string
  let org: { id: string; slug: string }
  let rp: { id: string; clientSecret: string }
  let config: client.Configuration

  before(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: base })
    // The provider stamps tokens with the real time; keep the test's clock beside it.
    t.clock.set(new Date())
    await t.app.listen({ host: '127.0.0.1', port })
    org = await t.createOrganisation({ policy: 'optional' })
    const created = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'Wiki', redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://app.example.test/bye'] })
    assert.equal(created.statusCode, 201, created.body)
    rp = created.json()
    assert.ok(rp.clientSecret, 'a confidential client gets its secret once')
    config = await client.discovery(new URL(`${base}/oidc`), rp.id, rp.clientSecret, undefined, { execute: [client.allowInsecureRequests] })
  })
  after(() => t.close())

  /** Runs the authorization request in a "browser"; signs in through the API when sent to the sign-in page. */
  async function authorize(browser: Browser, user: { username: string; password: string; secret?: string }, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile email organisation offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'consent',
      ...extra,
    })
    let step = await browser.follow(url.href)
    const signInPage = new URL(step.url)
    if (signInPage.pathname === '/sign-in') {
      const returnTo = signInPage.searchParams.get('return')!
      const first = await browser.json('/api/v1/sign-in/password', { username: user.username, password: user.password, ...(signInPage.searchParams.get('mfa') ? { requireSecondFactor: true } : {}) })
      assert.equal(first.status, 200, await first.clone().text())
      const flow = (await first.json()) as { state: string }
      if (flow.state === 'awaiting_second_factor') {
        t.nextStep()
        const second = await browser.json('/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret!, t.clock.now()) })
        assert.equal(second.status, 200, await second.clone().text())
      }
      step = await browser.follow(returnTo)
    }
    return { callback: step.url, verifier, state, signInPage }
  }

  test('F-INT-1: code + PKCE with a TOTP code on the way: a signed ID token with amr, acr, the organisation; userinfo; refresh; logout', async () => {
    const user = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'required' })
    const browser = new Browser(base)
    const { callback, verifier, state, signInPage } = await authorize(browser, user)
    assert.equal(signInPage.pathname, '/sign-in', 'without a session the provider sends the browser to our sign-in page')
    assert.ok(callback.startsWith(`${REDIRECT}?`), callback)

    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state })
    const claims = tokens.claims()!
    assert.equal(claims.sub, user.id)
    assert.equal(claims.iss, `${base}/oidc`)
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa'])
    assert.equal(claims.acr, 'mfa')
    // The signature, checked once more against the published JWKS, independently of openid-client.
    const jwks = createRemoteJWKSet(new URL(`${base}/oidc/jwks`))
    const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: `${base}/oidc`, audience: rp.id })
    assert.equal(verified.protectedHeader.alg, 'RS256')

    const info = await client.fetchUserInfo(config, tokens.access_token, user.id)
    assert.equal(info.preferred_username, user.username)
    assert.equal(info.email, `${user.username}@example.test`)
    assert.equal(info.organisation, org.slug)

    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token')
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    assert.ok(refreshed.access_token)
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate')
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), 'a used refresh token is refused')

    const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://app.example.test/bye' })
    const question = await browser.follow(logout.href)
    const html = await question.response.text()
    assert.match(html, /Do you want to sign out/)
    assert.doesNotMatch(html, /<script|\sstyle=/i, 'the provider’s pages keep the strict CSP')
    const form = /<form[^>]*action="([^"]+)"[\s\S]*?name="xsrf" value="([^"]+)"/.exec(html)!
    const confirmed = await browser.fetch(form[1]!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf: form[2]!, logout: 'yes' }).toString() })
    assert.equal(confirmed.status, 303)
    assert.equal(confirmed.headers.get('location'), 'https://app.example.test/bye')
    assert.equal((await browser.fetch('/api/v1/session')).status, 401, 'signing out of the application signs out of Countersign')
  })

  test('F-INT-1: acr_values=mfa asks for a second factor even where the policy would not', async () => {
    const user = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'exempt' }) // the policy asks for no code
    const browser = new Browser(base)
    const first = await authorize(browser, { ...user }, {})
    const tokens = await client.authorizationCodeGrant(config, new URL(first.callback), { pkceCodeVerifier: first.verifier, expectedState: first.state })
    assert.deepEqual(tokens.claims()!.amr, ['pwd'])
    assert.equal(tokens.claims()!.acr, 'pwd')

    const second = await authorize(browser, user, { acr_values: 'mfa' })
    assert.equal(second.signInPage.pathname, '/sign-in', 'a password-only session is not enough')
    assert.equal(second.signInPage.searchParams.get('mfa'), '1')
    const stronger = await client.authorizationCodeGrant(config, new URL(second.callback), { pkceCodeVerifier: second.verifier, expectedState: second.state })
    assert.equal(stronger.claims()!.acr, 'mfa')
    assert.ok((stronger.claims()!.amr as string[]).includes('otp'))
  })

  test('F-INT-1: an essential acr claim with the value mfa (the claims parameter) asks for a second factor like acr_values=mfa', async () => {
    const user = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'exempt' })
    const browser = new Browser(base)
    await authorize(browser, { ...user }, {})
    const essential = await authorize(browser, user, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'mfa' } } }) })
    assert.equal(essential.signInPage.pathname, '/sign-in', 'a password-only session is not enough')
    assert.equal(essential.signInPage.searchParams.get('mfa'), '1')
    const tokens = await client.authorizationCodeGrant(config, new URL(essential.callback), { pkceCodeVerifier: essential.verifier, expectedState: essential.state })
    assert.equal(tokens.claims()!.acr, 'mfa')
    assert.ok((tokens.claims()!.amr as string[]).includes('mfa'))
    const discovery = (await (await fetch(`${base}/oidc/.well-known/openid-configuration`)).json()) as { claims_parameter_supported: boolean }
    assert.equal(discovery.claims_parameter_supported, true)
  })

  test('F-INT-1: a valid Countersign session signs in without asking; prompt=login asks again', async () => {
    const user = await t.enrolledUser(org.id)
    const browser = new Browser(base)
    await authorize(browser, user)
    const again = await authorize(browser, user)
    assert.notEqual(again.signInPage.pathname, '/sign-in', 'no second sign-in while the session is valid')
    assert.ok(again.callback.startsWith(REDIRECT))
    const login = await authorize(browser, user, { prompt: 'login' })
    assert.equal(login.signInPage.pathname, '/sign-in')
    assert.equal(login.signInPage.searchParams.get('fresh'), '1')
  })

  test('Bad input: unknown client, wrong redirect URI, PKCE mismatch, a client of another organisation', async () => {
    const browser = new Browser(base)
    const unknown = await browser.fetch(`/oidc/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=x&code_challenge_method=S256`)
    assert.equal(unknown.status, 400)
    assert.match(await unknown.text(), /invalid_client/)

    const wrong = await browser.fetch(`/oidc/auth?client_id=${rp.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&code_challenge=abc&code_challenge_method=S256`)
    assert.equal(wrong.status, 400)
    assert.match(await wrong.text(), /redirect_uri/)

    // A path or method the provider has no route for is a 404 like any other unknown path (the
    // authorization endpoint takes GET only).
    for (const [method, path] of [['GET', '/oidc/nowhere'], ['POST', '/oidc/auth'], ['DELETE', '/oidc/token']] as const) {
      const answer = await fetch(`${base}${path}`, { method, headers: { 'accept-language': 'nl' } })
      assert.equal(answer.status, 404, `${method} ${path}`)
      assert.deepEqual(await answer.json(), { error: { code: 'NOT_FOUND', message: translate('nl', 'error.notFound') } })
    }

    const user = await t.enrolledUser(org.id)
    const flow = await authorize(new Browser(base), user)
    await assert.rejects(
      client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: flow.state }),
      (error: { error?: string }) => error.error === 'invalid_grant',
    )

    const other = await t.createOrganisation({ policy: 'optional' })
    const stranger = await t.enrolledUser(other.id)
    const refused = await authorize(new Browser(base), stranger)
    const answer = new URL(refused.callback)
    assert.equal(answer.searchParams.get('error'), 'access_denied', 'a client signs in only its own organisation’s users')
  })

  test('Bad input: an interaction that is unknown or whose cookie is gone shows a page that sends the user back to the application, naming no account', async () => {
    const user = await t.enrolledUser(org.id)
    const browser = new Browser(base)
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: client.randomState() })
    const landed = new URL((await browser.follow(url.href)).url)
    const interaction = landed.searchParams.get('return')!
    assert.match(interaction, /^\/interaction\//)
    for (const stranger of [new Browser(base), browser]) {
      const path = stranger === browser ? '/interaction/not-the-one' : interaction
      const answer = await stranger.fetch(path)
      assert.equal(answer.status, 400, path)
      const html = await answer.text()
      assert.match(html, /The sign-in could not continue/)
      assert.doesNotMatch(html, new RegExp(user.username), 'EN-06: no account named')
      assert.doesNotMatch(html, /<script|\sstyle=/i)
    }
  })

  test('RR-13: an authorization code used twice fails the second time, and the tokens from the first stop working', async () => {
    const user = await t.enrolledUser(org.id)
    const flow = await authorize(new Browser(base), user)
    const tokens = await client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
    await assert.rejects(client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state }), (error: { error?: string }) => error.error === 'invalid_grant')
    await assert.rejects(client.fetchUserInfo(config, tokens.access_token, user.id), 'the access token of the first exchange is revoked')
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), 'and its refresh token')
  })

  test('RB-12: PKCE is required: no code_challenge and the plain method are refused', async () => {
    const browser = new Browser(base)
    const plainParams = { client_id: rp.id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT }
    const missing = await browser.fetch(`/oidc/auth?${new URLSearchParams(plainParams)}`)
    assert.match(missing.headers.get('location') ?? '', /error=invalid_request&error_description=[^&]*PKCE/)
    const plain = await browser.fetch(`/oidc/auth?${new URLSearchParams({ ...plainParams, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })}`)
    assert.match(plain.headers.get('location') ?? '', /error=invalid_request/)
    assert.doesNotMatch(plain.headers.get('location') ?? '', /code=/)
    // The wrong verifier: in "Bad input" below (invalid_grant at the token endpoint).
  })

  test('RB-10: redirect_uri is compared exactly: look-alikes of the registered one are all refused', async () => {
    const browser = new Browser(base)
    const payloads = [
      'https://app.example.test/callback/', 'https://app.example.test/callback?x=1', 'https://APP.example.test/callback', 'https://app.example.test./callback',
      'https://app.example.test.evil.com/callback', 'https://app.example.test@evil.com/callback', '//evil.com/callback', '/\\evil.com', 'https:evil.com',
      'javascript:alert(1)', '%2F%2Fevil.com', 'http://app.example.test/callback', 'https://app.example.test:443/callback#x', 'https://аpp.example.test/callback',
    ]
    for (const redirect of payloads) {
      const answer = await browser.fetch(`/oidc/auth?${new URLSearchParams({ client_id: rp.id, response_type: 'code', scope: 'openid', redirect_uri: redirect, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' })}`)
      assert.equal(answer.status, 400, redirect)
      assert.equal(answer.headers.get('location'), null, `${redirect}: no redirect`)
    }
  })

  test('SC-03 RB-02 BF-08: a session restricted to enrolment, and a locked account, get no authorization code', async () => {
    // A one-time bypass: the password alone gives a session that may only set up a factor.
    const user = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'required' })
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/bypass`, {})).statusCode, 201)
    const browser = new Browser(base)
    const first = await browser.json('/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(((await first.json()) as { state: string }).state, 'awaiting_enrolment')
    const landing = async (b: Browser) =>
      new URL(
        (
          await b.follow(
            client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: client.randomState() }).href,
          )
        ).url,
      )
    assert.equal((await landing(browser)).pathname, '/sign-in', 'an enrolment-only session gets the sign-in page, not a code')

    const locked = await t.enrolledUser(org.id)
    const lockedBrowser = new Browser(base)
    const flow = await authorize(lockedBrowser, locked)
    assert.match(flow.callback, /code=/)
    const earlier = await client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
    assert.ok(earlier.refresh_token)
    for (let i = 0; i < 5; i++) {
      const again = new Browser(base)
      await again.json('/api/v1/sign-in/password', { username: locked.username, password: locked.password })
      await again.json('/api/v1/sign-in/second-factor', { method: 'totp', code: '000000' })
    }
    assert.equal((await landing(lockedBrowser)).pathname, '/sign-in', 'a session made before the lock gets no code')
    await assert.rejects(client.refreshTokenGrant(config, earlier.refresh_token!), (error: { error?: string }) => error.error === 'invalid_grant', 'and a refresh token from before the lock gives no new tokens')
    const refused = await lockedBrowser.json('/api/v1/sign-in/password', { username: locked.username, password: locked.password })
    assert.equal(refused.status, 423, 'and the sign-in page says the account is locked')
    assert.ok((await t.auditEvents({ account: locked.id, event: 'sign_in.rejected_locked' })).length >= 1)
  })

  test('SC-11 T9: after a one-time sign-in without 2FA and the enrolment it forces, the ID token says pwd only, and acr_values=mfa still asks for the second factor', async () => {
    const user = await t.enrolledUser(org.id)
    await t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'required' })
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/bypass`, {})).statusCode, 201)
    const browser = new Browser(base)
    const first = await browser.json('/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(((await first.json()) as { state: string }).state, 'awaiting_enrolment')
    const started = (await (await browser.json('/api/v1/account/devices/totp', { name: 'New phone' })).json()) as { deviceId: string; secret: string }
    const confirmed = await browser.json(`/api/v1/account/devices/${started.deviceId}/confirm`, { code: totpCode(started.secret, t.clock.now()) })
    assert.equal(confirmed.status, 200, await confirmed.clone().text())
    assert.deepEqual(((await confirmed.json()) as { session: { amr: string[] } }).session.amr, ['pwd'], 'a factor made in this sign-in proves nothing yet')

    const flow = await authorize(browser, user)
    const tokens = await client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
    assert.deepEqual(tokens.claims()!.amr, ['pwd'])
    assert.equal(tokens.claims()!.acr, 'pwd', 'not the second-factor value')

    const strict = await browser.follow(
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', acr_values: 'mfa', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256', state: client.randomState() }).href,
    )
    const landing = new URL(strict.url)
    assert.equal(landing.pathname, '/sign-in', 'an application that asks for mfa gets no code from this session')
    assert.equal(landing.searchParams.get('mfa'), '1')
  })

  test('SC-12 SC-09: "sign out everywhere", a password reset and a deactivation each revoke the user’s refresh tokens at once', async () => {
    const refreshTokenOf = async (user: { username: string; password: string; secret: string }) => {
      const flow = await authorize(new Browser(base), user)
      const tokens = await client.authorizationCodeGrant(config, new URL(flow.callback), { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
      assert.ok(tokens.refresh_token)
      return tokens.refresh_token!
    }
    const refused = (token: string, why: string) =>
      assert.rejects(client.refreshTokenGrant(config, token), (error: { error?: string }) => error.error === 'invalid_grant', why)

    const user = await t.enrolledUser(org.id)
    const kept = await refreshTokenOf(user)
    assert.ok((await client.refreshTokenGrant(config, kept)).access_token, 'a refresh token works until then')
    const ended = await refreshTokenOf(user)
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/sessions/end`)).statusCode, 200)
    await refused(ended, 'sign out everywhere revokes it')

    const reset = await refreshTokenOf(user)
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/password-reset`)).statusCode, 202)
    const mail = (await t.ctx.store.outbox.list(`${user.username}@example.test`, 1))[0]
    const token = /#token=([A-Za-z0-9_.-]+)/.exec(mail?.text ?? '')?.[1]
    assert.ok(token, 'the link went to the outbox')
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/password-reset/complete', payload: { token, newPassword: 'quiet copper meadow' } })).statusCode, 200)
    await refused(reset, 'a new password revokes it')

    const deactivated = await refreshTokenOf({ ...user, password: 'quiet copper meadow' })
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/deactivate`)).statusCode, 200)
    await refused(deactivated, 'deactivation revokes it')
  })

  test('F-INT-3: clients are managed per organisation through the admin API, validated, with the secret shown once and stored sealed', async () => {
    const bad = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'Bad', redirectUris: ['http://evil.example/cb'] })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.json().error.field, /redirectUris/)
    const list = await t.admin('GET', `/api/v1/admin/organisations/${org.id}/oidc-clients`)
    assert.equal(list.statusCode, 200)
    assert.equal(list.json().some((c: { clientSecret?: string }) => 'clientSecret' in c), false, 'the secret is never listed')
    const spa = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'SPA', redirectUris: ['http://127.0.0.1:5173/cb'], public: true })
    assert.equal(spa.statusCode, 201)
    assert.equal(spa.json().public, true)
    assert.equal(spa.json().clientSecret, undefined)
    const rows = await t.ctx.store.oidc.listClients(org.id)
    for (const row of rows) if (row.sealedSecret) assert.ok(!row.sealedSecret.includes(rp.clientSecret), 'sealed, not plain')
    const rotated = await t.admin('POST', `/api/v1/admin/oidc-clients/${rp.id}/secret`)
    assert.equal(rotated.statusCode, 200)
    const fresh = await client.discovery(new URL(`${base}/oidc`), rp.id, rotated.json().clientSecret, undefined, { execute: [client.allowInsecureRequests] })
    assert.ok(fresh.serverMetadata().token_endpoint)
    rp.clientSecret = rotated.json().clientSecret
    config = fresh
  })
})

describe('OpenID Connect cookies on https (SC-06, issue 22)', () => {
  test('the provider’s cookies carry __Host- or __Secure- and Secure when the public URL is https', async () => {
    const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: 'https://auth.example.test', COUNTERSIGN_TRUST_PROXY: 'true' })
    try {
      const org = await t.createOrganisation({ policy: 'optional' })
      const created = await t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, { name: 'Wiki', redirectUris: ['https://app.example.test/cb'] })
      const query = new URLSearchParams({ client_id: created.json().id, redirect_uri: 'https://app.example.test/cb', response_type: 'code', scope: 'openid', state: 'state-1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })
      const answer = await t.app.inject({ method: 'GET', url: `/oidc/auth?${query}`, headers: { 'x-forwarded-proto': 'https', host: 'auth.example.test' } })
      assert.equal(answer.statusCode, 303, answer.body)
      const cookies = [answer.headers['set-cookie'] ?? []].flat()
      assert.ok(cookies.length >= 2, `the interaction's cookies: ${cookies.join(' | ')}`)
      for (const cookie of cookies) {
        assert.match(cookie, /^__(Host|Secure)-cs_oidc_/, cookie)
        assert.match(cookie, /;\s*secure/i, cookie)
        assert.match(cookie, /;\s*httponly/i, cookie)
        if (cookie.startsWith('__Host-')) assert.match(cookie, /;\s*path=\/(;|$)/i)
      }
    } finally {
      await t.close()
    }
  })
})

describe('OpenID Connect keys (F-INT-1)', () => {
  test('discovery names the issuer and endpoints; the JWKS publishes the signing key; a rotated key signs after a restart while the old one still verifies', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: base })
    try {
      await t.app.listen({ host: '127.0.0.1', port })
      const discovery = (await (await fetch(`${base}/oidc/.well-known/openid-configuration`)).json()) as Record<string, any>
      assert.equal(discovery.issuer, `${base}/oidc`)
      assert.equal(discovery.authorization_endpoint, `${base}/oidc/auth`)
      assert.deepEqual(discovery.code_challenge_methods_supported, ['S256'])
      assert.deepEqual(discovery.response_types_supported, ['code'])
      assert.ok(discovery.acr_values_supported.includes('mfa'))
      const before = (await (await fetch(`${base}/oidc/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }
      assert.deepEqual(before.keys.map((k: { kid: string }) => k.kid), ['countersign-1'])
      assert.equal(before.keys[0]?.d, undefined, 'only public parts are published')
      const stored = await t.ctx.store.oidc.listKeys()
      assert.doesNotMatch(stored[0]!.sealedJwk, /"d"/, 'the private key is sealed at rest')

      const { rotateSigningKey } = await import('../oidc/keys.js')
      const kid = await rotateSigningKey(t.ctx)
      const { oidcRoutes } = await import('./routes/oidc.js')
      const Fastify = (await import('fastify')).default
      const restarted = Fastify()
      const { Cookies } = await import('./cookies.js')
      await oidcRoutes(restarted, t.ctx, new Cookies(base), { stylesheet: null, meta: () => ({ ip: null, userAgent: null, language: 'en' }) })
      const keys = (await (await restarted.inject({ method: 'GET', url: '/oidc/jwks' })).json()).keys.map((k: { kid: string }) => k.kid)
      assert.deepEqual(keys, [kid, 'countersign-1'], 'the new key first (it signs), the old one still published')
      await restarted.close()
    } finally {
      await t.close()
    }
  })
})
