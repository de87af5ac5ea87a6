import type { MethodKind, Policy, TwoFactorOverride } from '@countersign/protocol'
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../domain/clock.js'
import { DEFAULT_MIN_PASSWORD_LENGTH } from '../domain/password-rules.js'
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../domain/sign-in/sign-in-flow.js'
import { CountersignError } from '../domain/errors.js'
import { LOCK_AFTER_FAILURES } from '../domain/lockout.js'
import { policyRequirement } from '../domain/sign-in/second-factor-requirement.js'
import { newId, newToken } from '../domain/tokens.js'
import { usernameKey } from '../domain/username.js'
import type { Account, Organisation, OrganisationSettingsPatch } from '../store/store.js'
import { recordEvent } from './audit.js'
import { sendSecurityNotice } from './security-notices.js'
import { inTransaction, type AdminActor, type Context, type RequestMeta } from './context.js'
import { describeDevice, removeDevice } from './devices.js'
import { availableMethods } from './second-factor.js'
import { enforcePasswordRules } from './passwords.js'
import { endAllAccess } from './sessions.js'

/** A one-time sign-in without 2FA expires after 24 hours if unused (F-POL-4, T9). */
export const BYPASS_LIFETIME_MS = DAY_MS

export const ALL_METHODS: MethodKind[] = ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code']

/** A new organisation's settings besides its name and policy. */
export const ORGANISATION_DEFAULTS = {
  allowedMethods: ALL_METHODS,
  deviceLimit: 5,
  rememberBrowserDays: 30,
  codeTtlMinutes: 20,
  autoUnlockMinutes: null,
  linkWithSms: false,
  pushNumberDigits: 2,
  allowedOrigins: [],
  minPasswordLength: DEFAULT_MIN_PASSWORD_LENGTH,
  selfServicePasswordReset: true,
  notifyAdminsOfPasswordReset: false,
  sessionIdleMinutes: SESSION_IDLE_MS / MINUTE_MS,
  sessionMaxHours: SESSION_ABSOLUTE_MS / HOUR_MS,
} satisfies Omit<Organisation, 'id' | 'slug' | 'name' | 'policy' | 'createdAt'>

export function describeOrganisation(org: Organisation) {
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    policy: org.policy,
    allowedMethods: org.allowedMethods,
    deviceLimit: org.deviceLimit,
    rememberBrowserDays: org.rememberBrowserDays,
    codeTtlMinutes: org.codeTtlMinutes,
    autoUnlockMinutes: org.autoUnlockMinutes,
    linkWithSms: org.linkWithSms,
    pushNumberDigits: org.pushNumberDigits,
    allowedOrigins: org.allowedOrigins,
    minPasswordLength: org.minPasswordLength,
    selfServicePasswordReset: org.selfServicePasswordReset,
    notifyAdminsOfPasswordReset: org.notifyAdminsOfPasswordReset,
    sessionIdleMinutes: org.sessionIdleMinutes,
    sessionMaxHours: org.sessionMaxHours,
    createdAt: org.createdAt.toISOString(),
  }
}

/** Organisation admins reach only their own organisation (F-POL-5, RB-01). */
function ensureOrganisation(actor: AdminActor, organisationId: string | null) {
  if (actor.kind === 'staff') return
  if (organisationId === null || actor.organisationId !== organisationId) throw new CountersignError('FORBIDDEN')
}

function ensureStaff(actor: AdminActor) {
  if (actor.kind !== 'staff') throw new CountersignError('FORBIDDEN')
}

export async function organisationOrNotFound(ctx: Context, actor: AdminActor, id: string) {
  const org = (await ctx.store.organisations.get(id)) ?? (await ctx.store.organisations.getBySlug(id))
  if (!org) throw new CountersignError('NOT_FOUND')
  ensureOrganisation(actor, org.id)
  return org
}

export async function accountOrNotFound(ctx: Context, actor: AdminActor, id: string) {
  const account = await ctx.store.accounts.get(id)
  if (!account) throw new CountersignError('NOT_FOUND')
  if (actor.kind !== 'staff' && account.organisationId !== actor.organisationId) throw new CountersignError('NOT_FOUND')
  return account
}

export async function createOrganisation(
  ctx: Context,
  actor: AdminActor,
  input: { slug: string; name: string; policy: Policy; allowedMethods?: MethodKind[] | undefined },
  meta: RequestMeta,
) {
  ensureStaff(actor)
  if (await ctx.store.organisations.getBySlug(input.slug)) throw new CountersignError('SLUG_TAKEN')
  const org: Organisation = {
    ...ORGANISATION_DEFAULTS,
    id: newId(ctx.random),
    slug: input.slug,
    name: input.name,
    policy: input.policy,
    allowedMethods: input.allowedMethods ?? ALL_METHODS,
    createdAt: ctx.clock.now(),
  }
  await inTransaction(ctx, async (tx) => {
    await tx.store.organisations.create(org)
    await recordEvent(tx.store, ctx.clock.now(), meta, { event: 'organisation.created', organisationId: org.id, actor: actor.actor, details: { slug: org.slug, policy: org.policy } })
  })
  return describeOrganisation(org)
}

export async function listOrganisations(ctx: Context, actor: AdminActor) {
  const all = await ctx.store.organisations.list()
  return all.filter((org) => actor.kind === 'staff' || org.id === actor.organisationId).map(describeOrganisation)
}

export async function getOrganisation(ctx: Context, actor: AdminActor, id: string) {
  return describeOrganisation(await organisationOrNotFound(ctx, actor, id))
}

export async function updateOrganisation(ctx: Context, actor: AdminActor, id: string, patch: OrganisationSettingsPatch, meta: RequestMeta) {
  const org = await organisationOrNotFound(ctx, actor, id)
  const updated = await inTransaction(ctx, async (tx) => {
    const result = (await tx.store.organisations.update(org.id, patch))!
    await recordEvent(tx.store, ctx.clock.now(), meta, { event: 'organisation.updated', organisationId: org.id, actor: actor.actor, details: { changes: patch } })
    return result
  })
  return describeOrganisation(updated)
}

export async function createUser(
  ctx: Context,
  actor: AdminActor,
  organisationId: string,
  input: { username: string; email: string; phone?: string | undefined; password: string; role: 'user' | 'admin'; twoFactor: TwoFactorOverride },
  meta: RequestMeta,
) {
  const org = await organisationOrNotFound(ctx, actor, organisationId)
  const account = await newAccount(ctx, { ...input, organisationId: org.id, staffTwoFactor: true })
  await inTransaction(ctx, async (tx) => {
    if (!(await tx.store.accounts.create(account))) throw new CountersignError('USERNAME_TAKEN')
    await recordEvent(tx.store, ctx.clock.now(), meta, { event: 'account.created', organisationId: org.id, accountId: account.id, actor: actor.actor, details: { username: account.username, role: account.role, twoFactor: account.twoFactorOverride } })
  })
  return userSummary(ctx, account, org)
}

export async function createStaff(
  ctx: Context,
  actor: AdminActor | null,
  input: { username: string; email: string; password: string; twoFactor: boolean },
  meta: RequestMeta,
) {
  if (actor) ensureStaff(actor)
  const account = await newAccount(ctx, { ...input, role: 'staff', organisationId: null, twoFactor: 'default', staffTwoFactor: input.twoFactor })
  await inTransaction(ctx, async (tx) => {
    if (!(await tx.store.accounts.create(account))) throw new CountersignError('USERNAME_TAKEN')
    await recordEvent(tx.store, ctx.clock.now(), meta, { event: 'account.created', organisationId: null, accountId: account.id, actor: actor?.actor ?? 'cli', details: { username: account.username, role: 'staff', staffTwoFactor: input.twoFactor } })
  })
  return userSummary(ctx, account, null)
}

async function newAccount(
  ctx: Context,
  input: { username: string; email: string; phone?: string | undefined; password: string; role: Account['role']; organisationId: string | null; twoFactor: TwoFactorOverride; staffTwoFactor: boolean },
): Promise<Account> {
  // A taken name is found before the hash is paid for; the unique key still decides under a race.
  if (await ctx.store.accounts.getByUsername(usernameKey(input.username))) throw new CountersignError('USERNAME_TAKEN')
  // An admin's first password for someone meets the same rules as the user's own (issue 17).
  const organisation = input.organisationId ? ((await ctx.store.organisations.get(input.organisationId)) ?? null) : null
  await enforcePasswordRules(input, organisation, input.password)
  const now = ctx.clock.now()
  return {
    id: newId(ctx.random),
    organisationId: input.organisationId,
    username: input.username,
    email: input.email,
    phone: input.phone ?? null,
    phoneVerified: false,
    role: input.role,
    twoFactorOverride: input.twoFactor,
    twoFactorEnabled: false,
    staffTwoFactor: input.staffTwoFactor,
    preferredMethod: null,
    passwordHash: await ctx.hasher.hash(input.password),
    language: null,
    factorsChangedAt: now,
    passwordChangedAt: now,
    lastSignInAt: null,
    deactivatedAt: null,
    mustChangePassword: false,
    createdAt: now,
  }
}

/** A user's 2FA state as an admin sees it (F-POL-5): method, devices, locked, last sign-in, and why. */
async function userSummary(ctx: Context, account: Account, org: Organisation | null) {
  const devices = await ctx.store.devices.listActive(account.id)
  const recoveryCodes = await ctx.store.recoveryCodes.countUnused([account.id])
  return summarise(ctx, account, org, devices, recoveryCodes.get(account.id) ?? 0)
}

async function summarise(ctx: Context, account: Account, org: Organisation | null, devices: Awaited<ReturnType<Context['store']['devices']['listActive']>>, recoveryCodesLeft: number) {
  const lockout = await ctx.store.lockouts.get(account.id)
  const bypass = await ctx.store.bypassGrants.findUsable(account.id, ctx.clock.now())
  const requirement = policyRequirement({ account, organisationPolicy: org?.policy ?? null })
  const methods = availableMethods(devices, account)
  return {
    id: account.id,
    username: account.username,
    email: account.email,
    role: account.role,
    organisationId: account.organisationId,
    twoFactor: account.twoFactorOverride,
    staffTwoFactor: account.staffTwoFactor,
    method: account.preferredMethod ?? methods[0] ?? null,
    devices: devices.map(describeDevice),
    /** Unused recovery codes (F-X-2); 0: none. */
    recoveryCodesLeft,
    locked: lockout.lockedAt !== null || lockout.failures >= lockout.attemptLimit,
    lockedUntil: lockout.lockedUntil?.toISOString() ?? null,
    failedAttempts: lockout.failures,
    lastSignInAt: account.lastSignInAt?.toISOString() ?? null,
    bypassExpiresAt: bypass?.expiresAt.toISOString() ?? null,
    secondFactor: { required: requirement.required, reason: requirement.reason },
    status: account.deactivatedAt ? ('deactivated' as const) : ('active' as const),
    deactivatedAt: account.deactivatedAt?.toISOString() ?? null,
    passwordChangeRequired: account.mustChangePassword,
    createdAt: account.createdAt.toISOString(),
  }
}

export async function listUsers(ctx: Context, actor: AdminActor, organisationId: string) {
  const org = await organisationOrNotFound(ctx, actor, organisationId)
  const accounts = await ctx.store.accounts.listByOrganisation(org.id)
  const devices = await ctx.store.devices.listActiveForAccounts(accounts.map((a) => a.id))
  const recoveryCodes = await ctx.store.recoveryCodes.countUnused(accounts.map((a) => a.id))
  return Promise.all(accounts.map((a) => summarise(ctx, a, org, devices.filter((d) => d.accountId === a.id), recoveryCodes.get(a.id) ?? 0)))
}

export async function listStaff(ctx: Context, actor: AdminActor) {
  ensureStaff(actor)
  const accounts = await ctx.store.accounts.listByOrganisation(null)
  return Promise.all(accounts.map((a) => userSummary(ctx, a, null)))
}

export async function getUser(ctx: Context, actor: AdminActor, id: string) {
  const account = await accountOrNotFound(ctx, actor, id)
  const org = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  return userSummary(ctx, account, org)
}

/** Override (F-POL-2), staff switch (F-POL-3), role, e-mail, password. Changes are audited. */
export async function updateUser(
  ctx: Context,
  actor: AdminActor,
  id: string,
  patch: { email?: string | undefined; role?: 'user' | 'admin' | undefined; twoFactor?: TwoFactorOverride | undefined; staffTwoFactor?: boolean | undefined; password?: string | undefined; requirePasswordChange?: boolean | undefined },
  meta: RequestMeta,
) {
  const account = await accountOrNotFound(ctx, actor, id)
  if (account.role === 'staff' && actor.kind !== 'staff') throw new CountersignError('FORBIDDEN')
  if (patch.staffTwoFactor !== undefined && account.role !== 'staff') throw new CountersignError('INVALID_REQUEST', { field: 'staffTwoFactor', detail: 'only for staff users' })
  if (patch.role !== undefined && account.role === 'staff') throw new CountersignError('INVALID_REQUEST', { field: 'role', detail: 'staff users keep their role' })
  const now = ctx.clock.now()
  if (patch.password !== undefined) {
    const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
    await enforcePasswordRules({ username: account.username, email: patch.email ?? account.email }, organisation, patch.password)
  }
  const passwordHash = patch.password !== undefined ? await ctx.hasher.hash(patch.password) : undefined
  const emailChanged = patch.email !== undefined && patch.email.toLowerCase() !== account.email.toLowerCase()
  await inTransaction(ctx, async (tx) => {
    await tx.store.accounts.update(account.id, {
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.twoFactor !== undefined ? { twoFactorOverride: patch.twoFactor } : {}),
      ...(patch.staffTwoFactor !== undefined ? { staffTwoFactor: patch.staffTwoFactor } : {}),
      ...(passwordHash !== undefined ? { passwordHash, passwordChangedAt: now } : {}),
      ...(patch.requirePasswordChange !== undefined ? { mustChangePassword: patch.requirePasswordChange } : {}),
    })
    // A new password ends every session, OIDC token and remembered browser (SC-09, F-LOGIN-3).
    if (patch.password !== undefined) await endAllAccess(tx, account.id)
    // A reset link sent to the old address must not outlive the change.
    else if (emailChanged) await tx.store.passwordResets.removeForAccount(account.id)
    const { password: _password, ...visible } = patch
    await recordEvent(tx.store, now, meta, { event: 'account.updated', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, details: { changes: visible, passwordChanged: patch.password !== undefined } })
  })
  if (emailChanged) {
    // Both addresses hear of it: the new one that it now receives the mail, the old one that it no longer does.
    const updated = { ...account, email: patch.email! }
    await sendSecurityNotice(ctx, updated, 'email_changed', meta)
    await sendSecurityNotice(ctx, updated, 'email_changed_away', meta, { to: [account.email] })
  }
  return getUser(ctx, actor, account.id)
}

export async function unlockUser(ctx: Context, actor: AdminActor, id: string, meta: RequestMeta) {
  const account = await accountOrNotFound(ctx, actor, id)
  const before = await ctx.store.lockouts.get(account.id)
  await inTransaction(ctx, async (tx) => {
    await tx.store.lockouts.unlock(account.id, LOCK_AFTER_FAILURES)
    await recordEvent(tx.store, ctx.clock.now(), meta, { event: 'account.unlocked', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, reason: 'admin_unlock', details: { failures: before.failures } })
  })
  return getUser(ctx, actor, account.id)
}

/**
 * A one-time sign-in without 2FA (F-POL-4, T9): single use, 24 hours, the password still needed,
 * forced enrolment after use. Not for oneself, not across organisations (RB-01); refusals are audited.
 */
export async function grantBypass(ctx: Context, actor: AdminActor, id: string, input: { reason?: string | undefined }, meta: RequestMeta) {
  const account = await accountOrNotFound(ctx, actor, id).catch(async (error: unknown) => {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'bypass.refused', organisationId: actor.kind === 'organisation_admin' ? actor.organisationId : null, actor: actor.actor, reason: 'not_in_organisation', details: { target: id } })
    throw error
  })
  if (actor.accountId === account.id) {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'bypass.refused', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, reason: 'self_grant' })
    throw new CountersignError('FORBIDDEN', { detail: 'not for yourself' })
  }
  const now = ctx.clock.now()
  const grant = { id: newToken(ctx.random).id, accountId: account.id, grantedBy: actor.actor, reason: input.reason ?? null, createdAt: now, expiresAt: new Date(now.getTime() + BYPASS_LIFETIME_MS), usedAt: null }
  await inTransaction(ctx, async (tx) => {
    await tx.store.bypassGrants.create(grant)
    await recordEvent(tx.store, now, meta, { event: 'bypass.granted', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, reason: input.reason ?? null, details: { expiresAt: grant.expiresAt.toISOString() } })
  })
  // F-POL-7, T9: the user is told at grant; the admin's browser and IP are in the notice.
  await sendSecurityNotice(ctx, account, 'bypass_granted', meta)
  return { expiresAt: grant.expiresAt.toISOString() }
}

export async function adminRemoveDevice(ctx: Context, actor: AdminActor, userId: string, deviceId: string, meta: RequestMeta) {
  const account = await accountOrNotFound(ctx, actor, userId)
  await removeDevice(ctx, { accountId: account.id, deviceId, actor: actor.actor, enforceLastFactor: false }, meta)
}

export async function listAudit(
  ctx: Context,
  actor: AdminActor,
  filter: { organisation?: string | undefined; account?: string | undefined; event?: string | undefined; after?: string | undefined; before?: string | undefined; limit: number },
) {
  let organisationId: string | undefined
  if (filter.organisation) organisationId = (await organisationOrNotFound(ctx, actor, filter.organisation)).id
  else if (actor.kind === 'organisation_admin') organisationId = actor.organisationId
  if (filter.account) await accountOrNotFound(ctx, actor, filter.account)
  const events = await ctx.store.audit.list({
    ...(organisationId !== undefined ? { organisationId } : {}),
    ...(filter.account !== undefined ? { accountId: filter.account } : {}),
    ...(filter.event !== undefined ? { event: filter.event } : {}),
    ...(filter.after !== undefined ? { after: new Date(filter.after) } : {}),
    ...(filter.before !== undefined ? { before: new Date(filter.before) } : {}),
    limit: filter.limit,
  })
  return events.map((e) => ({ ...e, at: e.at.toISOString() }))
}

/** `countersign token create`: a bearer token for the admin API, shown once, stored hashed. */
export async function createApiToken(ctx: Context, input: { name: string; organisationSlug?: string | undefined; createdBy: string }) {
  let organisationId: string | null = null
  if (input.organisationSlug) {
    const org = await ctx.store.organisations.getBySlug(input.organisationSlug)
    if (!org) throw new CountersignError('NOT_FOUND', { detail: `no organisation ${input.organisationSlug}` })
    organisationId = org.id
  }
  const token = newToken(ctx.random)
  await ctx.store.apiTokens.create({ id: token.id, secretHash: token.secretHash, name: input.name, organisationId, createdBy: input.createdBy, createdAt: ctx.clock.now(), lastUsedAt: null })
  await recordEvent(ctx.store, ctx.clock.now(), null, { event: 'api_token.created', organisationId, actor: input.createdBy, details: { tokenId: token.id, name: input.name } })
  return { token: `cs_${token.token}`, id: token.id, organisationId }
}
