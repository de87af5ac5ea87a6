import { useEffect, useState } from 'preact/hooks'
import { Field, Layout, Notice, type Tone } from '../components/ui'
import type { MessageId } from '../i18n'
import { formatDateTime } from '../i18n'
import { useLanguage, useT } from '../i18n/context'
import { isDevice } from '../lib/accounts'
import { onAppEvent } from '../lib/app-events'
import { browserName } from '../lib/browser-name'
import { errorText } from '../lib/error-text'
import { closeNotification } from '../lib/push'
import { answerChallenge, readChallenge, serverNow, ServerError, type Challenge, type PairedAccount } from '../lib/server-api'
import { isActive, useApp } from '../state'

type Screen =
  | { kind: 'loading' }
  | { kind: 'ready'; challenge: Challenge; account: PairedAccount }
  | { kind: 'done'; tone: Tone; message: MessageId }
  | { kind: 'error'; text: string }

const CLOSED_MESSAGES: Record<string, MessageId> = {
  approved: 'challenge.closedApproved',
  denied: 'challenge.closedDenied',
  expired: 'challenge.expired',
}

/**
 * One sign-in request (F-PUSH-2, F-PUSH-5): its context, the number typed from the sign-in
 * screen (never picked from a list), and a signed Approve or Deny, with "This wasn't me".
 */
export function ChallengePage(props: { challengeId: string; server: string; deviceId: string }) {
  const t = useT()
  const { language } = useLanguage()
  const { accounts, navigate, refreshPending } = useApp()
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' })
  const [number, setNumber] = useState('')
  const [numberError, setNumberError] = useState<string | null>(null)
  const [step, setStep] = useState<'number' | 'deny'>('number')
  const [sending, setSending] = useState(false)
  const [sendError, setSendError] = useState<string | null>(null)
  const [now, setNow] = useState(() => Date.now())

  // By server and device: the same device id of another server is another account.
  const account = accounts?.find((candidate) => isDevice(candidate, props.server, props.deviceId))

  async function load(target: PairedAccount) {
    setScreen({ kind: 'loading' })
    try {
      const challenge = await readChallenge(target, props.challengeId)
      if (challenge.status !== 'pending') {
        void closeNotification(challenge.id)
        setScreen({ kind: 'done', tone: 'info', message: CLOSED_MESSAGES[challenge.status] ?? 'challenge.closed' })
      } else setScreen({ kind: 'ready', challenge, account: target })
    } catch (error) {
      if (error instanceof ServerError && error.status === 404) setScreen({ kind: 'done', tone: 'info', message: 'challenge.notFound' })
      else if (error instanceof ServerError && error.status === 410) setScreen({ kind: 'done', tone: 'info', message: 'challenge.expired' })
      else setScreen({ kind: 'error', text: errorText(t, error) })
    }
  }

  useEffect(() => {
    if (accounts === null) return
    if (!account || !isActive(account)) {
      setScreen({ kind: 'done', tone: 'warning', message: 'challenge.unknownAccount' })
      return
    }
    if (screen.kind === 'loading') void load(account)
  }, [accounts === null, account?.id])

  // Another device answered, or the server let it expire: close this prompt (protocol §3, events).
  useEffect(
    () =>
      onAppEvent((event) => {
        if (event.type === 'closed' && event.challengeId === props.challengeId) {
          setScreen((current) => (current.kind === 'ready' ? { kind: 'done', tone: 'info', message: CLOSED_MESSAGES[event.status] ?? 'challenge.closed' } : current))
        }
        if (event.type === 'removed' && event.server === props.server && event.deviceId === props.deviceId) {
          setScreen((current) => (current.kind === 'ready' ? { kind: 'done', tone: 'warning', message: 'challenge.unknownAccount' } : current))
        }
      }),
    [props.challengeId],
  )

  useEffect(() => {
    if (screen.kind !== 'ready') return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [screen.kind])

  async function send(decision: 'approve' | 'deny', notMe: boolean) {
    if (screen.kind !== 'ready') return
    const digits = screen.challenge.numberLength
    const typed = number.replace(/\s/g, '')
    if (decision === 'approve' && !new RegExp(`^[0-9]{${digits}}$`).test(typed)) {
      setNumberError(t('challenge.numberRequired', { digits }))
      return
    }
    setSending(true)
    setSendError(null)
    try {
      const result = await answerChallenge(screen.account, screen.challenge.id, { decision, number: decision === 'approve' ? typed : '', notMe })
      setScreen({
        kind: 'done',
        tone: result.status === 'approved' ? 'success' : 'info',
        message: result.status === 'approved' ? 'challenge.approved' : notMe ? 'challenge.deniedNotMe' : 'challenge.denied',
      })
    } catch (error) {
      const code = error instanceof ServerError ? error.code : ''
      if (code === 'NUMBER_MISMATCH') setScreen({ kind: 'done', tone: 'error', message: 'challenge.numberMismatch' })
      else if (code === 'CHALLENGE_CLOSED') setScreen({ kind: 'done', tone: 'info', message: 'challenge.closed' })
      else if (code === 'CHALLENGE_EXPIRED') setScreen({ kind: 'done', tone: 'info', message: 'challenge.expired' })
      else {
        // A network failure or a refused signature: the prompt stays, so the user can try again.
        setSendError(errorText(t, error))
      }
    } finally {
      setSending(false)
      void closeNotification(props.challengeId)
      refreshPending()
    }
  }

  const back = () => navigate('/')
  return (
    <Layout title={t('challenge.title')} back={back}>
      {screen.kind === 'loading' ? <p class="muted">{t('common.loading')}</p> : null}
      {screen.kind === 'error' ? (
        <section class="card">
          <Notice tone="error">{screen.text}</Notice>
          <div class="actions">
            <button type="button" class="button button-primary" onClick={() => account && isActive(account) && void load(account)}>
              {t('common.retry')}
            </button>
            <button type="button" class="button button-secondary" onClick={back}>
              {t('challenge.done')}
            </button>
          </div>
        </section>
      ) : null}
      {screen.kind === 'done' ? (
        <section class={`card result result-${screen.tone}`}>
          <span aria-hidden="true" class={`result-icon result-icon-${screen.tone}`} />
          <Notice tone={screen.tone}>{t(screen.message)}</Notice>
          <button type="button" class="button button-secondary button-wide" onClick={back}>
            {t('challenge.done')}
          </button>
        </section>
      ) : null}
      {screen.kind === 'ready' ? (
        <section class="card challenge" aria-labelledby="challenge-title">
          <h1 id="challenge-title">{t('challenge.title')}</h1>
          <p class="lead">{t('challenge.lead', { username: screen.challenge.username })}</p>
          <dl class="details">
            <dt>{t('challenge.organisation')}</dt>
            <dd>{screen.challenge.organisation?.name ?? screen.account.name}</dd>
            <dt>{t('challenge.account')}</dt>
            <dd>{screen.challenge.username}</dd>
            <dt>{t('challenge.browser')}</dt>
            <dd>
              <span>{browserName(t, screen.challenge.browser)}</span>
              {screen.challenge.browser && screen.challenge.browser.includes('/') ? (
                <details class="user-agent">
                  <summary>{t('challenge.browserFull')}</summary>
                  {screen.challenge.browser}
                </details>
              ) : null}
            </dd>
            <dt>{t('challenge.ip')}</dt>
            <dd>{screen.challenge.ip ?? '–'}</dd>
            <dt>{t('challenge.time')}</dt>
            <dd>
              {formatDateTime(language, screen.challenge.createdAt)}
              <span class="expires">
                {t('challenge.expiresIn', {
                  seconds: Math.max(0, Math.round((Date.parse(screen.challenge.expiresAt) - serverNow(screen.account.pairing.server, now).getTime()) / 1000)),
                })}
              </span>
            </dd>
          </dl>
          {step === 'number' ? (
            <form
              onSubmit={(event) => {
                event.preventDefault()
                void send('approve', false)
              }}
            >
              <Field
                label={t('challenge.numberLabel')}
                hint={t('challenge.numberHint', { digits: screen.challenge.numberLength })}
                value={number}
                onValue={(value) => {
                  setNumber(value.replace(/[^0-9]/g, ''))
                  setNumberError(null)
                }}
                error={numberError}
                inputMode="numeric"
                pattern="[0-9]*"
                maxLength={screen.challenge.numberLength}
                autocomplete="one-time-code"
                big
              />
              {sendError ? <Notice tone="error">{sendError}</Notice> : null}
              <div class="actions actions-stacked">
                <button type="submit" class="button button-primary button-wide" disabled={sending}>
                  {sending ? t('challenge.sending') : t('challenge.approve')}
                </button>
                <button type="button" class="button button-secondary button-wide" disabled={sending} onClick={() => setStep('deny')}>
                  {t('challenge.deny')}
                </button>
              </div>
            </form>
          ) : (
            <div class="deny">
              <h2>{t('challenge.denyTitle')}</h2>
              <p>{t('challenge.denyBody')}</p>
              {sendError ? <Notice tone="error">{sendError}</Notice> : null}
              <div class="actions actions-stacked">
                <button type="button" class="button button-danger button-wide" disabled={sending} onClick={() => void send('deny', true)}>
                  {t('challenge.notMe')}
                </button>
                <button type="button" class="button button-secondary button-wide" disabled={sending} onClick={() => void send('deny', false)}>
                  {t('challenge.denyMine')}
                </button>
                <button type="button" class="button-link" disabled={sending} onClick={() => setStep('number')}>
                  {t('common.back')}
                </button>
              </div>
            </div>
          )}
        </section>
      ) : null}
    </Layout>
  )
}
