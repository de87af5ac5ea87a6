import type { OidcClientSummary } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, Checkbox, CloseButton, Dialog, ErrorNotice, Field, Loading, Notice, TextAreaField, useAction } from '../../components/ui'
import { formatDate, useLanguage, useT } from '../../i18n'
import { AdminPage, fieldError, isFieldError, useResource, type Org } from './shared'

const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean)

/**
 * The organisation's applications that sign in with OpenID Connect (issue 7, F-INT-1/3): add one
 * (the secret is shown once), a new secret, remove; the issuer to configure in the application.
 */
export function ApplicationsPage(props: { id: string }) {
  const t = useT()
  const { language } = useLanguage()
  const org = useResource(() => api<Org>('GET', `/api/v1/admin/organisations/${encodeURIComponent(props.id)}`), [props.id])
  const clients = useResource(() => api<OidcClientSummary[]>('GET', `/api/v1/admin/organisations/${encodeURIComponent(props.id)}/oidc-clients`), [props.id])
  const [secret, setSecret] = useState<OidcClientSummary | null>(null)
  const [removing, setRemoving] = useState<OidcClientSummary | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const rotate = useAction()
  const issuer = `${location.origin}/oidc`

  function rotateSecret(client: OidcClientSummary) {
    void rotate.run(async () => {
      setSecret(await api<OidcClientSummary>('POST', `/api/v1/admin/oidc-clients/${encodeURIComponent(client.id)}/secret`))
      setNotice(t('apps.secret.rotated'))
    })
  }

  return (
    <AdminPage title={org.data ? t('apps.title', { organisation: org.data.name }) : t('apps.nav')} back={org.data ? { href: `/admin/organisations/${org.data.id}`, label: org.data.name } : undefined}>
      <p class="lead">{t('apps.lead')}</p>
      <p>
        <code>{t('apps.issuer', { issuer })}</code>
      </p>
      {secret?.clientSecret ? (
        <Notice kind="warning">
          <strong>{t('apps.secret.title', { name: secret.name })}</strong>
          <p>{t('apps.secret.body')}</p>
          <p class="secret">
            <code>{secret.clientSecret}</code>
          </p>
        </Notice>
      ) : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <ErrorNotice error={clients.error ?? rotate.error} />
      <Card>
        {!clients.data ? (
          clients.error ? null : <Loading />
        ) : clients.data.length === 0 ? (
          <p class="muted">{t('apps.empty')}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('apps.name')}</th>
                  <th scope="col">{t('apps.clientId')}</th>
                  <th scope="col">{t('apps.kind')}</th>
                  <th scope="col">{t('apps.redirects')}</th>
                  <th scope="col">{t('apps.created')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('common.remove')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {clients.data.map((client) => (
                  <tr key={client.id}>
                    <td>{client.name}</td>
                    <td>
                      <code>{client.id}</code>
                    </td>
                    <td>
                      {client.public ? t('apps.kind.public') : t('apps.kind.confidential')}
                      {client.public ? null : (
                        <div>
                          <Button variant="link" busy={rotate.busy} onClick={() => rotateSecret(client)}>
                            {t('apps.secret.rotate')}
                          </Button>
                        </div>
                      )}
                    </td>
                    <td>
                      {client.redirectUris.map((uri) => (
                        <div key={uri}>
                          <code>{uri}</code>
                        </div>
                      ))}
                    </td>
                    <td>{formatDate(language, client.createdAt)}</td>
                    <td>
                      <CloseButton label={t('apps.remove', { name: client.name })} onClick={() => setRemoving(client)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <CreateApplication
        organisationId={props.id}
        onCreated={(client) => {
          setSecret(client)
          setNotice(null)
          clients.reload()
        }}
      />
      {removing ? (
        <RemoveApplication
          client={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setNotice(t('apps.removed', { name: removing.name }))
            setRemoving(null)
            setSecret(null)
            clients.reload()
          }}
        />
      ) : null}
    </AdminPage>
  )
}

function CreateApplication(props: { organisationId: string; onCreated(client: OidcClientSummary): void }) {
  const t = useT()
  const [name, setName] = useState('')
  const [redirects, setRedirects] = useState('')
  const [logoutRedirects, setLogoutRedirects] = useState('')
  const [isPublic, setPublic] = useState(false)
  const action = useAction()
  const fields = ['name', 'redirectUris', 'postLogoutRedirectUris', 'public']

  function submit(event: Event) {
    event.preventDefault()
    void action.run(async () => {
      const created = await api<OidcClientSummary>('POST', `/api/v1/admin/organisations/${encodeURIComponent(props.organisationId)}/oidc-clients`, {
        name: name.trim(),
        redirectUris: lines(redirects),
        ...(lines(logoutRedirects).length ? { postLogoutRedirectUris: lines(logoutRedirects) } : {}),
        ...(isPublic ? { public: true } : {}),
      })
      setName('')
      setRedirects('')
      setLogoutRedirects('')
      setPublic(false)
      props.onCreated(created)
    })
  }

  // A 400 on one URI names it as `redirectUris.2`: show it under the list it belongs to.
  const listError = (field: string) => fieldError(t, action.error, field) ?? (isFieldError(action.error, [field]) ? fieldErrorOfList(action.error, field, t) : null)
  return (
    <Card title={t('apps.create.title')}>
      <form onSubmit={submit} noValidate>
        {action.error && !isFieldError(action.error, fields) ? <ErrorNotice error={action.error} /> : null}
        <Field label={t('apps.name')} name="name" required maxLength={64} value={name} onValue={setName} error={fieldError(t, action.error, 'name')} />
        <TextAreaField label={t('apps.redirects')} hint={t('apps.redirects.hint')} name="redirectUris" required value={redirects} onValue={setRedirects} error={listError('redirectUris')} />
        <TextAreaField label={t('apps.logoutRedirects')} hint={t('apps.logoutRedirects.hint')} name="postLogoutRedirectUris" value={logoutRedirects} onValue={setLogoutRedirects} error={listError('postLogoutRedirectUris')} />
        <Checkbox label={t('apps.public')} checked={isPublic} onChecked={setPublic} />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('apps.create.submit')}
          </Button>
        </div>
      </form>
    </Card>
  )
}

function fieldErrorOfList(error: unknown, field: string, t: ReturnType<typeof useT>): string | null {
  const named = error as { field?: string }
  return named.field?.startsWith(`${field}.`) ? fieldError(t, error, named.field) : null
}

function RemoveApplication(props: { client: OidcClientSummary; onClose(): void; onRemoved(): void }) {
  const t = useT()
  const action = useAction()
  return (
    <Dialog title={t('apps.remove.title', { name: props.client.name })} onClose={props.onClose}>
      <p>{t('apps.remove.body')}</p>
      <ErrorNotice error={action.error} />
      <div class="actions">
        <Button
          variant="danger"
          busy={action.busy}
          onClick={() =>
            void action.run(async () => {
              await api('DELETE', `/api/v1/admin/oidc-clients/${encodeURIComponent(props.client.id)}`)
              props.onRemoved()
            })
          }
        >
          {t('common.remove')}
        </Button>
        <Button variant="secondary" onClick={props.onClose}>
          {t('common.cancel')}
        </Button>
      </div>
    </Dialog>
  )
}
