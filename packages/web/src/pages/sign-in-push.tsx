import type { FlowAnswer, PushStarted } from '@countersign/protocol'
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { api, ApiError, errorText } from '../api'
import { Button, Checkbox, ErrorNotice, Notice } from '../components/ui'
import { listen } from '../event-stream'
import { useT } from '../i18n'
import '../push.css'

/** Issue 9: a challenge lasts 2 minutes. Used when the server's times cannot be read against ours. */
const CHALLENGE_SECONDS = 120
/** How often the page asks when the event stream is not available (docs/authenticator-protocol.md §5). */
const POLL_MS = 2000

/** `locked`: the account was locked meanwhile (a wrong number counts as a failed attempt, PU-01). */
type DenyReason = 'denied' | 'not_me' | 'wrong_number' | 'locked'
type Outcome = 'done' | 'pending' | 'closed'

type Phase =
  | { kind: 'sending' }
  | { kind: 'waiting'; started: PushStarted; deadline: number; seconds: number }
  | { kind: 'approved' }
  | { kind: 'denied'; reason: DenyReason }
  | { kind: 'expired' }
  /** PU-04: `minutes` while the 15-minute window runs; `null` when paused until another sign-in. */
  | { kind: 'paused'; minutes: number | null }
  | { kind: 'failed'; error: unknown }

/** An event about another challenge than the one shown (an earlier push of this sign-in) is not ours. */
function isAbout(data: unknown, challengeId: string): boolean {
  const about = typeof data === 'object' && data !== null ? (data as { challengeId?: unknown }).challengeId : undefined
  return typeof about !== 'string' || about === challengeId
}

function denyReason(value: unknown): DenyReason {
  const reason = typeof value === 'object' && value !== null ? (value as { reason?: unknown }).reason : undefined
  return reason === 'wrong_number' || reason === 'not_me' || reason === 'locked' ? reason : 'denied'
}

/**
 * The challenge's length in seconds. The browser's clock may differ from the server's, so the
 * countdown runs on our clock for the length the server gave (`createdAt` when it sends one);
 * an answer that makes no sense against our clock falls back to the protocol's 2 minutes.
 */
function lengthSeconds(started: PushStarted & { createdAt?: string }, receivedAt: number): number {
  const from = started.createdAt ? Date.parse(started.createdAt) : receivedAt
  const seconds = Math.round((Date.parse(started.expiresAt) - from) / 1000)
  return seconds > 0 && seconds <= 600 ? seconds : CHALLENGE_SECONDS
}

function minutesAndSeconds(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

/**
 * F-PUSH-2, F-PUSH-5: sends a sign-in request to every linked Countersign Authenticator, shows the
 * number to type on the phone and waits (event stream, or polling every 2 s when the stream
 * fails). Approved: the sign-in completes and the page goes on by itself; denied, expired and a
 * paused push (PU-04) each say so, with a way on. The app's code (F-PUSH-3) is always one click away.
 */
export function PushApproval(props: {
  rememberBrowserDays: number
  remember: boolean
  onRemember(remember: boolean): void
  canUseCode: boolean
  canUseOther: boolean
  onDone(answer: FlowAnswer): void
  onUseCode(): void
  onOtherMethod(): void
  onRestart(message: string): void
}) {
  const t = useT()
  const numberLabel = useId()
  const [phase, setPhase] = useState<Phase>({ kind: 'sending' })
  const [polling, setPolling] = useState(false)
  const [now, setNow] = useState(() => Date.now())
  const alive = useRef(true)
  const sending = useRef(false)
  /** Bumped by every new push: answers about an earlier challenge are ignored. */
  const generation = useRef(0)
  /** Set once the challenge has an outcome; cleared by a new push. */
  const settled = useRef(false)
  const inFlight = useRef<Promise<Outcome> | null>(null)
  const remember = useRef(props.remember)
  remember.current = props.remember

  async function send() {
    if (sending.current) return
    sending.current = true
    const mine = ++generation.current
    settled.current = false
    setPolling(false)
    setPhase({ kind: 'sending' })
    try {
      // A new push for the flow ends the previous challenge on the server (§5).
      const started = await api<PushStarted>('POST', '/api/v1/sign-in/push', {})
      if (!alive.current || mine !== generation.current) return
      const receivedAt = Date.now()
      const seconds = lengthSeconds(started, receivedAt)
      setNow(receivedAt)
      setPhase({ kind: 'waiting', started, deadline: receivedAt + seconds * 1000, seconds })
    } catch (caught) {
      if (!alive.current || mine !== generation.current) return
      settled.current = true
      if (caught instanceof ApiError && caught.code === 'RATE_LIMITED') {
        const windowed = caught.details.reason === 'push_rate_limited' && caught.retryAfterSeconds !== undefined
        setPhase({ kind: 'paused', minutes: windowed ? Math.max(1, Math.ceil(caught.retryAfterSeconds! / 60)) : null })
      } else if (caught instanceof ApiError && caught.code === 'FLOW_EXPIRED') props.onRestart(errorText(t, caught))
      else setPhase({ kind: 'failed', error: caught })
    } finally {
      sending.current = false
    }
  }

  /** One request to finish the sign-in; `pending` means no answer yet (409 PUSH_PENDING). */
  async function attempt(): Promise<Outcome> {
    const mine = generation.current
    try {
      const answer = await api<FlowAnswer>('POST', '/api/v1/sign-in/push/complete', { rememberBrowser: remember.current })
      if (!alive.current || mine !== generation.current || settled.current) return 'closed'
      settled.current = true
      setPhase({ kind: 'approved' })
      props.onDone(answer)
      return 'done'
    } catch (caught) {
      if (!alive.current || mine !== generation.current || settled.current) return 'closed'
      if (!(caught instanceof ApiError) || caught.code === 'PUSH_PENDING' || caught.code === 'NETWORK') return 'pending'
      settled.current = true
      if (caught.code === 'PUSH_DENIED') setPhase({ kind: 'denied', reason: denyReason(caught.details) })
      else if (caught.code === 'CHALLENGE_EXPIRED') setPhase({ kind: 'expired' })
      else if (caught.code === 'FLOW_EXPIRED') props.onRestart(errorText(t, caught))
      else setPhase({ kind: 'failed', error: caught })
      return 'closed'
    }
  }

  /**
   * Asks the server to finish, one request at a time. `wait`: after one already in flight, ask
   * again if that one found nothing yet (an "approved" event during a poll must not be lost).
   */
  async function complete(wait: boolean): Promise<Outcome> {
    const running = inFlight.current
    if (running) {
      if (!wait) return 'pending'
      const outcome = await running
      if (outcome !== 'pending') return outcome
      return complete(wait)
    }
    if (settled.current) return 'closed'
    const next = attempt()
    inFlight.current = next
    try {
      return await next
    } finally {
      if (inFlight.current === next) inFlight.current = null
    }
  }

  useEffect(() => {
    void send()
    return () => {
      alive.current = false
    }
  }, [])

  const challengeId = phase.kind === 'waiting' ? phase.started.challengeId : null

  // The answer arrives on the flow's event stream; if the stream fails, polling takes over.
  useEffect(() => {
    if (!challengeId || polling) return
    const stop = listen(
      '/api/v1/sign-in/events',
      {
        approved: (data) => {
          if (!isAbout(data, challengeId)) return
          stop()
          void complete(true).then((outcome) => {
            // Another instance may not have seen the answer yet: ask again shortly.
            if (outcome === 'pending' && alive.current) setPolling(true)
          })
        },
        denied: (data) => {
          if (!isAbout(data, challengeId)) return
          stop()
          settled.current = true
          setPhase({ kind: 'denied', reason: denyReason(data) })
        },
        expired: (data) => {
          if (!isAbout(data, challengeId)) return
          stop()
          settled.current = true
          // `{"flow": true}`: the whole sign-in took too long, not just this request.
          if (typeof data === 'object' && data !== null && (data as { flow?: unknown }).flow === true) props.onRestart(t('error.FLOW_EXPIRED'))
          else setPhase({ kind: 'expired' })
        },
      },
      // The stream reports the challenge's state as it opens, so nothing said before is lost.
      { onFailure: () => setPolling(true) },
    )
    return stop
  }, [challengeId, polling])

  useEffect(() => {
    if (!challengeId || !polling) return
    const timer = setInterval(() => void complete(false), POLL_MS)
    return () => clearInterval(timer)
  }, [challengeId, polling])

  // The countdown; past it, the server decides (410 CHALLENGE_EXPIRED) while the page keeps asking.
  useEffect(() => {
    if (phase.kind !== 'waiting') return
    const timer = setInterval(() => {
      const current = Date.now()
      setNow(current)
      if (current >= phase.deadline) setPolling(true)
    }, 1000)
    return () => clearInterval(timer)
  }, [challengeId])

  const useCode = props.canUseCode ? (
    <div class="push-fallback">
      <Button variant="link" onClick={props.onUseCode}>
        {t('push.useCode')}
      </Button>
      <p class="hint">{t('push.useCode.hint')}</p>
    </div>
  ) : null
  const otherMethod = (variant: 'primary' | 'secondary' | 'link') =>
    props.canUseOther ? (
      <Button variant={variant} onClick={props.onOtherMethod}>
        {t('signIn.otherMethod')}
      </Button>
    ) : null
  const rememberBox =
    props.rememberBrowserDays > 0 ? (
      <Checkbox label={t('signIn.remember', { days: props.rememberBrowserDays })} hint={t('signIn.remember.hint')} checked={props.remember} onChecked={props.onRemember} />
    ) : null

  /** Every state shares the frame: the heading, its own body, and the app-code fallback. */
  const frame = (body: ComponentChildren, withCodeFallback = true) => (
    <div class="push">
      <h2 class="method-name">{t('push.title')}</h2>
      {body}
      {withCodeFallback ? useCode : null}
    </div>
  )
  /** "Try again" (or "Send again") first, another method second. */
  const retry = (label: string) => (
    <div class="actions">
      <Button onClick={() => void send()}>{label}</Button>
      {otherMethod('secondary')}
    </div>
  )

  switch (phase.kind) {
    case 'sending':
      return frame(
        <p class="loading" role="status">
          {t('push.sending')}
        </p>,
      )
    case 'approved':
      return frame(<Notice kind="success">{t('push.approved')}</Notice>, false)
    case 'denied':
      return frame(
        <>
          <Notice kind="error">
            {phase.reason === 'locked' ? (
              t('error.ACCOUNT_LOCKED')
            ) : (
              <>
                <strong>{phase.reason === 'wrong_number' ? t('push.denied.wrong_number') : t('push.denied.refused')}</strong> {t('push.denied.hint')}
              </>
            )}
          </Notice>
          {retry(t('common.retry'))}
        </>,
      )
    case 'expired':
      return frame(
        <>
          <Notice kind="warning">
            <strong>{t('push.expired')}</strong> {t('push.expired.hint')}
          </Notice>
          {retry(t('push.sendAgain'))}
        </>,
      )
    case 'paused':
      return frame(
        <>
          <Notice kind="warning">{phase.minutes === null ? t('push.suspended') : t('push.rateLimited', { minutes: phase.minutes })}</Notice>
          <div class="actions">{otherMethod('primary')}</div>
        </>,
      )
    case 'failed':
      return frame(
        <>
          <ErrorNotice error={phase.error} />
          {retry(t('common.retry'))}
        </>,
      )
  }

  const { started } = phase
  const left = Math.max(0, Math.ceil((phase.deadline - now) / 1000))
  return frame(
    <>
      <div class="push-match">
        <p class="push-number-label" id={numberLabel}>
          {t('push.number.label')}
        </p>
        <p class="push-number" aria-describedby={numberLabel}>
          {started.matchNumber}
        </p>
      </div>
      <p class="push-devices">{started.devices === 0 ? t('push.devices.none') : started.devices === 1 ? t('push.devices.one') : t('push.devices.other', { count: started.devices })}</p>
      <p class="push-status" role="status">
        <span class="push-spinner" aria-hidden="true" />
        {t('push.waiting')}
      </p>
      <p class="muted push-countdown">{t('push.expiresIn', { time: minutesAndSeconds(left) })}</p>
      <progress class="push-progress" max={phase.seconds} value={left} aria-hidden="true" />
      {rememberBox}
      <div class="actions">
        <Button variant="link" onClick={() => void send()}>
          {t('push.sendAgain')}
        </Button>
        {otherMethod('link')}
      </div>
    </>,
  )
}
