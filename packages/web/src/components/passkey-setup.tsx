import type { Device, Session } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api } from '../api'
import { useT, type Translate } from '../i18n'
import { CalmMessage, createPasskey, promptProblem } from '../passkey'
import { browserName } from '../pages/account/user-agent'
import { Button, ErrorNotice, Field, Notice, useAction } from './ui'

/** `POST /api/v1/account/devices/passkey`: the device, and a full session when it completed a forced enrolment. */
export type LinkedPasskey = Device & { session?: Session }

/** A failure of the browser's prompt in the page's words; an API answer stays as it is. */
export function explainRegistration(t: Translate, caught: unknown): unknown {
  const problem = promptProblem(caught)
  if (problem === 'cancelled') return new CalmMessage(t('passkey.cancelled'))
  if (problem === 'registered') return t('passkey.registered')
  if (problem === 'failed') return t('passkey.failed')
  return caught
}

/** An error of a passkey action: a closed prompt calmly (information), anything else as an error. */
export function PasskeyNotice(props: { error: unknown }) {
  if (props.error instanceof CalmMessage) return <Notice kind="info">{props.error.text}</Notice>
  return <ErrorNotice error={props.error} />
}

/**
 * "Passkey or security key" (F-X-1): a name (the browser's own by default, "Chrome on Linux"),
 * then the browser's prompt; its answer is registered as a device. A closed prompt changes nothing
 * and says so calmly; the form stays for another try. `onError` lets the caller handle
 * REAUTHENTICATION_REQUIRED (and retry).
 */
export function PasskeySetup(props: { onLinked(device: LinkedPasskey): void; onCancel?: () => void; onError?: (error: unknown, retry: () => void) => boolean }) {
  const t = useT()
  const [name, setName] = useState(() => browserName(t, navigator.userAgent))
  const action = useAction()

  function create(event?: Event) {
    event?.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return
    void action.run(
      async () => {
        const response = await createPasskey('/api/v1/account/devices/passkey/options')
        props.onLinked(await api<LinkedPasskey>('POST', '/api/v1/account/devices/passkey', { name: trimmed, response }))
      },
      (caught) => (props.onError?.(caught, () => create()) ? null : explainRegistration(t, caught)),
    )
  }

  return (
    <form class="passkey-setup" onSubmit={create}>
      <p>{t('passkey.intro')}</p>
      <PasskeyNotice error={action.error} />
      <Field label={t('totp.name')} hint={t('passkey.name.hint')} name="deviceName" required maxLength={64} value={name} onValue={setName} />
      <div class="actions">
        <Button type="submit" busy={action.busy}>
          {action.busy ? t('passkey.creating') : t('passkey.create')}
        </Button>
        {props.onCancel ? (
          <Button variant="secondary" onClick={props.onCancel}>
            {t('common.cancel')}
          </Button>
        ) : null}
      </div>
    </form>
  )
}
