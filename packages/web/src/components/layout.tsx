import type { ComponentChildren } from 'preact'
import { useLocation } from 'preact-iso'
import { useEffect } from 'preact/hooks'
import { api } from '../api'
import { languages, useLanguage, useT } from '../i18n'
import { isAdmin, useSession } from '../session'

/** The frame of every page: name, navigation for the signed-in, the language switch (F-X-3). */
export function Layout(props: { title: string; children: ComponentChildren; wide?: boolean }) {
  const t = useT()
  const { session } = useSession()
  const { path } = useLocation()
  const signOut = useSignOut()
  useEffect(() => {
    document.title = `${props.title} · ${t('app.name')}`
  }, [props.title, t('app.name')])

  // Setting up a second factor, or owing a new password: nothing else to go to yet.
  const signedIn = session && !session.restrictedToEnrolment && !session.passwordChangeRequired
  return (
    <div class="page">
      <header class="top">
        <div class="top-inner">
          <a class="brand" href={signedIn ? '/account/security' : '/sign-in'}>
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>{t('app.name')}</span>
          </a>
          {signedIn ? (
            <nav aria-label={t('nav.main')} class="nav">
              <a href="/account/security" aria-current={path.startsWith('/account') ? 'page' : undefined}>
                {t('nav.security')}
              </a>
              {isAdmin(session) ? (
                <a href="/admin" aria-current={path.startsWith('/admin') ? 'page' : undefined}>
                  {t('nav.admin')}
                </a>
              ) : null}
              <button type="button" class="button button-link" onClick={signOut}>
                {t('nav.signOut')}
              </button>
            </nav>
          ) : null}
        </div>
      </header>
      <main id="main" class={props.wide ? 'main main-wide' : 'main'}>
        {props.children}
      </main>
      <footer class="bottom">
        <LanguageSwitch />
        {session ? <span class="muted">{t('common.signedInAs', { username: session.account.username })}{session.account.organisation ? ` · ${session.account.organisation.name}` : ''}</span> : null}
      </footer>
    </div>
  )
}

/** Signs out (the server forgets the session) and shows the sign-in page, whatever the answer. */
export function useSignOut() {
  const { setSession } = useSession()
  const { route } = useLocation()
  return async function signOut() {
    try {
      await api('POST', '/api/v1/sign-out')
    } finally {
      setSession(null)
      route('/sign-in', true)
    }
  }
}

export function LanguageSwitch() {
  const t = useT()
  const { language, setLanguage } = useLanguage()
  return (
    <nav class="language-switch" aria-label={t('nav.language')}>
      {languages.map((code) => (
        <button
          key={code}
          type="button"
          lang={code}
          class="button button-link"
          aria-pressed={code === language ? 'true' : 'false'}
          onClick={() => setLanguage(code)}
        >
          {t(`language.${code}`)}
        </button>
      ))}
    </nav>
  )
}
