import { useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { Layout } from '../components/layout'
import { Button, ErrorNotice, Field, Notice, useAction } from '../components/ui'
import { useT } from '../i18n'

/**
 * "Forgot your password?" (issue 17, RB-04): a user name or an e-mail address, and the same words
 * afterwards whoever typed what, as the server answers alike for every name (EN-03).
 */
export function ForgotPassword() {
  const t = useT()
  const [identifier, setIdentifier] = useState('')
  const [sent, setSent] = useState(false)
  const action = useAction()

  function submit(event: Event) {
    event.preventDefault()
    const typed = identifier.trim()
    void action.run(async () => {
      try {
        await api('POST', '/api/v1/password-reset', typed.includes('@') ? { email: typed } : { username: typed })
      } catch (error) {
        // A user name may hold an @ too: what is no e-mail address is asked for as a name.
        if (!typed.includes('@') || !(error instanceof ApiError && error.code === 'INVALID_REQUEST')) throw error
        await api('POST', '/api/v1/password-reset', { username: typed })
      }
      setSent(true)
    })
  }

  return (
    <Layout title={t('forgot.title')}>
      <div class="narrow">
        {sent ? (
          <section class="card" aria-labelledby="forgot-sent-title">
            <h1 id="forgot-sent-title">{t('forgot.sent.title')}</h1>
            <Notice kind="success">{t('forgot.sent')}</Notice>
            <p>{t('forgot.sent.more')}</p>
            <div class="actions actions-secondary">
              <a href="/sign-in">{t('forgot.backToSignIn')}</a>
              <Button
                variant="link"
                onClick={() => {
                  setSent(false)
                  action.setError(null)
                }}
              >
                {t('forgot.again')}
              </Button>
            </div>
          </section>
        ) : (
          <form class="card" onSubmit={submit}>
            <h1>{t('forgot.title')}</h1>
            <p class="lead">{t('forgot.lead')}</p>
            <ErrorNotice error={action.error} />
            <Field label={t('forgot.identifier')} name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required maxLength={254} autoFocus value={identifier} onValue={setIdentifier} />
            <Button type="submit" busy={action.busy}>
              {action.busy ? t('forgot.busy') : t('forgot.submit')}
            </Button>
            <p class="card-footer-link">
              <a href="/sign-in">{t('forgot.backToSignIn')}</a>
            </p>
          </form>
        )}
      </div>
    </Layout>
  )
}
