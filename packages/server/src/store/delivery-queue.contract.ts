import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../domain/clock.js'
import { newId } from '../domain/tokens.js'
import type { PendingDelivery } from './delivery-queue-store.js'
import type { OneTimeCode, Store } from './store.js'
import { seedAccount, suiteStores } from './store.contract.js'

const now = new Date('2026-11-25T10:00:00Z')
const later = (ms: number) => new Date(now.getTime() + ms)
const LEASE_MS = 30_000

function delivery(accountId: string, overrides: Partial<PendingDelivery> = {}): PendingDelivery {
  return {
    id: newId(cryptoRandom), accountId, codeId: newId(cryptoRandom), purpose: 'sign_in', channel: 'sms', sealedMessage: 'v1.k.nonce.sealed',
    attempts: 1, createdAt: now, leaseUntil: later(LEASE_MS), ...overrides,
  }
}

function code(accountId: string, id: string, purpose: OneTimeCode['purpose'] = 'sign_in'): OneTimeCode {
  return {
    id, accountId, purpose, channel: 'sms', destination: '+31612345678', flowId: 'flow', codeHmac: cryptoRandom.bytes(32),
    createdAt: now, expiresAt: later(20 * 60_000),
  }
}

/** The delivery queue's guarantees (DD-07), for every Store backend. */
export function describeDeliveryQueueContract(backend: string, openStore: () => Promise<Store>) {
  describe(`${backend} store contract: delivery queue`, () => {
    const open = suiteStores(openStore)

    it('DD-07: a queued message waits out its lease, is then claimed once with one more attempt, and is gone once removed', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const queued = delivery(account.id)
      await store.deliveryQueue.enqueue(queued)
      assert.deepEqual(await store.deliveryQueue.find(queued.id), queued)
      const mine = (claimed: PendingDelivery[]) => claimed.filter((d) => d.accountId === account.id)
      assert.deepEqual(mine(await store.deliveryQueue.claimStale(later(LEASE_MS - 1), later(2 * LEASE_MS), 10)), [], 'its sender may still be at work')
      const claimed = mine(await store.deliveryQueue.claimStale(later(LEASE_MS), later(2 * LEASE_MS), 10))
      assert.deepEqual(claimed, [{ ...queued, attempts: 2, leaseUntil: later(2 * LEASE_MS) }])
      assert.deepEqual(mine(await store.deliveryQueue.claimStale(later(LEASE_MS + 1), later(3 * LEASE_MS), 10)), [], 'the claim holds a new lease')
      assert.equal((await store.deliveryQueue.claimStale(later(2 * LEASE_MS), later(3 * LEASE_MS), 10)).find((d) => d.id === queued.id)?.attempts, 3)
      assert.equal(await store.deliveryQueue.remove(queued.id), true)
      assert.equal(await store.deliveryQueue.remove(queued.id), false)
      assert.equal(await store.deliveryQueue.find(queued.id), undefined)
    })

    it('DD-07: ten instances claiming five stale messages at once never claim one twice; what a busy round leaves, the next takes', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const rows = Array.from({ length: 5 }, (_, i) => delivery(account.id, { createdAt: later(i), leaseUntil: later(i + LEASE_MS) }))
      for (const row of rows) await store.deliveryQueue.enqueue(row)
      const round = () => store.deliveryQueue.claimStale(later(10 * LEASE_MS), later(11 * LEASE_MS), 2)
      const claims = await Promise.all(Array.from({ length: 10 }, round))
      const mine = (claimed: PendingDelivery[]) => claimed.filter((d) => d.accountId === account.id).map((d) => d.id)
      const claimedIds = mine(claims.flat())
      assert.equal(new Set(claimedIds).size, claimedIds.length, 'no message claimed twice')
      assert.ok(claimedIds.length >= 1)
      // On PostgreSQL a claimer whose candidates were all taken first comes back empty-handed.
      const rest = mine(await store.deliveryQueue.claimStale(later(10 * LEASE_MS), later(11 * LEASE_MS), 10))
      assert.deepEqual([...claimedIds, ...rest].sort(), rows.map((r) => r.id).sort(), 'every message claimed exactly once')
      for (const claim of claims) {
        const times = claim.map((d) => d.createdAt.getTime())
        assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first')
      }
      for (const row of rows) assert.equal((await store.deliveryQueue.find(row.id))?.attempts, 2)
      for (const row of rows) await store.deliveryQueue.remove(row.id)
    })

    it('DD-07: a code and its queued message land together or not at all', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const failed = delivery(account.id)
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.oneTimeCodes.issue(code(account.id, failed.codeId), 30_000)
          await tx.deliveryQueue.enqueue(failed)
          throw new Error('the budget was spent after all')
        }),
        /budget/,
      )
      assert.equal(await store.deliveryQueue.find(failed.id), undefined)
      assert.equal(await store.oneTimeCodes.find(account.id, 'sign_in'), undefined)
      // A re-authentication code (migration 0007-reauth-codes), to show that purpose is stored too.
      const landed = delivery(account.id, { purpose: 'reauth' })
      await store.transaction(async (tx) => {
        await tx.oneTimeCodes.issue(code(account.id, landed.codeId, 'reauth'), 30_000)
        await tx.deliveryQueue.enqueue(landed)
      })
      assert.equal((await store.deliveryQueue.find(landed.id))?.codeId, landed.codeId)
      assert.equal((await store.oneTimeCodes.find(account.id, 'reauth'))?.id, landed.codeId)
      await store.deliveryQueue.remove(landed.id)
    })

    it('DD-07: queued messages go with their account', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const queued = delivery(account.id, { leaseUntil: now })
      await store.deliveryQueue.enqueue(queued)
      assert.equal(await store.accounts.remove(account.id), true)
      assert.equal(await store.deliveryQueue.find(queued.id), undefined)
    })
  })
}
