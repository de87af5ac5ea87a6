import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { isLanguage, languageFromNavigator, type Language } from './i18n'
import { LanguageContext } from './i18n/context'
import { accountKey, isDevice, listAccounts, markRemoved, onAccountsChanged, setPushEndpoint, type Account } from './lib/accounts'
import { emitAppEvent, onAppEvent } from './lib/app-events'
import { EventChannels } from './lib/event-channels'
import { getSetting, setSetting } from './lib/idb'
import { currentSubscription, notificationState } from './lib/push'
import { isDeviceGone, listChallenges, updateSubscription, type PairedAccount } from './lib/server-api'
import { AddAccount } from './pages/add-account'
import { ChallengePage } from './pages/challenge'
import { Home } from './pages/home'
import { AppContext, challengePath, isActive, type AppState, type Flash, type PendingChallenge } from './state'

/** `#/challenge/ch_1?device=dev_1` → `{ path: '/challenge/ch_1', query }`. */
function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/'
  const [path, query] = raw.split('?', 2) as [string, string | undefined]
  return { path: path || '/', query: new URLSearchParams(query ?? '') }
}

function initialLanguage(): Language {
  const chosen = /(?:^|;\s*)cs_lang=(en|nl)(?:;|$)/.exec(document.cookie)?.[1]
  return isLanguage(chosen) ? chosen : languageFromNavigator(navigator.languages ?? [navigator.language])
}

export function App() {
  const [language, setLanguageState] = useState<Language>(initialLanguage)
  const [accounts, setAccounts] = useState<Account[] | null>(null)
  /** Pending challenges per account, by `accountKey(server, deviceId)`. */
  const [pendingByAccount, setPendingByAccount] = useState<Record<string, PendingChallenge[]>>({})
  const [flash, setFlash] = useState<Flash | null>(null)
  const [hash, setHash] = useState(location.hash)
  const [online, setOnline] = useState(navigator.onLine)
  const channels = useRef(new EventChannels())
  const accountsRef = useRef<Account[]>([])

  const navigate = (path: string) => {
    location.hash = `#${path}`
  }

  async function reloadAccounts() {
    const all = await listAccounts()
    accountsRef.current = all
    setAccounts(all)
    return all
  }

  async function refreshPending(only?: PairedAccount) {
    const targets = only ? [only] : accountsRef.current.filter(isActive)
    await Promise.all(
      targets.map(async (account) => {
        const { server, deviceId } = account.pairing
        try {
          emitAppEvent({ type: 'pending', server, deviceId, challenges: await listChallenges(account) })
        } catch (error) {
          if (isDeviceGone(error)) {
            await markRemoved(server, deviceId)
            emitAppEvent({ type: 'removed', server, deviceId })
          }
        }
      }),
    )
  }

  useEffect(() => {
    document.documentElement.lang = language
  }, [language])

  useEffect(() => {
    const onHash = () => setHash(location.hash)
    const onOnline = () => setOnline(navigator.onLine)
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refreshPending()
    }
    addEventListener('hashchange', onHash)
    addEventListener('online', onOnline)
    addEventListener('offline', onOnline)
    document.addEventListener('visibilitychange', onVisible)
    void getSetting<string>('language').then((stored) => {
      // The switch's choice (kept for the service worker's notifications) wins over the browser's.
      if (isLanguage(stored) && !/(?:^|;\s*)cs_lang=/.test(document.cookie)) setLanguageState(stored)
    })
    void reloadAccounts().then(async (all) => {
      await refreshPending()
      await syncSubscriptions(all)
    })
    const stopAccounts = onAccountsChanged(() => void reloadAccounts())
    const stopEvents = onAppEvent((event) => {
      const key = accountKey(event.server, event.deviceId)
      if (event.type === 'pending') {
        const account = accountsRef.current.find((a) => isDevice(a, event.server, event.deviceId))
        if (!account || !isActive(account)) return
        setPendingByAccount((current) => ({
          ...current,
          [key]: event.challenges.filter((c) => c.status === 'pending').map((challenge) => ({ account, challenge })),
        }))
      } else if (event.type === 'challenge') {
        const current = parseHash(location.hash)
        if (current.path !== `/challenge/${event.challengeId}`) navigate(challengePath(event.challengeId, event.server, event.deviceId))
        const account = accountsRef.current.find((a) => isDevice(a, event.server, event.deviceId))
        if (account && isActive(account)) void refreshPending(account)
      } else if (event.type === 'closed') {
        setPendingByAccount((current) => ({
          ...current,
          [key]: (current[key] ?? []).filter((p) => p.challenge.id !== event.challengeId),
        }))
      } else if (event.type === 'removed') {
        setPendingByAccount((current) => ({ ...current, [key]: [] }))
        void reloadAccounts()
      }
    })
    // The service worker tells the open app about a push, and a notification tap opens a challenge.
    // Pushes reach only this origin's subscription: their device is one of this origin's server.
    const onWorkerMessage = (event: MessageEvent) => {
      const data = event.data as { type?: string; challengeId?: unknown; deviceId?: unknown } | null
      if ((data?.type === 'challenge' || data?.type === 'open') && typeof data.challengeId === 'string' && typeof data.deviceId === 'string') {
        emitAppEvent({ type: 'challenge', server: location.origin, challengeId: data.challengeId, deviceId: data.deviceId })
      }
    }
    navigator.serviceWorker?.addEventListener('message', onWorkerMessage)
    return () => {
      removeEventListener('hashchange', onHash)
      removeEventListener('online', onOnline)
      removeEventListener('offline', onOnline)
      document.removeEventListener('visibilitychange', onVisible)
      navigator.serviceWorker?.removeEventListener('message', onWorkerMessage)
      stopAccounts()
      stopEvents()
      channels.current.close()
    }
  }, [])

  // One signed event stream per active paired account while the app is open.
  useEffect(() => {
    channels.current.sync((accounts ?? []).filter(isActive))
  }, [accounts])

  const languageValue = useMemo(
    () => ({
      language,
      setLanguage(next: Language) {
        const secure = location.protocol === 'https:' ? '; Secure' : ''
        // The same cookie as the web UI's switch, so the server's messages follow too.
        document.cookie = `cs_lang=${next}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`
        void setSetting('language', next)
        setLanguageState(next)
      },
    }),
    [language],
  )

  const pending = Object.values(pendingByAccount).flat()
  const state: AppState = {
    accounts,
    pending,
    flash,
    setFlash,
    navigate,
    refreshPending: () => void refreshPending(),
    online,
  }

  const { path, query } = parseHash(hash)
  const challenge = /^\/challenge\/([^/]+)$/.exec(path)
  const page = challenge ? (
    <ChallengePage
      key={challenge[1]}
      challengeId={decodeURIComponent(challenge[1]!)}
      server={query.get('server') ?? location.origin}
      deviceId={query.get('device') ?? ''}
    />
  ) : path === '/add' || path === '/pair' ? (
    // `#/pair?uri=…`: the link the account page offers to open on the phone itself.
    <AddAccount initialUri={path === '/pair' ? query.get('uri') : null} />
  ) : (
    <Home />
  )
  return (
    <LanguageContext.Provider value={languageValue}>
      <AppContext.Provider value={state}>{page}</AppContext.Provider>
    </LanguageContext.Provider>
  )
}

/**
 * Keeps the server's copy of the push subscription current: a browser may renew it, and a
 * permission withdrawn in the phone's settings means no more pushes (protocol §3, subscription).
 */
async function syncSubscriptions(all: Account[]) {
  const own = all.filter(isActive).filter((account) => account.pairing.server === location.origin)
  if (own.length === 0) return
  const subscription = await currentSubscription()
  const withdrawn = notificationState() === 'denied'
  for (const account of own) {
    const wanted = subscription?.endpoint ?? null
    if (wanted === account.pairing.pushEndpoint || (wanted === null && !withdrawn)) continue
    try {
      await updateSubscription(account, wanted === null ? null : subscription)
      await setPushEndpoint(account.pairing.server, account.pairing.deviceId, wanted)
    } catch {
      // tried again at the next start
    }
  }
}
