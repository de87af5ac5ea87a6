import type { AuditEvent, UserSummary } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, ErrorNotice, Field, Loading, SelectField } from '../../components/ui'
import { catalogue, formatDateTime, useLanguage, useT, type Translate } from '../../i18n'
import { AdminPage, label, loadOrganisations, useAdminScope, useResource, type Org } from './shared'

const LIMIT = 200

/** Every event name the catalogue has words for, in catalogue order. */
const EVENTS = Object.keys(catalogue.en)
  .filter((key) => key.startsWith('admin.event.'))
  .map((key) => key.slice('admin.event.'.length))

interface Filters {
  organisation: string
  account: string
  event: string
  after: string
  before: string
}

/** An ISO time as a `datetime-local` value in the browser's time zone, and back. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}
function fromLocalInput(value: string): string {
  if (!value) return ''
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? '' : date.toISOString()
}

/** A short name for a browser from its User-Agent ("Chrome on Linux"); the full text is in the title. */
function browserName(t: Translate, agent: string | null): string {
  if (!agent) return ''
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : null
  const os = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Windows/.test(agent) ? 'Windows' : /Mac OS X/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : null
  if (browser && os) return t('admin.audit.browserOn', { browser, os })
  return agent.length > 40 ? `${agent.slice(0, 40)}…` : agent
}

/** The audit log (F-POL-6): who did what, when and from where, with filters kept in the address. */
export function AuditLog() {
  const t = useT()
  const { language } = useLanguage()
  const { query, route } = useLocation()
  const { staff, organisationId } = useAdminScope()
  const applied: Filters = {
    organisation: staff ? (query.organisation ?? '') : (organisationId ?? ''),
    account: query.account ?? '',
    event: query.event ?? '',
    after: query.after ?? '',
    before: query.before ?? '',
  }
  const key = JSON.stringify(applied)
  // The form holds the times as typed (local time); the address holds them in ISO 8601.
  const typed = (filters: Filters): Filters => ({ ...filters, after: toLocalInput(filters.after), before: toLocalInput(filters.before) })
  const [form, setForm] = useState<Filters>(() => typed(applied))
  useEffect(() => setForm(typed(applied)), [key])

  const orgs = useResource(() => (staff ? loadOrganisations() : Promise.resolve([] as Org[])), [staff])
  // Names for the accounts in the log: the users of every organisation the admin sees, and staff.
  const accounts = useResource(async () => {
    const lists = await Promise.all([
      ...(orgs.data ?? []).map((org) => api<UserSummary[]>('GET', `/api/v1/admin/organisations/${org.id}/users`)),
      ...(!staff && organisationId ? [api<UserSummary[]>('GET', `/api/v1/admin/organisations/${organisationId}/users`)] : []),
      ...(staff ? [api<UserSummary[]>('GET', '/api/v1/admin/staff')] : []),
    ])
    return lists.flat()
  }, [orgs.data, staff, organisationId])

  const loaded = useResource(async () => {
    const params = new URLSearchParams()
    for (const [name, value] of Object.entries(applied)) if (value) params.set(name, value)
    params.set('limit', String(LIMIT))
    return { key, list: await api<AuditEvent[]>('GET', `/api/v1/admin/audit?${params}`) }
  }, [key])
  // Rows for other filters are never shown under these ones: until the answer comes, "Loading".
  const events = { error: loaded.error, data: loaded.data?.key === key ? loaded.data.list : undefined }

  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))
  const orgName = new Map((orgs.data ?? []).map((o) => [o.id, o.name]))
  const set = (name: keyof Filters) => (value: string) => setForm((current) => ({ ...current, [name]: value, ...(name === 'organisation' ? { account: '' } : {}) }))

  function apply(next: Filters) {
    const params = new URLSearchParams()
    const iso = { ...next, after: fromLocalInput(next.after), before: fromLocalInput(next.before) }
    for (const [name, value] of Object.entries(iso)) if (value && (staff || name !== 'organisation')) params.set(name, value)
    const search = params.toString()
    route(`/admin/audit${search ? `?${search}` : ''}`)
  }

  function submit(event: Event) {
    event.preventDefault()
    apply(form)
  }

  function accountName(id: string | null): string {
    if (!id) return ''
    return byId.get(id)?.username ?? id
  }

  function actorName(actor: string | null, accountId: string | null): string {
    if (!actor) return accountId ? t('admin.audit.actor.self') : ''
    if (actor === 'token:bootstrap') return t('admin.audit.actor.bootstrap')
    if (actor.startsWith('token:')) return t('admin.audit.actor.token')
    if (actor === 'cli') return t('admin.audit.actor.cli')
    const id = actor.startsWith('account:') ? actor.slice('account:'.length) : actor
    return id === accountId ? t('admin.audit.actor.self') : accountName(id)
  }

  const accountChoices = (accounts.data ?? []).filter((a) => !form.organisation || a.organisationId === form.organisation || a.organisationId === null)
  const accountOptions = [
    { value: '', label: t('admin.audit.account.all') },
    ...accountChoices.map((a) => ({
      value: a.id,
      label: a.organisationId === null ? `${a.username} · ${t('admin.audit.staffAccounts')}` : staff && !form.organisation ? `${a.username} · ${orgName.get(a.organisationId) ?? ''}` : a.username,
    })),
    ...(form.account && !byId.has(form.account) ? [{ value: form.account, label: form.account }] : []),
  ]

  return (
    <AdminPage title={t('admin.audit.title')}>
      <p class="lead">{t('admin.audit.lead')}</p>
      <Card title={t('admin.audit.filters')}>
        <form onSubmit={submit} noValidate>
          <div class="admin-filters">
            {staff ? (
              <SelectField
                label={t('admin.audit.organisation')}
                value={form.organisation}
                onValue={set('organisation')}
                options={[{ value: '', label: t('admin.audit.organisation.all') }, ...(orgs.data ?? []).map((o) => ({ value: o.id, label: o.name }))]}
              />
            ) : null}
            <SelectField label={t('admin.audit.account')} value={form.account} onValue={set('account')} options={accountOptions} />
            <SelectField
              label={t('admin.audit.event')}
              value={form.event}
              onValue={set('event')}
              options={[{ value: '', label: t('admin.audit.event.all') }, ...EVENTS.map((e) => ({ value: e, label: label(t, 'admin.event', e) })), ...(form.event && !EVENTS.includes(form.event) ? [{ value: form.event, label: form.event }] : [])]}
            />
            <Field label={t('admin.audit.after')} name="after" type="datetime-local" value={form.after} onValue={set('after')} />
            <Field label={t('admin.audit.before')} name="before" type="datetime-local" value={form.before} onValue={set('before')} />
          </div>
          <div class="actions">
            <Button type="submit">{t('admin.audit.apply')}</Button>
            <Button variant="link" onClick={() => apply({ organisation: '', account: '', event: '', after: '', before: '' })}>
              {t('admin.audit.clear')}
            </Button>
          </div>
        </form>
      </Card>
      <Card>
        <ErrorNotice error={events.error} />
        {!events.data ? (
          events.error ? null : <Loading />
        ) : events.data.length === 0 ? (
          <p class="muted">{t('admin.audit.empty')}</p>
        ) : (
          <>
            <p class="muted admin-count" aria-live="polite">
              {events.data.length >= LIMIT ? t('admin.audit.limit', { count: LIMIT }) : events.data.length === 1 ? t('admin.audit.count.one') : t('admin.audit.count', { count: events.data.length })}
            </p>
            <div class="table-scroll">
              <table class="admin-table" aria-label={t('admin.audit.title')}>
                <thead>
                  <tr>
                    <th scope="col">{t('admin.audit.col.time')}</th>
                    <th scope="col">{t('admin.audit.col.event')}</th>
                    <th scope="col">{t('admin.audit.col.actor')}</th>
                    <th scope="col">{t('admin.audit.col.account')}</th>
                    <th scope="col">{t('admin.audit.col.reason')}</th>
                    <th scope="col">{t('admin.audit.col.ip')}</th>
                    <th scope="col">{t('admin.audit.col.browser')}</th>
                  </tr>
                </thead>
                <tbody>
                  {events.data.map((e) => (
                    <tr key={e.id}>
                      <td class="admin-nowrap">{formatDateTime(language, e.at)}</td>
                      <td>{label(t, 'admin.event', e.event)}</td>
                      <td>{actorName(e.actor, e.accountId)}</td>
                      <td>{e.accountId ? byId.has(e.accountId) ? <a href={`/admin/users/${e.accountId}`}>{accountName(e.accountId)}</a> : accountName(e.accountId) : ''}</td>
                      <td>{label(t, 'admin.reason', e.reason)}</td>
                      <td>
                        <code>{e.ip ?? ''}</code>
                      </td>
                      <td title={e.userAgent ?? undefined}>{browserName(t, e.userAgent)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Card>
    </AdminPage>
  )
}
