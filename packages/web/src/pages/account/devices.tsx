import type { Device } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { AuthenticatorSetup } from '../../components/authenticator-setup'
import { PasskeySetup } from '../../components/passkey-setup'
import { TotpSetup } from '../../components/totp-setup'
import { Button, Card, CloseButton, Dialog, ErrorNotice, Field, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT, type MessageId } from '../../i18n'
import { passkeysSupported } from '../../passkey'
import { useReauthentication } from './reauthenticate'
import { canLinkApp, type SecurityOverview } from './types'

/** The ways to add a device (F-DEV-2): our app with push approval, any other app, or a passkey (F-X-1). */
type AddKind = 'authenticator' | 'totp' | 'passkey'

/**
 * "My devices" (F-DEV-1, F-DEV-2): name, kind, linked on, last used; rename inline; remove with
 * the X icon and a confirmation. Adding offers the Countersign Authenticator (F-PUSH-1: linked by
 * the app's "Login", and the dialog says so by itself) and another app ("Time-based
 * One-Time-Password from app", F-TOTP-1…4: listed only once its code is confirmed), and a passkey
 * or security key (F-X-1: the browser's prompt; offered only where the organisation allows passkeys
 * and the browser can make one).
 */
export function DevicesCard(props: { overview: SecurityOverview; onChanged(): Promise<void>; adding: boolean; onAdding(adding: boolean): void }) {
  const t = useT()
  const { handle } = useReauthentication()
  const { overview } = props
  const [removing, setRemoving] = useState<Device | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const [kind, setKind] = useState<AddKind | null>(null)
  const [paired, setPaired] = useState<Device | null>(null)
  const atLimit = overview.devices.length >= overview.deviceLimit
  const linkAllowed = canLinkApp(overview)
  const pushAllowed = overview.allowedMethods.length === 0 || overview.allowedMethods.includes('push')
  const passkeyAllowed = (overview.allowedMethods.length === 0 || overview.allowedMethods.includes('passkey')) && passkeysSupported()
  const kinds: AddKind[] = [...(pushAllowed ? (['authenticator'] as const) : []), ...(linkAllowed ? (['totp'] as const) : []), ...(passkeyAllowed ? (['passkey'] as const) : [])]
  // "Link an authenticator app" (two-step verification card) opens the dialog without a choice yet.
  const adding = props.adding ? (kind ?? (kinds.length === 1 ? kinds[0]! : null)) : null

  function add(next: AddKind) {
    setDone(null)
    setPaired(null)
    setKind(next)
    props.onAdding(true)
  }
  /** Confirmed with another app's code instead, it is an ordinary app: no approving (F-TOTP-1). */
  const linkedText = (device: Device) => (device.kind === 'authenticator' ? t('authenticator.linked', { name: device.name }) : t('totp.linked', { name: device.name }))

  function closeAdding() {
    props.onAdding(false)
    setKind(null)
    setPaired(null)
  }

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
      {kinds.length === 0 ? (
        <p class="muted">{t('account.devices.appNotAllowed')}</p>
      ) : atLimit ? (
        <Notice kind="info">{t('account.devices.limitReached', { limit: overview.deviceLimit })}</Notice>
      ) : (
        <AddChoices kinds={kinds} onChoose={add} />
      )}

      {props.adding && adding === null ? (
        <Dialog title={t('authenticator.add.title')} wide onClose={closeAdding}>
          <p>{kinds.includes('passkey') ? t('enrolment.choose') : t('authenticator.add.lead')}</p>
          <AddChoices kinds={kinds} onChoose={add} />
        </Dialog>
      ) : null}

      {adding === 'authenticator' ? (
        <Dialog title={t('authenticator.title')} wide onClose={closeAdding}>
          {paired ? (
            <>
              <Notice kind="success">{linkedText(paired)}</Notice>
              <div class="actions">
                <Button autoFocus onClick={closeAdding}>
                  {t('common.close')}
                </Button>
              </div>
            </>
          ) : (
            <AuthenticatorSetup
              onLinked={async (device) => {
                // F-PUSH-1: the dialog says so and the list behind it updates, by themselves.
                setPaired(device)
                setDone(linkedText(device))
                await props.onChanged()
              }}
              onCancel={closeAdding}
              onError={handle}
            />
          )}
        </Dialog>
      ) : null}

      {adding === 'totp' ? (
        <Dialog title={t('totp.title')} wide onClose={closeAdding}>
          <TotpSetup
            onLinked={async (device) => {
              closeAdding()
              await props.onChanged()
              setDone(t('totp.linked', { name: device.name }))
            }}
            onCancel={closeAdding}
            onError={handle}
          />
        </Dialog>
      ) : null}

      {adding === 'passkey' ? (
        <Dialog title={t('passkey.title')} wide onClose={closeAdding}>
          <PasskeySetup
            onLinked={async (device) => {
              closeAdding()
              await props.onChanged()
              setDone(t('passkey.linked', { name: device.name }))
            }}
            onCancel={closeAdding}
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
            const { name, kind } = removing
            setRemoving(null)
            await props.onChanged()
            setDone(t(kind === 'passkey' ? 'account.devices.removed.passkey' : 'account.devices.removed', { name }))
          }}
        />
      ) : null}
    </Card>
  )
}

/** The ways to add a device the organisation allows, Countersign Authenticator first. */
function AddChoices(props: { kinds: AddKind[]; onChoose(kind: AddKind): void }) {
  const t = useT()
  // Beside our app, "another app" says how it differs; alone, how it works.
  const withAuthenticator = props.kinds.includes('authenticator')
  const text = (kind: AddKind): [MessageId, MessageId] =>
    kind === 'authenticator'
      ? ['authenticator.choice', 'authenticator.choice.hint']
      : kind === 'passkey'
        ? ['passkey.choice', 'passkey.choice.hint']
        : ['totp.title', withAuthenticator ? 'otherApp.choice.hint' : 'account.devices.add.totpHint']
  return (
    <div class="add-choices">
      {props.kinds.map((kind) => (
        <button key={kind} type="button" class="choice add-option" onClick={() => props.onChoose(kind)}>
          <span class="choice-title">
            <DeviceIcon kind={kind === 'passkey' ? 'passkey' : 'totp'} />
            {t(text(kind)[0])}
          </span>
          <span class="choice-hint">{t(text(kind)[1])}</span>
        </button>
      ))}
    </div>
  )
}

/** A phone for apps, a key for passkeys and security keys (decoration: the words say it too). */
export function DeviceIcon(props: { kind: Device['kind'] }) {
  return (
    <svg class="device-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
      {props.kind === 'passkey' ? (
        <g fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round">
          <circle cx="6.5" cy="10" r="3.5" />
          <path d="M10 10h8M15 10v3M18 10v2.5" />
        </g>
      ) : (
        <g fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round">
          <rect x="5" y="2" width="10" height="16" rx="2" />
          <path d="M9 15h2" />
        </g>
      )}
    </svg>
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
              <DeviceIcon kind={device.kind} />
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
      <p>{props.device.kind === 'passkey' ? t('account.devices.remove.body.passkey') : t('account.devices.remove.body')}</p>
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
