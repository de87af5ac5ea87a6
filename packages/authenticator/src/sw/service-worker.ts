/// <reference lib="webworker" />
/**
 * The Countersign Authenticator's service worker (`/app/sw.js`, scope `/app/`): keeps the app
 * shell for offline use (F-PUSH-3: codes work without a network), shows a notification for each
 * sign-in push (protocol §4, F-PUSH-2, F-PUSH-5) and opens the challenge when it is tapped.
 */
import { listAccounts, setPushEndpoint } from '../lib/accounts'
import { getSetting } from '../lib/idb'
import { updateSubscription, type PairedAccount } from '../lib/server-api'
import { isLanguage, languageFromNavigator, translator } from '../i18n'
import { notificationFor, parsePushPayload } from './notification'

declare const self: ServiceWorkerGlobalScope
/** Every file of the app build (relative to the scope) and their hash; see vite.sw.config.ts. */
declare const __SHELL_FILES__: string[]
declare const __SHELL_VERSION__: string

const CACHE_PREFIX = 'countersign-app-'
const CACHE = `${CACHE_PREFIX}${__SHELL_VERSION__}`
const SCOPE = new URL(self.registration.scope).pathname

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      await cache.addAll([SCOPE, ...__SHELL_FILES__.map((file) => `${SCOPE}${file}`)])
      await self.skipWaiting()
    })(),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name)
      }
      await self.clients.claim()
    })(),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return
  if (request.mode === 'navigate') {
    // The page: fresh from the network when there is one (a new build), else the cached shell.
    event.respondWith(
      (async () => {
        try {
          const response = await fetch(request)
          // Only the app's page becomes the offline page: not a script or manifest opened in a tab.
          const page = url.pathname === SCOPE && (response.headers.get('content-type') ?? '').startsWith('text/html')
          if (response.ok && page) await (await caches.open(CACHE)).put(SCOPE, response.clone())
          return response
        } catch {
          return (await caches.match(SCOPE, { ignoreVary: true })) ?? Response.error()
        }
      })(),
    )
    return
  }
  // Files of the build never change under one name: the cache first. The server varies its
  // answers on Accept-Language, Cookie and Origin, none of which changes these files.
  event.respondWith(
    (async () => {
      const cached = await caches.match(request, { ignoreVary: true })
      if (cached) return cached
      const response = await fetch(request)
      if (response.ok && url.pathname.startsWith(`${SCOPE}assets/`)) await (await caches.open(CACHE)).put(request, response.clone())
      return response
    })(),
  )
})

async function language() {
  try {
    const stored = await getSetting<string>('language')
    if (isLanguage(stored)) return stored
  } catch {
    // no stored choice
  }
  return languageFromNavigator(self.navigator.languages ?? [self.navigator.language])
}

self.addEventListener('push', (event) => {
  event.waitUntil(
    (async () => {
      let data: unknown = null
      try {
        data = event.data?.json() ?? null
      } catch {
        data = null
      }
      const payload = parsePushPayload(data)
      const t = translator(await language())
      const { title, options } = notificationFor(t, payload, SCOPE)
      await self.registration.showNotification(title, options)
      if (!payload) return
      // An open app shows the request at once (the notification stays until it is answered).
      for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
        client.postMessage({ type: 'challenge', challengeId: payload.challengeId, deviceId: payload.deviceId })
      }
    })(),
  )
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const data = (event.notification.data ?? {}) as { url?: string; challengeId?: string; deviceId?: string }
  const url = new URL(data.url ?? SCOPE, self.location.origin).href
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
      const open = windows.find((client) => new URL(client.url).pathname.startsWith(SCOPE))
      if (open) {
        await open.focus()
        if (data.challengeId && data.deviceId) open.postMessage({ type: 'open', challengeId: data.challengeId, deviceId: data.deviceId })
        return
      }
      await self.clients.openWindow(url)
    })(),
  )
})

// The browser renewed (or dropped) the push subscription: tell the server for every account of
// this origin, signed with each device's key, which the worker reads from IndexedDB as the page does.
self.addEventListener('pushsubscriptionchange', (event) => {
  const change = event as Event & { newSubscription?: PushSubscription | null; oldSubscription?: PushSubscription | null; waitUntil(promise: Promise<unknown>): void }
  change.waitUntil(
    (async () => {
      let subscription = change.newSubscription ?? null
      const key = change.oldSubscription?.options.applicationServerKey
      if (!subscription && key) {
        subscription = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }).catch(() => null)
      }
      const json = subscription ? subscription.toJSON() : null
      const accounts = (await listAccounts()).filter(
        (account): account is PairedAccount => account.pairing !== null && account.pairing.removedAt === null && account.pairing.server === self.location.origin,
      )
      for (const account of accounts) {
        try {
          await updateSubscription(account, json)
          await setPushEndpoint(account.pairing.server, account.pairing.deviceId, json?.endpoint ?? null)
        } catch {
          // the app tries again when it opens
        }
      }
    })(),
  )
})
