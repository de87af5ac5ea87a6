import { after } from 'node:test'
import { createPostgresDatabase } from '../../test-support/harness.js'
import { describeCodeStoreContract } from '../codes.contract.js'
import { describeDeliveryQueueContract } from '../delivery-queue.contract.js'
import { describeLifecycleContract } from '../lifecycle.contract.js'
import { describeOidcStoreContract } from '../oidc.contract.js'
import { describeStoreContract } from '../store.contract.js'
import type { Store } from '../store.js'
import { openPostgresStore } from './open-postgres-store.js'

/**
 * The contract suite against the local PostgreSQL (127.0.0.1:5432, user postgres, trust), in a
 * fresh database of its own that is dropped afterwards.
 */
let shared: Promise<{ store: Store; drop(): Promise<void> }> | undefined
after(async () => {
  const opened = await shared
  await opened?.store.close()
  await opened?.drop()
})

// One database and one pool for the suite; each test seeds its own organisation and accounts.
const openShared = async () => {
  shared ??= createPostgresDatabase().then(async ({ url, drop }) => ({ store: await openPostgresStore(url, { poolSize: 20 }), drop }))
  const { store } = await shared
  return Object.assign(Object.create(store) as Store, { close: async () => {} })
}
describeCodeStoreContract('postgres', openShared)
describeOidcStoreContract('postgres', openShared)
describeDeliveryQueueContract('postgres', openShared)
describeLifecycleContract('postgres', openShared)

describeStoreContract('postgres', async () => {
  shared ??= createPostgresDatabase().then(async ({ url, drop }) => ({ store: await openPostgresStore(url, { poolSize: 20 }), drop }))
  const { store } = await shared
  return Object.assign(Object.create(store) as Store, { close: async () => {} })
})
