import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fromBase32 } from '../domain/methods/totp.js'
import { CookieJar, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/** A code that is certainly wrong now: the current code with its last digit changed. */
function wrongCode(secret: string, at: Date): string {
  const right = totpCode(secret, at)
  const candidates = [-1, 0, 1].map((o) => totpCode(secret, at, o))
  for (let d = 0; d < 10; d++) {
    const code = right.slice(0, 5) + String(d)
    if (!candidates.includes(code)) return code
  }
  throw new Error('unreachable')
}

describe('brute force, replay and races', () => {
  let t: TestApp
  let orgId: string
  before(async () => {
    t = await startTestApp()
    orgId = (await t.createOrganisation({ policy: 'required' })).id
  })
  after(() => t.close())

  const enrolledUser = () => t.enrolledUser(orgId)
  const flows: TestApp['flows'] = (user, n, ip) => t.flows(user, n, ip)

  const submit = (flowId: string, code: unknown, method = 'totp', remoteAddress?: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId, method, code }, ...(remoteAddress ? { remoteAddress } : {}) })

  async function evaluations(accountId: string) {
    const events = await t.auditEvents({ account: accountId })
    return {
      failed: events.filter((e) => e.event === 'sign_in.second_factor_failed').length,
      succeeded: events.filter((e) => e.event === 'sign_in.second_factor_succeeded').length,
      rejectedLocked: events.filter((e) => e.event === 'sign_in.rejected_locked').length,
      locked: events.filter((e) => e.event === 'account.locked').length,
    }
  }

  it('BF-01 F-LOGIN-4: five wrong codes lock the account; the sixth, correct, code is refused', async () => {
    const user = await enrolledUser()
    const [flowId] = await flows(user, 1)
    for (let i = 0; i < 5; i++) {
      const response = await submit(flowId!, wrongCode(user.secret, t.clock.now()))
      // The attempt that locks says so itself (issue 17); the ones before are plain wrong codes.
      assert.equal(response.statusCode, i < 4 ? 401 : 423)
      assert.equal(response.json().error.code, i < 4 ? 'CODE_INVALID' : 'ACCOUNT_LOCKED')
    }
    const sixth = await submit(flowId!, totpCode(user.secret, t.clock.now()))
    assert.equal(sixth.statusCode, 423)
    assert.equal(sixth.json().error.code, 'ACCOUNT_LOCKED')
    assert.deepEqual(await evaluations(user.id), { failed: 5, succeeded: 0, rejectedLocked: 1, locked: 1 })
    const admin = await t.admin('GET', `/api/v1/admin/users/${user.id}`)
    assert.equal(admin.json().locked, true, 'BF-14: the admin sees the account locked')
  })

  it('BF-02 RR-11: 200 parallel wrong codes from 200 flows: all answered, at most 5 evaluated, 0 sign-ins, then the right code is refused', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 200)
    const code = wrongCode(user.secret, t.clock.now())
    const answers = await Promise.all(ids.map((id) => submit(id, code)))
    assert.equal(answers.filter((a) => a.statusCode >= 500).length, 0)
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 0)
    const counts = await evaluations(user.id)
    assert.equal(counts.failed, 5, 'exactly the five allowed attempts were compared')
    assert.equal(counts.succeeded, 0)
    const [fresh] = await flows(user, 1).catch(() => [undefined])
    assert.equal(fresh, undefined, 'a locked account is told so after the password')
    const direct = await submit(ids[0]!, totpCode(user.secret, t.clock.now()))
    assert.equal(direct.statusCode, 423)
  })

  it('BF-03: wrong codes spread over five flows, five IPs and five browsers lock the account just the same', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 5, (i) => `10.0.0.${i + 1}`)
    for (const [i, id] of ids.entries()) assert.equal((await submit(id, wrongCode(user.secret, t.clock.now()), 'totp', `10.0.0.${i + 1}`)).statusCode, i < 4 ? 401 : 423)
    const [last] = await flows(user, 1).catch(() => [undefined])
    assert.equal(last, undefined)
    const password = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(password.statusCode, 423)
  })

  it('BF-05: four wrong then one right resets the count; a success on another account never resets this one', async () => {
    const user = await enrolledUser()
    const other = await enrolledUser()
    const [a] = await flows(user, 1)
    for (let i = 0; i < 4; i++) await submit(a!, wrongCode(user.secret, t.clock.now()))
    assert.equal((await submit(a!, totpCode(user.secret, t.clock.now()))).statusCode, 200)
    t.nextStep()
    const [b] = await flows(user, 1)
    for (let i = 0; i < 4; i++) await submit(b!, wrongCode(user.secret, t.clock.now()))
    const [c] = await flows(other, 1)
    assert.equal((await submit(c!, totpCode(other.secret, t.clock.now()))).statusCode, 200)
    const state = await t.admin('GET', `/api/v1/admin/users/${user.id}`)
    assert.deepEqual([state.json().failedAttempts, state.json().locked], [4, false])
  })

  it('BF-06 BF-07: methods not set up, missing, empty and malformed codes all count on the one counter', async () => {
    const user = await enrolledUser()
    const [id] = await flows(user, 1)
    const tries: Array<[unknown, string]> = [[undefined, 'totp'], ['', 'totp'], ['12a456', 'totp'], ['123456', 'sms'], ['123456', 'recovery_code']]
    for (const [i, [code, method]] of tries.entries()) {
      const response = await submit(id!, code, method)
      assert.equal(response.statusCode, i < 4 ? 401 : 423, `${method} ${String(code)}`)
    }
    assert.equal((await submit(id!, totpCode(user.secret, t.clock.now()))).statusCode, 423)
  })

  it('BF-09: while locked, fifty more codes are not evaluated and the count stays at 5; an admin unlock lets the right code in', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 2)
    for (let i = 0; i < 5; i++) await submit(ids[0]!, wrongCode(user.secret, t.clock.now()))
    for (let i = 0; i < 50; i++) await submit(ids[1]!, i % 2 ? wrongCode(user.secret, t.clock.now()) : totpCode(user.secret, t.clock.now()))
    const counts = await evaluations(user.id)
    assert.equal(counts.failed, 5)
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().failedAttempts, 5)
    assert.equal((await t.admin('POST', `/api/v1/admin/users/${user.id}/unlock`)).statusCode, 200)
    assert.equal((await submit(ids[1]!, totpCode(user.secret, t.clock.now()))).statusCode, 200)
    const events = await t.auditEvents({ account: user.id, event: 'account.unlocked' })
    assert.equal(events[0]?.reason, 'admin_unlock')
  })

  it('BF-10: with auto-unlock the count goes on across unlocks, and at 100 only an admin unlocks', async () => {
    const autoOrg = await t.createOrganisation({ policy: 'required' })
    await t.admin('PATCH', `/api/v1/admin/organisations/${autoOrg.id}`, { autoUnlockMinutes: 15 })
    const user = await t.createUser(autoOrg.id)
    const { jar } = await t.signIn(user.username, user.password)
    const { secret } = await t.linkTotp(jar)
    t.nextStep()
    let evaluated = 0
    for (let round = 0; round < 60; round++) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
      if (response.statusCode === 423) {
        t.clock.advance(15 * 60_000)
        continue
      }
      const { flowId } = response.json()
      for (let i = 0; i < 5; i++) {
        const status = (await submit(flowId, wrongCode(secret, t.clock.now()))).statusCode
        if (status === 401) evaluated++
        // The first 423 of a round is the attempt that locked: it was evaluated, and says so.
        if (status === 423) {
          evaluated++
          break
        }
      }
    }
    assert.equal(evaluated, 100, 'expected guesses are capped at 100 (T8)')
    t.clock.advance(24 * 3_600_000)
    const still = await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal(still.statusCode, 423, 'past 100 failures the lock does not lift by itself')
  })

  it('RR-01 F-TOTP-2: one code used for two sign-ins in the same step: the first succeeds, the second is refused', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 2)
    const code = totpCode(user.secret, t.clock.now())
    assert.equal((await submit(ids[0]!, code)).statusCode, 200)
    const replay = await submit(ids[1]!, code)
    assert.equal(replay.statusCode, 401)
    const failed = await t.auditEvents({ account: user.id, event: 'sign_in.second_factor_failed' })
    assert.equal(failed[0]?.reason, 'replayed')
  })

  it('RR-02: 50 parallel submissions of one valid code in 50 flows: exactly one sign-in', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 50)
    const code = totpCode(user.secret, t.clock.now())
    const answers = await Promise.all(ids.map((id) => submit(id, code)))
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 1)
    assert.equal(answers.filter((a) => a.statusCode >= 500).length, 0)
  })

  it('RR-02: 20 parallel submissions of one valid code in one flow: exactly one session', async () => {
    const user = await enrolledUser()
    const [id] = await flows(user, 1)
    const code = totpCode(user.secret, t.clock.now())
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(id!, code)))
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 1)
  })

  it('RR-04: the code that confirmed linking cannot sign in within the same step', async () => {
    const user = await t.createUser(orgId)
    const { jar } = await t.signIn(user.username, user.password)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/totp', { name: 'Phone' })).json()
    const code = totpCode(started.secret, t.clock.now())
    assert.equal((await t.browser(jar, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, { code })).statusCode, 200)
    const [id] = await flows(user, 1)
    assert.equal((await submit(id!, code)).statusCode, 401)
  })

  it('RR-11: a fifth wrong code and a correct one, together, twenty times: never a session after the lock', async () => {
    for (let run = 0; run < 20; run++) {
      const user = await enrolledUser()
      const ids = await flows(user, 2)
      for (let i = 0; i < 4; i++) await submit(ids[0]!, wrongCode(user.secret, t.clock.now()))
      const [wrong, right] = await Promise.all([submit(ids[0]!, wrongCode(user.secret, t.clock.now())), submit(ids[1]!, totpCode(user.secret, t.clock.now()))])
      assert.equal(wrong.statusCode === 401 || wrong.statusCode === 423, true)
      const locked = (await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().locked
      if (right.statusCode === 200) assert.equal(locked, false, 'the success came first, so no lock')
      else assert.equal(locked, true, 'the lock came first, so the right code was refused')
    }
  })

  it('SR-01: the database file holds no TOTP seed in any encoding, and no session or flow token', async () => {
    const user = await t.createUser(orgId)
    const { jar } = await t.signIn(user.username, user.password)
    const { secret } = await t.linkTotp(jar)
    t.nextStep()
    const { jar: session } = await t.signIn(user.username, user.password, secret)
    const raw = fromBase32(secret)
    const files = readdirSync(t.dir).filter((f) => f.startsWith('test.db')).map((f) => readFileSync(join(t.dir, f)))
    const haystack = Buffer.concat(files)
    for (const needle of [secret, Buffer.from(raw).toString('hex'), Buffer.from(raw).toString('base64'), Buffer.from(raw).toString('base64url')]) {
      assert.equal(haystack.includes(needle), false, needle)
    }
    assert.equal(haystack.includes(Buffer.from(raw)), false, 'raw seed bytes')
    const sessionSecret = session.get('cs_session')!.split('.')[1]!
    assert.equal(haystack.includes(sessionSecret), false, 'session secret')
  })
})
