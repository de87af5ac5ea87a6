import type { MethodKind, Policy, TwoFactorOverride } from '@countersign/protocol'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, Checkbox, Dialog, ErrorNotice, Field, Loading, Notice, SelectField, useAction } from '../../components/ui'
import { formatDateTime, methodLabel, useLanguage, useT, type Translate } from '../../i18n'
import { AdminPage, fieldError, isFieldError, label, parseNumber, passwordRejection, RecoveryCodesLeft, takeFlash, useAdminScope, useResource, type AdminUser, type Org } from './shared'

/** Every method, in the order the settings list them (types only from the protocol package: no zod in the bundle). */
const methodKinds: MethodKind[] = ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code']

/** One organisation: its 2FA policy and settings (F-POL-1) and its users with their 2FA state (F-POL-5). */
export function OrganisationPage(props: { id?: string; params?: { id?: string } }) {
  const t = useT()
  const id = props.params?.id ?? props.id ?? ''
  const { staff } = useAdminScope()
  const org = useResource(() => api<Org>('GET', `/api/v1/admin/organisations/${encodeURIComponent(id)}`), [id])
  const users = useResource(() => api<AdminUser[]>('GET', `/api/v1/admin/organisations/${encodeURIComponent(id)}/users`), [id])
  // "User … was deleted", from the user's page that is gone now.
  const [flash] = useState(takeFlash)

  return (
    <AdminPage title={org.data?.name ?? t('admin.nav.organisation')} {...(staff ? { back: { href: '/admin', label: t('admin.nav.organisations') } } : {})}>
      {flash ? <Notice kind="success">{flash}</Notice> : null}
      {org.error ? <ErrorNotice error={org.error} /> : null}
      {org.data ? (
        <OrganisationSettings
          org={org.data}
          onSaved={(saved) => {
            org.setData(saved)
            // The policy decides each user's "second step" column: show it as it is now.
            users.reload()
          }}
        />
      ) : org.error ? null : (
        <Loading />
      )}
      {org.data ? <Users org={org.data} users={users.data} error={users.error} reload={users.reload} /> : null}
    </AdminPage>
  )
}

interface SettingsForm {
  name: string
  policy: Policy
  allowedMethods: MethodKind[]
  deviceLimit: string
  rememberBrowserDays: string
  codeTtlMinutes: string
  autoUnlockMinutes: string
  linkWithSms: boolean
  pushNumberDigits: string
  allowedOrigins: Org['allowedOrigins']
  minPasswordLength: string
  selfServicePasswordReset: boolean
  notifyAdminsOfPasswordReset: boolean
  sessionIdleMinutes: string
  sessionMaxHours: string
}

function formOf(org: Org): SettingsForm {
  return {
    name: org.name,
    policy: org.policy,
    allowedMethods: org.allowedMethods,
    deviceLimit: String(org.deviceLimit),
    rememberBrowserDays: String(org.rememberBrowserDays),
    codeTtlMinutes: String(org.codeTtlMinutes),
    autoUnlockMinutes: org.autoUnlockMinutes === null ? '' : String(org.autoUnlockMinutes),
    linkWithSms: org.linkWithSms,
    pushNumberDigits: String(org.pushNumberDigits ?? 2),
    allowedOrigins: org.allowedOrigins,
    minPasswordLength: String(org.minPasswordLength),
    selfServicePasswordReset: org.selfServicePasswordReset,
    notifyAdminsOfPasswordReset: org.notifyAdminsOfPasswordReset,
    sessionIdleMinutes: String(org.sessionIdleMinutes),
    sessionMaxHours: String(org.sessionMaxHours),
  }
}

/** Passwords and sessions (issue 17): checked here first, so a mistake is said in words at its field. */
const RANGES = {
  minPasswordLength: { min: 8, max: 64 },
  sessionIdleMinutes: { min: 5, max: 720 },
  sessionMaxHours: { min: 1, max: 720 },
} as const
type RangeField = keyof typeof RANGES

const NUMBER_FIELDS = ['deviceLimit', 'rememberBrowserDays', 'codeTtlMinutes', 'autoUnlockMinutes', 'pushNumberDigits', 'minPasswordLength', 'sessionIdleMinutes', 'sessionMaxHours'] as const
const SETTINGS_FIELDS = ['name', 'policy', 'allowedMethods', 'linkWithSms', 'allowedOrigins', 'selfServicePasswordReset', 'notifyAdminsOfPasswordReset', ...NUMBER_FIELDS]

/** The fields whose number is out of range or not whole, with the words to say so. */
function rangeProblems(t: Translate, form: SettingsForm): Partial<Record<RangeField, string>> {
  const problems: Partial<Record<RangeField, string>> = {}
  for (const field of Object.keys(RANGES) as RangeField[]) {
    const value = parseNumber(form[field])
    const { min, max } = RANGES[field]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) problems[field] = t('admin.settings.range', { min, max })
  }
  return problems
}

/** Only what changed is sent, so the audit log says exactly what the admin changed. */
function changes(org: Org, form: SettingsForm): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  if (form.name !== org.name) patch.name = form.name
  if (form.policy !== org.policy) patch.policy = form.policy
  const sameMethods = form.allowedMethods.length === org.allowedMethods.length && form.allowedMethods.every((m) => org.allowedMethods.includes(m))
  if (!sameMethods) patch.allowedMethods = form.allowedMethods
  if (form.linkWithSms !== org.linkWithSms) patch.linkWithSms = form.linkWithSms
  if (JSON.stringify(form.allowedOrigins) !== JSON.stringify(org.allowedOrigins)) patch.allowedOrigins = form.allowedOrigins
  if (form.selfServicePasswordReset !== org.selfServicePasswordReset) patch.selfServicePasswordReset = form.selfServicePasswordReset
  if (form.notifyAdminsOfPasswordReset !== org.notifyAdminsOfPasswordReset) patch.notifyAdminsOfPasswordReset = form.notifyAdminsOfPasswordReset
  for (const field of NUMBER_FIELDS) {
    const typed = parseNumber(form[field])
    if (typed !== org[field]) patch[field] = typed
  }
  return patch
}

function OrganisationSettings(props: { org: Org; onSaved(org: Org): void }) {
  const t = useT()
  const { org } = props
  const [form, setForm] = useState<SettingsForm>(() => formOf(org))
  const [saved, setSaved] = useState<'saved' | 'unchanged' | null>(null)
  const [problems, setProblems] = useState<Partial<Record<RangeField, string>>>({})
  const action = useAction()
  const set = <K extends keyof SettingsForm>(key: K) => (value: SettingsForm[K]) => {
    setSaved(null)
    setForm((current) => ({ ...current, [key]: value }))
  }
  /** The message at a field: ours (range), else the server's. */
  const problemAt = (field: RangeField) => problems[field] ?? fieldError(t, action.error, field)

  function submit(event: Event) {
    event.preventDefault()
    setSaved(null)
    const found = rangeProblems(t, form)
    setProblems(found)
    if (Object.keys(found).length > 0) {
      action.setError(null)
      return
    }
    const patch = changes(org, form)
    if (Object.keys(patch).length === 0) {
      action.setError(null)
      setSaved('unchanged')
      return
    }
    void action.run(async () => {
      const updated = await api<Org>('PATCH', `/api/v1/admin/organisations/${org.id}`, patch)
      props.onSaved(updated)
      setForm(formOf(updated))
      setSaved('saved')
    })
  }

  function toggleMethod(method: MethodKind, on: boolean) {
    set('allowedMethods')(on ? methodKinds.filter((m) => m === method || form.allowedMethods.includes(m)) : form.allowedMethods.filter((m) => m !== method))
  }

  const methodsError = fieldError(t, action.error, 'allowedMethods')
  return (
    <Card title={t('admin.settings.title')}>
      <p class="lead">{t('admin.settings.lead', { name: org.name })}</p>
      <form onSubmit={submit} noValidate>
        {Object.keys(problems).length > 0 ? <Notice kind="error">{t('admin.fieldError')}</Notice> : null}
        {action.error ? isFieldError(action.error, SETTINGS_FIELDS) ? <Notice kind="error">{t('admin.fieldError')}</Notice> : <ErrorNotice error={action.error} /> : null}
        <div class="admin-grid">
          <div>
            <Field label={t('admin.settings.name')} name="name" maxLength={64} value={form.name} onValue={set('name')} error={fieldError(t, action.error, 'name')} />
            <SelectField
              label={t('admin.settings.policy')}
              value={form.policy}
              onValue={set('policy')}
              hint={t(`admin.settings.policy.hint.${form.policy}`)}
              options={(['required', 'optional', 'off'] as const).map((p) => ({ value: p, label: t(`admin.policy.${p}`) }))}
            />
            <fieldset class={`admin-fieldset${methodsError ? ' field-invalid' : ''}`}>
              <legend>{t('admin.settings.methods')}</legend>
              <p class="hint">{t('admin.settings.methods.hint')}</p>
              {methodKinds.map((method) => (
                <Checkbox key={method} name="allowedMethods" label={t(methodLabel(method))} checked={form.allowedMethods.includes(method)} onChecked={(on) => toggleMethod(method, on)} />
              ))}
              {methodsError ? <p class="field-error">{methodsError}</p> : null}
            </fieldset>
          </div>
          <div>
            <Field label={t('admin.settings.deviceLimit')} name="deviceLimit" type="number" hint={t('admin.settings.deviceLimit.hint')} value={form.deviceLimit} onValue={set('deviceLimit')} error={fieldError(t, action.error, 'deviceLimit')} />
            <Field label={t('admin.settings.rememberDays')} name="rememberBrowserDays" type="number" hint={t('admin.settings.rememberDays.hint')} value={form.rememberBrowserDays} onValue={set('rememberBrowserDays')} error={fieldError(t, action.error, 'rememberBrowserDays')} />
            <Field label={t('admin.settings.codeTtl')} name="codeTtlMinutes" type="number" hint={t('admin.settings.codeTtl.hint')} value={form.codeTtlMinutes} onValue={set('codeTtlMinutes')} error={fieldError(t, action.error, 'codeTtlMinutes')} />
            <Field label={t('admin.settings.autoUnlock')} name="autoUnlockMinutes" type="number" hint={t('admin.settings.autoUnlock.hint')} value={form.autoUnlockMinutes} onValue={set('autoUnlockMinutes')} error={fieldError(t, action.error, 'autoUnlockMinutes')} />
            <Field label={t('admin.settings.pushNumberDigits')} name="pushNumberDigits" type="number" min={2} max={6} hint={t('admin.settings.pushNumberDigits.hint')} value={form.pushNumberDigits} onValue={set('pushNumberDigits')} error={fieldError(t, action.error, 'pushNumberDigits')} />
            <Checkbox name="linkWithSms" label={t('admin.settings.linkWithSms')} checked={form.linkWithSms} onChecked={set('linkWithSms')} />
          </div>
        </div>
        <fieldset class="admin-fieldset admin-section">
          <legend>{t('admin.settings.passwords')}</legend>
          <div class="admin-grid">
            <div>
              <Field label={t('admin.settings.minPasswordLength')} name="minPasswordLength" type="number" min={8} max={64} hint={t('admin.settings.minPasswordLength.hint')} value={form.minPasswordLength} onValue={set('minPasswordLength')} error={problemAt('minPasswordLength')} />
              <Checkbox name="selfServicePasswordReset" label={t('admin.settings.selfServiceReset')} hint={t('admin.settings.selfServiceReset.hint')} checked={form.selfServicePasswordReset} onChecked={set('selfServicePasswordReset')} />
              <Checkbox name="notifyAdminsOfPasswordReset" label={t('admin.settings.notifyAdmins')} checked={form.notifyAdminsOfPasswordReset} onChecked={set('notifyAdminsOfPasswordReset')} />
            </div>
            <div>
              <Field label={t('admin.settings.sessionIdle')} name="sessionIdleMinutes" type="number" min={5} max={720} hint={t('admin.settings.sessionIdle.hint')} value={form.sessionIdleMinutes} onValue={set('sessionIdleMinutes')} error={problemAt('sessionIdleMinutes')} />
              <Field label={t('admin.settings.sessionMax')} name="sessionMaxHours" type="number" min={1} max={720} hint={t('admin.settings.sessionMax.hint')} value={form.sessionMaxHours} onValue={set('sessionMaxHours')} error={problemAt('sessionMaxHours')} />
            </div>
          </div>
        </fieldset>
        <AllowedOrigins value={form.allowedOrigins} onValue={set('allowedOrigins')} error={action.error} />
        {saved === 'saved' ? <Notice kind="success">{t('admin.settings.saved')}</Notice> : null}
        {saved === 'unchanged' ? <Notice kind="info">{t('admin.noChanges')}</Notice> : null}
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {action.busy ? t('admin.saving') : t('admin.settings.save')}
          </Button>
        </div>
      </form>
    </Card>
  )
}

/** F-INT-2: origins of applications behind forward auth, each possibly asking for a second factor. */
function AllowedOrigins(props: { value: SettingsForm['allowedOrigins']; onValue(value: SettingsForm['allowedOrigins']): void; error: unknown }) {
  const t = useT()
  const change = (index: number, entry: Partial<SettingsForm['allowedOrigins'][number]>) =>
    props.onValue(props.value.map((current, i) => (i === index ? { ...current, ...entry } : current)))
  const listError = fieldError(t, props.error, 'allowedOrigins')
  return (
    <fieldset class={`admin-fieldset${listError ? ' field-invalid' : ''}`}>
      <legend>{t('admin.settings.origins')}</legend>
      <p class="hint">{t('admin.settings.origins.hint')}</p>
      {props.value.map((entry, index) => (
        <div key={index} class="admin-origin">
          <Field
            label={t('admin.settings.origins.origin', { n: index + 1 })}
            name={`allowedOrigins.${index}.origin`}
            autocapitalize="none"
            spellcheck={false}
            maxLength={300}
            value={entry.origin}
            onValue={(origin) => change(index, { origin })}
            error={fieldError(t, props.error, `allowedOrigins.${index}.origin`)}
          />
          <Checkbox label={t('admin.settings.origins.secondFactor')} checked={entry.requireSecondFactor} onChecked={(requireSecondFactor) => change(index, { requireSecondFactor })} />
          <Button variant="link" onClick={() => props.onValue(props.value.filter((_, i) => i !== index))}>
            {t('admin.settings.origins.remove')}
          </Button>
        </div>
      ))}
      {listError ? <p class="field-error">{listError}</p> : null}
      <Button variant="secondary" onClick={() => props.onValue([...props.value, { origin: '', requireSecondFactor: false }])} disabled={props.value.length >= 20}>
        {t('admin.settings.origins.add')}
      </Button>
    </fieldset>
  )
}

type StateFilter = 'all' | 'locked' | 'noFactor' | 'notAsked' | 'exempt' | 'bypass' | 'admins' | 'deactivated' | 'passwordChange'

const STATE_FILTERS: Record<StateFilter, (user: AdminUser) => boolean> = {
  all: () => true,
  locked: (u) => u.locked,
  noFactor: (u) => u.method === null && u.devices.length === 0,
  notAsked: (u) => !u.secondFactor.required,
  exempt: (u) => u.twoFactor === 'exempt',
  bypass: (u) => u.bypassExpiresAt !== null,
  admins: (u) => u.role === 'admin',
  deactivated: (u) => u.status === 'deactivated',
  passwordChange: (u) => u.passwordChangeRequired,
}

function Users(props: { org: Org; users: AdminUser[] | undefined; error: unknown; reload(): void }) {
  const t = useT()
  const { language } = useLanguage()
  const [search, setSearch] = useState('')
  const [state, setState] = useState<StateFilter>('all')
  const [adding, setAdding] = useState(false)
  const [created, setCreated] = useState<string | null>(null)
  const needle = search.trim().toLowerCase()
  const shown = (props.users ?? []).filter(
    (u) => STATE_FILTERS[state](u) && (!needle || u.username.toLowerCase().includes(needle) || u.email.toLowerCase().includes(needle)),
  )

  return (
    <Card
      title={t('admin.users.title')}
      actions={
        <Button variant="secondary" onClick={() => setAdding(true)}>
          {t('admin.users.add')}
        </Button>
      }
    >
      {created ? <Notice kind="success">{t('admin.create.done', { username: created })}</Notice> : null}
      <div class="admin-filters" role="search">
        <Field label={t('admin.users.search')} name="search" type="search" hint={t('admin.users.search.hint')} autocapitalize="none" spellcheck={false} value={search} onValue={setSearch} />
        <SelectField
          label={t('admin.users.state')}
          value={state}
          onValue={(v) => setState(v)}
          options={(Object.keys(STATE_FILTERS) as StateFilter[]).map((s) => ({ value: s, label: t(`admin.users.state.${s}`) }))}
        />
      </div>
      {props.error ? <ErrorNotice error={props.error} /> : null}
      {!props.users ? (
        props.error ? null : <Loading />
      ) : props.users.length === 0 ? (
        <p class="muted">{t('admin.users.none')}</p>
      ) : (
        <>
          <p class="muted admin-count" aria-live="polite">
            {t('admin.users.count', { shown: shown.length, total: props.users.length })}
          </p>
          {shown.length === 0 ? (
            <p>{t('admin.users.empty')}</p>
          ) : (
            <div class="table-scroll">
              <table class="admin-table">
                <thead>
                  <tr>
                    <th scope="col">{t('admin.users.col.user')}</th>
                    <th scope="col">{t('admin.users.col.role')}</th>
                    <th scope="col">{t('admin.users.col.twoFactor')}</th>
                    <th scope="col">{t('admin.users.col.method')}</th>
                    <th scope="col">{t('admin.users.col.devices')}</th>
                    <th scope="col">{t('admin.users.col.recoveryCodes')}</th>
                    <th scope="col">{t('admin.users.col.status')}</th>
                    <th scope="col">{t('admin.users.col.lastSignIn')}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((user) => (
                    <tr key={user.id}>
                      <td>
                        <a href={`/admin/users/${user.id}`}>{user.username}</a>
                        <div class="muted admin-small">{user.email}</div>
                      </td>
                      <td>{t(`admin.role.${user.role}`)}</td>
                      <td>
                        <span>{user.secondFactor.required ? t('admin.users.asked') : t('admin.users.notAsked')}</span>
                        <div class="muted admin-small">{label(t, 'admin.reason', user.secondFactor.reason)}</div>
                      </td>
                      <td>{user.method ? t(methodLabel(user.method, true)) : <span class="muted">{t('common.none')}</span>}</td>
                      <td>{user.devices.length}</td>
                      <td>{user.recoveryCodesLeft !== undefined ? <RecoveryCodesLeft left={user.recoveryCodesLeft} short /> : null}</td>
                      <td>
                        {user.status === 'deactivated' ? (
                          <span class="badge badge-danger">{t('admin.users.deactivated')}</span>
                        ) : user.locked ? (
                          <span class="badge badge-danger">{t('admin.users.locked')}</span>
                        ) : (
                          <span class="badge badge-success">{t('admin.users.active')}</span>
                        )}
                        {user.passwordChangeRequired ? <span class="badge badge-warning">{t('admin.users.passwordChange')}</span> : null}
                        {user.bypassExpiresAt ? <span class="badge">{t('admin.users.bypass')}</span> : null}
                      </td>
                      <td>{user.lastSignInAt ? formatDateTime(language, user.lastSignInAt) : <span class="muted">{t('common.never')}</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {adding ? (
        <CreateUser
          org={props.org}
          onClose={() => setAdding(false)}
          onCreated={(username) => {
            setAdding(false)
            setCreated(username)
            props.reload()
          }}
        />
      ) : null}
    </Card>
  )
}

function CreateUser(props: { org: Org; onClose(): void; onCreated(username: string): void }) {
  const t = useT()
  const [form, setForm] = useState({ username: '', email: '', phone: '', password: '', role: 'user' as 'user' | 'admin', twoFactor: 'default' as TwoFactorOverride })
  const action = useAction()
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm((current) => ({ ...current, [key]: value }))
  const fields = ['username', 'email', 'phone', 'password', 'role', 'twoFactor']
  useEffect(() => action.setError(null), [])

  function submit(event: Event) {
    event.preventDefault()
    void action.run(async () => {
      const { phone, ...rest } = form
      await api('POST', `/api/v1/admin/organisations/${props.org.id}/users`, { ...rest, ...(phone.trim() ? { phone: phone.trim() } : {}) })
      props.onCreated(form.username)
    })
  }

  return (
    <Dialog title={t('admin.create.title')} onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        {action.error ? isFieldError(action.error, fields) || passwordRejection(t, action.error) ? <Notice kind="error">{t('admin.fieldError')}</Notice> : <ErrorNotice error={action.error} /> : null}
        <Field label={t('admin.create.username')} name="username" autocomplete="off" autocapitalize="none" spellcheck={false} maxLength={64} required hint={t('admin.create.username.hint')} value={form.username} onValue={set('username')} error={fieldError(t, action.error, 'username')} />
        <Field label={t('admin.create.email')} name="email" type="email" autocomplete="off" maxLength={254} required value={form.email} onValue={set('email')} error={fieldError(t, action.error, 'email')} />
        <Field label={t('admin.create.phone')} name="phone" type="tel" autocomplete="off" hint={t('admin.create.phone.hint')} value={form.phone} onValue={set('phone')} error={fieldError(t, action.error, 'phone')} />
        <Field label={t('admin.create.password')} name="password" type="password" autocomplete="new-password" required hint={t('admin.create.password.hint')} value={form.password} onValue={set('password')} error={fieldError(t, action.error, 'password') ?? passwordRejection(t, action.error)} />
        <SelectField label={t('admin.create.role')} value={form.role} onValue={set('role')} options={(['user', 'admin'] as const).map((r) => ({ value: r, label: t(`admin.role.${r}`) }))} />
        <SelectField
          label={t('admin.create.override')}
          value={form.twoFactor}
          onValue={set('twoFactor')}
          options={(['default', 'required', 'exempt'] as const).map((o) => ({ value: o, label: t(`admin.override.${o}`) }))}
        />
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('admin.create.submit')}
          </Button>
          <Button variant="secondary" onClick={props.onClose}>
            {t('common.cancel')}
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
