import type { MethodKind } from '@countersign/protocol'
import { createContext, type ComponentChildren } from 'preact'
import { useContext, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { useCountdown } from '../../components/phone-setup'
import { Button, Dialog, Field, Notice, useAction } from '../../components/ui'
import { PasskeyNotice } from '../../components/passkey-setup'
import { formatDateTime, methodLabel, useLanguage, useT, type MessageId } from '../../i18n'
import { CalmMessage, getAssertion, passkeysSupported, promptProblem } from '../../passkey'

export function needsReauthentication(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'REAUTHENTICATION_REQUIRED'
}

export interface Reauthentication {
  /**
   * Runs `action`; when the server answers 403 REAUTHENTICATION_REQUIRED, asks for the password
   * (and a code) and runs it once more. Cancelling re-throws the original error.
   */
  guard<T>(action: () => Promise<T>): Promise<T>
  /** For `TotpSetup`'s `onError`: `true` when the error was a re-authentication, which then retries. */
  handle(error: unknown, retry: () => void): boolean
}

const ReauthenticationContext = createContext<Reauthentication>({
  guard: (action) => action(),
  handle: () => false,
})

export function useReauthentication() {
  return useContext(ReauthenticationContext)
}

/**
 * Provides re-authentication to the page (SC-14): one dialog at a time; every action that was
 * refused waits for it and is retried after a successful confirmation. `methods` are the second
 * factors the server asks for (`reauthenticationMethods`), preferred first; none: the password alone.
 */
export function ReauthenticationProvider(props: { username: string; methods: MethodKind[]; children: ComponentChildren }) {
  const [waiting, setWaiting] = useState<Array<(ok: boolean) => void>>([])
  const waitingRef = useRef(waiting)
  waitingRef.current = waiting

  function ask(): Promise<boolean> {
    return new Promise((resolve) => setWaiting((list) => [...list, resolve]))
  }
  function settle(ok: boolean) {
    const list = waitingRef.current
    setWaiting([])
    for (const resolve of list) resolve(ok)
  }

  const value: Reauthentication = {
    async guard(action) {
      try {
        return await action()
      } catch (error) {
        if (!needsReauthentication(error)) throw error
        if (!(await ask())) throw error
        return action()
      }
    },
    handle(error, retry) {
      if (!needsReauthentication(error)) return false
      void ask().then((ok) => {
        if (ok) retry()
      })
      return true
    },
  }

  return (
    <ReauthenticationContext.Provider value={value}>
      {props.children}
      {waiting.length > 0 ? <ReauthenticateDialog username={props.username} methods={props.methods} onDone={() => settle(true)} onCancel={() => settle(false)} /> : null}
    </ReauthenticationContext.Provider>
  )
}

/** `POST /api/v1/account/reauthenticate/send-code`: where the code went, masked. */
interface SentCode {
  sentTo: string
  expiresAt: string
  /** F-OTP-4: an SMS request without a verified number went by e-mail. */
  channel?: 'sms' | 'email'
}

type CodeMethod = 'totp' | 'sms' | 'email'
type DialogMethod = CodeMethod | 'passkey'
const DIALOG_METHODS: readonly MethodKind[] = ['totp', 'sms', 'email', 'passkey']

const TEXT: Record<CodeMethod, { lead: MessageId; code: MessageId; wrongCode: MessageId }> = {
  totp: { lead: 'account.reauth.leadWithCode', code: 'account.reauth.code', wrongCode: 'account.reauth.wrongCode' },
  sms: { lead: 'account.reauth.leadWithSms', code: 'account.reauth.code.sms', wrongCode: 'account.reauth.wrongSentCode' },
  email: { lead: 'account.reauth.leadWithEmail', code: 'account.reauth.code.email', wrongCode: 'account.reauth.wrongSentCode' },
}

/**
 * "Confirm it is you" (reauthenticate.ts): the password, and a second factor when the account has
 * one — the app's code, for SMS and e-mail "Send me a code" and then the code from the message, or
 * the browser's prompt for a passkey (F-X-1; only in a browser that can use one).
 * What was typed stays through network errors and 5xx; a wrong password or code is cleared.
 */
function ReauthenticateDialog(props: { username: string; methods: MethodKind[]; onDone(): void; onCancel(): void }) {
  const t = useT()
  const { language } = useLanguage()
  const offered = props.methods.filter((m): m is DialogMethod => DIALOG_METHODS.includes(m) && (m !== 'passkey' || passkeysSupported()))
  const [method, setMethod] = useState<DialogMethod | null>(offered[0] ?? null)
  const [choosing, setChoosing] = useState(false)
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [sent, setSent] = useState<SentCode | null>(null)
  const action = useAction()
  const wait = useCountdown()
  const form = useRef<HTMLFormElement>(null)
  const byMessage = method === 'sms' || method === 'email'
  // For SMS and e-mail the form first sends the code; the code field comes once it is on its way.
  const codeField = method === 'totp' || (byMessage && sent !== null)

  /** The failure in this dialog's words; a wrong password or code is cleared and focused. */
  function explain(caught: unknown): unknown {
    if (!(caught instanceof ApiError)) return caught
    if (caught.code === 'CREDENTIALS_INVALID') {
      setPassword('')
      form.current?.querySelector<HTMLInputElement>('input[type=password]')?.focus()
      return t('account.reauth.wrongPassword')
    }
    if (caught.code === 'CODE_INVALID' && method === 'passkey') return t('account.reauth.passkeyRefused')
    if (caught.code === 'CODE_INVALID' && method && method !== 'passkey') {
      setCode('')
      form.current?.querySelector<HTMLInputElement>('input[autocomplete=one-time-code]')?.focus()
      return t(TEXT[method].wrongCode)
    }
    if ((caught.code === 'RESEND_TOO_SOON' || caught.code === 'RATE_LIMITED') && caught.retryAfterSeconds) wait.start(caught.retryAfterSeconds)
    // Network, 5xx, a failed send, a lock: say so and keep what was typed.
    return caught
  }

  function sendCode() {
    void action.run(async () => {
      setSent(await api<SentCode>('POST', '/api/v1/account/reauthenticate/send-code', { method }))
      setCode('')
    }, explain)
  }

  function submit(event: Event) {
    event.preventDefault()
    if (byMessage && !sent) return sendCode()
    if (method === 'passkey') return confirmWithPasskey()
    void action.run(async () => {
      await api('POST', '/api/v1/account/reauthenticate', {
        password,
        ...(method ? { method, code: code.replace(/\s/g, '') } : {}),
      })
      props.onDone()
    }, explain)
  }

  /** The password and the browser's prompt; a closed prompt keeps the password for another try. */
  function confirmWithPasskey() {
    void action.run(
      async () => {
        const passkey = await getAssertion('/api/v1/account/reauthenticate/passkey/options')
        await api('POST', '/api/v1/account/reauthenticate', { password, method: 'passkey', passkey })
        props.onDone()
      },
      (caught) => {
        const problem = promptProblem(caught)
        if (problem === 'cancelled') return new CalmMessage(t('account.reauth.passkeyCancelled'))
        if (problem) return t('account.reauth.passkeyFailed')
        return explain(caught)
      },
    )
  }

  function choose(next: DialogMethod) {
    setMethod(next)
    setChoosing(false)
    setCode('')
    setSent(null)
    action.setError(null)
  }

  return (
    <Dialog title={t('account.reauth.title')} onClose={props.onCancel}>
      <form ref={form} onSubmit={submit}>
        <p>{method === 'passkey' ? t('account.reauth.leadWithPasskey') : method ? t(TEXT[method].lead) : t('account.reauth.lead')}</p>
        <PasskeyNotice error={action.error} />
        <input type="text" name="username" autocomplete="username" value={props.username} hidden readOnly aria-hidden="true" tabIndex={-1} />
        <Field label={t('account.reauth.password')} name="password" type="password" autocomplete="current-password" required maxLength={1024} autoFocus value={password} onValue={setPassword} />
        {choosing ? (
          <fieldset class="choices">
            <legend>{t('account.reauth.otherMethod.title')}</legend>
            {offered.map((m) => (
              <button key={m} type="button" class="choice" onClick={() => choose(m)} aria-current={m === method ? 'true' : undefined}>
                {t(methodLabel(m))}
              </button>
            ))}
          </fieldset>
        ) : null}
        {!choosing && sent ? <Notice kind="info">{t('account.reauth.sent', { sentTo: sent.sentTo, time: formatDateTime(language, sent.expiresAt) })}</Notice> : null}
        {!choosing && method && method !== 'passkey' && codeField ? (
          <Field
            label={t(TEXT[sent?.channel ?? method].code)}
            hint={method === 'totp' ? t('account.reauth.code.hint') : undefined}
            name="code"
            autocomplete="one-time-code"
            inputMode="numeric"
            pattern="[0-9 ]*"
            maxLength={8}
            required
            autoFocus={byMessage}
            value={code}
            onValue={setCode}
          />
        ) : null}
        {choosing ? null : (
          <div class="actions">
            {byMessage && !sent ? (
              <Button type="submit" busy={action.busy} disabled={wait.left > 0}>
                {t('account.reauth.send')}
              </Button>
            ) : (
              <Button type="submit" busy={action.busy}>
                {method === 'passkey' ? t('account.reauth.withPasskey') : t('account.reauth.submit')}
              </Button>
            )}
            {byMessage && sent ? (
              <Button variant="secondary" onClick={sendCode} disabled={action.busy || wait.left > 0}>
                {wait.left > 0 ? t('account.reauth.resendIn', { seconds: wait.left }) : t('account.reauth.resend')}
              </Button>
            ) : null}
            <Button variant="secondary" onClick={props.onCancel} disabled={action.busy}>
              {t('common.cancel')}
            </Button>
          </div>
        )}
        {offered.length > 1 && !choosing ? (
          <div class="actions actions-secondary">
            <button type="button" class="button button-link" onClick={() => setChoosing(true)} disabled={action.busy}>
              {t('account.reauth.otherMethod')}
            </button>
          </div>
        ) : null}
      </form>
    </Dialog>
  )
}
