import type { Challenge } from './server-api'

/**
 * What the event streams and the service worker tell the open pages. Each names its account by
 * the server's origin and the device id together (a device id alone could be another server's).
 */
export type AppEvent =
  /** The pending challenges of one device, as a signed list request found them. */
  | { type: 'pending'; server: string; deviceId: string; challenges: Challenge[] }
  | { type: 'challenge'; server: string; challengeId: string; deviceId: string }
  | { type: 'closed'; server: string; challengeId: string; deviceId: string; status: string }
  | { type: 'removed'; server: string; deviceId: string }

type Listener = (event: AppEvent) => void
const listeners = new Set<Listener>()

export function onAppEvent(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function emitAppEvent(event: AppEvent): void {
  for (const listener of listeners) listener(event)
}
