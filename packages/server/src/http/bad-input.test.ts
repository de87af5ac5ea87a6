import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connect } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import { ADMIN_TOKEN, CookieJar, countVerifications, ORIGIN, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

// SECURITY.md 7.3 (IV-01…IV-09): malformed, oversized, polluted and mistyped input.

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** API.md: a 400 is `{"error":{"code":"INVALID_REQUEST","message","field"}}`, naming the field. */
function assertInvalid(response: LightMyRequestResponse, field?: string) {
  assert.equal(response.statusCode, 400, response.body.slice(0, 300))
  const error = (response.json() as { error: { code: string; message: unknown; field: unknown } }).error
  assert.equal(error.code, 'INVALID_REQUEST')
  assert.equal(typeof error.message, 'string')
  assert.equal(typeof error.field, 'string', 'the answer names a field')
  if (field !== undefined) assert.equal(error.field, field, response.body)
}

function assertError(response: LightMyRequestResponse, status: number, code: string) {
  assert.equal(response.statusCode, status, response.body.slice(0, 300))
  assert.equal((response.json() as { error: { code: string } }).error.code, code)
}

function setsSession(response: LightMyRequestResponse): boolean {
  return (response.cookies as Array<{ name: string; value: string }>).some((c) => c.name === 'cs_session' && c.value !== '')
}

describe('bad input (IV-01…IV-09)', () => {
  let t: TestApp
  let orgId: string
  let counter = 0
  let verifications: ReturnType<typeof countVerifications>

  async function enrolledUser() {
    const user = await t.createUser(orgId, { username: `bad${++counter}` })
    const { jar } = await t.signIn(user.username, user.password)
    const { secret, deviceId } = await t.linkTotp(jar)
    t.nextStep()
    return { ...user, jar, secret, deviceId }
  }

  /** A fresh flow awaiting the second factor. */
  async function startFlow(user: { username: string; password: string }) {
    const jar = new CookieJar()
    const response = await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    assert.equal(response.json().state, 'awaiting_second_factor', response.body)
    return { jar, flowId: response.json().flowId as string }
  }

  /** Raw bytes with our own headers; same-origin by default. */
  function raw(method: Method, url: string, payload: string | Buffer | undefined, headers: Record<string, string> = {}) {
    return t.app.inject({ method, url, headers: { origin: ORIGIN, 'content-type': 'application/json', ...headers }, ...(payload !== undefined ? { payload } : {}) })
  }

  async function count(event: string) {
    return (await t.auditEvents({ event })).length
  }

  before(async () => {
    t = await startTestApp()
    orgId = (await t.createOrganisation()).id
    verifications = countVerifications(t)
  })
  after(async () => {
    await t.close()
  })

  it('IV-01 F-LOGIN-4: a code that is empty, missing, null, short, long, spaced, full-width, signed, exponent, numeric, huge, NUL, array or object never signs in and never answers 5xx', async () => {
    const user = await enrolledUser()
    // Make sure none of the shape-valid variants happens to be a valid code now.
    const variantsAsDigits = ['123456', '012345']
    while ([-1, 0, 1].some((o) => variantsAsDigits.includes(totpCode(user.secret, t.clock.now(), o)))) t.nextStep()
    const { jar } = await startFlow(user)
    const cookie = jar.header()
    const completedBefore = await count('sign_in.completed')
    const failedBefore = await count('sign_in.second_factor_failed')
    const cases: Array<[string, string, number]> = [
      ['""', '{"method":"totp","code":""}', 401],
      ['missing', '{"method":"totp"}', 401],
      ['null', '{"method":"totp","code":null}', 400],
      ['12345', '{"method":"totp","code":"12345"}', 401],
      ['1234567', '{"method":"totp","code":"1234567"}', 401],
      ['12 34 56', '{"method":"totp","code":"12 34 56"}', 401],
      ['full-width', '{"method":"totp","code":"１２３４５６"}', 401],
      ['12345a', '{"method":"totp","code":"12345a"}', 401],
      ['-12345', '{"method":"totp","code":"-12345"}', 401],
      ['1e5', '{"method":"totp","code":"1e5"}', 401],
      ['number 123456', '{"method":"totp","code":123456}', 400],
      ['number 012345', '{"method":"totp","code":012345}', 400],
      ['10 MB', `{"method":"totp","code":"${'1'.repeat(10 * 1024 * 1024)}"}`, 413],
      ['NUL', '{"method":"totp","code":"\\u0000"}', 401],
      ['array', '{"method":"totp","code":["123456"]}', 400],
      ['object', '{"method":"totp","code":{"$ne":null}}', 400],
    ]
    let evaluatedFailures = 0
    for (const [label, payload, status] of cases) {
      const response = await raw('POST', '/api/v1/sign-in/second-factor', payload, { cookie })
      assert.equal(response.statusCode, status, `${label}: ${response.body.slice(0, 200)}`)
      assert.ok(!setsSession(response), `${label}: no session`)
      if (status === 400) assertInvalid(response, label === 'number 012345' ? 'body' : 'code')
      if (status === 413) assertError(response, 413, 'PAYLOAD_TOO_LARGE')
      if (status === 401) {
        assertError(response, 401, 'CODE_INVALID')
        evaluatedFailures++
        // Keep evaluating every variant: malformed codes count toward the lock (BF-07).
        assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/unlock`)).statusCode, 200)
      }
    }
    assert.equal(await count('sign_in.completed'), completedBefore, '0 successes')
    assert.equal(await count('sign_in.second_factor_failed'), failedBefore + evaluatedFailures, 'each malformed code is one failure')
  })

  it('IV-01: the documented normalisation — spaces and full-width digits — lets the right code through', async () => {
    const user = await enrolledUser()
    const code = totpCode(user.secret, t.clock.now())
    const spaced = await startFlow(user)
    const withSpaces = await t.browser(spaced.jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: `${code.slice(0, 3)} ${code.slice(3)}` })
    assert.equal(withSpaces.statusCode, 200, withSpaces.body)
    t.nextStep()
    const wide = await startFlow(user)
    const fullWidth = [...totpCode(user.secret, t.clock.now())].map((d) => String.fromCharCode(0xff10 + Number(d))).join('')
    const withFullWidth = await t.browser(wide.jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: fullWidth })
    assert.equal(withFullWidth.statusCode, 200, withFullWidth.body)
    t.nextStep()
  })

  it('IV-02: duplicate keys and arrays for username, password or code are refused or evaluate at most one value', async () => {
    const user = await enrolledUser()
    const before = verifications.count
    const duplicate = await raw('POST', '/api/v1/sign-in/password', `{"username":"${user.username}","username":"nobody","password":"wrong-1","password":"wrong-2"}`)
    assert.ok([400, 401].includes(duplicate.statusCode), duplicate.body)
    assert.ok(verifications.count - before <= 1, 'at most one password verified')
    const afterDuplicate = verifications.count
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: [user.username, 'victim'], password: 'x' })), 'username')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: user.username, password: ['a', user.password] })), 'password')
    assert.equal(verifications.count, afterDuplicate, 'no hashing for arrays')

    const { jar } = await startFlow(user)
    const failedBefore = await count('sign_in.second_factor_failed')
    const twice = await raw('POST', '/api/v1/sign-in/second-factor', '{"method":"totp","code":"000001","code":"000002"}', { cookie: jar.header() })
    assert.ok([400, 401].includes(twice.statusCode))
    assert.ok((await count('sign_in.second_factor_failed')) - failedBefore <= 1, 'at most one code evaluated')
    assertInvalid(await raw('POST', '/api/v1/sign-in/second-factor', JSON.stringify({ method: 'totp', code: ['000001', '000002'] }), { cookie: jar.header() }), 'code')
    assertInvalid(await raw('POST', '/api/v1/sign-in/second-factor', JSON.stringify({ method: ['totp', 'sms'], code: '000001' }), { cookie: jar.header() }), 'method')
  })

  it('IV-03: oversize input — a body over 16 KB or a 1 MB password is 413 PAYLOAD_TOO_LARGE, a 10 000-char username or a 2000-byte password is 400, none of them hashed', async () => {
    const before = verifications.count
    assertError(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: 'alice', password: 'x'.repeat(20 * 1024) })), 413, 'PAYLOAD_TOO_LARGE')
    assertError(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: 'alice', password: 'x'.repeat(1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: 'a'.repeat(10_000), password: 'x' })), 'username')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: 'alice', password: 'x'.repeat(2000) })), 'password')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: 'alice', password: 'é'.repeat(1000) })), 'password')
    assert.equal(verifications.count, before, 'no argon2 run for oversize input')
  })

  it('IV-03 IV-10: what Node\'s HTTP parser refuses (a 64 KB header: 431; a malformed request line: 400) is answered in the catalogue\'s shape with the security headers, and the server keeps answering', async () => {
    const own = await startTestApp()
    try {
      await own.app.listen({ host: '127.0.0.1', port: 0 })
      const address = own.app.server.address()
      assert.ok(address && typeof address === 'object')
      const base = `http://127.0.0.1:${address.port}`
      const big = await fetch(`${base}/api/v1/session`, { headers: { cookie: `cs_session=${'a'.repeat(64 * 1024)}` } })
      assert.equal(big.status, 431)
      assert.equal(big.headers.get('x-content-type-options'), 'nosniff')
      assert.match(big.headers.get('content-security-policy') ?? '', /default-src 'none'|default-src 'self'/)
      const body = (await big.json()) as { error: { code: string; message: string } }
      assert.equal(body.error.code, 'HEADERS_TOO_LARGE')
      assert.ok(body.error.message.length > 0)
      // A request line no parser accepts, over a raw socket.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(address.port, '127.0.0.1', () => socket.write('GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n'))
        let text = ''
        socket.on('data', (chunk) => (text += chunk))
        socket.on('close', () => resolve(text))
        socket.on('error', reject)
      })
      assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/)
      assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code, 'INVALID_REQUEST')
      assert.equal((await fetch(`${base}/healthz`)).status, 200)
    } finally {
      await own.close()
    }
  })

  it('IV-10: HEAD on an event stream gets the headers a GET would and ends at once (an open stream per HEAD would tie up connections)', async () => {
    const user = await enrolledUser()
    const { jar } = await startFlow(user)
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const head = await fetch(`${address}/api/v1/sign-in/events`, { method: 'HEAD', headers: { cookie: jar.header() }, signal: AbortSignal.timeout(5000) })
      assert.equal(head.status, 200)
      assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/)
      assert.equal(await head.text(), '')
      // GET still streams: its first bytes arrive and the stream stays open until the client leaves.
      const controller = new AbortController()
      const get = await fetch(`${address}/api/v1/sign-in/events`, { headers: { cookie: jar.header() }, signal: controller.signal })
      const first = await get.body!.getReader().read()
      assert.match(new TextDecoder().decode(first.value), /^retry: 3000/)
      controller.abort()
    } finally {
      await t.app.server.close()
    }
  })

  it('IV-05: SQL-ish payloads in username, code, device name and organisation name are refused with 4xx or stored literally, never 5xx', async () => {
    const user = await enrolledUser()
    const usersBefore = (await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body
    for (const username of ["' OR 1=1--", "admin'--", '"; DROP TABLE accounts;--', `${user.username}' OR '1'='1`]) {
      const response = await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username, password: "' OR 1=1--" }))
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${username}: ${response.statusCode}`)
    }
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: { $ne: null }, password: { $ne: null } })), 'username')
    const { jar } = await startFlow(user)
    assertError(await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: "' OR 1=1--" }), 401, 'CODE_INVALID')
    await t.admin('POST', `/api/v1/admin/users/${user.id}/unlock`)
    assert.equal((await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body, usersBefore, 'accounts unchanged')

    const deviceName = "Robert'); DROP TABLE devices;--"
    const renamed = await t.browser(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, { name: deviceName })
    assert.equal(renamed.statusCode, 200, renamed.body)
    const devices = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).json() as Array<{ name: string }>
    assert.equal(devices[0]?.name, deviceName)
    const orgName = "x'); DROP TABLE organisations;--"
    const org = await t.admin('POST', '/api/v1/admin/organisations', { slug: `sqli-${++counter}`, name: orgName })
    assert.equal(org.statusCode, 201, org.body)
    assert.equal((await t.admin('GET', `/api/v1/admin/organisations/${org.json().id}`)).json().name, orgName)
    assert.equal(((await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).json() as unknown[]).length, (JSON.parse(usersBefore) as unknown[]).length, 'no account added or dropped')
  })

  it('IV-06: __proto__ and constructor.prototype in the body of every POST/PUT/PATCH route answer 400 and pollute nothing', async () => {
    const user = await enrolledUser()
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
    const payloads = [
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"name":"x","nested":{"__proto__":{"polluted":1}}}',
    ]
    let tried = 0
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of ['post', 'put', 'patch'] as const) {
        if (!operations[method]) continue
        const url = path.replace('{deviceId}', user.deviceId).replace('{id}', path.includes('/users/') ? user.id : orgId)
        const auth: Record<string, string> = path.startsWith('/api/v1/admin/') ? { authorization: `Bearer ${ADMIN_TOKEN}` } : { cookie: user.jar.header() }
        for (const payload of payloads) {
          const response = await raw(method.toUpperCase() as Method, url, payload, auth)
          assertInvalid(response)
          tried++
        }
      }
    }
    assert.ok(tried >= 3 * 12, `covered ${tried} route × payload pairs`)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false)
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/session')).statusCode, 200)
  })

  it('IV-07: mass assignment — role, locked, organisationId, deviceLimit and other unknown fields in sign-in, account and admin bodies are 400 naming the field, and nothing is stored', async () => {
    const user = await enrolledUser()
    const summaryBefore = (await t.admin('GET', `/api/v1/admin/users/${user.id}`)).body
    const devicesBefore = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).body
    const usersBefore = (await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body
    const failedBefore = await count('sign_in.second_factor_failed')
    const { jar: flowJar } = await startFlow(user)
    const eventsBefore = (await t.auditEvents()).length
    const cases: Array<[string, (body: object) => Promise<LightMyRequestResponse>, object, string]> = [
      ['sign-in', (b) => t.browser(new CookieJar(), 'POST', '/api/v1/sign-in/password', b), { username: user.username, password: user.password, role: 'admin' }, 'role'],
      ['sign-in', (b) => t.browser(new CookieJar(), 'POST', '/api/v1/sign-in/password', b), { username: user.username, password: user.password, organisationId: 'other' }, 'organisationId'],
      ['second factor', (b) => t.browser(flowJar, 'POST', '/api/v1/sign-in/second-factor', b), { method: 'totp', code: '000000', locked: false }, 'locked'],
      ['new device', (b) => t.browser(user.jar, 'POST', '/api/v1/account/devices/totp', b), { name: 'Extra', deviceLimit: 99 }, 'deviceLimit'],
      ['rename', (b) => t.browser(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, b), { name: 'Phone', kind: 'passkey' }, 'kind'],
      ['method', (b) => t.browser(user.jar, 'PUT', '/api/v1/account/method', b), { method: 'totp', override: 'exempt' }, 'override'],
      ['two-factor', (b) => t.browser(user.jar, 'PUT', '/api/v1/account/two-factor', b), { enabled: false, role: 'admin' }, 'role'],
      ['reauthenticate', (b) => t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', b), { password: user.password, locked: false }, 'locked'],
      ['create user', (b) => t.admin('POST', `/api/v1/admin/organisations/${orgId}/users`, b), { username: 'massive', email: 'massive@example.test', password: 'long enough password', locked: true }, 'locked'],
      ['create user', (b) => t.admin('POST', `/api/v1/admin/organisations/${orgId}/users`, b), { username: 'massive', email: 'massive@example.test', password: 'long enough password', organisationId: 'x' }, 'organisationId'],
      ['update user', (b) => t.admin('PATCH', `/api/v1/admin/users/${user.id}`, b), { role: 'admin', locked: true }, 'locked'],
    ]
    for (const [label, send, body, field] of cases) {
      const response = await send(body)
      assert.equal(response.statusCode, 400, `${label}: ${response.body}`)
      assertInvalid(response, field)
      assert.ok(!setsSession(response), `${label}: no session`)
    }
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).body, summaryBefore, 'role, lock and override unchanged')
    assert.equal((await t.browser(user.jar, 'GET', '/api/v1/account/devices')).body, devicesBefore, 'devices unchanged')
    assert.equal((await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body, usersBefore, 'no user created')
    assert.equal(await count('sign_in.second_factor_failed'), failedBefore, 'a refused body is not an evaluated code')
    assert.equal((await t.auditEvents()).length, eventsBefore, 'no audit event written')
  })

  it('IV-08: a user agent with CRLF is stored without line breaks; a device name with <script> is stored literally; control characters in a name are 400', async () => {
    const user = await enrolledUser()
    const response = await raw('POST', '/api/v1/sign-in/password', JSON.stringify({ username: user.username, password: 'wrong password' }), { 'user-agent': 'evil\r\nX-Injected: 1\r\n\r\n<b>' })
    assertError(response, 401, 'CREDENTIALS_INVALID')
    assert.equal(response.headers['x-injected'], undefined, 'no header split')
    const events = await t.ctx.store.audit.list({ accountId: user.id, event: 'sign_in.password_failed', limit: 10 })
    const agent = events[0]?.userAgent ?? ''
    assert.match(agent, /^evil/)
    assert.doesNotMatch(agent, /[\r\n]/, 'one event = one line')

    const html = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    const renamed = await t.browser(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, { name: html })
    assert.equal(renamed.statusCode, 200, renamed.body)
    assert.match(String(renamed.headers['content-type']), /^application\/json/)
    const devices = (await t.browser(user.jar, 'GET', '/api/v1/account/devices')).json() as Array<{ name: string }>
    assert.equal(devices[0]?.name, html)
    for (const name of ['line\r\nbreak', '\u001b[31mred', 'zero\u200bwidth']) {
      assertInvalid(await t.browser(user.jar, 'PATCH', `/api/v1/account/devices/${user.deviceId}`, { name }), 'name')
    }
  })

  it('IV-08 F-SET-3: a user agent with CRLF and ANSI escapes is stored without control characters for a remembered browser too', async () => {
    const user = await enrolledUser()
    const agent = 'Mozilla/5.0\r\nX-Injected: 1\u001b[31m red'
    const { jar } = await startFlow(user)
    const done = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sign-in/second-factor',
      headers: { origin: ORIGIN, cookie: jar.header(), 'user-agent': agent },
      payload: { method: 'totp', code: totpCode(user.secret, t.clock.now()), rememberBrowser: true },
    })
    assert.equal(done.statusCode, 200, done.body)
    t.nextStep()
    const sessionJar = new CookieJar()
    sessionJar.take(done)
    const browsers = (await t.browser(sessionJar, 'GET', '/api/v1/account/remembered-browsers')).json() as Array<{ userAgent: string | null }>
    assert.equal(browsers.length, 1)
    assert.match(browsers[0]?.userAgent ?? '', /^Mozilla/)
    assert.doesNotMatch(browsers[0]?.userAgent ?? '', /\p{Cc}/u, 'no control characters')
  })

  it('IV-09: text/plain and form-encoded bodies are 415, invalid JSON or UTF-8 is 400 INVALID_REQUEST, GET on POST routes is 404/405 — never 5xx and nothing hashed', async () => {
    const before = verifications.count
    const body = 'username=alice&password=secret'
    assertError(await raw('POST', '/api/v1/sign-in/password', body, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    assertError(await raw('POST', '/api/v1/sign-in/password', body, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    assertError(await raw('POST', '/api/v1/sign-in/password', body, { 'content-type': 'multipart/form-data; boundary=x' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', '{"username":"alice","password":'), 'body')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', "{'username':'alice'}"), 'body')
    assertInvalid(await raw('POST', '/api/v1/sign-in/password', ''))
    const badUtf8 = await raw('POST', '/api/v1/sign-in/password', Buffer.concat([Buffer.from('{"username":"al'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","password":"x"}')]))
    assert.ok(badUtf8.statusCode === 400 || badUtf8.statusCode === 401, `invalid UTF-8: ${badUtf8.statusCode}`)
    assert.ok(verifications.count - before <= 1)

    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
    for (const [path, operations] of Object.entries(document.paths)) {
      if (operations.get || !operations.post) continue
      const response = await t.app.inject({ method: 'GET', url: path.replace(/\{\w+\}/g, 'abcdefghijklmnop'), headers: { origin: ORIGIN } })
      assert.ok(response.statusCode === 404 || response.statusCode === 405, `GET ${path}: ${response.statusCode}`)
    }
  })

  it('IV-09 API.md: a malformed percent-encoding or an over-long path parameter answers 400/404/414 in the catalogue shape {"error":{"code","message"}}, never Fastify\'s own body', async () => {
    const urls = ['/api/v1/account/devices/%E0%A4%A', '/api/v1/admin/users/%ED%A0%80/unlock', '/api/v1/session%', `/api/v1/admin/users/${'a'.repeat(300)}`]
    for (const url of urls) {
      const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      assert.ok([400, 404, 414].includes(response.statusCode), `${url.slice(0, 50)}: ${response.statusCode}`)
      const body = response.json() as { error: unknown; code?: unknown; statusCode?: unknown }
      assert.equal(typeof body.error, 'object', `${url.slice(0, 50)}: ${response.body.slice(0, 120)}`)
      assert.equal(body.code, undefined, 'no framework code at the top level')
      const error = body.error as { code: unknown; message: unknown }
      assert.ok(['INVALID_REQUEST', 'NOT_FOUND'].includes(String(error.code)))
      assert.equal(typeof error.message, 'string')
    }
  })

  it('IV-09: malformed, missing, over-long, unknown, expired (11 min) and reused flow ids answer 410 FLOW_EXPIRED (or 400 for the over-long one) and are not counted as failures', async () => {
    const user = await enrolledUser()
    const failedBefore = await count('sign_in.second_factor_failed')
    const send = (flowId: string | undefined, jar = new CookieJar()) =>
      t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: '000000', ...(flowId !== undefined ? { flowId } : {}) })
    assertError(await send('abc'), 410, 'FLOW_EXPIRED')
    assertError(await send(undefined), 410, 'FLOW_EXPIRED')
    assertError(await send(`${'A'.repeat(16)}.${'B'.repeat(43)}`), 410, 'FLOW_EXPIRED')
    assertError(await send('../../etc/passwd'), 410, 'FLOW_EXPIRED')
    assertInvalid(await send('x'.repeat(201)), 'flowId')
    assert.equal(await count('sign_in.second_factor_failed'), failedBefore)

    const expiring = await startFlow(user)
    t.clock.advance(11 * 60_000)
    assertError(await send(expiring.flowId), 410, 'FLOW_EXPIRED')
    assertError(await t.browser(expiring.jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) }), 410, 'FLOW_EXPIRED')

    const used = await startFlow(user)
    const done = await t.browser(used.jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), flowId: used.flowId })
    assert.equal(done.statusCode, 200, done.body)
    t.nextStep()
    assertError(await send(used.flowId), 410, 'FLOW_EXPIRED')
    assertError(await t.browser(new CookieJar(), 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()), flowId: used.flowId }), 410, 'FLOW_EXPIRED')
  })

  it('IV-09 API.md: a 400 on user or organisation creation writes nothing — user list, organisation list and audit log unchanged', async () => {
    const usersBefore = (await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body
    const orgsBefore = (await t.admin('GET', '/api/v1/admin/organisations')).body
    const eventsBefore = (await t.auditEvents()).length
    const bad: Array<[string, object, string]> = [
      [`/api/v1/admin/organisations/${orgId}/users`, { username: 'half', email: 'not-an-email', password: 'long enough password' }, 'email'],
      [`/api/v1/admin/organisations/${orgId}/users`, { username: 'half', email: 'half@example.test', password: 'short' }, 'password'],
      [`/api/v1/admin/organisations/${orgId}/users`, { username: 'half', email: 'half@example.test', password: 'long enough password', phone: '0612345678' }, 'phone'],
      [`/api/v1/admin/organisations/${orgId}/users`, { username: 'half', email: 'half@example.test', password: 'long enough password', role: 'staff' }, 'role'],
      ['/api/v1/admin/organisations', { slug: 'Bad Slug', name: 'Half' }, 'slug'],
      ['/api/v1/admin/organisations', { slug: 'half-org', name: 'Half', policy: 'sometimes' }, 'policy'],
    ]
    for (const [url, body, field] of bad) assertInvalid(await t.admin('POST', url, body), field)
    assert.equal((await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).body, usersBefore)
    assert.equal((await t.admin('GET', '/api/v1/admin/organisations')).body, orgsBefore)
    assert.equal((await t.auditEvents()).length, eventsBefore)
  })
})
