import type { FlowAnswer } from '@countersign/protocol'
import { api, ApiError } from '../api'
import { PasskeyNotice } from '../components/passkey-setup'
import { Button, Checkbox, useAction } from '../components/ui'
import { useT } from '../i18n'
import { CalmMessage, getAssertion, promptProblem } from '../passkey'

/**
 * The second step with a passkey (F-X-1): "Use your passkey" runs the browser's prompt for the
 * account's passkeys, and its answer completes the flow like a code does (on the same lockout
 * counter). A closed prompt says so calmly and the button stays for another try; `explain` is the
 * step's own handling of an expired flow and a lock.
 */
export function PasskeyStep(props: {
  rememberBrowserDays: number
  remember: boolean
  onRemember(remember: boolean): void
  locked: boolean
  onDone(answer: FlowAnswer): void
  explain(caught: unknown): unknown
}) {
  const t = useT()
  const action = useAction()

  function use() {
    void action.run(
      async () => {
        const response = await getAssertion('/api/v1/sign-in/passkey/options', {})
        props.onDone(await api<FlowAnswer>('POST', '/api/v1/sign-in/passkey', { response, rememberBrowser: props.remember }))
      },
      (caught) => {
        const problem = promptProblem(caught)
        if (problem === 'cancelled') return new CalmMessage(t('signIn.passkey.cancelled'))
        if (problem) return t('signIn.passkey.failed')
        if (caught instanceof ApiError && caught.code === 'CODE_INVALID') return t('signIn.passkey.refused')
        return props.explain(caught)
      },
    )
  }

  return (
    <div class="passkey-step">
      <p>{t('signIn.passkey.lead')}</p>
      <PasskeyNotice error={action.error} />
      {props.rememberBrowserDays > 0 ? (
        <Checkbox label={t('signIn.remember', { days: props.rememberBrowserDays })} hint={t('signIn.remember.hint')} checked={props.remember} onChecked={props.onRemember} disabled={props.locked || action.busy} />
      ) : null}
      <div class="actions">
        <Button autoFocus busy={action.busy} disabled={props.locked} onClick={use}>
          {action.busy ? t('signIn.passkey.waiting') : t('signIn.passkey.use')}
        </Button>
      </div>
    </div>
  )
}

/**
 * "Sign in with a passkey" under the password form (beyond the spec, F-X-1): a discoverable passkey
 * with user verification alone. Every refusal is the server's wrong-password answer, so the page
 * says only that this passkey cannot sign in here, and points to the password.
 */
export function PasswordlessSignIn(props: { onDone(answer: FlowAnswer): void; onStart(): void }) {
  const t = useT()
  const action = useAction()

  function signIn() {
    props.onStart()
    void action.run(
      async () => {
        const response = await getAssertion('/api/v1/sign-in/passkey/discoverable/options')
        props.onDone(await api<FlowAnswer>('POST', '/api/v1/sign-in/passkey/discoverable', { response }))
      },
      (caught) => {
        const problem = promptProblem(caught)
        if (problem === 'cancelled') return new CalmMessage(t('signIn.passwordless.cancelled'))
        if (problem || (caught instanceof ApiError && caught.code === 'CREDENTIALS_INVALID')) return t('signIn.passwordless.refused')
        return caught
      },
    )
  }

  return (
    <div class="passwordless">
      <p class="or" aria-hidden="true">
        <span>{t('signIn.passwordless.or')}</span>
      </p>
      <PasskeyNotice error={action.error} />
      <Button variant="secondary" busy={action.busy} onClick={signIn}>
        {action.busy ? t('signIn.passkey.waiting') : t('signIn.passwordless')}
      </Button>
      <p class="hint">{t('signIn.passwordless.hint')}</p>
    </div>
  )
}
