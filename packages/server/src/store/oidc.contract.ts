import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../domain/clock.js'
import { newId } from '../domain/tokens.js'
import type { Store } from './store.js'
import { seedOrganisation, suiteStores } from './store.contract.js'

const now = new Date('2026-11-25T10:00:00Z')

/** The OpenID Connect provider's storage on each backend (issue 7): what oidc-provider's adapter relies on. */
export function describeOidcStoreContract(backend: string, openStore: () => Promise<Store>) {
  describe(`${backend} OIDC store contract`, () => {
    const open = suiteStores(openStore)

    it('clients: created per organisation, listed, changed, removed; gone with their organisation', async () => {
      const store = await open()
      const orgId = await seedOrganisation(store)
      const id = `cs-${newId(cryptoRandom)}`
      await store.oidc.createClient({ id, organisationId: orgId, name: 'Wiki', sealedSecret: 'v1.k.n.c', redirectUris: ['https://wiki.test/cb'], postLogoutRedirectUris: [], createdAt: now })
      assert.deepEqual((await store.oidc.getClient(id))?.redirectUris, ['https://wiki.test/cb'])
      await store.oidc.updateClient(id, { name: 'Handbook', redirectUris: ['https://a.test/cb', 'https://b.test/cb'] })
      const changed = await store.oidc.getClient(id)
      assert.equal(changed?.name, 'Handbook')
      assert.deepEqual(changed?.redirectUris, ['https://a.test/cb', 'https://b.test/cb'])
      assert.equal(changed?.sealedSecret, 'v1.k.n.c', 'an untouched field stays')
      assert.deepEqual((await store.oidc.listClients(orgId)).map((c) => c.id), [id])
      assert.equal(await store.oidc.removeClient(id), true)
      assert.equal(await store.oidc.removeClient(id), false)
      assert.equal(await store.oidc.getClient(id), undefined)
    })

    it('records: upsert replaces, find sees consumption, uid lookups, revoke by grant, expired ones deleted', async () => {
      const store = await open()
      const grant = `grant-${newId(cryptoRandom)}`
      const code = `code-${newId(cryptoRandom)}`
      const token = `token-${newId(cryptoRandom)}`
      await store.oidc.upsert('AuthorizationCode', code, { payload: { n: 1 }, expiresAt: new Date(now.getTime() + 60_000), grantIdHash: grant, uidHash: null, userCodeHash: null })
      await store.oidc.upsert('AuthorizationCode', code, { payload: { n: 2 }, expiresAt: new Date(now.getTime() + 60_000), grantIdHash: grant, uidHash: null, userCodeHash: null })
      assert.deepEqual((await store.oidc.find('AuthorizationCode', code))?.payload, { n: 2 })
      assert.equal(await store.oidc.find('AccessToken', code), undefined, 'records are per model')
      await store.oidc.consume('AuthorizationCode', code, now)
      assert.equal((await store.oidc.find('AuthorizationCode', code))?.consumedAt?.getTime(), now.getTime())
      await store.oidc.upsert('Session', token, { payload: { uid: 'x' }, expiresAt: null, grantIdHash: null, uidHash: `uid-${token}`, userCodeHash: null })
      assert.deepEqual((await store.oidc.findBy('Session', 'uid', `uid-${token}`))?.payload, { uid: 'x' })
      await store.oidc.upsert('AccessToken', token, { payload: {}, expiresAt: new Date(now.getTime() - 1), grantIdHash: grant, uidHash: null, userCodeHash: null })
      await store.oidc.revokeByGrantId(grant)
      assert.equal(await store.oidc.find('AuthorizationCode', code), undefined, 'a revoked grant takes its code')
      assert.equal(await store.oidc.find('AccessToken', token), undefined, 'and its tokens')
      assert.ok(await store.oidc.find('Session', token), 'other grants stay')
      await store.oidc.upsert('Interaction', token, { payload: {}, expiresAt: new Date(now.getTime() - 1), grantIdHash: null, uidHash: null, userCodeHash: null })
      assert.ok((await store.oidc.deleteExpired(now)) >= 1)
      assert.equal(await store.oidc.find('Interaction', token), undefined)
    })

    it('keys: newest first; two instances inserting the first key together: one wins, both read the same key', async () => {
      const store = await open()
      const first = `k-${newId(cryptoRandom)}`
      const results = await Promise.allSettled([
        store.oidc.addKey({ kid: first, sealedJwk: 'a', createdAt: now }),
        store.oidc.addKey({ kid: first, sealedJwk: 'b', createdAt: now }),
      ])
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      const second = `k-${newId(cryptoRandom)}`
      await store.oidc.addKey({ kid: second, sealedJwk: 'c', createdAt: new Date(now.getTime() + 1000) })
      const kids = (await store.oidc.listKeys()).map((k) => k.kid)
      assert.ok(kids.indexOf(second) < kids.indexOf(first), 'the newest key comes first')
      assert.equal(await store.oidc.removeKey(first), true)
      assert.equal((await store.oidc.listKeys()).some((k) => k.kid === first), false)
    })
  })
}
