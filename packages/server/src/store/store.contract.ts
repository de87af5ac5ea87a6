import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { cryptoRandom } from '../domain/clock.js'
import { newId, newToken } from '../domain/tokens.js'
import type { Account, Device, Organisation, Store } from './store.js'

const now = new Date('2026-11-25T10:00:00Z')
const later = (ms: number) => new Date(now.getTime() + ms)

/** An organisation for one contract test (`overrides` for its settings); its id. */
export async function seedOrganisation(store: Store, overrides: Partial<Organisation> = {}): Promise<string> {
  const orgId = newId(cryptoRandom)
  await store.organisations.create({
    id: orgId, slug: `org-${orgId.toLowerCase().replace(/[^a-z0-9]/g, '')}`, name: 'Org', policy: 'required', allowedMethods: ['totp'],
    deviceLimit: 5, rememberBrowserDays: 30, codeTtlMinutes: 20, autoUnlockMinutes: null, linkWithSms: false, pushNumberDigits: 2, allowedOrigins: [], minPasswordLength: 12, selfServicePasswordReset: true, notifyAdminsOfPasswordReset: false,
    sessionIdleMinutes: 60, sessionMaxHours: 24, createdAt: now,
    ...overrides,
  })
  return orgId
}

/** An account in a new organisation, for one contract test. */
export async function seedAccount(store: Store, overrides: Partial<Account> = {}, organisation: Partial<Organisation> = {}): Promise<Account> {
  const orgId = await seedOrganisation(store, organisation)
  const account: Account = {
    id: newId(cryptoRandom), organisationId: orgId, username: `user-${newId(cryptoRandom)}`, email: 'u@example.test', phone: null,
    phoneVerified: false, role: 'user', twoFactorOverride: 'default', twoFactorEnabled: false, staffTwoFactor: true,
    preferredMethod: null, passwordHash: '$argon2id$stub', language: null, factorsChangedAt: now, passwordChangedAt: now,
    lastSignInAt: null, deactivatedAt: null, mustChangePassword: false, createdAt: now, ...overrides,
  }
  assert.equal(await store.accounts.create(account), true)
  return account
}

/** Opens the stores of one contract suite; each is closed after the suite. */
export function suiteStores(openStore: () => Promise<Store>): () => Promise<Store> {
  const opened: Store[] = []
  after(async () => {
    for (const store of opened) await store.close()
  })
  return async () => {
    const store = await openStore()
    opened.push(store)
    return store
  }
}

function pendingDevice(accountId: string, overrides: Partial<Device> = {}): Device {
  return {
    id: newId(cryptoRandom), accountId, kind: 'totp', name: 'Phone', sealedSecret: 'v1.k.n.c', lastUsedStep: null, status: 'pending',
    createdAt: now, linkedAt: null, lastUsedAt: null, expiresAt: later(600_000), ...overrides,
  }
}

/**
 * The guarantees every Store backend must keep (DESIGN.md §4), run against each backend by its own
 * test file. Race tests fire the calls together and check that exactly the right number win.
 */
export function describeStoreContract(backend: string, openStore: () => Promise<Store>) {
  describe(`${backend} store contract`, () => {
    const open = suiteStores(openStore)

    it('F-LOGIN-4: ten parallel charges count without losing one, and only five are let through', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const results = await Promise.all(Array.from({ length: 10 }, () => store.lockouts.charge(account.id)))
      const counts = results.filter((r) => r !== null).map((r) => r!.failures).sort((a, b) => a - b)
      assert.deepEqual(counts, [1, 2, 3, 4, 5])
      assert.equal(results.filter((r) => r === null).length, 5)
      assert.equal((await store.lockouts.get(account.id)).failures, 5)
    })

    it('RR-11: a lock and a success race; whichever lands first decides, never both', async () => {
      const store = await open()
      const account = await seedAccount(store)
      for (let i = 0; i < 5; i++) await store.lockouts.charge(account.id)
      assert.equal(await store.lockouts.lockIfAtLimit(account.id, now, null), true)
      assert.equal(await store.lockouts.resetOnSuccess(account.id), false, 'a locked account cannot be reset by a success')
      assert.equal(await store.lockouts.charge(account.id), null, 'a locked account is charged nothing (BF-09)')
      const other = await seedAccount(store)
      for (let i = 0; i < 5; i++) await store.lockouts.charge(other.id)
      assert.equal(await store.lockouts.resetOnSuccess(other.id), true)
      assert.equal(await store.lockouts.lockIfAtLimit(other.id, now, null), false, 'a success before the lock leaves it unlocked')
    })

    it('BF-10: auto-unlock when due raises the limit by five and keeps the count', async () => {
      const store = await open()
      const account = await seedAccount(store)
      for (let i = 0; i < 5; i++) await store.lockouts.charge(account.id)
      await store.lockouts.lockIfAtLimit(account.id, now, later(60_000))
      assert.equal(await store.lockouts.autoUnlockIfDue(account.id, later(59_000), 10), false)
      assert.equal(await store.lockouts.autoUnlockIfDue(account.id, later(60_000), 10), true)
      const lockout = await store.lockouts.get(account.id)
      assert.deepEqual([lockout.failures, lockout.attemptLimit, lockout.lockedAt], [5, 10, null])
      assert.equal((await store.lockouts.charge(account.id))?.failures, 6)
    })

    it('BF-12: at most five password verifications run at once for a name, and failures set a growing delay', async () => {
      const store = await open()
      const results = await Promise.all(Array.from({ length: 20 }, () => store.passwordThrottle.charge('alice', now)))
      assert.equal(results.filter((r) => r.ok).length, 5)
      for (let i = 0; i < 5; i++) await store.passwordThrottle.settle('alice', 'failure', now)
      const blocked = await store.passwordThrottle.charge('alice', later(29_999))
      assert.deepEqual(blocked, { ok: false, blockedUntil: later(30_000) })
      assert.deepEqual(await store.passwordThrottle.charge('alice', later(30_000)), { ok: true })
      assert.equal((await store.passwordThrottle.charge('alice', later(30_000))).ok, false, 'past the 5th failure one at a time')
      await store.passwordThrottle.settle('alice', 'failure', later(30_000))
      assert.deepEqual(await store.passwordThrottle.charge('alice', later(89_999)), { ok: false, blockedUntil: later(90_000) }, 'the delay doubles')
      await store.passwordThrottle.settle('alice', 'success', later(90_000))
      assert.deepEqual(await store.passwordThrottle.charge('alice', later(90_000)), { ok: true }, 'a success clears it')
    })

    it('BF-12: a reservation never settled (a crash) stops counting after a minute; an overload releases without counting', async () => {
      const store = await open()
      for (let i = 0; i < 5; i++) await store.passwordThrottle.charge('bob', now)
      assert.equal((await store.passwordThrottle.charge('bob', later(1000))).ok, false)
      assert.equal((await store.passwordThrottle.charge('bob', later(61_001))).ok, true)
      await store.passwordThrottle.settle('bob', 'released', later(61_001))
      assert.equal((await store.passwordThrottle.charge('bob', later(61_002))).ok, true)
    })

    it('F-TOTP-2 RR-02: of ten parallel uses of one time step exactly one wins; older steps are replays', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const device = pendingDevice(account.id)
      await store.devices.create(device)
      assert.equal(await store.devices.activate(device.id, account.id, 5, 100, now), true)
      const wins = await Promise.all(Array.from({ length: 10 }, () => store.devices.recordUse(device.id, 101, now)))
      assert.equal(wins.filter(Boolean).length, 1)
      assert.equal(await store.devices.recordUse(device.id, 100, now), false)
      assert.equal(await store.devices.recordUse(device.id, 102, now), true)
    })

    it('RR-10 F-DEV-1: twenty parallel activations with four devices linked give exactly one more', async () => {
      const store = await open()
      const account = await seedAccount(store)
      for (let i = 0; i < 4; i++) {
        const device = pendingDevice(account.id)
        await store.devices.create(device)
        await store.devices.activate(device.id, account.id, 5, 1, now)
      }
      const pending = Array.from({ length: 20 }, () => pendingDevice(account.id))
      for (const device of pending) await store.devices.create(device)
      const results = await Promise.all(pending.map((d) => store.devices.activate(d.id, account.id, 5, 1, now)))
      assert.equal(results.filter(Boolean).length, 1)
      assert.equal(await store.devices.countActive(account.id), 5)
    })

    it('RB-06: a pending device is not listed, cannot be activated after it expires, and is purged', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const device = pendingDevice(account.id)
      await store.devices.create(device)
      assert.equal((await store.devices.listActive(account.id)).length, 0)
      assert.equal(await store.devices.activate(device.id, account.id, 5, 1, later(600_000)), false)
      assert.ok((await store.devices.deleteExpiredPending(later(600_000))) >= 1)
      assert.equal(await store.devices.get(account.id, device.id), undefined)
    })

    it('flows move from one state to the next exactly once, and not after expiry', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const token = newToken(cryptoRandom)
      await store.flows.create({ id: token.id, secretHash: token.secretHash, accountId: account.id, state: 'awaiting_second_factor', methods: ['totp'], preferredMethod: 'totp', reason: 'organisation_required', createdAt: now, expiresAt: later(600_000) })
      const results = await Promise.all(Array.from({ length: 10 }, () => store.flows.transition(token.id, 'awaiting_second_factor', 'completed', now)))
      assert.equal(results.filter(Boolean).length, 1)
      const fresh = newToken(cryptoRandom)
      await store.flows.create({ id: fresh.id, secretHash: fresh.secretHash, accountId: account.id, state: 'awaiting_second_factor', methods: ['totp'], preferredMethod: 'totp', reason: 'r', createdAt: now, expiresAt: later(1000) })
      assert.equal(await store.flows.transition(fresh.id, 'awaiting_second_factor', 'completed', later(1000)), false)
      assert.equal((await store.flows.get(token.id))?.state, 'completed')
    })

    it('RR-08 F-POL-4: of twenty parallel uses of one bypass grant exactly one wins; an expired grant never does', async () => {
      const store = await open()
      const account = await seedAccount(store)
      await store.bypassGrants.create({ id: 'grant-1', accountId: account.id, grantedBy: 'admin', reason: null, createdAt: now, expiresAt: later(86_400_000), usedAt: null })
      const results = await Promise.all(Array.from({ length: 20 }, () => store.bypassGrants.use('grant-1', now)))
      assert.equal(results.filter(Boolean).length, 1)
      assert.equal(await store.bypassGrants.findUsable(account.id, now), undefined)
      await store.bypassGrants.create({ id: 'grant-2', accountId: account.id, grantedBy: 'admin', reason: null, createdAt: now, expiresAt: later(86_400_000), usedAt: null })
      assert.equal(await store.bypassGrants.use('grant-2', later(86_400_001)), false)
    })

    it('RR-12: of ten parallel rotations of one remembered-browser token at most one wins', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const token = newToken(cryptoRandom)
      await store.rememberedBrowsers.create({ id: token.id, secretHash: token.secretHash, accountId: account.id, createdAt: now, expiresAt: later(86_400_000), lastUsedAt: null, factorsChangedAt: now, passwordChangedAt: now, userAgent: null, ip: null })
      const results = await Promise.all(Array.from({ length: 10 }, () => store.rememberedBrowsers.rotate(token.id, token.secretHash, newToken(cryptoRandom).secretHash, now)))
      assert.equal(results.filter(Boolean).length, 1)
    })

    it('BF-13: user names are unique case-folded (NFKC), and a taken name is refused without throwing', async () => {
      const store = await open()
      const account = await seedAccount(store, { username: 'Ｊoost' })
      assert.equal((await store.accounts.getByUsername('joost'))?.id, account.id)
      const orgId = account.organisationId!
      assert.equal(await store.accounts.create({ ...account, id: newId(cryptoRandom), username: 'JOOST', organisationId: orgId }), false)
    })

    it('rate limits count in fixed windows and start again in the next one', async () => {
      const store = await open()
      const counts = await Promise.all(Array.from({ length: 5 }, () => store.rateLimits.hit('ip:1', now)))
      assert.deepEqual(counts.sort(), [1, 2, 3, 4, 5])
      assert.equal(await store.rateLimits.hit('ip:1', later(60_000)), 1)
    })

    it('DD-08: a transaction lands all its writes or none', async () => {
      const store = await open()
      const account = await seedAccount(store)
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.audit.append({ at: now, organisationId: null, actor: null, accountId: account.id, event: 'test.written', reason: null, ip: null, userAgent: null, details: {} })
          throw new Error('boom')
        }),
      )
      assert.equal((await store.audit.list({ accountId: account.id, event: 'test.written', limit: 10 })).length, 0)
    })

    it('sessions are removed per account, except the one kept', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const token = newToken(cryptoRandom)
        ids.push(token.id)
        await store.sessions.create({ id: token.id, secretHash: token.secretHash, accountId: account.id, amr: ['pwd'], authenticatedAt: now, createdAt: now, lastSeenAt: now, expiresAt: later(1000), restrictedToEnrolment: false, userAgent: null, ip: null })
      }
      assert.equal(await store.sessions.removeAllForAccount(account.id, ids[0]), 2)
      assert.ok(await store.sessions.get(ids[0]!))
      assert.equal(await store.sessions.deleteExpired(later(1000)), 1)
    })

    it('F-INT-2: an organisation keeps its allowed origins (none at first) through an update', async () => {
      const store = await open()
      const account = await seedAccount(store)
      assert.deepEqual((await store.organisations.get(account.organisationId!))!.allowedOrigins, [])
      const origins = [{ origin: 'https://app.example.com', requireSecondFactor: false }, { origin: 'https://payroll.example.com:8443', requireSecondFactor: true }]
      const updated = await store.organisations.update(account.organisationId!, { allowedOrigins: origins })
      assert.deepEqual(updated!.allowedOrigins, origins)
      assert.deepEqual((await store.organisations.list()).find((o) => o.id === account.organisationId)!.allowedOrigins, origins)
    })
  })
}
