import type { UserSummary } from '@countersign/protocol'
import { useId, useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, Checkbox, ErrorNotice, Field, Loading, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT } from '../../i18n'
import { AdminPage, fieldError, isFieldError, passwordRejection, takeFlash, useAdminScope, useResource } from './shared'

/** Staff users and their "Sign in with two-factor authentication" switch (F-POL-3); staff only. */
export function StaffUsers() {
  const t = useT()
  const { language } = useLanguage()
  const { staff } = useAdminScope()
  const list = useResource(() => (staff ? api<UserSummary[]>('GET', '/api/v1/admin/staff') : Promise.resolve([])), [staff])
  // "User … was deleted" from a staff user's page, or a switch moved here.
  const [message, setMessage] = useState<string | null>(takeFlash)
  const action = useAction()

  /** The switch moves at once; if the server refuses, it moves back and the error is shown. */
  function toggle(user: UserSummary, on: boolean) {
    setMessage(null)
    const replace = (next: UserSummary) => list.setData((current) => (current ?? []).map((u) => (u.id === next.id ? next : u)))
    void action.run(async () => {
      replace({ ...user, staffTwoFactor: on })
      try {
        replace(await api<UserSummary>('PATCH', `/api/v1/admin/users/${user.id}`, { staffTwoFactor: on }))
      } catch (error) {
        replace(user)
        throw error
      }
      setMessage(t(on ? 'admin.staff.switchedOn' : 'admin.staff.switchedOff', { username: user.username }))
    })
  }

  if (!staff) {
    return (
      <AdminPage title={t('admin.staff.title')}>
        <Notice kind="error">{t('error.FORBIDDEN')}</Notice>
      </AdminPage>
    )
  }
  return (
    <AdminPage title={t('admin.staff.title')}>
      <p class="lead">{t('admin.staff.lead')}</p>
      <Card>
        {message ? <Notice kind="success">{message}</Notice> : null}
        <ErrorNotice error={action.error ?? list.error} />
        {!list.data ? (
          list.error ? null : <Loading />
        ) : list.data.length === 0 ? (
          <p class="muted">{t('admin.staff.empty')}</p>
        ) : (
          <div class="table-scroll">
            <table class="admin-table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.staff.col.user')}</th>
                  <th scope="col">{t('admin.staff.col.email')}</th>
                  <th scope="col">{t('admin.staff.col.switch')}</th>
                  <th scope="col">{t('admin.staff.col.lastSignIn')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((user) => (
                  <tr key={user.id}>
                    <td>
                      <a href={`/admin/users/${user.id}`}>{user.username}</a>
                    </td>
                    <td>{user.email}</td>
                    <td>
                      <StaffSwitch user={user} disabled={action.busy} onChange={(on) => toggle(user, on)} />
                    </td>
                    <td>{user.lastSignInAt ? formatDateTime(language, user.lastSignInAt) : <span class="muted">{t('common.never')}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <CreateStaff onCreated={list.reload} />
    </AdminPage>
  )
}

/** The switch in a table cell: the column head says what it is; the label names the user for screen readers. */
function StaffSwitch(props: { user: UserSummary; disabled: boolean; onChange(on: boolean): void }) {
  const t = useT()
  const id = useId()
  return (
    <span class="admin-switch">
      <input id={id} type="checkbox" role="switch" checked={props.user.staffTwoFactor} disabled={props.disabled} onChange={(event) => props.onChange((event.currentTarget as HTMLInputElement).checked)} />
      <label for={id}>
        <span aria-hidden="true">{props.user.staffTwoFactor ? t('common.yes') : t('common.no')}</span>
        <span class="visually-hidden">{t('admin.staff.switchFor', { username: props.user.username })}</span>
      </label>
    </span>
  )
}

function CreateStaff(props: { onCreated(): void }) {
  const t = useT()
  const empty = { username: '', email: '', password: '', twoFactor: true }
  const [form, setForm] = useState(empty)
  const [created, setCreated] = useState<string | null>(null)
  const action = useAction()
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm((current) => ({ ...current, [key]: value }))
  const fields = ['username', 'email', 'password', 'twoFactor']

  function submit(event: Event) {
    event.preventDefault()
    setCreated(null)
    void action.run(async () => {
      await api('POST', '/api/v1/admin/staff', form)
      setCreated(form.username)
      setForm(empty)
      props.onCreated()
    })
  }

  return (
    <Card title={t('admin.staff.create.title')}>
      <form onSubmit={submit} noValidate>
        {action.error ? isFieldError(action.error, fields) || passwordRejection(t, action.error) ? <Notice kind="error">{t('admin.fieldError')}</Notice> : <ErrorNotice error={action.error} /> : null}
        {created ? <Notice kind="success">{t('admin.staff.create.done', { username: created })}</Notice> : null}
        <Field label={t('admin.create.username')} name="username" autocomplete="off" autocapitalize="none" spellcheck={false} maxLength={64} required hint={t('admin.create.username.hint')} value={form.username} onValue={set('username')} error={fieldError(t, action.error, 'username')} />
        <Field label={t('admin.create.email')} name="email" type="email" autocomplete="off" maxLength={254} required value={form.email} onValue={set('email')} error={fieldError(t, action.error, 'email')} />
        <Field label={t('admin.create.password')} name="password" type="password" autocomplete="new-password" required hint={t('admin.create.password.hint')} value={form.password} onValue={set('password')} error={fieldError(t, action.error, 'password') ?? passwordRejection(t, action.error)} />
        <Checkbox label={t('admin.user.staffSwitch')} name="twoFactor" checked={form.twoFactor} onChecked={set('twoFactor')} />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('admin.staff.create.submit')}
          </Button>
        </div>
      </form>
    </Card>
  )
}
