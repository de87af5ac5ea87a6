import { MINUTE_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { checkTotpCode, newTotpSecret, otpauthUri, toBase32 } from '../domain/methods/totp.js'
import { policyRequirement } from '../domain/sign-in/second-factor-requirement.js'
import { amrFor } from '../domain/sign-in/sign-in-flow.js'
import { newId } from '../domain/tokens.js'
import { qrCodeDataUrl } from '../presentation/qr-code.js'
import { hasVerifiedPhone } from '../domain/phone-number.js'
import type { Account, Device, DeviceKind, Organisation } from '../store/store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { checkStoredCode, issueAndSendCode } from './one-time-codes.js'
import { availableMethods, seedBinding, verifySecondFactor } from './second-factor.js'
import { sendSecurityNotice } from './security-notices.js'
import { channels } from '../realtime/channels.js'
import { completeEnrolment, requireRecentSignIn, type Authenticated } from './sessions.js'

/** F-TOTP-5 applies when the organisation asks for it and the account has a verified number. */
function linkNeedsSms(organisation: Organisation | null, account: Account): boolean {
  return Boolean(organisation?.linkWithSms && hasVerifiedPhone(account))
}

/** A pending device is forgotten after 10 minutes if never confirmed (RB-06). */
export const PENDING_DEVICE_MS = 10 * MINUTE_MS

export function describeDevice(device: Device) {
  return {
    id: device.id,
    name: device.name,
    kind: device.kind,
    linkedAt: (device.linkedAt ?? device.createdAt).toISOString(),
    lastUsedAt: device.lastUsedAt?.toISOString() ?? null,
  }
}

/**
 * Starts linking an authenticator app (F-TOTP-1): a pending device with its own fresh seed
 * (F-TOTP-3), sealed at rest, shown once as an otpauth URI, base32 text and a QR code. It is not
 * listed, not counted and not usable until a code confirms it.
 */
export async function startTotpDevice(ctx: Context, auth: Authenticated, input: { name: string; kind?: DeviceKind }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  const method = input.kind === 'authenticator' ? 'push' : 'totp'
  if (organisation && !organisation.allowedMethods.includes(method)) throw new CountersignError('FORBIDDEN', { detail: 'method not allowed' })
  const limit = organisation?.deviceLimit ?? 5
  if ((await ctx.store.devices.countActive(account.id)) >= limit) throw new CountersignError('DEVICE_LIMIT_REACHED', { details: { limit } })
  const now = ctx.clock.now()
  const secret = newTotpSecret(ctx.random)
  const id = newId(ctx.random)
  const device: Device = {
    id,
    accountId: account.id,
    kind: input.kind ?? 'totp',
    name: input.name,
    sealedSecret: ctx.sealer.seal(secret, seedBinding({ id, accountId: account.id }, organisation?.id ?? null)),
    lastUsedStep: null,
    status: 'pending',
    createdAt: now,
    linkedAt: null,
    lastUsedAt: null,
    expiresAt: new Date(now.getTime() + PENDING_DEVICE_MS),
  }
  // One pending device per account: starting again voids the previous QR code, and nobody can
  // fill the table with unconfirmed seeds.
  await inTransaction(ctx, async (tx) => {
    await tx.store.devices.removePending(account.id)
    await tx.store.devices.create(device)
  })
  const uri = otpauthUri({ issuer: organisation?.name ?? 'Countersign', accountName: account.username, secret })
  await recordEvent(ctx.store, now, meta, { event: 'device.link_started', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { deviceId: id, kind: device.kind } })
  // F-TOTP-5 (organisation option): linking also sends a confirmation SMS to the verified number;
  // "Link now" then needs both codes. Without a verified number there is nothing to send it to.
  const sms = linkNeedsSms(organisation, account)
    ? await issueAndSendCode(ctx, { account, organisation, purpose: 'link_confirm', channel: 'sms', destination: account.phone!, flowId: id }, meta)
    : null
  return {
    ...(sms ? { smsCodeRequired: true, smsSentTo: sms.sentTo } : { smsCodeRequired: false }),
    deviceId: id,
    otpauthUri: uri,
    secret: toBase32(secret),
    qrCode: await qrCodeDataUrl(uri),
    expiresAt: device.expiresAt!.toISOString(),
  }
}

/**
 * Confirms a pending device with the app's current code; only then is it linked (F-TOTP-1). The
 * device limit is enforced by the same statement that activates it (RR-10), and the confirming
 * code's step is recorded so it cannot sign in again (RR-04). In a forced-enrolment session this
 * completes the enrolment: the restricted session is replaced by a full one.
 */
export async function confirmDevice(ctx: Context, auth: Authenticated, input: { deviceId: string; code?: string | undefined; smsCode?: string | undefined }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  const now = ctx.clock.now()
  const device = await ctx.store.devices.get(account.id, input.deviceId)
  if (input.code === undefined) return confirmPairedDevice(ctx, auth, device, meta)
  if (!device || device.status !== 'pending' || !device.expiresAt || device.expiresAt <= now || !device.sealedSecret) {
    throw new CountersignError('NOT_FOUND')
  }
  const secret = ctx.sealer.open(device.sealedSecret, seedBinding(device, organisation?.id ?? null))
  if (!secret) throw new CountersignError('NOT_FOUND')
  // A pairing QR code confirmed by another app's code becomes an ordinary app: only where apps are allowed.
  if (device.kind === 'authenticator' && organisation && !organisation.allowedMethods.includes('totp')) throw new CountersignError('FORBIDDEN', { detail: 'method not allowed' })
  const check = checkTotpCode({ secret, code: input.code, now, lastUsedStep: null })
  if (!check.ok) {
    await recordEvent(ctx.store, now, meta, { event: 'device.confirmation_failed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, reason: check.reason, details: { deviceId: device.id } })
    throw new CountersignError('CODE_INVALID')
  }
  if (linkNeedsSms(organisation, account)) {
    // F-TOTP-5: the SMS code of this very linking, on the one lockout counter (F-LOGIN-4).
    await verifySecondFactor(
      ctx,
      { account, organisation, method: 'sms', code: input.smsCode, check: (tx) => checkStoredCode(tx, { accountId: account.id, purpose: 'link_confirm', code: input.smsCode, accept: (stored) => stored.flowId === device.id }) },
      meta,
      async () => undefined,
    )
  }
  const limit = organisation?.deviceLimit ?? 5
  const replacement = await inTransaction(ctx, async (tx) => {
    // A pairing QR code scanned by another app and confirmed with its code: an ordinary app (no push).
    if (!(await tx.store.devices.activate(device.id, account.id, limit, check.step, now, 'totp'))) {
      if ((await tx.store.devices.countActive(account.id)) >= limit) throw new CountersignError('DEVICE_LIMIT_REACHED', { details: { limit } })
      throw new CountersignError('NOT_FOUND')
    }
    // A factor changed: every remembered browser is void (F-LOGIN-3, SC-09).
    await tx.store.accounts.update(account.id, {
      factorsChangedAt: now,
      twoFactorEnabled: true,
      ...(account.preferredMethod === null ? { preferredMethod: 'totp' as const } : {}),
    })
    await tx.store.rememberedBrowsers.removeAllForAccount(account.id)
    await recordEvent(tx.store, now, meta, { event: 'device.linked', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { deviceId: device.id, kind: device.kind, name: device.name } })

    let replacement: { token: string; auth: Authenticated } | undefined
    if (auth.session.restrictedToEnrolment) {
      // amr stays `pwd`: the factor was created in this sign-in and proves no earlier binding (T9).
      replacement = await completeEnrolment(tx, auth, amrFor(null), { deviceId: device.id }, meta)
    }

    return replacement
  })
  const linked = await ctx.store.devices.get(account.id, device.id)
  await sendSecurityNotice(ctx, account, 'device_linked', meta)
  return { device: describeDevice(linked!), replacement }
}

/**
 * The Countersign Authenticator paired the device itself (push.ts `pairDevice`); in a forced
 * enrolment the page then asks for a full session. Only a device paired from this very session
 * counts: an older device must not turn a one-time bypass into a full session (F-POL-4), nor may
 * another session that knows the password claim the user's pairing.
 */
async function confirmPairedDevice(ctx: Context, auth: Authenticated, device: Device | undefined, meta: RequestMeta) {
  if (!device || device.status !== 'active' || device.kind !== 'authenticator') throw new CountersignError('CODE_INVALID', { detail: 'a code is needed' })
  if (!auth.session.restrictedToEnrolment) return { device: describeDevice(device), replacement: undefined }
  // Only the session that showed this QR code: another password-only session of the account must
  // not ride on the user's pairing (a device paired for another session needs its own code).
  const key = await ctx.store.push.getKey(device.id)
  if (!key || key.pairedForSession !== auth.session.id) throw new CountersignError('CODE_INVALID', { detail: 'a code is needed' })
  const replacement = await inTransaction(ctx, (tx) => completeEnrolment(tx, auth, amrFor(null), { deviceId: device.id }, meta))
  return { device: describeDevice(device), replacement }
}

export async function listDevices(ctx: Context, accountId: string) {
  return (await ctx.store.devices.listActive(accountId)).map(describeDevice)
}

export async function renameDevice(ctx: Context, auth: Authenticated, input: { deviceId: string; name: string }, meta: RequestMeta) {
  if (!(await ctx.store.devices.rename(auth.account.id, input.deviceId, input.name))) throw new CountersignError('NOT_FOUND')
  await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'device.renamed', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { deviceId: input.deviceId, name: input.name } })
  return describeDevice((await ctx.store.devices.get(auth.account.id, input.deviceId))!)
}

/**
 * Removes one of the user's devices (F-DEV-2). Under a requirement the last factor stays
 * (409 LAST_FACTOR_REQUIRED). Other sessions end and remembered browsers are voided (SC-09).
 */
export async function removeOwnDevice(ctx: Context, auth: Authenticated, input: { deviceId: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  await removeDevice(ctx, { accountId: auth.account.id, deviceId: input.deviceId, actor: `account:${auth.account.id}`, keepSessionId: auth.session.id, enforceLastFactor: true }, meta)
}

/** Shared by the user's own removal and the admin's (F-POL-5). */
export async function removeDevice(
  ctx: Context,
  input: { accountId: string; deviceId: string; actor: string; keepSessionId?: string; enforceLastFactor: boolean },
  meta: RequestMeta,
) {
  const account = await ctx.store.accounts.get(input.accountId)
  const device = account ? await ctx.store.devices.get(account.id, input.deviceId) : undefined
  if (!account || !device || device.status !== 'active') throw new CountersignError('NOT_FOUND')
  const organisation = account.organisationId ? await ctx.store.organisations.get(account.organisationId) : undefined
  const lastFactorRequired = input.enforceLastFactor && policyRequirement({ account, organisationPolicy: organisation?.policy ?? null }).required
  await inTransaction(ctx, async (tx) => {
    if (!(await tx.store.devices.remove(account.id, device.id))) throw new CountersignError('NOT_FOUND')
    const now = ctx.clock.now()
    const remaining = await tx.store.devices.countActive(account.id)
    // Counted after the removal, in the transaction: two parallel removals cannot both pass.
    // A verified phone, or e-mail codes chosen as the method, are factors too (F-SET-2).
    const codesRemain = availableMethods([], account).length > 0
    if (lastFactorRequired && remaining === 0 && !codesRemain) throw new CountersignError('LAST_FACTOR_REQUIRED')
    // Recovery codes never outlive the last real factor (F-X-2): they are a way back to a method.
    const voidedRecoveryCodes = remaining === 0 && !codesRemain ? await tx.store.recoveryCodes.removeAll(account.id) : 0
    // The method offered first goes with its last device (an app, the Authenticator, a passkey):
    // the next one still set up takes its place.
    const stillSetUp = availableMethods(await tx.store.devices.listActive(account.id), account)
    const preferredGone = account.preferredMethod === null || !stillSetUp.includes(account.preferredMethod)
    await tx.store.accounts.update(account.id, { factorsChangedAt: now, ...(preferredGone ? { preferredMethod: stillSetUp[0] ?? null } : {}) })
    await tx.store.rememberedBrowsers.removeAllForAccount(account.id)
    const endedSessions = await tx.store.sessions.removeAllForAccount(account.id, input.keepSessionId)
    await recordEvent(tx.store, now, meta, { event: 'device.removed', organisationId: account.organisationId, accountId: account.id, actor: input.actor, details: { deviceId: device.id, kind: device.kind, name: device.name, endedSessions, ...(voidedRecoveryCodes > 0 ? { voidedRecoveryCodes } : {}) } })
  })
  // An open Countersign Authenticator shows the account as removed (F-PUSH-4), on every instance.
  if (device.kind === 'authenticator') await ctx.notifier.publish(channels.device(device.id), JSON.stringify({ type: 'removed' })).catch(() => {})
  await sendSecurityNotice(ctx, account, 'device_removed', meta)
}
