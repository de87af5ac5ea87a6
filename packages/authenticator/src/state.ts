import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { Account } from './lib/accounts'
import type { Challenge, PairedAccount } from './lib/server-api'
import type { Tone } from './components/ui'

export interface Flash {
  tone: Tone
  text: string
}

export interface PendingChallenge {
  account: PairedAccount
  challenge: Challenge
}

export interface AppState {
  /** null while the accounts are read from IndexedDB. */
  accounts: Account[] | null
  pending: PendingChallenge[]
  flash: Flash | null
  setFlash(flash: Flash | null): void
  navigate(path: string): void
  /** Asks the servers again for pending challenges. */
  refreshPending(): void
  online: boolean
}

export const AppContext = createContext<AppState>({
  accounts: null,
  pending: [],
  flash: null,
  setFlash() {},
  navigate() {},
  refreshPending() {},
  online: true,
})

export function useApp(): AppState {
  return useContext(AppContext)
}

/** A paired account whose device the server has not removed: it signs requests. */
export function isActive(account: Account): account is PairedAccount {
  return account.pairing !== null && account.pairing.removedAt === null
}

/**
 * The app's address of a sign-in request: `/challenge/<id>?device=<deviceId>`, and `&server=` for
 * an account of another server than this app's (kept from before issue 22). A notification's
 * address has no `server`: pushes reach only this origin's subscription, so it is this origin.
 */
export function challengePath(challengeId: string, server: string, deviceId: string): string {
  const query = new URLSearchParams({ device: deviceId })
  if (server !== location.origin) query.set('server', server)
  return `/challenge/${encodeURIComponent(challengeId)}?${query.toString()}`
}
