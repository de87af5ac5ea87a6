import { useRef, useState } from 'preact/hooks'
import { api, ApiError, errorText } from '../api'
import { Layout } from '../components/layout'
import { Button, ErrorNotice, Notice, PasswordField, useAction } from '../components/ui'
import { useT } from '../i18n'

/**
 * The token of the e-mailed link: `/password-reset#token=…` (a fragment never reaches a server or a
 * log). Read once, and taken out of the address bar before the page shows (history, bookmarks,
 * screen sharing).
 */
function takeTokenFromAddress(): string | null {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search)
  return token && token.length <= 200 ? token : null
}

/**
 * The reset link's page (issue 17, RB-04): a new password for the account the link was made for.
 * A refused password is explained at the field and the link stays usable; a used, expired or
 * replaced link leads to "Forgot your password?". A reset never signs in: the next sign-in asks
 * for the second factor as always.
 */
export function PasswordReset() {
  const t = useT()
  const [token] = useState(takeTokenFromAddress)
  const [password, setPassword] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [outcome, setOutcome] = useState<{ username: string } | 'invalid' | null>(token ? null : 'invalid')
  const action = useAction()
  const form = useRef<HTMLFormElement>(null)

  function submit(event: Event) {
    event.preventDefault()
    setProblem(null)
    void action.run(
      async () => setOutcome(await api<{ username: string }>('POST', '/api/v1/password-reset/complete', { token, newPassword: password })),
      (caught) => {
        if (!(caught instanceof ApiError)) return caught
        if (caught.code === 'RESET_LINK_INVALID') {
          setOutcome('invalid')
          return null
        }
        if (caught.code === 'PASSWORD_REJECTED' || (caught.code === 'INVALID_REQUEST' && caught.field === 'newPassword')) {
          setProblem(errorText(t, caught))
          setTimeout(() => form.current?.querySelector<HTMLInputElement>('input[autocomplete=new-password]')?.focus())
          return null
        }
        return caught
      },
    )
  }

  return (
    <Layout title={t('reset.title')}>
      <div class="narrow">
        {outcome === 'invalid' ? (
          <section class="card" aria-labelledby="reset-title">
            <h1 id="reset-title">{t('reset.invalid.title')}</h1>
            <Notice kind="warning">{token ? t('reset.invalid') : t('reset.missing')}</Notice>
            <div class="actions">
              <a class="button button-primary" href="/forgot-password">
                {t('reset.invalid.again')}
              </a>
            </div>
          </section>
        ) : outcome ? (
          <section class="card" aria-labelledby="reset-title">
            <h1 id="reset-title">{t('reset.done.title')}</h1>
            <Notice kind="success">
              <p class="notice-line">{t('reset.done')}</p>
              <p class="notice-line">{t('reset.done.username', { username: outcome.username })}</p>
            </Notice>
            <div class="actions">
              <a class="button button-primary" href="/sign-in">
                {t('reset.signIn')}
              </a>
            </div>
          </section>
        ) : (
          <form ref={form} class="card" onSubmit={submit}>
            <h1>{t('reset.title')}</h1>
            <p class="lead">{t('reset.lead')}</p>
            <ErrorNotice error={action.error} />
            <PasswordField label={t('password.new')} name="newPassword" autocomplete="new-password" hint={t('password.reset.hint')} reveal required autoFocus value={password} onValue={setPassword} error={problem} />
            <Button type="submit" busy={action.busy}>
              {action.busy ? t('reset.busy') : t('reset.submit')}
            </Button>
          </form>
        )}
      </div>
    </Layout>
  )
}
