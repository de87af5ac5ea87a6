import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { Layout } from '../components/layout'
import { Button, ErrorNotice, Loading } from '../components/ui'
import { useT } from '../i18n'
import { useSession } from '../session'
import { ActivityCard } from './account/activity'
import { BrowsersCard } from './account/browsers'
import { ContactCard } from './account/contact'
import { DevicesCard } from './account/devices'
import { PasswordCard } from './account/password'
import { ReauthenticationProvider } from './account/reauthenticate'
import { RecoveryCodesCard } from './account/recovery-codes'
import { SessionsCard } from './account/sessions'
import { TwoFactorCard } from './account/two-factor'
import { offersRecoveryCodes, type ActivityEvent, type SecurityOverview } from './account/types'
import './account/account.css'

/**
 * My Account > Security (F-SET-1…4, F-TOTP-1…4, F-DEV-1…2): two-step verification and the policy
 * behind it, the method offered first, "My devices" with linking, recovery codes (F-X-2),
 * the password and where one is signed in (issue 17), remembered browsers, recent activity and
 * contact details. Sensitive changes ask for the password again when the sign-in is older than
 * 10 minutes, then carry on by themselves.
 */
export function AccountSecurity() {
  const t = useT()
  const { session, reload: reloadSession } = useSession()
  const [overview, setOverview] = useState<SecurityOverview | null>(null)
  const [loadError, setLoadError] = useState<unknown>(null)
  const [activity, setActivity] = useState<ActivityEvent[] | null>(null)
  const [activityError, setActivityError] = useState<unknown>(null)
  const [adding, setAdding] = useState(false)
  // A password change ends the other sessions: the sessions list is asked for again.
  const [sessionsVersion, setSessionsVersion] = useState(0)
  const generation = useRef(0)

  /** Reloads everything the page shows; a later call wins over an earlier one still in flight. */
  async function load() {
    const mine = ++generation.current
    const [security, events] = await Promise.allSettled([
      api<SecurityOverview>('GET', '/api/v1/account/security'),
      api<ActivityEvent[]>('GET', '/api/v1/account/activity?limit=50'),
    ])
    if (mine !== generation.current) return
    for (const result of [security, events]) {
      // The session ended (signed out elsewhere, expired): the guard takes the user to sign-in.
      if (result.status === 'rejected' && result.reason instanceof ApiError && result.reason.code === 'SESSION_REQUIRED') {
        void reloadSession()
        return
      }
    }
    if (security.status === 'fulfilled') {
      setOverview(security.value)
      setLoadError(null)
    } else {
      setLoadError(security.reason)
    }
    if (events.status === 'fulfilled') {
      setActivity(events.value)
      setActivityError(null)
    } else {
      setActivityError(events.reason)
    }
  }

  useEffect(() => {
    void load()
  }, [])

  // A link to a section (the sign-in page's "make new codes now") shows it once the page is there.
  const scrolled = useRef(false)
  useEffect(() => {
    if (!overview || scrolled.current || !location.hash) return
    scrolled.current = true
    document.getElementById(location.hash.slice(1))?.scrollIntoView()
  }, [overview])

  return (
    <Layout title={t('nav.security')}>
      <div class="account">
        <h1>{t('nav.security')}</h1>
        <p class="lead">{t('account.lead')}</p>
        {overview === null ? (
          loadError ? (
            <>
              <ErrorNotice error={loadError} />
              <Button onClick={() => void load()}>{t('common.retry')}</Button>
            </>
          ) : (
            <Loading />
          )
        ) : (
          <ReauthenticationProvider username={session?.account.username ?? ''} methods={overview.reauthenticationMethods}>
            {loadError ? <ErrorNotice error={loadError} /> : null}
            <TwoFactorCard overview={overview} onChanged={load} onLinkApp={() => setAdding(true)} />
            <DevicesCard overview={overview} onChanged={load} adding={adding} onAdding={setAdding} />
            {offersRecoveryCodes(overview) ? <RecoveryCodesCard overview={overview} onChanged={load} /> : null}
            <PasswordCard
              minLength={overview.minPasswordLength}
              username={session?.account.username ?? ''}
              onChanged={async () => {
                setSessionsVersion((v) => v + 1)
                await load()
              }}
            />
            <SessionsCard version={sessionsVersion} />
            <BrowsersCard overview={overview} onChanged={load} />
            <ActivityCard events={activity} error={activityError} />
            <ContactCard overview={overview} onChanged={load} />
          </ReauthenticationProvider>
        )}
      </div>
    </Layout>
  )
}
