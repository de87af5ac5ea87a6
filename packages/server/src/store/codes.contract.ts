import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../domain/clock.js'
import { newId } from '../domain/tokens.js'
import type { OneTimeCode, Store } from './store.js'
import { seedAccount as seedAccountIn, suiteStores } from './store.contract.js'

const now = new Date('2026-11-25T10:00:00Z')
const later = (ms: number) => new Date(now.getTime() + ms)

/** An account of an organisation that allows codes by SMS and e-mail. */
const seedAccount = (store: Store) => seedAccountIn(store, {}, { allowedMethods: ['sms', 'email'] })

function code(accountId: string, at: Date, overrides: Partial<OneTimeCode> = {}): OneTimeCode {
  return {
    id: newId(cryptoRandom), accountId, purpose: 'sign_in', channel: 'sms', destination: '+31612345678', flowId: 'flow',
    codeHmac: cryptoRandom.bytes(32), createdAt: at, expiresAt: new Date(at.getTime() + 20 * 60_000), ...overrides,
  }
}

/** The one-time code, send budget and outbox guarantees (issue 5), for every Store backend. */
export function describeCodeStoreContract(backend: string, openStore: () => Promise<Store>) {
  describe(`${backend} store contract: one-time codes`, () => {
    const open = suiteStores(openStore)

    it('F-OTP-2: a new code replaces the last one only after the cool-down; of ten parallel sends one wins', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const results = await Promise.all(Array.from({ length: 10 }, () => store.oneTimeCodes.issue(code(account.id, now), 30_000)))
      assert.equal(results.filter((r) => r.issued).length, 1)
      const refused = results.find((r) => !r.issued)
      assert.deepEqual(refused, { issued: false, retryAt: later(30_000) })
      const next = code(account.id, later(30_000))
      assert.deepEqual(await store.oneTimeCodes.issue(next, 30_000), { issued: true })
      assert.equal((await store.oneTimeCodes.find(account.id, 'sign_in'))!.id, next.id, 'only the last code sent is live')
      const other = code(account.id, later(31_000), { purpose: 'phone_verify' })
      assert.deepEqual(await store.oneTimeCodes.issue(other, 30_000), { issued: true }, 'purposes are separate')
    })

    it('F-OTP-1: a code is consumed once (two parallel consumes, one wins) and never after its expiry', async () => {
      const store = await open()
      const account = await seedAccount(store)
      const live = code(account.id, now)
      await store.oneTimeCodes.issue(live, 30_000)
      const [a, b] = await Promise.all([store.oneTimeCodes.consume(live.id, later(1000)), store.oneTimeCodes.consume(live.id, later(1000))])
      assert.equal([a, b].filter(Boolean).length, 1)
      assert.ok(Buffer.from(a?.codeHmac ?? b!.codeHmac).equals(live.codeHmac))
      const old = code(account.id, later(60_000))
      await store.oneTimeCodes.issue(old, 30_000)
      assert.equal(await store.oneTimeCodes.consume(old.id, old.expiresAt), undefined)
      assert.ok((await store.oneTimeCodes.deleteExpired(old.expiresAt)) >= 1)
      assert.equal(await store.oneTimeCodes.find(account.id, 'sign_in'), undefined)
    })

    it('BF-11: a send budget lets exactly its limit through, in parallel too, and starts again in the next window', async () => {
      const store = await open()
      const key = `test:${newId(cryptoRandom)}`
      const taken = await Promise.all(Array.from({ length: 15 }, () => store.sendBudgets.take(key, now, 10)))
      assert.equal(taken.filter(Boolean).length, 10)
      assert.equal(await store.sendBudgets.take(key, later(600_000), 10), true)
    })

    it('F-OTP-5: the outbox lists messages newest first, filtered by recipient', async () => {
      const store = await open()
      const to = `${newId(cryptoRandom)}@example.test`
      await store.outbox.append({ channel: 'email', to, subject: 'one', text: 'first', sentAt: now })
      await store.outbox.append({ channel: 'email', to, subject: 'two', text: 'second', sentAt: later(1000) })
      await store.outbox.append({ channel: 'sms', to: '+31600000000', subject: null, text: 'other', sentAt: later(2000) })
      const listed = await store.outbox.list(to, 10)
      assert.deepEqual(listed.map((m) => m.text), ['second', 'first'])
    })
  })
}
