import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { CookieJar, countVerifications, ORIGIN, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

// SECURITY.md 7.6 (EN-01, EN-04) and 7.1 (BF-12, BF-13, BF-15): nothing tells a stranger whether
// an account exists, is locked, or has 2FA.

/** Header names that legitimately differ per answer (none should, but the date ticks). */
function headerNames(response: LightMyRequestResponse): string[] {
  return Object.keys(response.headers).sort()
}

function assertSameAnswer(a: LightMyRequestResponse, b: LightMyRequestResponse, label: string) {
  assert.equal(b.statusCode, a.statusCode, `${label}: status`)
  assert.equal(b.body, a.body, `${label}: byte-identical body`)
  assert.deepEqual(headerNames(b), headerNames(a), `${label}: same header names`)
  assert.equal(b.headers['set-cookie'], a.headers['set-cookie'], `${label}: same cookies`)
}

describe('enumeration (EN-01, EN-04, BF-12, BF-13, BF-15)', () => {
  let t: TestApp
  let orgId: string
  let openOrgId: string
  let counter = 0

  function password(username: string, pass: string, jar = new CookieJar()) {
    return t.browser(jar, 'POST', '/api/v1/sign-in/password', { username, password: pass })
  }

  async function enrolledUser(input: Record<string, unknown> = {}) {
    const user = await t.createUser(orgId, { username: `enum${++counter}`, ...input })
    const { jar } = await t.signIn(user.username, user.password)
    const { secret, deviceId } = await t.linkTotp(jar)
    t.nextStep()
    return { ...user, jar, secret, deviceId }
  }

  function wrongCode(secret: string): string {
    const valid = new Set([-1, 0, 1].map((offset) => totpCode(secret, t.clock.now(), offset)))
    for (let n = 0; ; n++) {
      const code = String(n).padStart(6, '0')
      if (!valid.has(code)) return code
    }
  }

  /** F-LOGIN-4: 5 wrong TOTP codes, each through its own sign-in flow. */
  async function lock(user: { username: string; password: string; secret: string; id: string }) {
    for (let i = 0; i < 5; i++) {
      const jar = new CookieJar()
      const first = await password(user.username, user.password, jar)
      assert.equal(first.json().state, 'awaiting_second_factor', first.body)
      const second = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: wrongCode(user.secret) })
      assert.equal(second.statusCode, i < 4 ? 401 : 423, second.body)
    }
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().locked, true)
  }

  before(async () => {
    t = await startTestApp()
    orgId = (await t.createOrganisation()).id
    openOrgId = (await t.createOrganisation({ policy: 'off' })).id
  })
  after(async () => {
    await t.close()
  })

  it('EN-01: unknown user, wrong password, locked user, deactivated user, user without 2FA and user awaiting enrolment get the same status, byte-identical body and the same header names', async () => {
    const known = await enrolledUser()
    const locked = await enrolledUser()
    await lock(locked)
    const deactivated = await enrolledUser()
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${deactivated.id}/deactivate`)).statusCode, 200)
    const plain = await t.createUser(openOrgId, { username: `plain${++counter}` })
    const pending = await t.createUser(orgId, { username: `pending${++counter}` })

    const unknown = await password(`ghost${++counter}`, 'some wrong password')
    assert.equal(unknown.statusCode, 401)
    assert.equal(unknown.json().error.code, 'CREDENTIALS_INVALID')
    assertSameAnswer(unknown, await password(known.username, 'some wrong password'), 'known user, wrong password')
    assertSameAnswer(unknown, await password(locked.username, 'some wrong password'), 'locked user, wrong password')
    assertSameAnswer(unknown, await password(deactivated.username, 'some wrong password'), 'deactivated user, wrong password')
    assertSameAnswer(unknown, await password(deactivated.username, deactivated.password), 'deactivated user, right password')
    assertSameAnswer(unknown, await password(plain.username, 'some wrong password'), 'user without 2FA, wrong password')
    assertSameAnswer(unknown, await password(pending.username, 'some wrong password'), 'user awaiting enrolment, wrong password')
    assertSameAnswer(unknown, await password(known.username.toUpperCase(), 'some wrong password'), 'case variant of a known user')
  })

  it('BF-15 T7: a locked account answers 423 ACCOUNT_LOCKED only after the correct password; a wrong password gets the generic 401', async () => {
    const user = await enrolledUser()
    await lock(user)
    const wrong = await password(user.username, 'not the password')
    assert.equal(wrong.statusCode, 401)
    assert.equal(wrong.json().error.code, 'CREDENTIALS_INVALID')
    assert.ok(!JSON.stringify(wrong.json()).includes('lock'), 'the wrong-password answer does not mention the lock')
    const right = await password(user.username, user.password)
    assert.equal(right.statusCode, 423, right.body)
    assert.equal(right.json().error.code, 'ACCOUNT_LOCKED')
    assert.equal(right.headers['set-cookie'], undefined, 'no flow or session for a locked account')
    const rejected = await t.auditEvents({ account: user.id, event: 'sign_in.rejected_locked' })
    assert.ok(rejected.length >= 1, 'the refused attempt is logged')
  })

  it('EN-01 F-LOGIN-4: at the second step, a wrong code, a malformed code, a replayed code and a method that is not set up give one byte-identical 401 CODE_INVALID', async () => {
    const user = await enrolledUser()
    const replayed = totpCode(user.secret, t.clock.now())
    const used = await t.signIn(user.username, user.password, user.secret)
    assert.equal(used.body.state, 'completed')
    const jar = new CookieJar()
    assert.equal((await password(user.username, user.password, jar)).json().state, 'awaiting_second_factor')
    const submit = (body: object) => t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', body)
    const wrong = await submit({ method: 'totp', code: wrongCode(user.secret) })
    assert.equal(wrong.statusCode, 401, wrong.body)
    assert.equal(wrong.json().error.code, 'CODE_INVALID')
    assertSameAnswer(wrong, await submit({ method: 'totp', code: 'abc' }), 'malformed code')
    assertSameAnswer(wrong, await submit({ method: 'totp', code: replayed }), 'replayed code')
    assertSameAnswer(wrong, await submit({ method: 'sms', code: '123456' }), 'method not set up')
    await t.admin('POST', `/api/v1/admin/users/${user.id}/unlock`)
  })

  it('EN-04: without a session, account and session routes answer 401 SESSION_REQUIRED with one generic body, also for garbage or unknown session cookies', async () => {
    const routes = ['/api/v1/account/security', '/api/v1/session', '/api/v1/account/devices', '/api/v1/account/activity', '/api/v1/account/remembered-browsers']
    const cookies = [undefined, 'cs_session=garbage', `cs_session=${'A'.repeat(16)}.${'B'.repeat(43)}`, `cs_session=${'x'.repeat(5000)}`]
    let reference: string | undefined
    for (const url of routes) {
      for (const cookie of cookies) {
        const response = await t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} })
        assert.equal(response.statusCode, 401, `${url} ${cookie?.slice(0, 30)}`)
        assert.equal(response.json().error.code, 'SESSION_REQUIRED')
        reference ??= response.body
        assert.equal(response.body, reference, `${url}: the same generic body`)
      }
    }
  })

  it('EN-04: no GET route answers a stranger with user-specific data (username, id, e-mail, device, method) even when the URL names a real user', async () => {
    const user = await enrolledUser({ email: `secret-mail-${counter + 1}@example.test` })
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
    const secrets = [user.username, user.id, user.deviceId, `secret-mail-`, '"totp"', 'locked']
    let scanned = 0
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!operations.get || path === '/api/v1/openapi.json') continue
      const url = path.replace('{deviceId}', user.deviceId).replace('{id}', path.includes('/users/') ? user.id : orgId)
      for (const headers of [{}, { cookie: 'cs_session=garbage' }, { authorization: 'Bearer cs_nonsense' }] as Array<Record<string, string>>) {
        const response = await t.app.inject({ method: 'GET', url: `${url}?account=${user.id}`, headers })
        scanned++
        assert.ok(response.statusCode < 500, `${path}: ${response.statusCode}`)
        for (const secret of secrets) assert.ok(!response.body.includes(secret), `${path} reveals ${secret}: ${response.body.slice(0, 200)}`)
      }
    }
    assert.ok(scanned >= 30)
  })

  it('BF-12 BF-13: 5 wrong passwords spread over alice, ALICE, Alice and NFKC variants throttle the one account: even the right password gets 429 RATE_LIMITED with Retry-After until the delay passes, then the user signs in', async () => {
    const user = await enrolledUser({ username: 'Alice' })
    const variants = ['alice', 'ALICE', 'Alice', 'Ａｌｉｃｅ', 'aLiCe']
    for (const name of variants) {
      const response = await password(name, 'wrong password')
      assert.equal(response.statusCode, 401, `${name}: ${response.body}`)
    }
    const verifications = countVerifications(t)
    try {
      const throttled = await password('Alice', user.password)
      assert.equal(throttled.statusCode, 429, throttled.body)
      assert.equal(throttled.json().error.code, 'RATE_LIMITED')
      const retryAfter = Number(throttled.headers['retry-after'])
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${throttled.headers['retry-after']}`)
      assert.equal(throttled.headers['set-cookie'], undefined)
      assert.equal((await password('alice', user.password)).statusCode, 429, 'every variant is throttled')
      t.clock.advance((retryAfter - 1) * 1000)
      assert.equal((await password('ALICE', user.password)).statusCode, 429, 'still throttled one second before the delay ends')
      assert.equal(verifications.count, 0, 'no password verification while throttled')

      t.clock.advance(2000)
      t.nextStep()
      const jar = new CookieJar()
      const first = await password('alice', user.password, jar)
      assert.equal(first.statusCode, 200, first.body)
      assert.equal(first.json().state, 'awaiting_second_factor')
      const second = await t.browser(jar, 'POST', '/api/v1/sign-in/second-factor', { method: 'totp', code: totpCode(user.secret, t.clock.now()) })
      assert.equal(second.statusCode, 200, second.body)
      assert.equal(second.json().state, 'completed')
      assert.equal(second.json().session.account.username, 'Alice')
    } finally {
      verifications.restore()
    }
  })

  it('BF-12 EN-01: after 5 failures a user name that does not exist gets the same 429 answer, Retry-After included, as a real one (no enumeration through the throttle)', async () => {
    const real = await enrolledUser()
    const ghost = `ghost${++counter}`
    for (let i = 0; i < 5; i++) {
      assert.equal((await password(real.username, `wrong ${i}`)).statusCode, 401)
      assert.equal((await password(ghost, `wrong ${i}`)).statusCode, 401)
    }
    const realAnswer = await password(real.username, real.password)
    const ghostAnswer = await password(ghost, 'anything at all')
    assert.equal(realAnswer.statusCode, 429, realAnswer.body)
    assertSameAnswer(realAnswer, ghostAnswer, 'throttled unknown user')
    assert.equal(ghostAnswer.headers['retry-after'], realAnswer.headers['retry-after'])
    // Fewer than 5 failures: a name that exists and one that does not still look alike.
    const fresh = await enrolledUser()
    const other = `ghost${++counter}`
    assertSameAnswer(await password(other, 'nope'), await password(fresh.username, 'nope'), 'first failure')
  })

  it('BF-12 RB-08: the password check of /api/v1/account/reauthenticate is throttled like sign-in — after 5 wrong passwords the next one is 429 RATE_LIMITED without an argon2 run', async () => {
    const user = await enrolledUser()
    for (let i = 0; i < 5; i++) {
      const response = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: `wrong ${i}` })
      assert.equal(response.statusCode, 401, response.body)
    }
    const verifications = countVerifications(t)
    try {
      const sixth = await t.browser(user.jar, 'POST', '/api/v1/account/reauthenticate', { password: 'wrong 6' })
      assert.equal(sixth.statusCode, 429, sixth.body)
      assert.equal(sixth.json().error.code, 'RATE_LIMITED')
      assert.ok(Number(sixth.headers['retry-after']) >= 1)
      assert.equal(verifications.count, 0, 'no password verification while throttled')
      assert.equal((await password(user.username, user.password)).statusCode, 429, 'one counter per account for every pathway')
    } finally {
      verifications.restore()
    }
  })

  it('BF-12: passwords alone never lock an account — after the delay the user still signs in, and the first failure of a new name is not throttled', async () => {
    const user = await t.createUser(openOrgId, { username: `patient${++counter}` })
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        const response = await password(user.username, 'wrong password')
        if (response.statusCode === 429) t.clock.advance(Number(response.headers['retry-after']) * 1000 + 1000)
        else assert.equal(response.statusCode, 401, response.body)
      }
      const blocked = await password(user.username, user.password)
      assert.equal(blocked.statusCode, 429)
      t.clock.advance(Number(blocked.headers['retry-after']) * 1000 + 1000)
    }
    const signedIn = await password(user.username, user.password)
    assert.equal(signedIn.statusCode, 200, signedIn.body)
    assert.equal(signedIn.json().state, 'completed')
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', headers: { origin: ORIGIN }, payload: { username: `new${++counter}`, password: 'x' } })).statusCode, 401)
  })
})
