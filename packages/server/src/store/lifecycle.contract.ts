import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../domain/clock.js'
import { newId, newToken } from '../domain/tokens.js'
import type { PasswordReset } from './password-reset-store.js'
import type { Session, Store } from './store.js'
import { seedAccount, suiteStores } from './store.contract.js'

const now = new Date('2026-11-25T10:00:00Z')
const later = (ms: number) => new Date(now.getTime() + ms)

function reset(accountId: string, overrides: Partial<PasswordReset> = {}): PasswordReset {
  const token = newToken(cryptoRandom)
  return { id: token.id, accountId, secretHash: token.secretHash, createdAt: now, expiresAt: later(30 * 60_000), ...overrides }
}

function session(accountId: string, overrides: Partial<Session> = {}): Session {
  const token = newToken(cryptoRandom)
  return {
    id: token.id, secretHash: token.secretHash, accountId, amr: ['pwd', 'otp', 'mfa'], authenticatedAt: now, createdAt: now, lastSeenAt: now,
    expiresAt: later(86_400_000), restrictedToEnrolment: false, userAgent: 'Firefox', ip: '192.0.2.1', ...overrides,
  }
}

/** The account lifecycle's guarantees (issue 17), for every Store backend. */
export function describeLifecycleContract(backend: string, openStore: () => Promise<Store>) {
  describe(`${backend} store contract: account lifecycle`, () => {
    const open = suiteStores(openStore)

    it('RB-04: only the newest reset link of an account exists; of ten parallel uses of one link exactly one wins', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const first = reset(account.id)
      await store.passwordResets.issue(first)
      const second = reset(account.id, { createdAt: later(1000) })
      await store.passwordResets.issue(second)
      assert.equal(await store.passwordResets.get(first.id), undefined, 'the older link is gone')
      const used = await Promise.all(Array.from({ length: 10 }, () => store.passwordResets.consume(second.id, later(2000))))
      assert.equal(used.filter(Boolean).length, 1)
      assert.deepEqual(used.find(Boolean)!.secretHash, second.secretHash)
      assert.equal(await store.passwordResets.get(second.id), undefined)
    })

    it('RB-04: an expired link is never consumed, and is purged', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const link = reset(account.id)
      await store.passwordResets.issue(link)
      assert.equal(await store.passwordResets.consume(link.id, link.expiresAt), undefined)
      assert.equal(await store.passwordResets.deleteExpired(link.expiresAt), 1)
      assert.equal(await store.passwordResets.get(link.id), undefined)
    })

    it('SC-12: an account lists its own sessions, newest first, and can end only its own', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const other = await seedAccount(store)
      const older = session(account.id)
      const newer = session(account.id, { createdAt: later(1000) })
      const theirs = session(other.id)
      for (const s of [older, newer, theirs]) await store.sessions.create(s)
      assert.deepEqual((await store.sessions.listForAccount(account.id)).map((s) => s.id), [newer.id, older.id])
      assert.equal(await store.sessions.removeForAccount(account.id, theirs.id), false, 'another account’s session stays')
      assert.ok(await store.sessions.get(theirs.id))
      assert.equal(await store.sessions.removeForAccount(account.id, older.id), true)
      assert.deepEqual((await store.sessions.listForAccount(account.id)).map((s) => s.id), [newer.id])
    })

    it('"Forgot your password?": accounts are found by their stored address whatever its case', async () => {
      const store = await open()
      const email = `Nurse.${newId(cryptoRandom).toLowerCase()}@Clinic.example`
      const account = await seedAccount(store, { email })
      await seedAccount(store)
      assert.deepEqual((await store.accounts.listByEmail(email.toUpperCase())).map((a) => a.id), [account.id])
      assert.deepEqual(await store.accounts.listByEmail('nobody@clinic.example'), [])
    })

    it('deactivation and "a new password at next sign-in" are stored and undone', async () => {
      const store = await open()
      const account = await seedAccount(store)
      await store.accounts.update(account.id, { deactivatedAt: later(5), mustChangePassword: true })
      let stored = await store.accounts.get(account.id)
      assert.deepEqual([stored?.deactivatedAt, stored?.mustChangePassword], [later(5), true])
      await store.accounts.update(account.id, { deactivatedAt: null, mustChangePassword: false })
      stored = await store.accounts.get(account.id)
      assert.deepEqual([stored?.deactivatedAt, stored?.mustChangePassword], [null, false])
    })

    it('erasure: the account’s audit events are rewritten by the scrubber, other accounts’ are not', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const other = await seedAccount(store)
      const event = (accountId: string) => ({ at: now, organisationId: null, actor: null, accountId, event: 'account.created', reason: null, ip: null, userAgent: null, details: { username: 'anna' } })
      await store.audit.append(event(account.id))
      await store.audit.append(event(other.id))
      assert.equal(await store.audit.pseudonymise(account.id, () => ({ username: 'deleted-user' })), 1)
      assert.deepEqual((await store.audit.list({ accountId: account.id, limit: 5 }))[0]?.details, { username: 'deleted-user' })
      assert.deepEqual((await store.audit.list({ accountId: other.id, limit: 5 }))[0]?.details, { username: 'anna' })
    })

    it('SC-12: every OpenID Connect record of an account is revoked at once, no one else’s', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const other = await seedAccount(store)
      const record = (accountId: string) => ({ payload: { accountId }, expiresAt: later(3_600_000), grantIdHash: newId(cryptoRandom), uidHash: null, userCodeHash: null })
      await store.oidc.upsert('Grant', newId(cryptoRandom), record(account.id))
      await store.oidc.upsert('RefreshToken', newId(cryptoRandom), record(account.id))
      const theirs = newId(cryptoRandom)
      await store.oidc.upsert('RefreshToken', theirs, record(other.id))
      assert.equal(await store.oidc.revokeByAccount(account.id), 2)
      assert.ok(await store.oidc.find('RefreshToken', theirs))
    })
  })
}
