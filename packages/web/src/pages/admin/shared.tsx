import type { OrganisationSettings, UserSummary } from '@countersign/protocol'
import type { ComponentChildren } from 'preact'
import { useLocation } from 'preact-iso'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, errorText } from '../../api'
import { Layout } from '../../components/layout'
import { hasMessage, useT, type MessageId, type Translate } from '../../i18n'
import { useSession } from '../../session'
import { FEW_RECOVERY_CODES } from '../account/types'

/** Organisation settings as the API returns them. */
export type Org = OrganisationSettings

/** A user as the admin API answers (`GET /api/v1/admin/users/{id}` and an organisation's list). */
export type AdminUser = UserSummary & {
  /** Unused recovery codes (F-X-2); 0: none made, or all used. The protocol's type does not name it yet. */
  recoveryCodesLeft?: number
}

/** Whether the signed-in admin is a staff user (sees every organisation) or an organisation admin. */
export function useAdminScope() {
  const { session } = useSession()
  const staff = session?.account.role === 'staff'
  return { staff, organisationId: session?.account.organisation?.id ?? null, accountId: session?.account.id ?? null }
}

/** The frame of every admin page: the wide layout, the sub-navigation and the page heading (with a status badge). */
export function AdminPage(props: { title: string; children: ComponentChildren; back?: { href: string; label: string }; badge?: ComponentChildren }) {
  const t = useT()
  return (
    <Layout title={props.title} wide>
      <AdminNav />
      {props.back ? (
        <p class="admin-back">
          <a href={props.back.href}>{t('admin.back', { name: props.back.label })}</a>
        </p>
      ) : null}
      <h1>
        {props.title}
        {props.badge ? <> {props.badge}</> : null}
      </h1>
      {props.children}
    </Layout>
  )
}

function AdminNav() {
  const t = useT()
  const { path } = useLocation()
  const { staff, organisationId } = useAdminScope()
  const links: { href: string; label: string; current: boolean }[] = staff
    ? [
        { href: '/admin', label: t('admin.nav.organisations'), current: path === '/admin' || path.startsWith('/admin/organisations') || path.startsWith('/admin/users') },
        { href: '/admin/staff', label: t('admin.nav.staff'), current: path.startsWith('/admin/staff') },
        { href: '/admin/audit', label: t('admin.nav.audit'), current: path.startsWith('/admin/audit') },
      ]
    : [
        { href: `/admin/organisations/${organisationId ?? ''}`, label: t('admin.nav.organisation'), current: !path.startsWith('/admin/audit') },
        { href: '/admin/audit', label: t('admin.nav.audit'), current: path.startsWith('/admin/audit') },
      ]
  // On an organisation's pages, its applications (OpenID Connect clients) are one tab away.
  const orgPage = /^\/admin\/organisations\/([^/]+)/.exec(path)?.[1] ?? (staff ? null : organisationId)
  if (orgPage) {
    const href = `/admin/organisations/${orgPage}/applications`
    links.splice(links.length - 1, 0, { href, label: t('apps.nav'), current: path === href })
    for (const link of links) if (link.href !== href && path === href) link.current = false
  }
  return (
    <nav class="admin-nav" aria-label={t('admin.nav.label')}>
      {links.map((link) => (
        <a key={link.href} href={link.href} aria-current={link.current ? 'page' : undefined}>
          {link.label}
        </a>
      ))}
    </nav>
  )
}

/** Unused recovery codes (F-X-2): "8 left" (`short`: "8"), a warning badge when 2 or fewer are left. */
export function RecoveryCodesLeft(props: { left: number; short?: boolean }) {
  const t = useT()
  if (props.left === 0) return <span class="muted">{t('common.none')}</span>
  const text = props.short ? String(props.left) : t('admin.user.recoveryCodes.left', { count: props.left })
  return props.left <= FEW_RECOVERY_CODES ? <span class="badge badge-warning">{text}</span> : <span>{text}</span>
}

/** Loads a resource on mount (and when `deps` change); `reload` fetches it again. */
export function useResource<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [version, setVersion] = useState(0)
  useEffect(() => {
    let current = true
    load()
      .then((value) => {
        if (!current) return
        setData(value)
        setError(null)
      })
      .catch((caught: unknown) => {
        if (current) setError(caught)
      })
    return () => {
      current = false
    }
  }, [...deps, version])
  return { data, error, setData, reload: () => setVersion((v) => v + 1) }
}

/** The server's message for a field it named in a 400 (shown under that field), else null. */
export function fieldError(t: Translate, error: unknown, field: string): string | null {
  if (error instanceof ApiError && error.code === 'INVALID_REQUEST' && error.field === field) return errorText(t, error)
  return null
}

/** A new password the server refused (422 PASSWORD_REJECTED): its reason in words, for the password field. */
export function passwordRejection(t: Translate, error: unknown): string | null {
  return error instanceof ApiError && error.code === 'PASSWORD_REJECTED' ? errorText(t, error) : null
}

/**
 * A message for the next admin page, where the page that did something is gone (a deleted
 * user's page): set before leaving, taken once by the page that shows it.
 */
let flash: string | null = null
export function setFlash(text: string) {
  flash = text
}
export function takeFlash(): string | null {
  const text = flash
  flash = null
  return text
}

/** True when a 400 names one of the form's own fields (the form shows it there, not on top). */
export function isFieldError(error: unknown, fields: string[]): boolean {
  return error instanceof ApiError && error.code === 'INVALID_REQUEST' && !!error.field && fields.includes(error.field.split('.')[0]!)
}

/** A number as typed: empty → null; not a number → the text itself, so the server names the field. */
export function parseNumber(value: string): number | string | null {
  const trimmed = value.trim()
  if (trimmed === '') return null
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : trimmed
}

/** A catalogue label for a code from the server, or the code itself when there is none. */
export function label(t: Translate, prefix: string, code: string | null | undefined): string {
  if (!code) return ''
  const id = `${prefix}.${code}`
  return hasMessage(id) ? t(id as MessageId) : code
}

export function loadOrganisations() {
  return api<Org[]>('GET', '/api/v1/admin/organisations')
}
