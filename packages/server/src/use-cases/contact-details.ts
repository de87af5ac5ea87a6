import { CountersignError } from '../domain/errors.js'
import { maskPhone, normaliseMobileNumber } from '../domain/phone-number.js'
import { amrFor } from '../domain/sign-in/sign-in-flow.js'
import type { OneTimeCode } from '../store/store.js'
import { recordEvent } from './audit.js'
import type { Context, RequestMeta } from './context.js'
import { checkStoredCode, issueAndSendCode } from './one-time-codes.js'
import { verifySecondFactor } from './second-factor.js'
import { sendSecurityNotice } from './security-notices.js'
import { completeEnrolment, requireRecentSignIn, type Authenticated } from './sessions.js'

/**
 * F-SET-2: register a mobile number and verify it with a code sent to it. Until the code comes
 * back, the account keeps its old number (RB-05: a change is a new binding); nothing is sent to a
 * number that has not been verified except that one verification code (IV-12).
 */
export async function startPhoneChange(ctx: Context, auth: Authenticated, input: { phone: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const checked = normaliseMobileNumber(input.phone)
  if (!checked.ok) throw new CountersignError('INVALID_REQUEST', { field: 'phone', detail: checked.reason })
  const sent = await issueAndSendCode(ctx, { account: auth.account, organisation: auth.organisation, purpose: 'phone_verify', channel: 'sms', destination: checked.e164, flowId: null }, meta)
  return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString() }
}

/**
 * Verifies the number with its code, on the one lockout counter (F-LOGIN-4). In a session
 * restricted to enrolment (F-LOGIN-5, F-OTP-4) this completes the enrolment: a full session
 * replaces the restricted one, with the same `amr`.
 */
export async function verifyPhone(ctx: Context, auth: Authenticated, input: { code: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account } = auth
  const result = await confirmNewDestination(ctx, auth, { purpose: 'phone_verify', method: 'sms', code: input.code }, meta, async (tx, phone) => {
    const now = tx.clock.now()
    // A new number is a changed factor: remembered browsers are void (F-LOGIN-3).
    await tx.store.accounts.update(account.id, {
      phone,
      phoneVerified: true,
      factorsChangedAt: now,
      twoFactorEnabled: true,
      ...(account.preferredMethod === null || auth.session.restrictedToEnrolment ? { preferredMethod: 'sms' as const } : {}),
    })
    await tx.store.rememberedBrowsers.removeAllForAccount(account.id)
    await recordEvent(tx.store, now, meta, { event: 'phone.verified', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { phone: maskPhone(phone), previous: maskPhone(account.phone) } })
    let replacement: { token: string; auth: Authenticated } | undefined
    if (auth.session.restrictedToEnrolment) {
      const amr = auth.session.amr.includes('mfa') ? auth.session.amr : amrFor(null)
      replacement = await completeEnrolment(tx, auth, amr, { method: 'sms' }, meta)
    }
    return { phone, replacement }
  })
  await sendSecurityNotice(ctx, account, 'phone_changed', meta)
  return { phone: maskPhone(result.phone), phoneVerified: true, replacement: result.replacement }
}

/** F-SET-2: a new e-mail address receives a code; the address changes only when the code comes back. */
export async function startEmailChange(ctx: Context, auth: Authenticated, input: { email: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const sent = await issueAndSendCode(ctx, { account: auth.account, organisation: auth.organisation, purpose: 'email_change', channel: 'email', destination: input.email, flowId: null }, meta)
  return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString() }
}

/** Confirms the new address with its code; both the old and the new address are told (RB-05). */
export async function verifyEmailChange(ctx: Context, auth: Authenticated, input: { code: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account } = auth
  const email = await confirmNewDestination(ctx, auth, { purpose: 'email_change', method: 'email', code: input.code }, meta, async (tx, email) => {
    await tx.store.accounts.update(account.id, { email })
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'email.changed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { previous: account.email, email } })
    return email
  })
  await sendSecurityNotice(ctx, { ...account, email }, 'email_changed', meta, { to: account.email === email ? [email] : [account.email, email] })
  return { email }
}

/**
 * A code sent to a new number or address came back: checked on the one lockout counter
 * (F-LOGIN-4), used once, and `apply` gets the destination it was sent to — in the same
 * transaction as the check.
 */
function confirmNewDestination<T>(
  ctx: Context,
  auth: Authenticated,
  input: { purpose: 'phone_verify' | 'email_change'; method: 'sms' | 'email'; code: string },
  meta: RequestMeta,
  apply: (tx: Context, destination: string) => Promise<T>,
): Promise<T> {
  const { account, organisation } = auth
  let consumed: OneTimeCode | undefined
  return verifySecondFactor(
    ctx,
    {
      account,
      organisation,
      method: input.method,
      code: input.code,
      check: async (tx) => {
        const checked = await checkStoredCode(tx, { accountId: account.id, purpose: input.purpose, code: input.code })
        consumed = checked.consumed
        return checked
      },
    },
    meta,
    (tx) => apply(tx, consumed!.destination),
  )
}
