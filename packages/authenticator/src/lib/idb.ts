/**
 * A small promise wrapper over IndexedDB, shared by the pages and the service worker. Two stores:
 * `accounts` (keyPath `id`, a local id; CryptoKey pairs are kept by structured clone, never
 * exported) and `settings` (plain key → value).
 *
 * A paired account is known by its server's origin and its device id together, never by the
 * device id alone (two servers may hand out the same id): the `accounts` store's unique index
 * `device` on `[pairing.server, pairing.deviceId]` keeps one account per server and device.
 * Codes-only accounts (`pairing: null`) are not in that index.
 */
const DB_NAME = 'countersign-authenticator'
/** 1: the stores; 2: the `device` index (accounts stored by version 1 are indexed as they are). */
const DB_VERSION = 2
export const DEVICE_INDEX = 'device'

let opening: Promise<IDBDatabase> | null = null

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION)
    request.onupgradeneeded = (event) => {
      const db = request.result
      const upgrade = request.transaction!
      if (!db.objectStoreNames.contains('settings')) db.createObjectStore('settings')
      if (!db.objectStoreNames.contains('accounts')) {
        db.createObjectStore('accounts', { keyPath: 'id' }).createIndex(DEVICE_INDEX, ['pairing.server', 'pairing.deviceId'], { unique: true })
      } else if (event.oldVersion < 2) {
        indexDevices(upgrade.objectStore('accounts'))
      }
    }
    request.onsuccess = () => {
      const db = request.result
      // Another tab upgrading: let it, and open again next time.
      db.onversionchange = () => {
        db.close()
        opening = null
      }
      resolve(db)
    }
    request.onerror = () => {
      opening = null
      reject(request.error)
    }
  })
  return opening
}

/**
 * Version 1 → 2, inside the upgrade's transaction: the accounts stay as they are (same local ids,
 * same keys) and are indexed by server and device. Two of them for one server and device cannot
 * be made by the app (a pairing token is used once), but a unique index over them would fail the
 * upgrade and lock the app out of its accounts: of such twins the one still paired, else the one
 * added last, is kept.
 */
function indexDevices(accounts: IDBObjectStore) {
  interface Stored {
    id: string
    addedAt?: string
    pairing?: { server?: unknown; deviceId?: unknown; removedAt?: unknown } | null
  }
  const kept = new Map<string, Stored>()
  const drop: string[] = []
  const rank = (account: Stored) => [account.pairing?.removedAt == null ? 1 : 0, account.addedAt ?? ''] as const
  const cursor = accounts.openCursor()
  cursor.onsuccess = () => {
    const at = cursor.result
    if (at) {
      const account = at.value as Stored
      const server = account.pairing?.server
      const deviceId = account.pairing?.deviceId
      if (typeof server === 'string' && typeof deviceId === 'string') {
        const key = JSON.stringify([server, deviceId])
        const other = kept.get(key)
        if (!other) kept.set(key, account)
        else {
          const [a, b] = [rank(account), rank(other)]
          const better = a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1]
          drop.push(better ? other.id : account.id)
          if (better) kept.set(key, account)
        }
      }
      at.continue()
      return
    }
    for (const id of drop) accounts.delete(id)
    accounts.createIndex(DEVICE_INDEX, ['pairing.server', 'pairing.deviceId'], { unique: true })
  }
}

export type StoreName = 'accounts' | 'settings'

/** Runs one request in its own transaction and resolves when the transaction has committed. */
export async function run<T>(store: StoreName, mode: IDBTransactionMode, operation: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open()
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode)
    const request = operation(transaction.objectStore(store))
    transaction.oncomplete = () => resolve(request.result)
    transaction.onerror = () => reject(transaction.error ?? request.error)
    transaction.onabort = () => reject(transaction.error ?? new Error('transaction aborted'))
  })
}

/**
 * Runs `body` inside one transaction and resolves when it has committed: reads and writes made
 * in it are atomic against every other transaction (IndexedDB serialises overlapping readwrites).
 */
export async function transact(store: StoreName, mode: IDBTransactionMode, body: (store: IDBObjectStore) => void): Promise<void> {
  const db = await open()
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode)
    body(transaction.objectStore(store))
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => reject(transaction.error)
    transaction.onabort = () => reject(transaction.error ?? new Error('transaction aborted'))
  })
}

export function getSetting<T>(key: string): Promise<T | undefined> {
  return run<T | undefined>('settings', 'readonly', (store) => store.get(key) as IDBRequest<T | undefined>)
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await run('settings', 'readwrite', (store) => store.put(value, key))
}
