import type { Device } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { TotpSetup } from '../../components/totp-setup'
import { Button, Card, CloseButton, Dialog, ErrorNotice, Field, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT, type MessageId } from '../../i18n'
import { useReauthentication } from './reauthenticate'
import { canLinkApp, type SecurityOverview } from './types'

/**
 * "My devices" (F-DEV-1, F-DEV-2): name, kind, linked on, last used; rename inline; remove with
 * the X icon and a confirmation. Linking a new app ("Time-based One-Time-Password from app",
 * F-TOTP-1…4) opens a dialog; the device is listed only once its code is confirmed.
 */
export function DevicesCard(props: { overview: SecurityOverview; onChanged(): Promise<void>; adding: boolean; onAdding(adding: boolean): void }) {
  const t = useT()
  const { handle } = useReauthentication()
  const { overview } = props
  const [removing, setRemoving] = useState<Device | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const atLimit = overview.devices.length >= overview.deviceLimit
  const linkAllowed = canLinkApp(overview)

  return (
    <Card title={t('account.devices.title')} id="devices">
      <p class="muted device-count">{t('account.devices.count', { count: overview.devices.length, limit: overview.deviceLimit })}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {overview.devices.length === 0 ? (
        <p class="empty">{t('account.devices.none')}</p>
      ) : (
        <ul class="item-list" aria-label={t('account.devices.title')}>
          {overview.devices.map((device) => (
            <DeviceItem
              key={device.id}
              device={device}
              onRenamed={async (name) => {
                await props.onChanged()
                setDone(t('account.devices.renamed', { name }))
              }}
              onRemove={() => {
                setDone(null)
                setRemoving(device)
              }}
            />
          ))}
        </ul>
      )}

      <h3>{t('account.devices.add')}</h3>
      {!linkAllowed ? (
        <p class="muted">{t('account.devices.appNotAllowed')}</p>
      ) : atLimit ? (
        <Notice kind="info">{t('account.devices.limitReached', { limit: overview.deviceLimit })}</Notice>
      ) : (
        <button
          type="button"
          class="choice add-option"
          onClick={() => {
            setDone(null)
            props.onAdding(true)
          }}
        >
          <span class="choice-title">{t('totp.title')}</span>
          <span class="choice-hint">{t('account.devices.add.totpHint')}</span>
        </button>
      )}

      {props.adding ? (
        <Dialog title={t('totp.title')} wide onClose={() => props.onAdding(false)}>
          <TotpSetup
            onLinked={async (device) => {
              props.onAdding(false)
              await props.onChanged()
              setDone(t('totp.linked', { name: device.name }))
            }}
            onCancel={() => props.onAdding(false)}
            onError={handle}
          />
        </Dialog>
      ) : null}

      {removing ? (
        <RemoveDialog
          device={removing}
          overview={overview}
          onClose={() => setRemoving(null)}
          onRemoved={async () => {
            const name = removing.name
            setRemoving(null)
            await props.onChanged()
            setDone(t('account.devices.removed', { name }))
          }}
        />
      ) : null}
    </Card>
  )
}

function DeviceItem(props: { device: Device; onRenamed(name: string): Promise<void>; onRemove(): void }) {
  const t = useT()
  const { language } = useLanguage()
  const { guard } = useReauthentication()
  const { device } = props
  const [editing, setEditing] = useState(false)
  const [name, setName] = useState(device.name)
  const action = useAction()

  async function save(event: Event) {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return
    if (trimmed === device.name) return setEditing(false)
    const renamed = await action.run(() => guard(() => api<Device>('PATCH', `/api/v1/account/devices/${encodeURIComponent(device.id)}`, { name: trimmed })))
    if (renamed) {
      setEditing(false)
      await props.onRenamed(renamed.name)
    }
  }

  function cancel() {
    setEditing(false)
    setName(device.name)
    action.setError(null)
  }

  return (
    <li class="item">
      {editing ? (
        <form
          class="rename"
          onSubmit={save}
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault()
              cancel()
            }
          }}
        >
          <ErrorNotice error={action.error} />
          <Field label={t('account.devices.rename.label', { name: device.name })} name="deviceName" required maxLength={64} autoFocus value={name} onValue={setName} />
          <div class="actions">
            <Button type="submit" busy={action.busy}>
              {t('common.save')}
            </Button>
            <Button variant="secondary" disabled={action.busy} onClick={cancel}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      ) : (
        <div class="item-row">
          <div class="item-main">
            <p class="item-title">
              <strong>{device.name}</strong> <span class="badge">{t(`deviceKind.${device.kind}` as MessageId)}</span>
            </p>
            <dl class="facts">
              <div>
                <dt>{t('account.devices.linkedAt')}</dt>
                <dd>{formatDateTime(language, device.linkedAt)}</dd>
              </div>
              <div>
                <dt>{t('account.devices.lastUsedAt')}</dt>
                <dd>{device.lastUsedAt ? formatDateTime(language, device.lastUsedAt) : t('common.never')}</dd>
              </div>
            </dl>
          </div>
          <div class="item-actions">
            <Button
              variant="link"
              aria-label={t('account.devices.rename', { name: device.name })}
              onClick={() => {
                setName(device.name)
                setEditing(true)
              }}
            >
              {t('common.rename')}
            </Button>
            <CloseButton label={t('account.devices.remove', { name: device.name })} onClick={props.onRemove} />
          </div>
        </div>
      )}
    </li>
  )
}

/** The confirmation after the X icon; `409 LAST_FACTOR_REQUIRED` explained in the user's situation. */
function RemoveDialog(props: { device: Device; overview: SecurityOverview; onClose(): void; onRemoved(): Promise<void> }) {
  const t = useT()
  const { guard } = useReauthentication()
  const action = useAction()
  const last = props.overview.devices.length === 1
  const lastFactor = action.error instanceof ApiError && action.error.code === 'LAST_FACTOR_REQUIRED'

  async function remove() {
    const ok = await action.run(async () => {
      await guard(() => api('DELETE', `/api/v1/account/devices/${encodeURIComponent(props.device.id)}`))
      return true
    })
    if (ok) await props.onRemoved()
  }

  return (
    <Dialog title={t('account.devices.remove.title', { name: props.device.name })} onClose={props.onClose}>
      <p>{t('account.devices.remove.body')}</p>
      {last && !props.overview.policy.required ? <p>{t('account.devices.remove.lastOptional')}</p> : null}
      {lastFactor ? (
        <Notice kind="error">
          {props.overview.policy.reason === 'user_enabled' ? t('account.devices.lastFactor.ownChoice') : t('account.devices.lastFactor.required')}
        </Notice>
      ) : (
        <ErrorNotice error={action.error} />
      )}
      <div class="actions">
        {lastFactor ? (
          <Button onClick={props.onClose}>{t('common.close')}</Button>
        ) : (
          <>
            <Button variant="danger" busy={action.busy} onClick={() => void remove()}>
              {t('common.remove')}
            </Button>
            <Button variant="secondary" disabled={action.busy} onClick={props.onClose}>
              {t('common.cancel')}
            </Button>
          </>
        )}
      </div>
    </Dialog>
  )
}
