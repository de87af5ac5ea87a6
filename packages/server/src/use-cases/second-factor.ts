import type { MethodKind } from '@countersign/protocol'
import { CountersignError } from '../domain/errors.js'
import { lockedUntil, nextAttemptLimit } from '../domain/lockout.js'
import { checkTotpCode, type TotpCheck } from '../domain/methods/totp.js'
import type { Account, Device, Organisation } from '../store/store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { checkSignInCode } from './one-time-codes.js'
import { sendSecurityNotice } from './security-notices.js'

/**
 * The second-factor methods an account has set up, before the organisation's filter. SMS counts
 * with a verified number, or when the user chose SMS without one (F-OTP-4: the code then goes to
 * the e-mail address once, and a number must be registered after sign-in). E-mail counts when the
 * user chose it: every account has an address, so counting it always would make forced enrolment
 * (F-LOGIN-5) impossible wherever an organisation allows e-mail.
 */
export function availableMethods(
  devices: readonly Device[],
  account?: Pick<Account, 'phone' | 'phoneVerified' | 'preferredMethod'>,
): MethodKind[] {
  const methods: MethodKind[] = []
  // An authenticator device also shows a TOTP code (F-PUSH-3), so both kinds offer `totp`.
  if (devices.some((d) => d.kind === 'totp' || d.kind === 'authenticator')) methods.push('totp')
  // Push approval needs a paired Countersign Authenticator (an active one has a key, F-PUSH-2).
  if (devices.some((d) => d.kind === 'authenticator')) methods.push('push')
  if (devices.some((d) => d.kind === 'passkey')) methods.push('passkey')
  if (account && ((account.phone && account.phoneVerified) || account.preferredMethod === 'sms')) methods.push('sms')
  if (account && account.preferredMethod === 'email') methods.push('email')
  return methods
}

/** Associated data that binds a sealed seed to its device, account and organisation (SR-02). */
export function seedBinding(device: Pick<Device, 'id' | 'accountId'>, organisationId: string | null): string {
  return `${device.id}|${device.accountId}|${organisationId ?? ''}`
}

/**
 * Refuses a locked account, after an auto-unlock that has come due (BF-10). Audited as
 * `sign_in.rejected_locked` so evaluations can be counted (SECURITY.md conventions).
 */
export async function ensureNotLocked(ctx: Context, account: Account, meta: RequestMeta, step: string) {
  const now = ctx.clock.now()
  let lockout = await ctx.store.lockouts.get(account.id)
  if (lockout.lockedAt && lockout.lockedUntil && lockout.lockedUntil <= now) {
    await autoUnlockIfDue(ctx, account, meta)
    lockout = await ctx.store.lockouts.get(account.id)
  }
  if (lockout.lockedAt || lockout.failures >= lockout.attemptLimit) {
    await recordEvent(ctx.store, now, meta, { event: 'sign_in.rejected_locked', organisationId: account.organisationId, accountId: account.id, reason: 'account_locked', details: { step } })
    throw new CountersignError('ACCOUNT_LOCKED', lockout.lockedUntil ? { details: { lockedUntil: lockout.lockedUntil.toISOString() } } : {})
  }
}

/** Lifts a lock whose organisation-set time has passed (BF-10); `true` if it did. */
async function autoUnlockIfDue(ctx: Context, account: Account, meta: RequestMeta): Promise<boolean> {
  const now = ctx.clock.now()
  const lockout = await ctx.store.lockouts.get(account.id)
  if (!lockout.lockedAt || !lockout.lockedUntil || lockout.lockedUntil > now) return false
  return inTransaction(ctx, async (tx) => {
    if (!(await tx.store.lockouts.autoUnlockIfDue(account.id, now, nextAttemptLimit(lockout.failures)))) return false
    await recordEvent(tx.store, now, meta, { event: 'account.unlocked', organisationId: account.organisationId, accountId: account.id, reason: 'auto_unlock', details: { failures: lockout.failures } })
    return true
  })
}

/**
 * Checks one second-factor code for an account (F-LOGIN-4). The attempt is charged on the
 * account's single counter BEFORE the code is compared, so parallel guesses cannot outrun the
 * lock (BF-02) and a locked account is refused before any comparison. Wrong, replayed, malformed
 * codes and methods not set up (`method: null`) are all one failure (CODE_INVALID). On success the
 * count is reset and `then` (the session and its audit events) runs in the same transaction.
 */
export async function verifySecondFactor<T>(
  ctx: Context,
  input: VerifyInput,
  meta: RequestMeta,
  then: (tx: Context, result: { deviceId: string | null }) => Promise<T>,
): Promise<T> {
  const { account } = input
  // Charge, compare and settle in one transaction: on SQLite one commit per attempt; on
  // PostgreSQL the charged lockout row stays locked until the outcome is written, so attempts on
  // one account queue behind each other and a lock can never land between a correct code and its
  // session (RR-11). A crash rolls the whole attempt back, before any answer (DD-01).
  const run = () => inTransaction(ctx, (tx) => attempt(tx, input, meta, then))
  let outcome = await run()
  if (outcome.kind === 'locked' && (await autoUnlockIfDue(ctx, account, meta))) outcome = await run()
  if (outcome.kind === 'locked') {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'sign_in.rejected_locked', organisationId: account.organisationId, accountId: account.id, reason: 'account_locked', details: { method: input.method, step: 'second_factor' } })
    throw new CountersignError('ACCOUNT_LOCKED')
  }
  if (outcome.kind === 'failed') {
    if (outcome.locked) {
      // F-POL-7: the user hears of the lock, after the commit; a failed e-mail never hides the answer.
      await sendSecurityNotice(ctx, account, 'account_locked', meta)
      // The attempt that locks says so itself (issue 17), with when it ends where it ends by itself.
      throw new CountersignError('ACCOUNT_LOCKED', outcome.lockedUntil ? { details: { lockedUntil: outcome.lockedUntil.toISOString() } } : {})
    }
    throw new CountersignError('CODE_INVALID')
  }
  return outcome.value
}

/**
 * One attempt: the account, the method (`null`: not set up), the code, and for a sign-in the flow
 * the code was sent for (RR-06). `check` replaces the method's own comparison for codes that are
 * not sign-in codes (a phone or e-mail verification, F-SET-2), so those share the counter too.
 */
export interface VerifyInput {
  account: Account
  organisation: Organisation | null
  method: MethodKind | null
  code: string | undefined
  flowId?: string
  check?: (tx: Context) => Promise<Evaluation>
}

type Attempt<T> = { kind: 'locked' } | { kind: 'failed'; locked: boolean; lockedUntil?: Date | null } | { kind: 'passed'; value: T }

/**
 * Charges the attempt, compares the code; a failure is recorded and locks at the limit, a success
 * resets the count and runs `then` (the session and its audit events).
 */
async function attempt<T>(
  tx: Context,
  input: VerifyInput,
  meta: RequestMeta,
  then: (tx: Context, result: { deviceId: string | null }) => Promise<T>,
): Promise<Attempt<T>> {
  const { account, organisation } = input
  const charge = await tx.store.lockouts.charge(account.id)
  if (!charge) return { kind: 'locked' }
  const check = input.check
    ? await input.check(tx)
    : input.method
      ? await evaluate(tx, account, organisation, input.method, input.code, input.flowId)
      : ({ ok: false, reason: 'method_not_set_up' } as const)
  const now = tx.clock.now()
  const base = { organisationId: account.organisationId, accountId: account.id }
  if (check.ok) {
    if (!(await tx.store.lockouts.resetOnSuccess(account.id))) return { kind: 'locked' }
    await recordEvent(tx.store, now, meta, { ...base, event: 'sign_in.second_factor_succeeded', reason: null, details: { method: input.method, deviceId: check.deviceId } })
    return { kind: 'passed', value: await then(tx, { deviceId: check.deviceId }) }
  }
  await recordEvent(tx.store, now, meta, { ...base, event: 'sign_in.second_factor_failed', reason: check.reason, details: { method: input.method, attempt: charge.failures } })
  if (charge.failures >= charge.attemptLimit) {
    const until = lockedUntil({ now, failures: charge.failures, autoUnlockMinutes: organisation?.autoUnlockMinutes ?? null })
    if (await tx.store.lockouts.lockIfAtLimit(account.id, now, until)) {
      await recordEvent(tx.store, now, meta, { ...base, event: 'account.locked', reason: 'too_many_failed_codes', details: { method: input.method, failures: charge.failures, lockedUntil: until?.toISOString() ?? null } })
      return { kind: 'failed', locked: true, lockedUntil: until }
    }
  }
  return { kind: 'failed', locked: false }
}

/** `deviceId`: the device that made the code, `null` for a recovery code (it has none). */
export type Evaluation = { ok: true; deviceId: string | null } | { ok: false; reason: string }

/** Compares a code with every device that can produce it; persists the used step (F-TOTP-2). */
async function evaluate(ctx: Context, account: Account, organisation: Organisation | null, method: MethodKind, code: string | undefined, flowId?: string): Promise<Evaluation> {
  if (method === 'sms' || method === 'email') return checkSignInCode(ctx, account, method, code, flowId)
  if (method !== 'totp') return { ok: false, reason: 'method_not_set_up' }
  const now = ctx.clock.now()
  // Another app's code counts only where the organisation allows apps; the Countersign
  // Authenticator's code where it allows push too (F-PUSH-3).
  const appsAllowed = !organisation || organisation.allowedMethods.includes('totp')
  const devices = (await ctx.store.devices.listActive(account.id)).filter((d) => (d.kind === 'totp' && appsAllowed) || d.kind === 'authenticator')
  let result: Evaluation = { ok: false, reason: 'wrong_code' }
  let sawReplay = false
  for (const device of devices) {
    if (!device.sealedSecret) continue
    const secret = ctx.sealer.open(device.sealedSecret, seedBinding(device, organisation?.id ?? null))
    if (!secret) continue // moved or tampered ciphertext refuses, never crashes (SR-02)
    const check: TotpCheck = checkTotpCode({ secret, code, now, lastUsedStep: device.lastUsedStep })
    if (!check.ok && check.reason === 'malformed') return { ok: false, reason: 'malformed' }
    if (check.ok && !result.ok) {
      // The guarded write decides replays under a race: zero rows changed = replay.
      if (await ctx.store.devices.recordUse(device.id, check.step, now)) result = { ok: true, deviceId: device.id }
      else sawReplay = true
    } else if (!check.ok && check.reason === 'replayed') sawReplay = true
  }
  if (!result.ok && sawReplay) return { ok: false, reason: 'replayed' }
  if (devices.length === 0 && code !== undefined) return { ok: false, reason: 'method_not_set_up' }
  return result
}

