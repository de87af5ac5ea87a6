import { run, transact } from './idb'
import type { TotpParameters } from './totp'

/** The link to a Countersign server made by pairing (F-PUSH-1); absent for codes-only accounts. */
export interface Pairing {
  /** The server's origin, from `cs_server`: the app's own origin (accounts stored before issue 22 may name another). */
  server: string
  /** The server's id of this device; unique only together with `server` (see `accountKey`). */
  deviceId: string
  /** ECDSA P-256, generated with `extractable: false` (F-PUSH-6). */
  keyPair: CryptoKeyPair
  /** The push endpoint the server was last given, or null when notifications are off. */
  pushEndpoint: string | null
  /** Set when the server said the device is gone (F-PUSH-4: shown as removed). */
  removedAt: string | null
}

/** One account on this phone. */
export interface Account {
  /** Local id (random), not the server's. */
  id: string
  /** The name shown on this phone; the organisation's at first, the user may rename it. */
  name: string
  issuer: string
  username: string
  organisation: string | null
  totp: TotpParameters
  addedAt: string
  pairing: Pairing | null
}

type Listener = () => void
const listeners = new Set<Listener>()

/** Called after every change made through this module (the home list re-reads). */
export function onAccountsChanged(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function changed() {
  for (const listener of listeners) listener()
}

export async function listAccounts(): Promise<Account[]> {
  const all = await run<Account[]>('accounts', 'readonly', (store) => store.getAll() as IDBRequest<Account[]>)
  return all.sort((a, b) => a.addedAt.localeCompare(b.addedAt))
}

/**
 * The key of a paired account: its server's origin and its device id together. A device id alone
 * names nothing (two servers may hand out the same one); every lookup, map and event uses this.
 */
export function accountKey(server: string, deviceId: string): string {
  return JSON.stringify([server, deviceId])
}

/** Whether the account is the one paired with this server as this device. */
export function isDevice(account: Account, server: string, deviceId: string): boolean {
  return account.pairing !== null && account.pairing.server === server && account.pairing.deviceId === deviceId
}

/**
 * Stores the account. Refused (`ConstraintError`, the store's unique `device` index) when another
 * account has its server and device already: accounts never overwrite one another.
 */
export async function saveAccount(account: Account): Promise<void> {
  await run('accounts', 'readwrite', (store) => store.put(account))
  changed()
}

export async function forgetAccount(id: string): Promise<void> {
  await run('accounts', 'readwrite', (store) => store.delete(id))
  changed()
}

/**
 * Changes a stored account in one transaction, so a change never brings back an account that was
 * forgotten meanwhile (an unpair racing the server's "removed" event). `change` returns the new
 * value, or null to leave it as it is.
 */
export async function updateAccount(match: (account: Account) => boolean, change: (account: Account) => Account | null): Promise<void> {
  let changedAny = false
  await transact('accounts', 'readwrite', (store) => {
    const request = store.getAll() as IDBRequest<Account[]>
    request.onsuccess = () => {
      for (const account of request.result.filter(match)) {
        const next = change(account)
        if (next) {
          store.put(next)
          changedAny = true
        }
      }
    }
  })
  if (changedAny) changed()
}

/** Marks the account's device as removed on the server; keeps its codes visible until the user removes it. */
export async function markRemoved(server: string, deviceId: string, at: Date = new Date()): Promise<void> {
  await updateAccount(
    (account) => isDevice(account, server, deviceId),
    (account) => (account.pairing && !account.pairing.removedAt ? { ...account, pairing: { ...account.pairing, removedAt: at.toISOString() } } : null),
  )
}

/** Records the push endpoint the server now has for this device. */
export async function setPushEndpoint(server: string, deviceId: string, endpoint: string | null): Promise<void> {
  await updateAccount(
    (account) => isDevice(account, server, deviceId),
    (account) => (account.pairing ? { ...account, pairing: { ...account.pairing, pushEndpoint: endpoint } } : null),
  )
}

/** Renames the account on this phone only. */
export async function renameAccount(id: string, name: string): Promise<void> {
  await updateAccount((account) => account.id === id, (account) => ({ ...account, name }))
}

export function newAccountId(): string {
  return crypto.randomUUID()
}
