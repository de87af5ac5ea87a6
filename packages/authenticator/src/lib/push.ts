import { fromBase64Url } from './bytes'

/** The app's service worker registration, or null where there is none (no support, dev server, timeout). */
export async function appRegistration(timeoutMs = 5000): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs))
  return Promise.race([navigator.serviceWorker.ready, timeout])
}

export type NotificationState = 'granted' | 'denied' | 'default' | 'unsupported'

export function notificationState(): NotificationState {
  if (!('Notification' in globalThis) || !('PushManager' in globalThis)) return 'unsupported'
  return Notification.permission
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false
  const view = new Uint8Array(a)
  return view.every((byte, i) => byte === b[i])
}

/**
 * Asks for permission to show notifications, if not asked yet. Call it first thing in the tap's
 * handler: browsers (Safari most strictly) honour the request only within the user's gesture.
 */
export function askForNotifications(): Promise<unknown> {
  try {
    if (notificationState() === 'default') return Notification.requestPermission().catch(() => undefined)
  } catch {
    // not supported here
  }
  return Promise.resolve()
}

/**
 * Asks for notifications and subscribes to Web Push with the server's VAPID key. Null when it
 * cannot: permission refused, no push service (headless browsers), no service worker. Pairing
 * goes on without it; the app then learns of sign-ins while it is open (protocol §3 events).
 */
export async function subscribeToPush(vapidPublicKey: string, asked: Promise<unknown> = askForNotifications()): Promise<PushSubscriptionJSON | null> {
  try {
    if (notificationState() === 'unsupported') return null
    await asked
    if (Notification.permission !== 'granted') return null
    const registration = await appRegistration()
    if (!registration) return null
    const key = fromBase64Url(vapidPublicKey)
    const existing = await registration.pushManager.getSubscription()
    if (existing) {
      if (sameKey(existing.options.applicationServerKey, key)) return existing.toJSON()
      await existing.unsubscribe()
    }
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
    return subscription.toJSON()
  } catch {
    return null
  }
}

/** The subscription this browser holds now, without asking anything. */
export async function currentSubscription(): Promise<PushSubscriptionJSON | null> {
  try {
    if (notificationState() !== 'granted') return null
    const registration = await appRegistration(2000)
    const subscription = await registration?.pushManager.getSubscription()
    return subscription ? subscription.toJSON() : null
  } catch {
    return null
  }
}

/** Closes the notification of a challenge once it has been answered here. */
export async function closeNotification(challengeId: string): Promise<void> {
  try {
    const registration = await appRegistration(1000)
    for (const notification of (await registration?.getNotifications({ tag: challengeId })) ?? []) notification.close()
  } catch {
    // nothing to close
  }
}
