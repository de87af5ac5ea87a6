import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { RECOVERY_CODE_COUNT } from '../domain/methods/recovery-code.js'
import { CookieJar, countVerifications, startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/**
 * Recovery codes (F-X-2, RB-03, RR-07, SR-05, BF-06), on SQLite and PostgreSQL: made in My Account
 * with a recent sign-in, shown once, kept only as argon2id, each used once, on the one lockout
 * counter, never an account's only factor.
 */
for (const backend of ['sqlite', 'postgres'] as const)
describe(`Recovery codes (F-X-2) on ${backend}`, () => {
  let t: TestApp
  let orgId: string
  before(async () => {
    t = await startTestApp({}, { backend })
    orgId = (await t.createOrganisation({ policy: 'required' })).id
  })
  after(() => t.close())

  /** An enrolled user, signed in now with the app, with a fresh set of recovery codes. */
  async function userWithCodes(organisation = orgId) {
    const user = await t.enrolledUser(organisation)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const made = await t.browser(jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(made.statusCode, 201, made.body)
    return { ...user, jar, codes: made.json().codes as string[] }
  }

  const submit = (flowId: string, code: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId, method: 'recovery_code', ...(code !== undefined ? { code } : {}) } })
  const left = async (jar: CookieJar) => (await t.browser(jar, 'GET', '/api/v1/account/security')).json().recoveryCodesLeft as number

  it('F-X-2 RB-03: 10 readable codes of 80 bits, shown once; the flow offers them beside the app; one signs in with amr pwd mfa, and is refused forever after', async () => {
    const user = await userWithCodes()
    assert.equal(user.codes.length, RECOVERY_CODE_COUNT)
    for (const code of user.codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/)
    assert.equal(new Set(user.codes).size, RECOVERY_CODE_COUNT)
    assert.equal(await left(user.jar), 10)

    const [flowId] = await t.flows(user, 1)
    const flow = (await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })).json()
    assert.deepEqual(flow.methods, ['totp', 'recovery_code'], 'offered after the real method')
    // Typed as people type them: upper case, spaces instead of dashes.
    const done = await submit(flowId!, ` ${user.codes[3]!.toUpperCase().replaceAll('-', ' ')} `)
    assert.equal(done.statusCode, 200, done.body)
    assert.equal(done.json().state, 'completed')
    assert.deepEqual(done.json().session.amr, ['pwd', 'mfa'], 'RFC 8176 has no value for a look-up secret: nothing more is claimed')
    assert.equal(done.json().recoveryCodesLeft, 9)
    assert.equal(await left(user.jar), 9)

    const [again] = await t.flows(user, 1)
    const reused = await submit(again!, user.codes[3])
    assert.equal(reused.statusCode, 401)
    assert.equal(reused.json().error.code, 'CODE_INVALID')
    const used = await t.auditEvents({ account: user.id, event: 'recovery_code.used' })
    assert.equal(used.length, 1)
  })

  it('F-X-2 F-POL-7: using a code e-mails the user and is audited with the number left; the admin sees how many are left', async () => {
    const user = await userWithCodes()
    const [flowId] = await t.flows(user, 1)
    assert.equal((await submit(flowId!, user.codes[0])).statusCode, 200)
    const mail = (await t.app.inject({ method: 'GET', url: `/api/v1/dev/outbox?to=${encodeURIComponent(`${user.username}@example.test`)}` })).json() as Array<{ subject: string }>
    assert.ok(mail.some((m) => /recovery code was used/.test(m.subject)), mail.map((m) => m.subject).join(' | '))
    assert.ok(mail.some((m) => /New recovery codes were made/.test(m.subject)))
    const events = await t.ctx.store.audit.list({ accountId: user.id, event: 'recovery_code.used', limit: 5 })
    assert.equal(events[0]!.details.remaining, 9)
    assert.equal((await t.admin('GET', `/api/v1/admin/users/${user.id}`)).json().recoveryCodesLeft, 9)
    const listed = (await t.admin('GET', `/api/v1/admin/organisations/${orgId}/users`)).json() as Array<{ id: string; recoveryCodesLeft: number }>
    assert.equal(listed.find((u) => u.id === user.id)!.recoveryCodesLeft, 9)
  })

  it('RB-03 SR-05: the database holds only argon2id hashes with their own salts, never a code', async () => {
    const user = await userWithCodes()
    const stored = await t.ctx.store.recoveryCodes.listUnused(user.id)
    assert.equal(stored.length, 10)
    const salts = new Set<string>()
    for (const row of stored) {
      assert.match(row.codeHash, /^\$argon2id\$/)
      salts.add(row.codeHash.split('$')[4]!)
      for (const code of user.codes) {
        assert.ok(!row.codeHash.includes(code) && !row.codeHash.includes(code.replaceAll('-', '')))
      }
    }
    assert.equal(salts.size, 10, 'a salt per code')
  })

  it('RB-03: making new codes voids every old one at once; DELETE voids them all', async () => {
    const user = await userWithCodes()
    const renewed = await t.browser(user.jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(renewed.statusCode, 201)
    const [flowId] = await t.flows(user, 1)
    assert.equal((await submit(flowId!, user.codes[0])).statusCode, 401, 'an old code stopped working')
    const [next] = await t.flows(user, 1)
    assert.equal((await submit(next!, renewed.json().codes[0])).statusCode, 200)
    assert.equal((await t.browser(user.jar, 'DELETE', '/api/v1/account/recovery-codes')).statusCode, 204)
    assert.equal(await left(user.jar), 0)
    const flow = (await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })).json()
    assert.deepEqual(flow.methods, ['totp'], 'no codes, not offered')
  })

  it('SC-14: making codes needs a sign-in in the last 10 minutes', async () => {
    const user = await userWithCodes()
    t.clock.advance(11 * 60_000)
    const late = await t.browser(user.jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(late.statusCode, 403)
    assert.equal(late.json().error.code, 'REAUTHENTICATION_REQUIRED')
  })

  it('F-X-2: never the only factor: not in a forced enrolment, not without another method, and they go with the last real factor', async () => {
    // Forced enrolment: the restricted session cannot make codes (they would not satisfy it anyway).
    const fresh = await t.createUser(orgId)
    const { jar: restricted } = await t.signIn(fresh.username, fresh.password)
    const refused = await t.browser(restricted, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(refused.statusCode, 403)
    assert.equal(refused.json().error.code, 'ENROLMENT_REQUIRED')

    // Optional policy: without a method there is nothing to recover to.
    const optional = await t.createOrganisation({ policy: 'optional' })
    const plain = await t.createUser(optional.id)
    const { jar } = await t.signIn(plain.username, plain.password)
    const none = await t.browser(jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(none.statusCode, 400)
    assert.equal(none.json().error.code, 'INVALID_REQUEST')

    // With an app, codes; the app removed (the last real factor), the codes go too.
    const { deviceId } = await t.linkTotp(jar)
    assert.equal((await t.browser(jar, 'POST', '/api/v1/account/recovery-codes')).statusCode, 201)
    assert.equal(await left(jar), 10)
    // Linking turned two-step verification on; off first, then the app may go.
    assert.equal((await t.browser(jar, 'PUT', '/api/v1/account/two-factor', { enabled: false })).statusCode, 204)
    assert.equal((await t.browser(jar, 'DELETE', `/api/v1/account/devices/${deviceId}`)).statusCode, 204)
    assert.equal(await left(jar), 0)
    const removed = await t.ctx.store.audit.list({ accountId: plain.id, event: 'device.removed', limit: 1 })
    assert.equal(removed[0]!.details.voidedRecoveryCodes, 10)
  })

  it('F-X-2 F-POL-1: an organisation that does not allow recovery codes neither makes nor offers them', async () => {
    const strict = await t.createOrganisation({ policy: 'required', allowedMethods: ['totp'] })
    const user = await t.enrolledUser(strict.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const refused = await t.browser(jar, 'POST', '/api/v1/account/recovery-codes')
    assert.equal(refused.statusCode, 403)
    // Codes made while it allowed them are not offered once it does not.
    const open = await userWithCodes()
    await t.admin('PATCH', `/api/v1/admin/organisations/${orgId}`, { allowedMethods: ['totp', 'push', 'sms', 'email'] })
    try {
      const flow = (await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: open.username, password: open.password } })).json()
      assert.deepEqual(flow.methods, ['totp'])
      assert.equal((await submit(flow.flowId, open.codes[0])).statusCode, 401, 'a method the flow does not offer is refused')
    } finally {
      await t.admin('PATCH', `/api/v1/admin/organisations/${orgId}`, { allowedMethods: ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code'] })
    }
  })

  it('RR-07: 20 parallel uses of one code in 20 flows: exactly one signs in, the code is used, one fewer is left', async () => {
    const user = await userWithCodes()
    const ids = await t.flows(user, 20)
    const answers = await Promise.all(ids.map((id) => submit(id, user.codes[5])))
    assert.equal(answers.filter((a) => a.statusCode >= 500).length, 0)
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 1)
    assert.equal((await t.ctx.store.recoveryCodes.listUnused(user.id)).length, 9)
    assert.equal((await t.auditEvents({ account: user.id, event: 'recovery_code.used' })).length, 1)
  })

  it('Bad input: spaces, dashes and case are forgiven; every other shape is CODE_INVALID and counted (F-LOGIN-4)', async () => {
    const user = await userWithCodes()
    const shapes = ['', 'abc', `${user.codes[0]!}0`, user.codes[0]!.replace(/.$/, 'u'), 'x'.repeat(64), '１２３４-５６７８-９０ab-cdef']
    for (const shape of shapes.slice(0, 4)) {
      const [flowId] = await t.flows(user, 1)
      const answer = await submit(flowId!, shape)
      assert.equal(answer.statusCode, 401, `${shape}: ${answer.body}`)
      assert.equal(answer.json().error.code, 'CODE_INVALID')
    }
    const failed = await t.auditEvents({ account: user.id, event: 'sign_in.second_factor_failed' })
    assert.equal(failed.length, 4, 'each counted on the one counter')
    assert.deepEqual(failed.map((e) => e.reason).sort(), ['malformed', 'malformed', 'malformed', 'malformed'])
    await t.ctx.store.lockouts.unlock(user.id, 5)
    for (const shape of shapes.slice(4)) {
      const [flowId] = await t.flows(user, 1)
      assert.equal((await submit(flowId!, shape)).statusCode, 401)
    }
    const [missing] = await t.flows(user, 1)
    assert.equal((await submit(missing!, undefined)).statusCode, 401, 'no code at all')
    const [tooLong] = await t.flows(user, 1)
    assert.equal((await submit(tooLong!, 'x'.repeat(65))).statusCode, 400, 'longer than any code: the schema refuses it')
  })

  it('BF-06: 4 wrong app codes and 1 wrong recovery code lock the account; then even a right recovery code is refused, unused, without being hashed', async () => {
    const user = await userWithCodes()
    const ids = await t.flows(user, 6)
    const right = [-1, 0, 1].map((o) => totpCode(user.secret, t.clock.now(), o))
    const wrong = ['000000', '111111', '222222', '333333', '444444'].filter((c) => !right.includes(c))
    for (let i = 0; i < 4; i++) {
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId: ids[i], method: 'totp', code: wrong[i] } })).statusCode, 401)
    }
    assert.equal((await submit(ids[4]!, 'zzzz-zzzz-zzzz-zzzz')).statusCode, 423, 'the fifth locks, and says so')
    const hashes = countVerifications(t)
    try {
      const locked = await submit(ids[5]!, user.codes[0])
      assert.equal(locked.statusCode, 423)
      assert.equal(hashes.count, 0, 'a locked account costs no argon2 run')
    } finally {
      hashes.restore()
    }
    assert.equal((await t.ctx.store.recoveryCodes.listUnused(user.id)).length, 10, 'the code was not used up')
    assert.ok((await t.auditEvents({ account: user.id, event: 'account.locked' })).length === 1)
  })
})
