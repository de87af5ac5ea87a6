import type { SessionList } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, Checkbox, ConfirmDialog, ErrorNotice, Loading, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT, type Translate } from '../../i18n'
import { sessionLimitsText } from '../account/sessions'
import { browserName } from '../account/user-agent'
import { setFlash, useResource, type AdminUser } from './shared'

/*
 * A user's account over its life, from the admin's side (issue 17): the password (a reset link, a
 * new one required at the next sign-in), where they are signed in and "Sign out everywhere",
 * deactivation and erasure. Every action that takes something away asks first.
 */

/** Password: "Send a reset link" and "Require a new password at next sign-in". */
export function UserPassword(props: { user: AdminUser; onUpdated(user: AdminUser): void }) {
  const t = useT()
  const { language } = useLanguage()
  const { user } = props
  const deactivated = user.status === 'deactivated'
  const [message, setMessage] = useState<string | null>(null)
  const reset = useAction()
  const require = useAction()

  function sendReset() {
    setMessage(null)
    void reset.run(async () => {
      const sent = await api<{ sentTo: string; expiresAt: string }>('POST', `/api/v1/admin/users/${user.id}/password-reset`)
      setMessage(t('admin.user.password.resetSent', { sentTo: sent.sentTo, time: formatDateTime(language, sent.expiresAt) }))
    })
  }

  /** The switch moves at once; if the server refuses, it moves back and the error is shown. */
  const [moving, setMoving] = useState<boolean | null>(null)
  function setRequired(on: boolean) {
    setMessage(null)
    setMoving(on)
    void require
      .run(async () => {
        props.onUpdated(await api<AdminUser>('PATCH', `/api/v1/admin/users/${user.id}`, { requirePasswordChange: on }))
        setMessage(t(on ? 'admin.user.password.required' : 'admin.user.password.notRequired', { username: user.username }))
      })
      .finally(() => setMoving(null))
  }

  return (
    <Card title={t('admin.user.password.title')}>
      <p class="lead">{t('admin.user.password.lead')}</p>
      {message ? <Notice kind="success">{message}</Notice> : null}
      <ErrorNotice error={reset.error ?? require.error} />
      <div class="admin-action">
        <Button variant="secondary" busy={reset.busy} disabled={deactivated} onClick={sendReset}>
          {t('admin.user.password.sendReset')}
        </Button>
        <p class="hint">{deactivated ? t('admin.user.password.deactivated') : t('admin.user.password.sendReset.hint')}</p>
      </div>
      <Checkbox role="switch" name="requirePasswordChange" label={t('admin.user.password.require')} hint={t('admin.user.password.require.hint')} checked={moving ?? user.passwordChangeRequired} disabled={require.busy} onChecked={setRequired} />
    </Card>
  )
}

function endedText(t: Translate, username: string, ended: number): string {
  if (ended === 0) return t('admin.user.sessions.ended.none', { username })
  if (ended === 1) return t('admin.user.sessions.ended.one', { username })
  return t('admin.user.sessions.ended.many', { username, count: ended })
}

/** Where the user is signed in, and "Sign out everywhere" (SC-12). `version` changes when sessions ended by other means. */
export function UserSessions(props: { user: AdminUser; version: number }) {
  const t = useT()
  const { language } = useLanguage()
  const { user } = props
  const list = useResource(() => api<SessionList>('GET', `/api/v1/admin/users/${user.id}/sessions`), [user.id, props.version])
  const [confirming, setConfirming] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const action = useAction()

  function endAll() {
    void action.run(async () => {
      const { ended } = await api<{ ended: number }>('POST', `/api/v1/admin/users/${user.id}/sessions/end`)
      setConfirming(false)
      setMessage(endedText(t, user.username, ended))
      list.reload()
    })
  }

  const sessions = list.data?.sessions ?? []
  return (
    <Card title={t('admin.user.sessions.title')}>
      <p class="lead">{t('admin.user.sessions.lead', { username: user.username })}</p>
      {list.data ? <p class="muted">{sessionLimitsText(t, list.data)}</p> : null}
      {message ? <Notice kind="success">{message}</Notice> : null}
      {list.error ? <ErrorNotice error={list.error} /> : null}
      {!list.data ? (
        list.error ? null : <Loading />
      ) : sessions.length === 0 ? (
        <p class="muted">{t('admin.user.sessions.none', { username: user.username })}</p>
      ) : (
        <div class="table-scroll">
          <table aria-label={t('admin.user.sessions.title')}>
            <thead>
              <tr>
                <th scope="col">{t('admin.user.sessions.browser')}</th>
                <th scope="col">{t('admin.user.sessions.ip')}</th>
                <th scope="col">{t('admin.user.sessions.signedIn')}</th>
                <th scope="col">{t('admin.user.sessions.lastSeen')}</th>
                <th scope="col">{t('admin.user.sessions.ends')}</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <td title={session.userAgent ?? undefined}>{browserName(t, session.userAgent)}</td>
                  <td>{session.ip ?? t('account.unknown')}</td>
                  <td>{formatDateTime(language, session.signedInAt)}</td>
                  <td>{formatDateTime(language, session.lastSeenAt)}</td>
                  <td>{formatDateTime(language, session.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {sessions.length > 0 ? (
        <div class="actions">
          <Button
            variant="danger"
            onClick={() => {
              action.setError(null)
              setConfirming(true)
            }}
          >
            {t('admin.user.sessions.endAll')}
          </Button>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog title={t('admin.user.sessions.confirm.title', { username: user.username })} confirm={t('admin.user.sessions.endAll')} danger action={action} onConfirm={endAll} onCancel={() => setConfirming(false)}>
          <p>{t('admin.user.sessions.confirm.body', { username: user.username })}</p>
        </ConfirmDialog>
      ) : null}
    </Card>
  )
}

/**
 * Deactivate / Reactivate, and Delete (erasure, not undoable: the audit keeps its events under
 * `deleted-user-<id>`). After a deletion the admin goes back to the list the user was in.
 */
export function UserLifecycle(props: { user: AdminUser; onUpdated(user: AdminUser): void; onDeactivated(): void }) {
  const t = useT()
  const { route } = useLocation()
  const { user } = props
  const deactivated = user.status === 'deactivated'
  const [confirming, setConfirming] = useState<'deactivate' | 'delete' | null>(null)
  const [message, setMessage] = useState<string | null>(null)
  const action = useAction()

  function open(which: 'deactivate' | 'delete') {
    action.setError(null)
    setMessage(null)
    setConfirming(which)
  }

  function deactivate() {
    void action.run(async () => {
      props.onUpdated(await api<AdminUser>('POST', `/api/v1/admin/users/${user.id}/deactivate`))
      setConfirming(null)
      setMessage(t('admin.user.deactivated', { username: user.username }))
      props.onDeactivated()
    })
  }

  function reactivate() {
    setMessage(null)
    void action.run(async () => {
      props.onUpdated(await api<AdminUser>('POST', `/api/v1/admin/users/${user.id}/reactivate`))
      setMessage(t('admin.user.reactivated', { username: user.username }))
    })
  }

  function remove() {
    void action.run(async () => {
      await api('DELETE', `/api/v1/admin/users/${user.id}`)
      setFlash(t('admin.user.deleted', { username: user.username }))
      route(user.organisationId ? `/admin/organisations/${user.organisationId}` : '/admin/staff', true)
    })
  }

  return (
    <Card title={t('admin.user.lifecycle.title')}>
      <p class="lead">{t('admin.user.lifecycle.lead')}</p>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {confirming ? null : <ErrorNotice error={action.error} />}
      <div class="actions">
        {deactivated ? (
          <Button variant="secondary" busy={action.busy} onClick={reactivate}>
            {t('admin.user.reactivate')}
          </Button>
        ) : (
          <Button variant="secondary" onClick={() => open('deactivate')}>
            {t('admin.user.deactivate')}
          </Button>
        )}
        <Button variant="danger" onClick={() => open('delete')}>
          {t('admin.user.delete')}
        </Button>
      </div>
      {confirming === 'deactivate' ? (
        <ConfirmDialog title={t('admin.user.deactivate.title', { username: user.username })} confirm={t('admin.user.deactivate')} danger action={action} onConfirm={deactivate} onCancel={() => setConfirming(null)}>
          <p>{t('admin.user.deactivate.body', { username: user.username })}</p>
        </ConfirmDialog>
      ) : null}
      {confirming === 'delete' ? (
        <ConfirmDialog title={t('admin.user.delete.title', { username: user.username })} confirm={t('admin.user.delete.confirm')} danger action={action} onConfirm={remove} onCancel={() => setConfirming(null)}>
          <p>
            <strong>{t('admin.user.delete.body')}</strong>
          </p>
          <p>{t('admin.user.delete.kept', { id: user.id })}</p>
        </ConfirmDialog>
      ) : null}
    </Card>
  )
}
