import type { Policy } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, ErrorNotice, Field, Loading, SelectField, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT } from '../../i18n'
import { AdminPage, fieldError, isFieldError, loadOrganisations, useResource, type Org } from './shared'

/** Staff: every organisation, and adding one (F-INT-3). */
export function Organisations() {
  const t = useT()
  const { language } = useLanguage()
  const orgs = useResource(loadOrganisations)
  return (
    <AdminPage title={t('admin.orgs.title')}>
      <p class="lead">{t('admin.orgs.lead')}</p>
      <Card>
        {orgs.error ? <ErrorNotice error={orgs.error} /> : null}
        {!orgs.data ? (
          orgs.error ? null : <Loading />
        ) : orgs.data.length === 0 ? (
          <p class="muted">{t('admin.orgs.empty')}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.orgs.name')}</th>
                  <th scope="col">{t('admin.orgs.slug')}</th>
                  <th scope="col">{t('admin.orgs.policy')}</th>
                  <th scope="col">{t('admin.orgs.created')}</th>
                </tr>
              </thead>
              <tbody>
                {orgs.data.map((org) => (
                  <tr key={org.id}>
                    <td>
                      <a href={`/admin/organisations/${org.id}`}>{org.name}</a>
                    </td>
                    <td>
                      <code>{org.slug}</code>
                    </td>
                    <td>{t(`admin.policy.${org.policy}`)}</td>
                    <td>{formatDateTime(language, org.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <CreateOrganisation />
    </AdminPage>
  )
}

function CreateOrganisation() {
  const t = useT()
  const { route } = useLocation()
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [policy, setPolicy] = useState<Policy>('required')
  const action = useAction()

  function submit(event: Event) {
    event.preventDefault()
    void action.run(async () => {
      const org = await api<Org>('POST', '/api/v1/admin/organisations', { name, slug, policy })
      route(`/admin/organisations/${org.id}`)
    })
  }

  const fields = ['name', 'slug', 'policy']
  return (
    <Card title={t('admin.orgs.create.title')}>
      <form onSubmit={submit} noValidate>
        {action.error && !isFieldError(action.error, fields) ? <ErrorNotice error={action.error} /> : null}
        <Field label={t('admin.orgs.name')} name="name" required maxLength={64} value={name} onValue={setName} error={fieldError(t, action.error, 'name')} />
        <Field label={t('admin.orgs.slug')} name="slug" required autocapitalize="none" spellcheck={false} maxLength={40} hint={t('admin.orgs.create.slugHint')} value={slug} onValue={setSlug} error={fieldError(t, action.error, 'slug')} />
        <SelectField
          label={t('admin.orgs.policy')}
          value={policy}
          onValue={(v) => setPolicy(v)}
          options={(['required', 'optional', 'off'] as const).map((p) => ({ value: p, label: t(`admin.policy.${p}`) }))}
        />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('admin.orgs.create.submit')}
          </Button>
        </div>
      </form>
    </Card>
  )
}
