import { HOUR_MS, MINUTE_MS } from './clock.js'

/** F-LOGIN-4: five consecutive wrong second-factor codes, all methods together, lock the account. */
export const LOCK_AFTER_FAILURES = 5
/** NIST SP 800-63B §3.2.2: at most 100 consecutive failures; past that only an admin unlocks (T8). */
export const HARD_LOCK_FAILURES = 100

/**
 * When a lock that has just been reached ends by itself: `null` = only an admin unlocks.
 * Auto-unlock (an organisation option) never applies past the hard limit.
 */
export function lockedUntil(input: { now: Date; failures: number; autoUnlockMinutes: number | null }): Date | null {
  if (input.autoUnlockMinutes === null || input.failures >= HARD_LOCK_FAILURES) return null
  return new Date(input.now.getTime() + input.autoUnlockMinutes * MINUTE_MS)
}

/** After an auto-unlock the count goes on, with five more tries, up to the hard limit (BF-10). */
export function nextAttemptLimit(failures: number): number {
  return Math.min(failures + LOCK_AFTER_FAILURES, HARD_LOCK_FAILURES)
}

/**
 * Password throttle per user name (SECURITY.md "Password throttle", BF-12): from the 5th
 * consecutive failure a delay of 30 s that doubles up to 1 hour; never a permanent lock from
 * passwords alone, so strangers cannot lock a user out.
 */
export function passwordDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures < 5) return 0
  return Math.min(30_000 * 2 ** (consecutiveFailures - 5), HOUR_MS)
}
