import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { describeCodeStoreContract } from '../codes.contract.js'
import { describeDeliveryQueueContract } from '../delivery-queue.contract.js'
import { describeLifecycleContract } from '../lifecycle.contract.js'
import { describeOidcStoreContract } from '../oidc.contract.js'
import { describeStoreContract } from '../store.contract.js'
import { openSqliteStore } from './open-sqlite-store.js'

const dir = mkdtempSync(join(tmpdir(), 'countersign-store-'))
let n = 0
after(() => rmSync(dir, { recursive: true, force: true }))

describeStoreContract('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)))
describeCodeStoreContract('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)))
describeOidcStoreContract('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)))
describeDeliveryQueueContract('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)))
describeLifecycleContract('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)))
