import type { MethodKind } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError, errorText } from '../../api'
import { Layout, useSignOut } from '../../components/layout'
import { Button, Card, ErrorNotice, Loading, Notice, PasswordField, useAction } from '../../components/ui'
import { useT, type Translate } from '../../i18n'
import { safeReturnPath, useSession } from '../../session'
import { EnrolmentDialog } from '../enrolment'
import { ReauthenticationProvider, useReauthentication } from './reauthenticate'
import type { SecurityOverview } from './types'
import './account.css'

/** Where each failure of a password change shows: at its field, or above the form. */
interface Problems {
  current: string | null
  next: string | null
}

const NO_PROBLEMS: Problems = { current: null, next: null }

/** "Your password is changed", with how many other sessions ended (SC-09). */
export function passwordChangedText(t: Translate, endedSessions: number): string {
  if (endedSessions === 0) return t('account.password.changed')
  if (endedSessions === 1) return t('account.password.changed.one')
  return t('account.password.changed.many', { count: endedSessions })
}

/**
 * The current password and a new one (issue 17). A wrong current password is cleared and said at
 * its field; a refused new one keeps what was typed, with the server's reason in words at the
 * field. A sign-in older than 10 minutes asks "Confirm it is you" first, then carries on.
 */
export function PasswordChangeForm(props: { username: string; minLength: number; onChanged(endedSessions: number): void | Promise<void> }) {
  const t = useT()
  const { guard } = useReauthentication()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [problems, setProblems] = useState<Problems>(NO_PROBLEMS)
  const action = useAction()
  const form = useRef<HTMLFormElement>(null)

  function focus(autocomplete: 'current-password' | 'new-password') {
    // After the render that shows the message.
    setTimeout(() => form.current?.querySelector<HTMLInputElement>(`input[autocomplete=${autocomplete}]`)?.focus())
  }

  function explain(caught: unknown): unknown {
    if (!(caught instanceof ApiError)) return caught
    if (caught.code === 'CREDENTIALS_INVALID') {
      setCurrent('')
      setProblems({ ...NO_PROBLEMS, current: t('account.password.wrongCurrent') })
      focus('current-password')
      return null
    }
    if (caught.code === 'PASSWORD_REJECTED' || (caught.code === 'INVALID_REQUEST' && caught.field === 'newPassword')) {
      setProblems({ ...NO_PROBLEMS, next: errorText(t, caught) })
      focus('new-password')
      return null
    }
    if (caught.code === 'INVALID_REQUEST' && caught.field === 'currentPassword') {
      setProblems({ ...NO_PROBLEMS, current: errorText(t, caught) })
      return null
    }
    return caught
  }

  function submit(event: Event) {
    event.preventDefault()
    setProblems(NO_PROBLEMS)
    void action.run(async () => {
      const answer = await guard(() => api<{ endedSessions: number }>('PUT', '/api/v1/account/password', { currentPassword: current, newPassword: next }))
      setCurrent('')
      setNext('')
      await props.onChanged(answer.endedSessions)
    }, explain)
  }

  return (
    <form ref={form} onSubmit={submit}>
      <ErrorNotice error={action.error} />
      {/* For password managers: whose password this is. */}
      <input type="text" name="username" autocomplete="username" value={props.username} hidden readOnly aria-hidden="true" tabIndex={-1} />
      <PasswordField
        label={t('password.current')}
        name="currentPassword"
        autocomplete="current-password"
        required
        value={current}
        onValue={(value) => {
          setCurrent(value)
          if (problems.current) setProblems({ ...problems, current: null })
        }}
        error={problems.current}
      />
      <PasswordField
        label={t('password.new')}
        name="newPassword"
        autocomplete="new-password"
        hint={t('password.new.hint', { minLength: props.minLength })}
        reveal
        required
        value={next}
        onValue={setNext}
        error={problems.next}
      />
      <div class="actions">
        <Button type="submit" busy={action.busy}>
          {action.busy ? t('account.password.busy') : t('account.password.submit')}
        </Button>
      </div>
    </form>
  )
}

/** My Account › Security › Password. */
export function PasswordCard(props: { username: string; minLength: number; onChanged(): Promise<void> }) {
  const t = useT()
  const [done, setDone] = useState<string | null>(null)
  return (
    <Card title={t('account.password.title')} id="password">
      <p class="lead">{t('account.password.lead')}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      <PasswordChangeForm
        username={props.username}
        minLength={props.minLength}
        onChanged={async (ended) => {
          setDone(passwordChangedText(t, ended))
          await props.onChanged()
        }}
      />
    </Card>
  )
}

/**
 * `/account/password`: the change form alone. While an administrator asks for a new password
 * (`passwordChangeRequired`), every other page sends the user here, and only "Sign out" leads
 * away; once changed, the user goes on to where they were going (`?return=`), else My Account.
 */
export function PasswordPage() {
  const t = useT()
  const { session, reload } = useSession()
  const { query, route, url } = useLocation()
  const signOut = useSignOut()
  const [methods, setMethods] = useState<MethodKind[] | null>(null)
  const [minLength, setMinLength] = useState(12)
  const required = session?.passwordChangeRequired ?? false

  useEffect(() => {
    if (!session) route(`/sign-in?return=${encodeURIComponent(url)}`, true)
  }, [session])
  useEffect(() => {
    // What "Confirm it is you" asks for when the sign-in is older than 10 minutes.
    if (!session || session.restrictedToEnrolment) return
    api<SecurityOverview>('GET', '/api/v1/account/security')
      .then((overview) => {
        setMinLength(overview.minPasswordLength)
        setMethods(overview.reauthenticationMethods)
      })
      .catch(() => setMethods([]))
  }, [session?.account.id, session?.restrictedToEnrolment])

  /** Where the user was going: a page of this app, a server page (OpenID Connect), or through the sign-in page for an application behind forward auth. */
  function goOn() {
    const target = query.return ?? ''
    if (/^https?:\/\//i.test(target)) return route(`/sign-in?return=${encodeURIComponent(target)}`, true)
    const path = safeReturnPath(target) ?? '/account/security'
    if (/^\/(account|admin|dev)(\/|$|\?|#)/.test(path) || path === '/') route(path, true)
    else location.replace(path)
  }

  if (!session) return null
  if (session.restrictedToEnrolment) return <EnrolmentDialog returnTo={url} />
  return (
    <Layout title={required ? t('account.password.required.title') : t('account.password.page.title')}>
      <div class="narrow">
        <section class="card" aria-labelledby="password-title">
          <h1 id="password-title">{required ? t('account.password.required.title') : t('account.password.page.title')}</h1>
          {required ? <Notice kind="info">{t('account.password.required.lead')}</Notice> : <p class="lead">{t('account.password.lead')}</p>}
          {methods === null ? (
            <Loading />
          ) : (
            <ReauthenticationProvider username={session.account.username} methods={methods}>
              <PasswordChangeForm
                username={session.account.username}
                minLength={minLength}
                onChanged={async () => {
                  await reload()
                  goOn()
                }}
              />
            </ReauthenticationProvider>
          )}
          <div class="actions actions-secondary">
            {required ? (
              <Button variant="link" onClick={() => void signOut()}>
                {t('nav.signOut')}
              </Button>
            ) : (
              <a href="/account/security">{t('account.password.back')}</a>
            )}
          </div>
        </section>
      </div>
    </Layout>
  )
}
