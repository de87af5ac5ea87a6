import type { Device, TwoFactorOverride } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { Button, Card, Checkbox, CloseButton, ConfirmDialog, ErrorNotice, Field, Loading, Notice, SelectField, useAction } from '../../components/ui'
import { formatDateTime, methodLabel, useLanguage, useT } from '../../i18n'
import { AdminPage, fieldError, isFieldError, label, RecoveryCodesLeft, useAdminScope, useResource, type AdminUser, type Org } from './shared'
import { UserLifecycle, UserPassword, UserSessions } from './user-lifecycle'

/**
 * One user (F-POL-2…5): their 2FA state and why, unlock, the per-user override (or the staff
 * switch), a one-time sign-in without 2FA for a lost phone, removing a device; and the account's
 * life (issue 17): password, sessions, deactivation and deletion — never on one's own account.
 */
export function UserPage(props: { id?: string; params?: { id?: string } }) {
  const t = useT()
  const id = props.params?.id ?? props.id ?? ''
  const { staff, accountId } = useAdminScope()
  const user = useResource(() => api<AdminUser>('GET', `/api/v1/admin/users/${encodeURIComponent(id)}`), [id])
  const orgId = user.data?.organisationId ?? null
  const org = useResource(() => (orgId ? api<Org>('GET', `/api/v1/admin/organisations/${orgId}`) : Promise.resolve(null)), [orgId])
  const [message, setMessage] = useState<string | null>(null)
  // Deactivating ends the user's sessions: their list is asked for again.
  const [sessionsVersion, setSessionsVersion] = useState(0)

  const back = user.data
    ? orgId
      ? org.data
        ? { href: `/admin/organisations/${orgId}`, label: org.data.name }
        : undefined
      : staff
        ? { href: '/admin/staff', label: t('admin.nav.staff') }
        : undefined
    : undefined

  function updated(next: AdminUser, text: string) {
    user.setData(next)
    setMessage(text)
  }

  if (user.error) {
    return (
      <AdminPage title={t('admin.nav.label')}>
        {user.error instanceof ApiError && user.error.code === 'NOT_FOUND' ? <Notice kind="error">{t('admin.user.notFound')}</Notice> : <ErrorNotice error={user.error} />}
      </AdminPage>
    )
  }
  if (!user.data) {
    return (
      <AdminPage title={t('admin.nav.label')}>
        <Loading />
      </AdminPage>
    )
  }
  const u = user.data
  const self = u.id === accountId
  // Staff users are staff's to manage (the server refuses an organisation admin).
  const manageable = !self && (u.role !== 'staff' || staff)
  const badge = u.status === 'deactivated' ? <span class="badge badge-danger title-badge">{t('admin.user.deactivatedBadge')}</span> : undefined
  return (
    <AdminPage title={t('admin.user.title', { username: u.username })} {...(back ? { back } : {})} {...(badge ? { badge } : {})}>
      {message ? <Notice kind="success">{message}</Notice> : null}
      <UserState user={u} onUpdated={updated} />
      <UserSettings key={`${u.id}-${u.twoFactor}-${u.role}-${u.staffTwoFactor}-${u.email}`} user={u} org={org.data ?? null} onUpdated={updated} />
      {u.role !== 'staff' || staff ? <Bypass user={u} self={u.id === accountId} onGranted={(expiresAt) => user.setData({ ...u, bypassExpiresAt: expiresAt })} /> : null}
      <Devices
        user={u}
        onRemoved={(device) => {
          updated({ ...u, devices: u.devices.filter((d) => d.id !== device.id) }, t('admin.user.devices.removed', { name: device.name }))
          // Recovery codes go with the last real factor (F-X-2): show the count as it is now.
          user.reload()
        }}
      />
      {manageable ? (
        <>
          <UserPassword user={u} onUpdated={(next) => user.setData(next)} />
          <UserSessions user={u} version={sessionsVersion} />
          <UserLifecycle user={u} onUpdated={(next) => user.setData(next)} onDeactivated={() => setSessionsVersion((v) => v + 1)} />
        </>
      ) : self ? (
        <Notice kind="info">{t('admin.user.self')}</Notice>
      ) : null}
      <p>
        <a href={`/admin/audit?account=${u.id}${orgId ? `&organisation=${orgId}` : ''}`}>{t('admin.user.audit')}</a>
      </p>
    </AdminPage>
  )
}

function UserState(props: { user: AdminUser; onUpdated(user: AdminUser, message: string): void }) {
  const t = useT()
  const { language } = useLanguage()
  const { user } = props
  const action = useAction()
  const reason = label(t, 'admin.reason', user.secondFactor.reason)

  function unlock() {
    void action.run(async () => {
      props.onUpdated(await api<AdminUser>('POST', `/api/v1/admin/users/${user.id}/unlock`), t('admin.user.unlocked'))
    })
  }

  return (
    <Card title={t('admin.user.state.title')}>
      {user.status === 'deactivated' ? (
        <div class="notice notice-warning" role="status">
          {t('admin.user.deactivatedNotice', { time: formatDateTime(language, user.deactivatedAt) })}
        </div>
      ) : null}
      {user.locked ? (
        <div class="notice notice-warning admin-locked" role="status">
          <p>{t('admin.user.lockedNotice')}</p>
          <ErrorNotice error={action.error} />
          <Button variant="danger" busy={action.busy} onClick={unlock}>
            {t('admin.user.unlock')}
          </Button>
        </div>
      ) : null}
      <dl class="admin-facts">
        <dt>{t('admin.user.email')}</dt>
        <dd>{user.email}</dd>
        <dt>{t('admin.user.secondStep')}</dt>
        <dd>{user.secondFactor.required ? t('admin.user.secondStep.asked', { reason }) : t('admin.user.secondStep.notAsked', { reason })}</dd>
        <dt>{t('admin.user.method')}</dt>
        <dd>{user.method ? t(methodLabel(user.method)) : t('admin.user.noMethod')}</dd>
        <dt>{t('admin.user.devices')}</dt>
        <dd>{user.devices.length}</dd>
        {user.recoveryCodesLeft !== undefined ? (
          <>
            <dt>{t('admin.user.recoveryCodes')}</dt>
            <dd>
              <RecoveryCodesLeft left={user.recoveryCodesLeft} />
            </dd>
          </>
        ) : null}
        <dt>{t('admin.user.status')}</dt>
        <dd>
          {user.status === 'deactivated' ? <span class="badge badge-danger">{t('admin.user.deactivatedBadge')}</span> : null}
          {user.status === 'deactivated' ? ' ' : null}
          {user.passwordChangeRequired ? <span class="badge badge-warning">{t('admin.user.passwordDue')}</span> : null}
          {user.passwordChangeRequired ? ' ' : null}
          {user.locked ? (
            <span class="badge badge-danger">{user.lockedUntil ? t('admin.user.lockedUntil', { time: formatDateTime(language, user.lockedUntil) }) : t('admin.user.locked', { count: user.failedAttempts })}</span>
          ) : user.failedAttempts > 0 ? (
            t('admin.user.failedAttempts', { count: user.failedAttempts })
          ) : (
            t('admin.user.active')
          )}
        </dd>
        <dt>{t('admin.user.lastSignIn')}</dt>
        <dd>{user.lastSignInAt ? formatDateTime(language, user.lastSignInAt) : t('common.never')}</dd>
        <dt>{t('admin.user.created')}</dt>
        <dd>{formatDateTime(language, user.createdAt)}</dd>
      </dl>
    </Card>
  )
}

function UserSettings(props: { user: AdminUser; org: Org | null; onUpdated(user: AdminUser, message: string): void }) {
  const t = useT()
  const { user } = props
  const isStaff = user.role === 'staff'
  const [twoFactor, setTwoFactor] = useState<TwoFactorOverride>(user.twoFactor)
  const [role, setRole] = useState<'user' | 'admin'>(user.role === 'admin' ? 'admin' : 'user')
  const [staffTwoFactor, setStaffTwoFactor] = useState(user.staffTwoFactor)
  const [email, setEmail] = useState(user.email)
  const [unchanged, setUnchanged] = useState(false)
  const action = useAction()

  function submit(event: Event) {
    event.preventDefault()
    setUnchanged(false)
    const patch: Record<string, unknown> = {}
    if (email.trim() !== user.email) patch.email = email.trim()
    if (isStaff) {
      if (staffTwoFactor !== user.staffTwoFactor) patch.staffTwoFactor = staffTwoFactor
    } else {
      if (twoFactor !== user.twoFactor) patch.twoFactor = twoFactor
      if (role !== user.role) patch.role = role
    }
    if (Object.keys(patch).length === 0) {
      action.setError(null)
      setUnchanged(true)
      return
    }
    void action.run(async () => {
      props.onUpdated(await api<AdminUser>('PATCH', `/api/v1/admin/users/${user.id}`, patch), t('admin.user.saved'))
    })
  }

  return (
    <Card title={t('admin.user.settings.title')}>
      <form onSubmit={submit} noValidate>
        {action.error ? isFieldError(action.error, ['twoFactor', 'role', 'staffTwoFactor']) ? <Notice kind="error">{fieldError(t, action.error, (action.error as ApiError).field ?? '')}</Notice> : isFieldError(action.error, ['email']) ? null : <ErrorNotice error={action.error} /> : null}
        {/* F-SET-2: the user changes it with a code to the new address; in a forced enrolment they cannot, so the admin does. */}
        <Field label={t('admin.user.email')} hint={t('admin.user.email.hint')} name="email" type="email" autocomplete="off" maxLength={254} value={email} onValue={setEmail} error={fieldError(t, action.error, 'email')} />
        {isStaff ? (
          <Checkbox label={t('admin.user.staffSwitch')} name="staffTwoFactor" checked={staffTwoFactor} onChecked={setStaffTwoFactor} />
        ) : (
          <>
            <SelectField
              label={t('admin.user.override')}
              hint={t('admin.user.override.hint', { policy: props.org ? t(`admin.policy.${props.org.policy}`) : '…' })}
              value={twoFactor}
              onValue={(v) => setTwoFactor(v)}
              options={(['default', 'required', 'exempt'] as const).map((o) => ({ value: o, label: t(`admin.override.${o}`) }))}
            />
            <SelectField label={t('admin.user.role')} value={role} onValue={(v) => setRole(v)} options={(['user', 'admin'] as const).map((r) => ({ value: r, label: t(`admin.role.${r}`) }))} />
          </>
        )}
        {unchanged ? <Notice kind="info">{t('admin.noChanges')}</Notice> : null}
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {action.busy ? t('admin.saving') : t('admin.user.save')}
          </Button>
        </div>
      </form>
    </Card>
  )
}

function Bypass(props: { user: AdminUser; self: boolean; onGranted(expiresAt: string): void }) {
  const t = useT()
  const { language } = useLanguage()
  const [reason, setReason] = useState('')
  const action = useAction()

  function submit(event: Event) {
    event.preventDefault()
    void action.run(async () => {
      const answer = await api<{ expiresAt: string }>('POST', `/api/v1/admin/users/${props.user.id}/bypass`, reason.trim() ? { reason: reason.trim() } : {})
      setReason('')
      props.onGranted(answer.expiresAt)
    })
  }

  return (
    <Card title={t('admin.user.bypass.title')}>
      <p>{t('admin.user.bypass.lead')}</p>
      {props.user.bypassExpiresAt ? <Notice kind="info">{t('admin.user.bypass.active', { time: formatDateTime(language, props.user.bypassExpiresAt) })}</Notice> : null}
      {props.self ? (
        <p class="muted">{t('admin.user.bypass.self')}</p>
      ) : (
        <form onSubmit={submit} noValidate>
          {action.error && !isFieldError(action.error, ['reason']) ? <ErrorNotice error={action.error} /> : null}
          <Field label={t('admin.user.bypass.reason')} name="reason" maxLength={200} hint={t('admin.user.bypass.reason.hint')} value={reason} onValue={setReason} error={fieldError(t, action.error, 'reason')} />
          <div class="actions">
            <Button type="submit" variant="secondary" busy={action.busy}>
              {t('admin.user.bypass.grant')}
            </Button>
          </div>
        </form>
      )}
    </Card>
  )
}

function Devices(props: { user: AdminUser; onRemoved(device: Device): void }) {
  const t = useT()
  const { language } = useLanguage()
  const [confirming, setConfirming] = useState<Device | null>(null)
  const action = useAction()

  function remove(device: Device) {
    void action.run(async () => {
      await api('DELETE', `/api/v1/admin/users/${props.user.id}/devices/${device.id}`)
      setConfirming(null)
      props.onRemoved(device)
    })
  }

  return (
    <Card title={t('admin.user.devices.title')}>
      {props.user.devices.length === 0 ? (
        <p class="muted">{t('admin.user.devices.none')}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('admin.user.devices.name')}</th>
                <th scope="col">{t('admin.user.devices.kind')}</th>
                <th scope="col">{t('admin.user.devices.linked')}</th>
                <th scope="col">{t('admin.user.devices.lastUsed')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('common.remove')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.user.devices.map((device) => (
                <tr key={device.id}>
                  <td>{device.name}</td>
                  <td>{t(`deviceKind.${device.kind}`)}</td>
                  <td>{formatDateTime(language, device.linkedAt)}</td>
                  <td>{device.lastUsedAt ? formatDateTime(language, device.lastUsedAt) : t('common.never')}</td>
                  <td class="admin-cell-action">
                    <CloseButton
                      label={t('admin.user.devices.remove', { name: device.name })}
                      onClick={() => {
                        action.setError(null)
                        setConfirming(device)
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirming ? (
        <ConfirmDialog title={t('admin.user.devices.confirm.title')} confirm={t('common.remove')} danger action={action} onConfirm={() => remove(confirming)} onCancel={() => setConfirming(null)}>
          <p>{t('admin.user.devices.confirm.body', { name: confirming.name, username: props.user.username })}</p>
        </ConfirmDialog>
      ) : null}
    </Card>
  )
}
