import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { startTestApp, totpCode, type TestApp } from '../test-support/harness.js'

/**
 * The sign-in guarantees on PostgreSQL (F-X-4): the same HTTP paths as on SQLite, on a fresh
 * database of the local server (two instances: store/postgres/multi-instance.test.ts).
 */
describe('on PostgreSQL', () => {
  let t: TestApp
  let orgId: string
  before(async () => {
    t = await startTestApp({}, { backend: 'postgres' })
    orgId = (await t.createOrganisation({ policy: 'required' })).id
  })
  after(() => t.close())

  const enrolledUser = () => t.enrolledUser(orgId)
  const flows: TestApp['flows'] = (user, n, ip) => t.flows(user, n, ip)

  const submit = (flowId: string, code: string) => t.app.inject({ method: 'POST', url: '/api/v1/sign-in/second-factor', payload: { flowId, method: 'totp', code } })

  it('F-LOGIN-1 F-LOGIN-5: forced enrolment, linking, then password and code sign in with amr pwd+otp+mfa', async () => {
    const user = await enrolledUser()
    const { body } = await t.signIn(user.username, user.password, user.secret)
    assert.equal(body.state, 'completed')
    assert.deepEqual(body.session.amr, ['pwd', 'otp', 'mfa'])
  })

  it('BF-02: 200 parallel wrong codes from 200 flows: at most 5 evaluated, 0 sign-ins, then the right code is refused', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 200)
    const right = [-1, 0, 1].map((o) => totpCode(user.secret, t.clock.now(), o))
    const wrong = ['000000', '111111', '222222', '333333'].find((c) => !right.includes(c))!
    const answers = await Promise.all(ids.map((id) => submit(id, wrong)))
    assert.equal(answers.filter((a) => a.statusCode >= 500).length, 0)
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 0)
    const evaluated = (await t.auditEvents({ account: user.id, event: 'sign_in.second_factor_failed' })).length
    assert.equal(evaluated, 5, 'exactly the five allowed attempts were compared')
    assert.equal((await submit(ids[0]!, right[1]!)).statusCode, 423)
  })

  it('RR-02: 50 parallel submissions of one valid code in 50 flows: exactly one sign-in', async () => {
    const user = await enrolledUser()
    const ids = await flows(user, 50)
    const code = totpCode(user.secret, t.clock.now())
    const answers = await Promise.all(ids.map((id) => submit(id, code)))
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 1)
    assert.equal(answers.filter((a) => a.statusCode >= 500).length, 0)
  })

  it('DD-09: when the database drops every connection (as in a restart), the server survives, never answers 500, and signs in again on fresh connections', async () => {
    const user = await t.createUser(orgId, { twoFactor: 'exempt' })
    const signIn = () => t.app.inject({ method: 'POST', url: '/api/v1/sign-in/password', payload: { username: user.username, password: user.password } })
    assert.equal((await signIn()).statusCode, 200)
    const admin = new pg.Client({ connectionString: t.ctx.config.databaseUrl })
    await admin.connect()
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
    await admin.end()
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const status = (await signIn()).statusCode
      statuses.push(status)
      if (status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(statuses.every((s) => s === 200 || s === 503), statuses.join())
    assert.equal(statuses.at(-1), 200, 'it recovered without a restart of its own')
  })
})
