import { DeliveryError, maskRecipient, type Email, type TextMessage } from '../delivery/delivery.js'
import type { CodePurpose } from '../domain/methods/one-time-code.js'
import { maskEmail, maskPhone } from '../domain/phone-number.js'
import { newId } from '../domain/tokens.js'
import type { PendingDelivery } from '../store/delivery-queue-store.js'
import type { Account } from '../store/store.js'
import { recordEvent } from './audit.js'
import type { Context } from './context.js'

/*
 * Durable sends of one-time codes (SECURITY.md DD-07). The message is queued in the transaction
 * that issues its code, sent right after the commit, and its row deleted once the provider took
 * it. What happens when a send does not succeed:
 *
 * - the request saw the failure (a refusal, a timeout, a refused connection): the user is told at
 *   once (502 DELIVERY_FAILED, "try another method"), the code is revoked and the queued message
 *   deleted. Nothing is retried: the user has moved on, and a late message would carry a dead code.
 * - nobody saw the outcome (the process died between the commit and the provider's answer, or the
 *   send hung past its lease): the row outlives its lease and is claimed by the next retry round,
 *   on start-up or every lease period, on whichever instance gets there first. The code is still
 *   live, so the message is worth sending: at least once. A retry the provider refuses for good is
 *   not repeated; one it cannot reach is tried again, at most DELIVERY_MAX_ATTEMPTS sends in all,
 *   then dropped and audited. Either way the code is revoked.
 * - a message whose code was replaced, used or has expired is deleted unsent: only the last code
 *   sent is valid (F-OTP-2), so even a duplicate or a late copy can never make a second code work.
 */

/** A message that carries a one-time code. */
export type CodeMessage = ({ channel: 'email' } & Email) | ({ channel: 'sms' } & TextMessage)

/** The send by the request itself and three retries; then the message is dropped and audited. */
export const DELIVERY_MAX_ATTEMPTS = 4

/**
 * How long the sender that holds a queued message may take before anyone else claims it: three
 * provider timeouts (an SMTP send connects, greets and transfers, each within the timeout), so 30 s
 * by default. A sender that is merely slow may then race a retry: one duplicate of the same code.
 */
export function deliveryLeaseMs(ctx: Pick<Context, 'config'>): number {
  return 3 * ctx.config.deliveryTimeoutMs
}

/** Associated data that binds a sealed message to its row, its account and its code (SR-02). */
function messageBinding(delivery: Pick<PendingDelivery, 'id' | 'accountId' | 'codeId'>): string {
  return `delivery|${delivery.id}|${delivery.accountId}|${delivery.codeId}`
}

/**
 * The queue row for a message, sealed (the text holds the code, SR-04). The caller enqueues it in
 * the transaction that issues the code, and holds its lease while it sends right after the commit.
 */
export function newPendingDelivery(ctx: Context, input: { accountId: string; codeId: string; purpose: CodePurpose; message: CodeMessage }): PendingDelivery {
  const now = ctx.clock.now()
  const row = { id: newId(ctx.random), accountId: input.accountId, codeId: input.codeId }
  return {
    ...row,
    purpose: input.purpose,
    channel: input.message.channel,
    sealedMessage: ctx.sealer.seal(Buffer.from(JSON.stringify(input.message), 'utf8'), messageBinding(row)),
    attempts: 1,
    createdAt: now,
    leaseUntil: new Date(now.getTime() + deliveryLeaseMs(ctx)),
  }
}

/**
 * Hands a queued message to its provider; once the provider took it the row is deleted. A failure
 * is returned, not thrown: what it means depends on who is sending (the request, or a retry).
 */
export async function sendQueued(ctx: Context, delivery: PendingDelivery, message: CodeMessage): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    if (message.channel === 'email') await ctx.delivery.mailer.send({ to: message.to, subject: message.subject, text: message.text, html: message.html })
    // The row's id travels with the text message, so a webhook receiver can drop a duplicate.
    else await ctx.delivery.sms.send({ to: message.to, text: message.text, id: delivery.id })
  } catch (error) {
    return { ok: false, error }
  }
  // Sent. If the row cannot be deleted now, a retry sends the same code once more: harmless.
  await ctx.store.deliveryQueue.remove(delivery.id).catch((error: unknown) => {
    ctx.delivery.log.warn({ event: 'delivery_dequeue_failed', deliveryId: delivery.id, detail: ctx.delivery.scrub(String((error as Error)?.message ?? error)) }, 'a sent message stays queued')
  })
  return { ok: true }
}

/** The provider's final word: asking again would get the same answer. */
export function isDefiniteRefusal(error: unknown): boolean {
  return error instanceof DeliveryError && (error.reason === 'refused' || error.reason === 'rejected' || error.reason === 'misconfigured')
}

export interface RetryReport {
  /** Delivered by this round. */
  sent: number
  /** Deleted unsent: the code was replaced, used or expired, or the account is gone. */
  skipped: number
  /** Refused for good, or out of attempts: dropped, code revoked, audited. */
  dropped: number
  /** Could not reach the provider; tried again after the lease. */
  waiting: number
}

/**
 * One retry round (DD-07): claims the messages whose lease ran out, a batch at a time (one guarded
 * UPDATE per batch, so two instances never claim one message), and sends each batch in parallel,
 * well within the new lease.
 */
export async function retryStaleDeliveries(ctx: Context, options: { batch?: number; maxBatches?: number } = {}): Promise<RetryReport> {
  const batch = options.batch ?? 10
  const report: RetryReport = { sent: 0, skipped: 0, dropped: 0, waiting: 0 }
  for (let round = 0; round < (options.maxBatches ?? 10); round++) {
    const now = ctx.clock.now()
    const claimed = await ctx.store.deliveryQueue.claimStale(now, new Date(now.getTime() + deliveryLeaseMs(ctx)), batch)
    for (const outcome of await Promise.all(claimed.map((delivery) => retryOne(ctx, delivery)))) report[outcome]++
    if (claimed.length < batch) break
  }
  return report
}

async function retryOne(ctx: Context, delivery: PendingDelivery): Promise<keyof RetryReport> {
  const log = { deliveryId: delivery.id, purpose: delivery.purpose, channel: delivery.channel, attempt: delivery.attempts }
  const account = await ctx.store.accounts.get(delivery.accountId)
  const code = account ? await ctx.store.oneTimeCodes.find(delivery.accountId, delivery.purpose) : undefined
  if (!account || !code || code.id !== delivery.codeId || code.expiresAt <= ctx.clock.now()) {
    // F-OTP-2: only the last code sent is valid; a message for any other code is noise.
    await ctx.store.deliveryQueue.remove(delivery.id)
    ctx.delivery.log.info({ event: 'delivery_skipped', ...log, reason: account ? 'code_no_longer_live' : 'account_removed' }, 'a queued message was not sent: its code is no longer valid')
    return 'skipped'
  }
  if (delivery.attempts > DELIVERY_MAX_ATTEMPTS) return giveUp(ctx, account, delivery, null, 'too_many_attempts', null)
  const opened = ctx.sealer.open(delivery.sealedMessage, messageBinding(delivery))
  if (!opened) return giveUp(ctx, account, delivery, null, 'unreadable', null)
  const message = JSON.parse(opened.toString('utf8')) as CodeMessage
  const sent = await sendQueued(ctx, delivery, message)
  if (sent.ok) {
    ctx.delivery.log.info({ event: 'delivered_after_retry', ...log, to: maskRecipient(message.to) }, 'a queued one-time code was sent')
    return 'sent'
  }
  if (isDefiniteRefusal(sent.error)) return giveUp(ctx, account, delivery, message, 'refused', sent.error)
  if (delivery.attempts >= DELIVERY_MAX_ATTEMPTS) return giveUp(ctx, account, delivery, message, 'too_many_attempts', sent.error)
  ctx.delivery.log.warn({ event: 'delivery_retry_failed', ...log, to: maskRecipient(message.to), reason: reasonOf(sent.error), detail: detailOf(ctx, sent.error) }, 'a queued one-time code could not be sent; it is tried again')
  return 'waiting'
}

/** Drops a message for good: its code is revoked (it never arrived), and the drop is audited. */
async function giveUp(ctx: Context, account: Account, delivery: PendingDelivery, message: CodeMessage | null, reason: string, error: unknown): Promise<'dropped'> {
  await ctx.store.deliveryQueue.remove(delivery.id)
  await ctx.store.oneTimeCodes.revoke(delivery.codeId)
  const sentTo = message ? (message.channel === 'sms' ? maskPhone(message.to) : maskEmail(message.to)) : null
  const detail = error ? detailOf(ctx, error) : null
  ctx.delivery.log.warn(
    { event: 'delivery_dropped', deliveryId: delivery.id, purpose: delivery.purpose, channel: delivery.channel, attempts: delivery.attempts, reason, ...(message ? { to: maskRecipient(message.to) } : {}), ...(detail ? { detail } : {}) },
    'a queued one-time code was given up',
  )
  await recordEvent(ctx.store, ctx.clock.now(), null, {
    event: 'one_time_code.delivery_dropped',
    organisationId: account.organisationId,
    accountId: account.id,
    reason,
    details: { purpose: delivery.purpose, channel: delivery.channel, attempts: delivery.attempts, ...(sentTo ? { sentTo } : {}), ...(detail ? { detail } : {}) },
  })
  return 'dropped'
}

function reasonOf(error: unknown): string {
  return error instanceof DeliveryError ? error.reason : 'error'
}

/** Our own words about a failure, with every configured secret removed (SR-07). */
function detailOf(ctx: Context, error: unknown): string {
  return ctx.delivery.scrub(error instanceof DeliveryError ? error.message : 'unexpected error')
}

/**
 * DD-07: a retry round on start-up and then once per lease period (30 s by default), on an unref'd
 * timer that never runs two rounds at once. Returns the function that stops it.
 */
export function startDeliveryRetries(ctx: Context): () => void {
  let running = false
  const run = async () => {
    if (running) return
    running = true
    try {
      await retryStaleDeliveries(ctx)
    } catch (error) {
      ctx.delivery.log.warn({ event: 'delivery_retry_round_failed', detail: ctx.delivery.scrub(String((error as Error)?.message ?? error)) }, 'queued messages could not be retried now')
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void run(), Math.min(30_000, deliveryLeaseMs(ctx)))
  timer.unref()
  void run()
  return () => clearInterval(timer)
}
