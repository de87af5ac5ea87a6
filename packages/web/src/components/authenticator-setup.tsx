import type { Device } from '@countersign/protocol'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { listen } from '../event-stream'
import { useT } from '../i18n'
import '../push.css'
import { explainLinkingFailure } from './totp-setup'
import { Button, ErrorNotice, Field, Notice, useAction } from './ui'

/** `POST /api/v1/account/devices/authenticator` (docs/authenticator-protocol.md §1). */
interface PendingAuthenticator {
  deviceId: string
  otpauthUri: string
  pairingUri: string
  secret: string
  qrCode: string
  expiresAt: string
}

/** PU-09: a pairing token works for 10 minutes. */
const PAIRING_MS = 10 * 60_000
/** How often the device list is read when the event stream is not available. */
const POLL_MS = 3000

/** The link that opens the app on this phone with the pairing filled in. */
export function appPairingLink(pairingUri: string): string {
  return `${location.origin}/app/#/pair?uri=${encodeURIComponent(pairingUri)}`
}

/**
 * Linking a Countersign Authenticator (F-PUSH-1): name the device, show the pairing QR code (and
 * the link, for a phone that shows this page itself), then wait for the app's "Login": the page
 * learns it from the device's event stream (polling the device list if the stream fails) and
 * goes on by itself. The QR code is an ordinary otpauth URI too, so any other app can scan it
 * and be confirmed with its code (F-TOTP-1). `confirmPairing`: forced enrolment, where the
 * paired device is then confirmed with an empty body so the restricted session gives way to a
 * full one.
 */
export function AuthenticatorSetup(props: {
  onLinked(device: Device): void
  onCancel?: () => void
  onError?: (error: unknown, retry: () => void) => boolean
  confirmPairing?: boolean
}) {
  const t = useT()
  const [name, setName] = useState(t('authenticator.defaultName'))
  const [pending, setPending] = useState<PendingAuthenticator | null>(null)
  const [expired, setExpired] = useState(false)
  const [polling, setPolling] = useState(false)
  const [code, setCode] = useState('')
  const [copied, setCopied] = useState(false)
  const action = useAction()
  const linking = useAction()
  const linkInput = useRef<HTMLInputElement>(null)
  const linkId = useId()
  const alive = useRef(true)
  const finished = useRef(false)
  useEffect(
    () => () => {
      alive.current = false
    },
    [],
  )

  const explain = explainLinkingFailure(t, props.onError, () => setCode(''))

  function start(event?: Event) {
    event?.preventDefault()
    void action.run(async () => {
      const created = await api<PendingAuthenticator>('POST', '/api/v1/account/devices/authenticator', { name: name.trim() })
      finished.current = false
      setExpired(false)
      setPolling(false)
      setCopied(false)
      setCode('')
      setPending(created)
    }, explain(() => start()))
  }

  /** The app paired the device: in forced enrolment it is confirmed first (an empty body). */
  async function paired(device: Device) {
    if (finished.current || !alive.current) return
    finished.current = true
    if (!props.confirmPairing) return props.onLinked(device)
    const confirmed = await linking.run(() => api<Device>('POST', `/api/v1/account/devices/${encodeURIComponent(device.id)}/confirm`, {}))
    if (confirmed) props.onLinked(confirmed)
    else finished.current = false
  }

  /** Whether the device is linked now, from the account's device list (pending ones are not listed). */
  async function check(deviceId: string) {
    const devices = await api<Device[]>('GET', '/api/v1/account/devices').catch(() => null)
    const device = devices?.find((d) => d.id === deviceId)
    if (device) await paired(device)
  }

  function confirm(event?: Event) {
    event?.preventDefault()
    // Enter in the link field submits the form too; only a typed code confirms.
    if (!pending || !code.trim()) return
    void action.run(async () => {
      const device = await api<Device>('POST', `/api/v1/account/devices/${encodeURIComponent(pending.deviceId)}/confirm`, { code: code.trim() })
      finished.current = true
      props.onLinked(device)
    }, explain(() => confirm()))
  }

  const deviceId = pending?.deviceId ?? null
  const waiting = deviceId !== null && !expired

  // F-PUSH-1: the page updates by itself when the app taps "Login".
  useEffect(() => {
    if (!deviceId || !waiting || polling) return
    const stop = listen(
      `/api/v1/account/devices/${encodeURIComponent(deviceId)}/events`,
      {
        linked: (data) => {
          stop()
          const device = data as Device | undefined
          if (device && typeof device.id === 'string') void paired(device)
          else void check(deviceId)
        },
      },
      // The stream looks at the device as it opens: a pairing before that is not lost.
      { onFailure: () => setPolling(true) },
    )
    return stop
  }, [deviceId, waiting, polling])

  useEffect(() => {
    if (!deviceId || !waiting || !polling) return
    const timer = setInterval(() => void check(deviceId), POLL_MS)
    return () => clearInterval(timer)
  }, [deviceId, waiting, polling])

  useEffect(() => {
    if (!deviceId) return
    const timer = setTimeout(() => setExpired(true), PAIRING_MS)
    return () => clearTimeout(timer)
  }, [deviceId])

  async function copy() {
    const link = linkInput.current
    if (!link) return
    link.select()
    try {
      await navigator.clipboard.writeText(link.value)
    } catch {
      // Not a secure context, or no permission: the selected text can still be copied by hand.
      document.execCommand('copy')
    }
    setCopied(true)
  }

  const cancel = props.onCancel ? (
    <Button variant="secondary" onClick={props.onCancel}>
      {t('common.cancel')}
    </Button>
  ) : null

  if (!pending) {
    return (
      <form class="pairing" onSubmit={start}>
        <p>{t('authenticator.intro')}</p>
        <ErrorNotice error={action.error} />
        <Field label={t('totp.name')} hint={t('totp.name.hint')} name="deviceName" required maxLength={64} value={name} onValue={setName} />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('totp.start')}
          </Button>
          {cancel}
        </div>
      </form>
    )
  }

  const appUrl = `${location.origin}/app/`
  const link = appPairingLink(pending.pairingUri)
  return (
    <form class="pairing pairing-active" onSubmit={confirm}>
      <ol class="steps">
        <li class="pairing-url">{t('authenticator.step.open', { url: appUrl })}</li>
        <li>
          {t('authenticator.step.scan')}
          {expired ? (
            <Notice kind="warning">
              {t('authenticator.expired')}{' '}
              <Button variant="link" busy={action.busy} onClick={() => start()}>
                {t('authenticator.restart')}
              </Button>
            </Notice>
          ) : (
            <div class="qr">
              <img src={pending.qrCode} alt={t('authenticator.qr.alt')} width="220" height="220" />
            </div>
          )}
        </li>
        <li>{t('authenticator.step.login')}</li>
      </ol>
      {waiting ? (
        <p class="pairing-status" role="status">
          <span class="push-spinner" aria-hidden="true" />
          {t('authenticator.waiting')}
        </p>
      ) : null}
      <ErrorNotice error={linking.error} />
      {linking.error ? (
        <div class="actions">
          <Button busy={linking.busy} onClick={() => void check(pending.deviceId)}>
            {t('common.retry')}
          </Button>
        </div>
      ) : null}

      {/* On a phone-sized screen this comes first: the page may be on the phone itself. */}
      <div class="pairing-here">
        <h3>{t('authenticator.onPhone')}</h3>
        <p>
          <a href={link}>{t('authenticator.openLink')}</a>
        </p>
      </div>
      <div class="field">
        <label for={linkId}>{t('authenticator.link.label')}</label>
        <p class="hint" id={`${linkId}-hint`}>
          {t('authenticator.link.hint')}
        </p>
        <div class="pairing-link">
          <input ref={linkInput} id={linkId} readOnly value={link} spellcheck={false} aria-describedby={`${linkId}-hint`} onFocus={(event) => (event.currentTarget as HTMLInputElement).select()} />
          <Button variant="secondary" onClick={() => void copy()}>
            {t('authenticator.copy')}
          </Button>
        </div>
        {copied ? (
          <p class="hint" role="status">
            {t('authenticator.copied')}
          </p>
        ) : null}
      </div>

      <details class="manual">
        <summary>{t('authenticator.otherApp')}</summary>
        <p>{t('authenticator.otherApp.hint')}</p>
        <p>{t('totp.manual.hint')}</p>
        <p class="secret" aria-label={t('totp.secret')}>
          <code>{pending.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
        </p>
        <Notice kind="info">{t('totp.clock')}</Notice>
        <ErrorNotice error={action.error} />
        <Field label={t('totp.code')} name="code" autocomplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*" maxLength={8} value={code} onValue={setCode} />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('totp.link')}
          </Button>
        </div>
      </details>
      {cancel ? <div class="actions">{cancel}</div> : null}
    </form>
  )
}
