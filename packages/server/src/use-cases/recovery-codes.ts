import { CountersignError } from '../domain/errors.js'
import { newRecoveryCode, normaliseRecoveryCode, RECOVERY_CODE_COUNT } from '../domain/methods/recovery-code.js'
import { newId } from '../domain/tokens.js'
import type { Account } from '../store/store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { availableMethods, type Evaluation } from './second-factor.js'
import { sendSecurityNotice } from './security-notices.js'
import { requireRecentSignIn, type Authenticated } from './sessions.js'

/*
 * Recovery codes (F-X-2, RB-03, RR-07): a way back in when the phone is gone, never an account's
 * only factor. They exist only beside another method, do not count as one for forced enrolment
 * (F-LOGIN-5), and go when the last real factor goes (devices.ts).
 */

/**
 * Makes 10 new codes, shown once (SC-14: a sign-in in the last 10 minutes). Every older code of the
 * account, used or not, stops working in the same transaction. Each is kept only as argon2id with
 * its own salt (SR-05: below 112 bits a password hash, ASVS 6.5.2).
 */
export async function generateRecoveryCodes(ctx: Context, auth: Authenticated, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  if (organisation && !organisation.allowedMethods.includes('recovery_code')) throw new CountersignError('FORBIDDEN', { detail: 'method not allowed' })
  if (availableMethods(await ctx.store.devices.listActive(account.id), account).length === 0) {
    throw new CountersignError('INVALID_REQUEST', { detail: 'set up another method first: recovery codes are never the only one' })
  }
  const now = ctx.clock.now()
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode(ctx.random))
  // The hashes queue like passwords (bounded; OVERLOADED past the queue), before any write.
  const hashes = await Promise.all(codes.map((code) => ctx.hasher.hash(normaliseRecoveryCode(code)!)))
  await inTransaction(ctx, async (tx) => {
    await tx.store.recoveryCodes.replaceAll(account.id, hashes.map((codeHash) => ({ id: newId(tx.random), accountId: account.id, codeHash, createdAt: now, usedAt: null })))
    await recordEvent(tx.store, now, meta, { event: 'recovery_codes.generated', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { count: codes.length } })
  })
  await sendSecurityNotice(ctx, account, 'recovery_codes_generated', meta)
  return { codes, createdAt: now.toISOString(), remaining: codes.length }
}

/** Voids every recovery code of the user's own account (SC-14). */
export async function removeRecoveryCodes(ctx: Context, auth: Authenticated, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const removed = await ctx.store.recoveryCodes.removeAll(auth.account.id)
  if (removed > 0) {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'recovery_codes.removed', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { count: removed } })
  }
}

export async function recoveryCodesLeft(ctx: Context, accountId: string): Promise<number> {
  return (await ctx.store.recoveryCodes.countUnused([accountId])).get(accountId) ?? 0
}

/**
 * What a typed recovery code is, found before the lockout charge: argon2id runs outside the
 * transaction (it takes tens of milliseconds per code, and a transaction holds SQLite's writer).
 * The answer is a check that `verifySecondFactor` runs after charging the attempt, so nothing about
 * the code is told unless the attempt was counted (BF-02), and that uses the matched code in one
 * guarded UPDATE: of parallel uses of one code exactly one wins (RR-07). A locked account is not
 * hashed for at all. Malformed input is a counted failure like a wrong code.
 */
export async function recoveryCodeCheck(ctx: Context, account: Account, typed: string | undefined, meta: RequestMeta): Promise<(tx: Context) => Promise<Evaluation>> {
  const lockout = await ctx.store.lockouts.get(account.id)
  if (lockout.lockedAt || lockout.failures >= lockout.attemptLimit) return async () => ({ ok: false, reason: 'account_locked' })
  const code = normaliseRecoveryCode(typed)
  if (code === null) return async () => ({ ok: false, reason: 'malformed' })
  let matched: string | null = null
  for (const stored of await ctx.store.recoveryCodes.listUnused(account.id)) {
    if (await ctx.hasher.verify(stored.codeHash, code)) {
      matched = stored.id
      break
    }
  }
  if (matched === null) return async () => ({ ok: false, reason: 'wrong_code' })
  const id = matched
  return async (tx) => {
    if (!(await tx.store.recoveryCodes.use(account.id, id, tx.clock.now()))) return { ok: false, reason: 'replayed' }
    const remaining = (await tx.store.recoveryCodes.countUnused([account.id])).get(account.id) ?? 0
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'recovery_code.used', organisationId: account.organisationId, accountId: account.id, details: { recoveryCodeId: id, remaining } })
    return { ok: true, deviceId: null }
  }
}
