import type { Session } from '@countersign/protocol'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

export interface SessionState {
  /** `undefined` while loading, `null` when signed out. */
  session: Session | null | undefined
  reload(): Promise<Session | null>
  setSession(session: Session | null): void
}

export const SessionContext = createContext<SessionState>({
  session: undefined,
  reload: async () => null,
  setSession() {},
})

export function useSession() {
  return useContext(SessionContext)
}

export function isAdmin(session: Session | null | undefined): boolean {
  return !!session && !session.restrictedToEnrolment && (session.account.role === 'admin' || session.account.role === 'staff')
}

/** Only a path on this site is a place to return to after sign-in (no `//host`, no scheme). */
export function safeReturnPath(value: string | undefined | null): string | null {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  try {
    const url = new URL(value, location.origin)
    if (url.origin !== location.origin) return null
    // `/.//evil.com` and `/a/..//evil.com` normalise to `//evil.com`, which is another host again.
    const path = url.pathname + url.search + url.hash
    return /^\/[\/\\]/.test(path) ? null : path
  } catch {
    return null
  }
}
