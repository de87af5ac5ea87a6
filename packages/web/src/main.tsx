import type { Session } from '@countersign/protocol'
import { render } from 'preact'
import { LocationProvider, Route, Router, useLocation } from 'preact-iso'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ApiError } from './api'
import { Layout } from './components/layout'
import { initialLanguage, LanguageContext, rememberLanguage, useT, type Language } from './i18n'
import { AccountSecurity } from './pages/account-security'
import { PasswordPage } from './pages/account/password'
import { AdminRoutes } from './pages/admin/index'
import { DevOutbox } from './pages/dev-outbox'
import { EnrolmentDialog } from './pages/enrolment'
import { ForgotPassword } from './pages/forgot-password'
import { PasswordReset } from './pages/password-reset'
import { SignIn } from './pages/sign-in'
import { isAdmin, SessionContext, useSession } from './session'
import './styles.css'

async function fetchSession(): Promise<Session | null> {
  try {
    return await api<Session>('GET', '/api/v1/session')
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

function App() {
  const [language, setLanguageState] = useState<Language>(initialLanguage)
  const [session, setSession] = useState<Session | null | undefined>(undefined)
  const [loadError, setLoadError] = useState(false)

  async function reload() {
    try {
      const current = await fetchSession()
      setSession(current)
      setLoadError(false)
      return current
    } catch {
      setLoadError(true)
      return null
    }
  }
  useEffect(() => {
    void reload()
  }, [])
  useEffect(() => {
    document.documentElement.lang = language
  }, [language])

  const languageValue = useMemo(
    () => ({
      language,
      setLanguage(next: Language) {
        rememberLanguage(next)
        setLanguageState(next)
      },
    }),
    [language],
  )
  const sessionValue = useMemo(() => ({ session, reload, setSession }), [session])

  return (
    <LanguageContext.Provider value={languageValue}>
      <SessionContext.Provider value={sessionValue}>
        <LocationProvider>
          {loadError ? <Unreachable retry={reload} /> : session === undefined ? null : <Routes />}
        </LocationProvider>
      </SessionContext.Provider>
    </LanguageContext.Provider>
  )
}

function Routes() {
  return (
    <Router>
      <Route path="/sign-in" component={SignIn} />
      <Route path="/forgot-password" component={ForgotPassword} />
      <Route path="/password-reset" component={PasswordReset} />
      <Route path="/dev/outbox" component={DevOutbox} />
      <Route path="/account/security" component={signedIn(AccountSecurity)} />
      <Route path="/account/password" component={PasswordPage} />
      <Route path="/admin/*" component={signedIn(AdminRoutes, true)} />
      <Route path="/admin" component={signedIn(AdminRoutes, true)} />
      <Route path="/" component={Home} />
      <Route default component={NotFound} />
    </Router>
  )
}

/**
 * Pages behind a session: signed out → the sign-in page, which brings the user back here;
 * a session restricted to enrolment → the enrolment dialog first (F-LOGIN-5); an administrator
 * asked for a new password → the password page first, which brings the user back here (issue 17).
 */
function signedIn<P extends object>(Page: (props: P) => preact.JSX.Element | null, adminOnly = false) {
  return function Guarded(props: P) {
    const { session } = useSession()
    const { route, url } = useLocation()
    const owesPassword = !!session && !session.restrictedToEnrolment && session.passwordChangeRequired
    const allowed = session && !session.restrictedToEnrolment && !owesPassword && (!adminOnly || isAdmin(session))
    useEffect(() => {
      if (!session) route(`/sign-in?return=${encodeURIComponent(url)}`, true)
      else if (owesPassword) route(url === '/account/security' ? '/account/password' : `/account/password?return=${encodeURIComponent(url)}`, true)
      else if (adminOnly && !session.restrictedToEnrolment && !isAdmin(session)) route('/account/security', true)
    }, [session])
    if (session?.restrictedToEnrolment) return <EnrolmentDialog />
    return allowed ? <Page {...props} /> : null
  }
}

function Home() {
  const { session } = useSession()
  const { route } = useLocation()
  useEffect(() => route(session ? '/account/security' : '/sign-in', true), [session])
  return null
}

function NotFound() {
  const t = useT()
  return (
    <Layout title={t('notFound.title')}>
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.body')}</p>
      <p>
        <a href="/account/security">{t('notFound.home')}</a>
      </p>
    </Layout>
  )
}

function Unreachable(props: { retry(): void }) {
  const t = useT()
  return (
    <Layout title={t('app.name')}>
      <p role="alert">{t('error.NETWORK')}</p>
      <button type="button" class="button button-primary" onClick={props.retry}>
        {t('common.retry')}
      </button>
    </Layout>
  )
}

render(<App />, document.getElementById('app')!)
