import type { Store } from '../store/store.js'
import { boundedText, type RequestMeta } from './context.js'

/**
 * Appends one security event (F-POL-6). Names are `noun.past_verb`; the reason is the policy's or
 * the check's reason code, so nobody has to guess what happened.
 */
export async function recordEvent(
  store: Store,
  now: Date,
  meta: RequestMeta | null,
  event: {
    event: string
    organisationId: string | null
    actor?: string | null
    accountId?: string | null
    reason?: string | null
    details?: Record<string, unknown>
  },
): Promise<void> {
  await store.audit.append({
    at: now,
    event: event.event,
    organisationId: event.organisationId,
    actor: event.actor ?? null,
    accountId: event.accountId ?? null,
    reason: event.reason ?? null,
    ip: boundedText(meta?.ip ?? null, 64),
    userAgent: boundedText(meta?.userAgent ?? null, 200),
    details: event.details ?? {},
  })
}
