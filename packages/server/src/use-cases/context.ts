import type { Config } from '../config/config.js'
import type { PasswordHasher } from '../crypto/password-hasher.js'
import type { Delivery } from '../delivery/delivery.js'
import type { SecretSealer } from '../crypto/secret-sealer.js'
import type { Clock, Random } from '../domain/clock.js'
import type { Notifier } from '../realtime/notifier.js'
import type { PushSender } from '../delivery/web-push-sender.js'
import type { Store } from '../store/store.js'

/** What every use-case needs; `main.ts` builds it once and picks the implementations. */
export interface Context {
  readonly store: Store
  readonly clock: Clock
  readonly random: Random
  readonly hasher: PasswordHasher
  readonly sealer: SecretSealer
  readonly config: Config
  /** Wakes waiters on every instance (push approvals, pairing); in-process on SQLite. */
  readonly notifier: Notifier
  /** E-mail and text messages (F-OTP-5); sends happen after the commit, never inside a transaction. */
  readonly delivery: Delivery
  /** Web Push to paired Countersign Authenticators (issue 9); after the commit, like every send. */
  readonly pushSender: PushSender
}

/** Where a request came from, for audit events and sessions. Untrusted text, stored bounded. */
export interface RequestMeta {
  ip: string | null
  userAgent: string | null
  language: 'en' | 'nl'
}

/** Who performs an administrative action. */
export type AdminActor =
  | { kind: 'staff'; actor: string; accountId: string | null }
  | { kind: 'organisation_admin'; actor: string; accountId: string | null; organisationId: string }

export function boundedText(value: string | null | undefined, max = 200): string | null {
  if (value === null || value === undefined) return null
  // One event = one line (IV-08): control characters become spaces.
  return value.replace(/[\p{Cc}\p{Cf}]/gu, ' ').slice(0, max)
}

/**
 * Runs `work` in one transaction, with a context whose store is the transaction's: a security
 * action and its audit event land together or not at all (DD-08). Nothing slow (argon2) inside,
 * and nothing inside may use the outer store.
 */
export function inTransaction<T>(ctx: Context, work: (tx: Context) => Promise<T>): Promise<T> {
  return ctx.store.transaction((store) => work({ ...ctx, store }))
}
