import type { Device } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { useT, type Translate } from '../i18n'
import { Button, ErrorNotice, Field, Notice, useAction } from './ui'

interface PendingDevice {
  deviceId: string
  otpauthUri: string
  secret: string
  qrCode: string
  expiresAt: string
}

/**
 * "Time-based One-Time-Password from app" (F-TOTP-1…3): name the device, scan the QR code or
 * type the secret, confirm with the app's code. The device exists for the user only once
 * confirmed. `onError` lets the caller handle REAUTHENTICATION_REQUIRED (and retry `start`).
 */
/**
 * How linking an app explains a failure, for both ways of linking: a re-authentication is the
 * caller's (`onError` takes it and retries), a wrong code is cleared and explained.
 */
export function explainLinkingFailure(t: Translate, onError: ((error: unknown, retry: () => void) => boolean) | undefined, clearCode: () => void) {
  return (retry: () => void) =>
    (caught: unknown): unknown => {
      if (onError?.(caught, retry)) return null
      if (caught instanceof ApiError && caught.code === 'CODE_INVALID') {
        clearCode()
        return t('totp.wrongCode')
      }
      return caught
    }
}

export function TotpSetup(props: { onLinked(device: Device): void; onCancel?: () => void; onError?: (error: unknown, retry: () => void) => boolean }) {
  const t = useT()
  const [name, setName] = useState(t('totp.defaultName'))
  const [pending, setPending] = useState<PendingDevice | null>(null)
  const [code, setCode] = useState('')
  const action = useAction()
  const busy = action.busy

  const explain = explainLinkingFailure(t, props.onError, () => setCode(''))

  function start(event?: Event) {
    event?.preventDefault()
    void action.run(async () => setPending(await api<PendingDevice>('POST', '/api/v1/account/devices/totp', { name: name.trim() })), explain(() => start()))
  }

  function confirm(event?: Event) {
    event?.preventDefault()
    if (!pending) return
    void action.run(async () => props.onLinked(await api<Device>('POST', `/api/v1/account/devices/${encodeURIComponent(pending.deviceId)}/confirm`, { code: code.trim() })), explain(() => confirm()))
  }

  const cancel = props.onCancel ? (
    <Button variant="secondary" onClick={props.onCancel}>
      {t('common.cancel')}
    </Button>
  ) : null

  if (!pending) {
    return (
      <form class="totp-setup" onSubmit={start}>
        <p>{t('totp.intro')}</p>
        <ErrorNotice error={action.error} />
        <Field label={t('totp.name')} hint={t('totp.name.hint')} name="deviceName" required maxLength={64} value={name} onValue={setName} />
        <div class="actions">
          <Button type="submit" busy={busy}>
            {t('totp.start')}
          </Button>
          {cancel}
        </div>
      </form>
    )
  }

  return (
    <form class="totp-setup" onSubmit={confirm}>
      <ol class="steps">
        <li>{t('totp.step.install')}</li>
        <li>
          {t('totp.step.scan')}
          <div class="qr">
            <img src={pending.qrCode} alt={t('totp.qr.alt')} width="200" height="200" />
          </div>
          <details class="manual">
            <summary>{t('totp.manual')}</summary>
            <p>{t('totp.manual.hint')}</p>
            <p class="secret" aria-label={t('totp.secret')}>
              <code>{pending.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
            </p>
          </details>
        </li>
        <li>
          {t('totp.step.code')}
          <Notice kind="info">{t('totp.clock')}</Notice>
          <ErrorNotice error={action.error} />
          <Field label={t('totp.code')} name="code" autocomplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*" maxLength={8} required autoFocus value={code} onValue={setCode} />
        </li>
      </ol>
      <div class="actions">
        <Button type="submit" busy={busy}>
          {t('totp.link')}
        </Button>
        {cancel}
      </div>
    </form>
  )
}
