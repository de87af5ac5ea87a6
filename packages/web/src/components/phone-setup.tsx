import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { formatDateTime, useLanguage, useT, type MessageId } from '../i18n'
import { Button, ErrorNotice, Field, Notice, useAction } from './ui'

/** Runs a request; My Account passes its re-authentication guard (SC-14), the enrolment dialog none. */
export type Guard = <T>(action: () => Promise<T>) => Promise<T>

/** `PUT /api/v1/account/phone` and `PUT /api/v1/account/email`: where the code went, masked. */
interface SentCode {
  sentTo: string
  expiresAt: string
}

/** `POST /api/v1/account/phone/verify`; `session` when it completed a forced enrolment (F-OTP-4). */
export interface PhoneVerified {
  phone: string
  phoneVerified: boolean
  session?: { restrictedToEnrolment: boolean }
}

/** `POST /api/v1/account/email/verify`. */
export interface EmailChanged {
  email: string
}

type Kind = 'phone' | 'email'

const KINDS = {
  phone: {
    path: '/api/v1/account/phone',
    field: { type: 'tel', autocomplete: 'tel', inputMode: 'tel', maxLength: 32, spellcheck: false },
    text: {
      label: 'contactChange.phone.label',
      hint: 'contactChange.phone.hint',
      sent: 'contactChange.phone.sent',
      code: 'contactChange.phone.code',
      codeHint: 'contactChange.phone.codeHint',
      wrongCode: 'contactChange.phone.wrongCode',
      deliveryFailed: 'contactChange.phone.deliveryFailed',
      other: 'contactChange.phone.other',
    },
  },
  email: {
    path: '/api/v1/account/email',
    field: { type: 'email', autocomplete: 'email', inputMode: 'email', maxLength: 254, spellcheck: false },
    text: {
      label: 'contactChange.email.label',
      hint: 'contactChange.email.hint',
      sent: 'contactChange.email.sent',
      code: 'contactChange.email.code',
      codeHint: 'contactChange.email.codeHint',
      wrongCode: 'contactChange.email.wrongCode',
      deliveryFailed: 'contactChange.email.deliveryFailed',
      other: 'contactChange.email.other',
    },
  },
} as const satisfies Record<Kind, { path: string; field: object; text: Record<string, MessageId> }>

/** Seconds left of a wait the server asked for (`Retry-After`), counting down once a second. */
export function useCountdown() {
  const [until, setUntil] = useState<number | null>(null)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (until === null) return
    const timer = setInterval(() => {
      const current = Date.now()
      setNow(current)
      if (current >= until) setUntil(null)
    }, 1000)
    return () => clearInterval(timer)
  }, [until])
  const left = until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000))
  return {
    left,
    start(seconds: number) {
      const current = Date.now()
      setNow(current)
      setUntil(current + seconds * 1000)
    },
  }
}

/**
 * F-SET-2: a new mobile number or e-mail address, then the code sent to it. The number or address
 * counts only once its code comes back. What the user typed stays through network errors and 5xx;
 * a wrong code is cleared and explained; "Send a new code" waits as long as the server says.
 */
function ContactChange(props: { kind: Kind; guard?: Guard | undefined; onVerified(answer: unknown): void | Promise<void>; onCancel?: (() => void) | undefined }) {
  const t = useT()
  const { language } = useLanguage()
  const kind = KINDS[props.kind]
  const guard: Guard = props.guard ?? ((action) => action())
  const [value, setValue] = useState('')
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [sent, setSent] = useState<SentCode | null>(null)
  const [resent, setResent] = useState(false)
  const [code, setCode] = useState('')
  const action = useAction()
  const wait = useCountdown()
  const form = useRef<HTMLFormElement>(null)

  /** The failure in this form's words; `null` when the field itself shows it. */
  function explain(caught: unknown): unknown {
    if (!(caught instanceof ApiError)) return caught
    if (caught.code === 'INVALID_REQUEST' && caught.field === props.kind && caught.message) {
      setFieldError(caught.message)
      return null
    }
    if (caught.code === 'CODE_INVALID') {
      setCode('')
      form.current?.querySelector<HTMLInputElement>('input[autocomplete=one-time-code]')?.focus()
      return t(kind.text.wrongCode)
    }
    if ((caught.code === 'RESEND_TOO_SOON' || caught.code === 'RATE_LIMITED') && caught.retryAfterSeconds) wait.start(caught.retryAfterSeconds)
    if (caught.code === 'DELIVERY_FAILED') return t(kind.text.deliveryFailed)
    return caught
  }

  function send(again: boolean) {
    setFieldError(null)
    void action.run(async () => {
      const answer = await guard(() => api<SentCode>('PUT', kind.path, { [props.kind]: value.trim() }))
      setSent(answer)
      setResent(again)
      setCode('')
    }, explain)
  }

  function verify(event: Event) {
    event.preventDefault()
    void action.run(async () => {
      const answer = await guard(() => api<unknown>('POST', `${kind.path}/verify`, { code: code.replace(/\s/g, '') }))
      await props.onVerified(answer)
    }, explain)
  }

  function another() {
    setSent(null)
    setCode('')
    action.setError(null)
  }

  const cancel = props.onCancel ? (
    <Button variant="secondary" onClick={props.onCancel} disabled={action.busy}>
      {t('common.cancel')}
    </Button>
  ) : null

  if (!sent) {
    return (
      <form
        ref={form}
        class="contact-change"
        onSubmit={(event) => {
          event.preventDefault()
          send(false)
        }}
      >
        <ErrorNotice error={action.error} />
        <Field
          label={t(kind.text.label)}
          hint={t(kind.text.hint)}
          name={props.kind}
          {...kind.field}
          autocapitalize="none"
          required
          autoFocus
          value={value}
          error={fieldError}
          onValue={(next) => {
            setValue(next)
            setFieldError(null)
          }}
        />
        <div class="actions">
          <Button type="submit" busy={action.busy} disabled={wait.left > 0}>
            {wait.left > 0 ? t('contactChange.sendIn', { seconds: wait.left }) : t('contactChange.send')}
          </Button>
          {cancel}
        </div>
      </form>
    )
  }

  return (
    <form ref={form} class="contact-change" onSubmit={verify}>
      <Notice kind="info">
        {resent ? t('contactChange.resent', { sentTo: sent.sentTo }) : null} {t(kind.text.sent, { sentTo: sent.sentTo, time: formatDateTime(language, sent.expiresAt) })}
      </Notice>
      <ErrorNotice error={action.error} />
      <Field label={t(kind.text.code)} hint={t(kind.text.codeHint)} name="code" autocomplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*" maxLength={8} required autoFocus value={code} onValue={setCode} />
      <div class="actions">
        <Button type="submit" busy={action.busy}>
          {t('contactChange.verify')}
        </Button>
        <Button variant="secondary" onClick={() => send(true)} disabled={action.busy || wait.left > 0}>
          {wait.left > 0 ? t('contactChange.resendIn', { seconds: wait.left }) : t('contactChange.resend')}
        </Button>
        {cancel}
      </div>
      <div class="actions actions-secondary">
        <button type="button" class="button button-link" onClick={another} disabled={action.busy}>
          {t(kind.text.other)}
        </button>
      </div>
    </form>
  )
}

/** Register or change the mobile number and verify it (F-SET-2); in forced enrolment this completes it (F-OTP-4). */
export function PhoneSetup(props: { guard?: Guard; onVerified(answer: PhoneVerified): void | Promise<void>; onCancel?: () => void }) {
  return <ContactChange kind="phone" guard={props.guard} onCancel={props.onCancel} onVerified={(answer) => props.onVerified(answer as PhoneVerified)} />
}

/** Change the e-mail address with a code sent to the new address (F-SET-2). */
export function EmailChange(props: { guard?: Guard; onVerified(answer: EmailChanged): void | Promise<void>; onCancel?: () => void }) {
  return <ContactChange kind="email" guard={props.guard} onCancel={props.onCancel} onVerified={(answer) => props.onVerified(answer as EmailChanged)} />
}
