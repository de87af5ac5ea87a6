import type { MethodKind } from '@countersign/protocol'
import { CountersignError } from '../domain/errors.js'
import {
  checkOneTimeCode,
  codeContext,
  codeExpiresAt,
  newOneTimeCode,
  SEND_LIMITS,
  windowStart,
  type CodeChannel,
  type CodePurpose,
} from '../domain/methods/one-time-code.js'
import { maskEmail, maskPhone } from '../domain/phone-number.js'
import { newId } from '../domain/tokens.js'
import { codeEmail, codeSms } from '../delivery/message-texts.js'
import { DeliveryError, maskRecipient } from '../delivery/delivery.js'
import type { Account, OneTimeCode, Organisation } from '../store/store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { newPendingDelivery, sendQueued, type CodeMessage } from './delivery-queue.js'
import type { Evaluation } from './second-factor.js'

/** `sentTo` in every answer is masked (F-SET-2). */
export function maskDestination(channel: CodeChannel, destination: string): string {
  return channel === 'sms' ? maskPhone(destination)! : maskEmail(destination)
}

/**
 * Issues a code and sends it (F-OTP-1, F-OTP-2). In one transaction: the code replaces the previous
 * one of its purpose unless the cool-down is still running, the send budgets of the account, the
 * recipient and the organisation are charged (BF-11), the message is queued, sealed (DD-07: code
 * and message land together or not at all), and the issue is audited. Only after the commit is
 * the message sent; a failed send revokes the code and drops the queued message, is logged and
 * audited, and reports DELIVERY_FAILED ("could not send, try another method"), never silence. A
 * send whose outcome nobody saw (a crash) is retried from the queue (delivery-queue.ts).
 */
export async function issueAndSendCode(
  ctx: Context,
  input: {
    account: Account
    organisation: Organisation | null
    purpose: CodePurpose
    channel: CodeChannel
    destination: string
    flowId: string | null
    method?: MethodKind
  },
  meta: RequestMeta,
): Promise<{ sentTo: string; expiresAt: Date; channel: CodeChannel }> {
  const { account, organisation, purpose, channel, destination } = input
  const now = ctx.clock.now()
  const minutes = organisation?.codeTtlMinutes ?? 20
  const code = newOneTimeCode(ctx.random)
  const id = newId(ctx.random)
  const row: OneTimeCode = {
    id,
    accountId: account.id,
    purpose,
    channel,
    destination,
    flowId: input.flowId,
    codeHmac: ctx.sealer.codeHmac(code, codeContext({ id, accountId: account.id, purpose })),
    createdAt: now,
    expiresAt: codeExpiresAt(now, minutes),
  }
  const language = account.language ?? meta.language
  const organisationName = organisation?.name ?? 'Countersign'
  const texts = { code, purpose, organisation: organisationName, minutes }
  const message: CodeMessage = channel === 'email' ? { channel, to: destination, ...codeEmail(language, texts) } : { channel, to: destination, text: codeSms(language, texts) }
  const delivery = newPendingDelivery(ctx, { accountId: account.id, codeId: id, purpose, message })
  const base = { organisationId: account.organisationId, accountId: account.id }
  const details = { purpose, channel, sentTo: maskDestination(channel, destination), ...(input.method ? { method: input.method } : {}) }
  try {
    await inTransaction(ctx, async (tx) => {
      const issued = await tx.store.oneTimeCodes.issue(row, SEND_LIMITS.resendCooldownMs)
      if (!issued.issued) throw refusal('RESEND_TOO_SOON', 'cooldown', issued.retryAt, now)
      for (const { windowMs, limit } of SEND_LIMITS.perAccount) {
        const start = windowStart(now, windowMs)
        if (!(await tx.store.sendBudgets.take(`account:${account.id}:${windowMs}`, start, limit))) {
          throw refusal('RESEND_TOO_SOON', 'account_budget', new Date(start.getTime() + windowMs), now)
        }
      }
      const recipient = SEND_LIMITS.perRecipient
      const recipientStart = windowStart(now, recipient.windowMs)
      if (!(await tx.store.sendBudgets.take(`recipient:${destination.toLowerCase()}`, recipientStart, recipient.limit))) {
        throw refusal('RESEND_TOO_SOON', 'recipient_budget', new Date(recipientStart.getTime() + recipient.windowMs), now)
      }
      const orgStart = windowStart(now, SEND_LIMITS.organisationWindowMs)
      if (!(await tx.store.sendBudgets.take(`organisation:${account.organisationId ?? 'staff'}`, orgStart, ctx.config.codeSendsPerOrganisationPerDay))) {
        throw refusal('RATE_LIMITED', 'organisation_budget', new Date(orgStart.getTime() + SEND_LIMITS.organisationWindowMs), now)
      }
      await tx.store.deliveryQueue.enqueue(delivery)
      await recordEvent(tx.store, now, meta, { ...base, event: 'one_time_code.issued', details: { ...details, expiresAt: row.expiresAt.toISOString() } })
    })
  } catch (error) {
    if (error instanceof CountersignError && (error.code === 'RESEND_TOO_SOON' || error.code === 'RATE_LIMITED')) {
      await recordEvent(ctx.store, now, meta, { ...base, event: 'one_time_code.send_refused', reason: String(error.details?.reason ?? error.code), details })
      throw new CountersignError(error.code, { retryAfterSeconds: error.retryAfterSeconds ?? 1 })
    }
    throw error
  }

  const sent = await sendQueued(ctx, delivery, message)
  if (!sent.ok) {
    const { error } = sent
    // The user hears of it now and may pick another method, so nothing is retried: the queued
    // message goes, and the code that never arrived is revoked, so "Send a new code" works at once.
    // The code first: whatever happens to the queued row, a code the user was told failed never works.
    await Promise.allSettled([ctx.store.oneTimeCodes.revoke(id), ctx.store.deliveryQueue.remove(delivery.id)])
    const reason = error instanceof DeliveryError ? error.reason : 'error'
    const detail = ctx.delivery.scrub(error instanceof DeliveryError ? error.message : 'unexpected error')
    ctx.delivery.log.warn({ event: 'delivery_failed', channel, purpose, to: maskRecipient(destination), reason, detail }, 'could not send a one-time code')
    await recordEvent(ctx.store, ctx.clock.now(), meta, { ...base, event: 'one_time_code.delivery_failed', reason, details: { ...details, detail } })
    throw new CountersignError('DELIVERY_FAILED')
  }
  return { sentTo: details.sentTo, expiresAt: row.expiresAt, channel }
}

function refusal(code: 'RESEND_TOO_SOON' | 'RATE_LIMITED', reason: string, retryAt: Date, now: Date) {
  return new CountersignError(code, { retryAfterSeconds: Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)), details: { reason } })
}

/**
 * Compares a code with the live code of a purpose and, when it matches, consumes it (one use, one
 * racer wins). `accept` says which stored codes may answer this attempt (the flow, the channel).
 */
export async function checkStoredCode(
  ctx: Context,
  input: { accountId: string; purpose: CodePurpose; code: string | undefined; accept?: (stored: OneTimeCode) => boolean },
): Promise<Evaluation & { consumed?: OneTimeCode }> {
  const now = ctx.clock.now()
  const found = await ctx.store.oneTimeCodes.find(input.accountId, input.purpose)
  const stored = found && (input.accept?.(found) ?? true) ? found : undefined
  const check = checkOneTimeCode({ stored, code: input.code, now, hmac: (code, context) => ctx.sealer.codeHmac(code, context) })
  if (!check.ok) return { ok: false, reason: check.reason }
  const consumed = await ctx.store.oneTimeCodes.consume(stored!.id, now)
  if (!consumed) return { ok: false, reason: 'replayed' }
  return { ok: true, deviceId: `code:${consumed.id}`, consumed }
}

/**
 * A sign-in code (F-OTP-3): it must belong to this flow (RR-06) and to the method: an e-mail code
 * answers `email`, an SMS code answers `sms`, and under F-OTP-4 the e-mail fallback answers `sms`.
 */
export function checkSignInCode(ctx: Context, account: Account, method: 'sms' | 'email', code: string | undefined, flowId: string | undefined): Promise<Evaluation> {
  const fallback = !(account.phone && account.phoneVerified)
  return checkStoredCode(ctx, {
    accountId: account.id,
    purpose: 'sign_in',
    code,
    accept: (stored) =>
      flowId !== undefined && stored.flowId === flowId && (stored.channel === method || (method === 'sms' && fallback && stored.channel === 'email')),
  })
}
