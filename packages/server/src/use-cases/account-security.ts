import type { MethodKind } from '@countersign/protocol'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { CountersignError } from '../domain/errors.js'
import { DEFAULT_MIN_PASSWORD_LENGTH } from '../domain/password-rules.js'
import { policyRequirement } from '../domain/sign-in/second-factor-requirement.js'
import { recordEvent } from './audit.js'
import { sendSecurityNotice } from './security-notices.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { checkPassword } from './password-check.js'
import { describeDevice } from './devices.js'
import { recoveryCodesLeft } from './recovery-codes.js'
import { availableMethods, reauthenticationMethods, secondFactorStepForReauthentication } from './reauthenticate.js'
import { createSession, requireRecentSignIn, type Authenticated } from './sessions.js'

/** `+31612345678` → `+31 ••• ••• 678`: enough to recognise, not to copy (F-SET-2). */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null
  return `${phone.slice(0, 3)} ••• ••• ${phone.slice(-3)}`
}

export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@')
  return `${local.slice(0, 1)}•••@${domain}`
}

/** My Account > Security (F-SET-1…4): method, devices, contact, browsers, and the policy with its reason. */
export async function securityOverview(ctx: Context, auth: Authenticated) {
  const { account, organisation } = auth
  const devices = await ctx.store.devices.listActive(account.id)
  const browsers = await ctx.store.rememberedBrowsers.list(account.id)
  const recoveryCodes = await recoveryCodesLeft(ctx, account.id)
  const now = ctx.clock.now()
  const requirement = policyRequirement({ account, organisationPolicy: organisation?.policy ?? null })
  return {
    method: account.preferredMethod,
    availableMethods: availableMethods(devices, account),
    allowedMethods: organisation?.allowedMethods ?? [],
    twoFactorEnabled: account.twoFactorEnabled,
    devices: devices.map(describeDevice),
    /** Unused recovery codes (F-X-2); 0: none made, or all used. */
    recoveryCodesLeft: recoveryCodes,
    deviceLimit: organisation?.deviceLimit ?? 5,
    /** The fewest characters a new password may have here (issue 17), for the form's hint. */
    minPasswordLength: organisation?.minPasswordLength ?? DEFAULT_MIN_PASSWORD_LENGTH,
    phone: maskPhone(account.phone),
    phoneVerified: account.phoneVerified,
    email: account.email,
    rememberedBrowsers: browsers.filter((b) => b.expiresAt > now).map(describeBrowser),
    rememberBrowserDays: organisation?.rememberBrowserDays ?? 0,
    policy: {
      organisation: organisation?.policy ?? null,
      override: account.twoFactorOverride,
      required: requirement.required,
      reason: requirement.reason,
      canTurnOff: !requirement.required || requirement.reason === 'user_enabled',
    },
    recentSignInUntil: new Date(auth.session.authenticatedAt.getTime() + 10 * 60_000).toISOString(),
    /** What "Confirm it is you" asks for besides the password, preferred first; empty: the password alone. */
    reauthenticationMethods: reauthenticationMethods(auth, devices),
    restrictedToEnrolment: auth.session.restrictedToEnrolment,
  }
}

function describeBrowser(browser: { id: string; createdAt: Date; expiresAt: Date; lastUsedAt: Date | null; userAgent: string | null; ip: string | null }) {
  return {
    id: browser.id,
    createdAt: browser.createdAt.toISOString(),
    expiresAt: browser.expiresAt.toISOString(),
    lastUsedAt: browser.lastUsedAt?.toISOString() ?? null,
    userAgent: browser.userAgent,
    ip: browser.ip,
  }
}

export async function listRememberedBrowsers(ctx: Context, auth: Authenticated) {
  const now = ctx.clock.now()
  return (await ctx.store.rememberedBrowsers.list(auth.account.id)).filter((b) => b.expiresAt > now).map(describeBrowser)
}

export async function forgetBrowser(ctx: Context, auth: Authenticated, id: string, meta: RequestMeta) {
  if (!(await ctx.store.rememberedBrowsers.remove(auth.account.id, id))) throw new CountersignError('NOT_FOUND')
  await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'browser.forgotten', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { rememberedBrowserId: id } })
}

/** Chooses the method offered first at sign-in (F-SET-1); it must be set up and allowed. */
export async function setPreferredMethod(ctx: Context, auth: Authenticated, method: MethodKind, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const devices = await ctx.store.devices.listActive(auth.account.id)
  const allowed = auth.organisation?.allowedMethods ?? []
  // SMS and e-mail may be chosen without a device: SMS without a number is F-OTP-4.
  const choosable = [...availableMethods(devices, auth.account), 'sms', 'email']
  if (!choosable.includes(method) || (auth.organisation && !allowed.includes(method))) {
    throw new CountersignError('INVALID_REQUEST', { field: 'method', detail: 'method is not set up' })
  }
  await ctx.store.accounts.update(auth.account.id, { preferredMethod: method })
  await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'method.changed', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { method } })
  if (auth.account.preferredMethod !== method) await sendSecurityNotice(ctx, auth.account, 'method_changed', meta)
}

/** Turns 2FA on or off for oneself where the policy makes it optional (F-SET-4). */
export async function setTwoFactor(ctx: Context, auth: Authenticated, enabled: boolean, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  if (account.role === 'staff' || account.twoFactorOverride !== 'default' || organisation?.policy !== 'optional') {
    throw new CountersignError('FORBIDDEN', { detail: 'the policy decides' })
  }
  if (enabled && availableMethods(await ctx.store.devices.listActive(account.id), account).length === 0) {
    throw new CountersignError('INVALID_REQUEST', { field: 'enabled', detail: 'set up a method first' })
  }
  await ctx.store.accounts.update(account.id, { twoFactorEnabled: enabled, factorsChangedAt: ctx.clock.now() })
  await ctx.store.rememberedBrowsers.removeAllForAccount(account.id)
  await recordEvent(ctx.store, ctx.clock.now(), meta, { event: enabled ? 'two_factor.enabled' : 'two_factor.disabled', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}` })
}

/** The user's own recent security events (F-POL-6, F-SET-3). */
export async function ownActivity(ctx: Context, auth: Authenticated, limit = 50) {
  const events = await ctx.store.audit.list({ accountId: auth.account.id, limit })
  return events.map((e) => ({ id: e.id, at: e.at.toISOString(), event: e.event, reason: e.reason, ip: e.ip, userAgent: e.userAgent }))
}

/**
 * Re-authentication for sensitive changes (SC-14): the password, and a second factor when the
 * account has one. A fresh session replaces the old one (new id, new sign-in time).
 */
export async function reauthenticate(
  ctx: Context,
  auth: Authenticated,
  input: { password: string; method?: MethodKind; code?: string; passkey?: AuthenticationResponseJSON },
  meta: RequestMeta,
) {
  // The same per-name throttle as sign-in (BF-12): a stolen session is no password oracle.
  const checked = await checkPassword(ctx, { username: auth.account.username, storedHash: auth.account.passwordHash, password: input.password })
  if (checked.throttled) {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'reauthentication.throttled', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, reason: 'too_many_password_failures' })
    throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: checked.retryAfterSeconds })
  }
  const ok = checked.ok
  if (!ok) {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'reauthentication.failed', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, reason: 'credentials_invalid' })
    throw new CountersignError('CREDENTIALS_INVALID')
  }
  const amr = await secondFactorStepForReauthentication(ctx, auth, input, meta)
  return inTransaction(ctx, async (tx) => {
    const { token, session } = await createSession(tx, tx.store, { accountId: auth.account.id, organisation: auth.organisation, amr, authenticatedAt: tx.clock.now(), restricted: auth.session.restrictedToEnrolment, meta })
    await tx.store.sessions.remove(auth.session.id)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'reauthentication.succeeded', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}` })
    return { token, auth: { ...auth, session } }
  })
}
