import type { FlowAnswer, MethodKind, Session } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError, errorText } from '../api'
import { Layout } from '../components/layout'
import { Button, Checkbox, ErrorNotice, Field, Notice, useAction } from '../components/ui'
import { formatDateTime, formatTimeOrDateTime, methodLabel, useLanguage, useT } from '../i18n'
import { safeReturnPath, useSession } from '../session'
import { FEW_RECOVERY_CODES } from './account/types'
import { passkeysSupported } from '../passkey'
import { EnrolmentDialog } from './enrolment'
import { PasskeyStep, PasswordlessSignIn } from './sign-in-passkey'
import { PushApproval } from './sign-in-push'

/** Methods this page can finish with a typed code. */
const CODE_METHODS: MethodKind[] = ['totp', 'sms', 'email', 'recovery_code']

type Flow = Pick<FlowAnswer, 'methods' | 'preferredMethod' | 'expiresAt' | 'rememberBrowserDays'>

/**
 * F-LOGIN-1…5: user name and password, then the second factor (the preferred method first, with
 * "use another method"), or forced enrolment. On success the sign-in page is replaced in the
 * history, so the back button never shows a stale form.
 */
export function SignIn() {
  const t = useT()
  const { query, route } = useLocation()
  const { session, setSession, reload } = useSession()
  const returnTo = safeReturnPath(query.return) ?? '/account/security'
  // An application (OIDC) may ask for a second factor (`mfa=1`) or a sign-in made now (`fresh=1`).
  const requireSecondFactor = query.mfa === '1'
  const fresh = query.fresh === '1'
  const [flow, setFlow] = useState<Flow | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [reason, setReason] = useState<string | undefined>(undefined)

  /** Pages of this app are routed here; anything else (an OIDC interaction) is a real page load. */
  function go(to: string) {
    if (/^\/(account|admin|sign-in|dev)(\/|$|\?)/.test(to) || to === '/') route(to, true)
    else location.replace(to)
  }

  /**
   * Leaves the sign-in page, once (a completed sign-in and the session it sets both ask). Forward
   * auth: an absolute return URL is followed only when the server says the session's organisation
   * allows its origin (and the session has the second factor the origin asks for).
   */
  const leaving = useRef(false)
  async function proceed(current: Session | null | undefined = session) {
    if (leaving.current) return
    leaving.current = true
    // An administrator asked for a new password: that page first, then on to where this was going (issue 17).
    if (current?.passwordChangeRequired) return route(query.return ? `/account/password?return=${encodeURIComponent(query.return)}` : '/account/password', true)
    const external = /^https?:\/\//i.test(query.return ?? '') ? query.return! : null
    if (external) {
      const answer = await api<{ url: string | null; secondFactorRequired: boolean }>('GET', `/api/v1/forward-auth/return?url=${encodeURIComponent(external)}`).catch(() => null)
      if (answer?.url) return location.replace(answer.url)
      if (answer?.secondFactorRequired) {
        leaving.current = false
        return setNotice(t('signIn.secondFactorRequired'))
      }
    }
    go(returnTo)
  }

  // F-X-2: signed in with a recovery code, the page says how many are left before it goes on.
  const [recovered, setRecovered] = useState<number | null>(null)
  const holding = useRef(false)

  // Already signed in (a reload, or back after sign-in): go on, do not show the form again —
  // unless the application asked for a fresh sign-in, or the page is telling about recovery codes.
  useEffect(() => {
    if (session && !session.restrictedToEnrolment && !fresh && !holding.current) void proceed()
  }, [session])

  function finish(answer: FlowAnswer) {
    if (answer.state === 'completed' && answer.session && answer.recoveryCodesLeft !== undefined) {
      holding.current = true
      setRecovered(answer.recoveryCodesLeft)
      setSession(answer.session)
    } else if (answer.state === 'completed' && answer.session) {
      setSession(answer.session)
      void proceed(answer.session)
    } else if (answer.state === 'awaiting_enrolment' && answer.session) {
      setReason(answer.reason)
      setSession(answer.session)
    } else {
      setFlow(answer)
    }
  }

  if (session?.restrictedToEnrolment) return <EnrolmentDialog returnTo={returnTo} reason={reason} onDone={() => void reload().then((current) => proceed(current))} />
  return (
    <Layout title={t('signIn.title')}>
      <div class="narrow">
        {recovered !== null ? (
          <RecoveryCodeUsed left={recovered} notice={notice} onContinue={() => void proceed()} />
        ) : flow ? (
          <SecondFactorStep
            flow={flow}
            onDone={finish}
            onRestart={(message) => {
              setFlow(null)
              setNotice(message)
            }}
          />
        ) : (
          <PasswordStep onDone={finish} notice={notice} requireSecondFactor={requireSecondFactor} />
        )}
      </div>
    </Layout>
  )
}

/**
 * After a sign-in with a recovery code (F-X-2): how many are left, a warning when few are, the way
 * to make new ones, and "Continue" to wherever the sign-in was going.
 */
function RecoveryCodeUsed(props: { left: number; notice: string | null; onContinue(): void }) {
  const t = useT()
  const few = props.left <= FEW_RECOVERY_CODES
  return (
    <section class="card recovery-used" aria-labelledby="recovery-used-title">
      <h1 id="recovery-used-title">{t('signIn.recovery.title', { count: props.left })}</h1>
      {props.notice ? <Notice kind="info">{props.notice}</Notice> : null}
      <Notice kind={few ? 'warning' : 'info'}>
        <p>{props.left === 0 ? t('signIn.recovery.last') : few ? t('signIn.recovery.few', { count: props.left }) : t('signIn.recovery.left', { count: props.left })}</p>
        <p>
          <a href="/account/security#recovery-codes">{t('signIn.recovery.makeNew')}</a>
        </p>
      </Notice>
      <p>{t('signIn.recovery.phone')}</p>
      <div class="actions">
        <Button autoFocus onClick={props.onContinue}>
          {t('common.continue')}
        </Button>
      </div>
    </section>
  )
}

function PasswordStep(props: { onDone(answer: FlowAnswer): void; notice: string | null; requireSecondFactor: boolean }) {
  const t = useT()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const action = useAction()

  function submit(event: Event) {
    event.preventDefault()
    void action.run(
      async () => props.onDone(await api<FlowAnswer>('POST', '/api/v1/sign-in/password', { username, password, ...(props.requireSecondFactor ? { requireSecondFactor: true } : {}) })),
      (caught) => {
        // A wrong password is typed again; anything else (network, 5xx, throttling) keeps it.
        if (caught instanceof ApiError && caught.code === 'CREDENTIALS_INVALID') setPassword('')
        return caught
      },
    )
  }

  return (
    <div class="card">
      <form onSubmit={submit}>
        <h1>{t('signIn.title')}</h1>
        <p class="lead">{t('signIn.lead')}</p>
        {props.notice && !action.error ? <Notice kind="info">{props.notice}</Notice> : null}
        <ErrorNotice error={action.error} />
        <Field label={t('signIn.username')} name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required maxLength={64} value={username} onValue={setUsername} autoFocus />
        <Field label={t('signIn.password')} name="password" type="password" autocomplete="current-password" required maxLength={1024} value={password} onValue={setPassword} />
        <Button type="submit" busy={action.busy}>
          {action.busy ? t('signIn.busy') : t('signIn.submit')}
        </Button>
        <p class="card-footer-link">
          <a href="/forgot-password">{t('signIn.forgot')}</a>
        </p>
      </form>
      {/* F-X-1: a passkey alone; an application that asks for a second factor gets one (amr mfa) too. */}
      {passkeysSupported() ? <PasswordlessSignIn onDone={props.onDone} onStart={() => action.setError(null)} /> : null}
    </div>
  )
}

function SecondFactorStep(props: { flow: Flow; onDone(answer: FlowAnswer): void; onRestart(message: string): void }) {
  const t = useT()
  const { language } = useLanguage()
  // A browser that cannot use passkeys is not offered them (F-X-1).
  const offered = (props.flow.methods ?? []).filter((m) => m !== 'passkey' || passkeysSupported())
  const preferred = props.flow.preferredMethod && offered.includes(props.flow.preferredMethod) ? props.flow.preferredMethod : undefined
  const [method, setMethod] = useState<MethodKind>(preferred ?? offered[0] ?? 'totp')
  const [choosing, setChoosing] = useState(false)
  // A new key starts a new push when "Approve on your phone" is chosen again (F-PUSH-2).
  const [pushKey, setPushKey] = useState(0)
  const [code, setCode] = useState('')
  const [remember, setRemember] = useState(false)
  const [locked, setLocked] = useState(false)
  const [sent, setSent] = useState<{ sentTo: string; expiresAt: string } | null>(null)
  const action = useAction()
  const codeInput = useRef<HTMLDivElement>(null)
  const days = props.flow.rememberBrowserDays ?? 0
  const others = offered.filter((m) => m !== method)
  // F-LOGIN-2: the preferred method first in the list too.
  const ordered = [...offered].sort((a, b) => Number(b === preferred) - Number(a === preferred))
  const busy = action.busy

  /** The failure in this page's words; an expired flow starts again, a wrong code is cleared. */
  function explain(caught: unknown): unknown {
    if (!(caught instanceof ApiError)) return caught
    if (caught.code === 'FLOW_EXPIRED') {
      props.onRestart(errorText(t, caught))
      return null
    }
    if (caught.code === 'ACCOUNT_LOCKED') {
      setLocked(true)
      const until = typeof caught.details.lockedUntil === 'string' ? caught.details.lockedUntil : null
      // The attempt that locks says so itself (issue 17): when it opens again, or whom to ask.
      return until ? t('signIn.lockedUntil', { time: formatTimeOrDateTime(language, until) }) : t('signIn.locked')
    }
    if (caught.code === 'CODE_INVALID') {
      setCode('')
      codeInput.current?.querySelector('input')?.focus()
      return method === 'totp' ? t('signIn.wrongCode') : method === 'recovery_code' ? t('signIn.wrongRecoveryCode') : caught
    }
    return caught
  }

  function verify(event: Event) {
    event.preventDefault()
    if (!CODE_METHODS.includes(method)) return
    void action.run(async () => {
      props.onDone(await api<FlowAnswer>('POST', '/api/v1/sign-in/second-factor', { method, code: code.trim(), rememberBrowser: remember }))
    }, explain)
  }

  function sendCode() {
    void action.run(async () => {
      setSent(await api<{ sentTo: string; expiresAt: string }>('POST', '/api/v1/sign-in/send-code', { method }))
    }, explain)
  }

  function choose(next: MethodKind) {
    if (next === 'push') setPushKey((key) => key + 1)
    setMethod(next)
    setChoosing(false)
    setCode('')
    setSent(null)
    action.setError(null)
  }

  const usesCode = CODE_METHODS.includes(method)
  const numeric = method !== 'recovery_code'
  const hint = method === 'totp' ? t('signIn.code.totp.hint') : method === 'recovery_code' ? t('signIn.code.recovery_code.hint') : undefined
  return (
    <form class="card" onSubmit={verify}>
      <h1>{t('signIn.secondFactor.title')}</h1>
      <p class="lead">{t('signIn.secondFactor.lead')}</p>
      <ErrorNotice error={action.error} />
      {choosing ? (
        <fieldset class="choices">
          <legend>{t('signIn.otherMethod.title')}</legend>
          {ordered.map((m) => (
            <button key={m} type="button" class="choice" onClick={() => choose(m)} aria-current={m === method ? 'true' : undefined}>
              {m === 'push' ? t('push.choice') : t(methodLabel(m))}
            </button>
          ))}
        </fieldset>
      ) : method === 'push' ? (
        <PushApproval
          key={pushKey}
          rememberBrowserDays={days}
          remember={remember}
          onRemember={setRemember}
          canUseCode={offered.includes('totp')}
          canUseOther={others.length > 0}
          onDone={props.onDone}
          onUseCode={() => choose('totp')}
          onOtherMethod={() => {
            action.setError(null)
            setChoosing(true)
          }}
          onRestart={props.onRestart}
        />
      ) : method === 'passkey' ? (
        <PasskeyStep rememberBrowserDays={days} remember={remember} onRemember={setRemember} locked={locked} onDone={props.onDone} explain={explain} />
      ) : usesCode ? (
        <>
          {method === 'sms' || method === 'email' ? (
            <p>
              {sent ? <Notice kind="info">{t('signIn.code.sent', { sentTo: sent.sentTo, time: formatDateTime(language, sent.expiresAt) })}</Notice> : null}
              <Button variant="secondary" busy={busy} onClick={sendCode} disabled={locked}>
                {sent ? t('signIn.code.resend') : t('signIn.code.send')}
              </Button>
            </p>
          ) : null}
          <div ref={codeInput}>
            <Field
              label={t(`signIn.code.${method as 'totp' | 'sms' | 'email' | 'recovery_code'}`)}
              hint={hint}
              name="code"
              autocomplete="one-time-code"
              inputMode={numeric ? 'numeric' : 'text'}
              pattern={numeric ? '[0-9 ]*' : undefined}
              maxLength={numeric ? 8 : 64}
              required
              autoFocus
              disabled={locked}
              value={code}
              onValue={setCode}
            />
          </div>
          {days > 0 ? <Checkbox label={t('signIn.remember', { days })} hint={t('signIn.remember.hint')} checked={remember} onChecked={setRemember} disabled={locked} /> : null}
          <div class="actions">
            <Button type="submit" busy={busy} disabled={locked}>
              {busy ? t('signIn.verifying') : t('signIn.verify')}
            </Button>
          </div>
        </>
      ) : (
        <Notice kind="info">{t('signIn.notHere')}</Notice>
      )}
      <div class="actions actions-secondary">
        {/* The push screen offers it next to its own actions. */}
        {others.length > 0 && !choosing && method !== 'push' ? (
          <button type="button" class="button button-link" onClick={() => setChoosing(true)}>
            {t('signIn.otherMethod')}
          </button>
        ) : null}
        <button type="button" class="button button-link" onClick={() => props.onRestart('')}>
          {t('signIn.startOver')}
        </button>
      </div>
    </form>
  )
}
