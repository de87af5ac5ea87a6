/**
 * A small promise wrapper over IndexedDB, shared by the pages and the service worker. Two stores:
 * `accounts` (keyPath `id`; CryptoKey pairs are kept by structured clone, never exported) and
 * `settings` (plain key → value).
 */
const DB_NAME = 'countersign-authenticator'
const DB_VERSION = 1

let opening: Promise<IDBDatabase> | null = null

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION)
    request.onupgradeneeded = () => {
      const db = request.result
      if (!db.objectStoreNames.contains('accounts')) db.createObjectStore('accounts', { keyPath: 'id' })
      if (!db.objectStoreNames.contains('settings')) db.createObjectStore('settings')
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
