import type { Random } from '../clock.js'
import { bytesEqual, HOUR_MS, MINUTE_MS } from '../clock.js'

/**
 * One-time codes sent by SMS or e-mail (F-OTP-1…3). Pure: time and randomness come in as arguments;
 * counting, storing and sending are the use-case's and the store's jobs.
 */

/** What a code is for; at most one live code per account and purpose (DESIGN.md §3). */
export type CodePurpose = 'sign_in' | 'phone_verify' | 'email_change' | 'link_confirm' | 'reauth'
export type CodeChannel = 'sms' | 'email'

/** F-OTP-1: six digits. */
export const CODE_DIGITS = 6

/**
 * Send limits (F-OTP-2, SECURITY.md "Resend", BF-11): a cool-down between two sends of one purpose,
 * at most 5 sends per account per hour and 10 per day, at most 10 per recipient per 10 minutes
 * (issue 5), and a per-organisation daily budget from the configuration. Fixed windows.
 */
export const SEND_LIMITS = {
  resendCooldownMs: 30_000,
  perAccount: [
    { windowMs: HOUR_MS, limit: 5 },
    { windowMs: 24 * HOUR_MS, limit: 10 },
  ],
  perRecipient: { windowMs: 10 * MINUTE_MS, limit: 10 },
  organisationWindowMs: 24 * HOUR_MS,
} as const

/** A uniform six-digit code from the CSPRNG (`crypto.randomInt`, SR-08), leading zeros kept. */
export function newOneTimeCode(random: Random): string {
  return String(random.int(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0')
}

/** When a code sent now stops working: the organisation's `codeTtlMinutes` (20 by default, T1). */
export function codeExpiresAt(now: Date, codeTtlMinutes: number): Date {
  return new Date(now.getTime() + codeTtlMinutes * MINUTE_MS)
}

/**
 * The documented normalisation (IV-01): spaces and dashes are dropped and full-width digits become
 * ASCII (NFKC); anything that is then not exactly six ASCII digits is malformed.
 */
export function normaliseCode(input: string | undefined): string | null {
  if (input === undefined) return null
  const folded = input.normalize('NFKC').replace(/[\s-]/g, '')
  return /^[0-9]{6}$/.test(folded) ? folded : null
}

/** The HMAC context that binds a code to its row: a code for one send never matches another (RR-06). */
export function codeContext(code: { id: string; accountId: string; purpose: CodePurpose }): string {
  return `otp|${code.id}|${code.accountId}|${code.purpose}`
}

export type OneTimeCodeCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'wrong_code' | 'no_code' }

/**
 * Checks a typed code against the stored HMAC, in constant time (EN-05). `hmac` computes the keyed
 * hash (crypto/secret-sealer.ts `codeHmac`); the stored value is never a plain hash (SR-04).
 */
export function checkOneTimeCode(input: {
  stored: { id: string; accountId: string; purpose: CodePurpose; codeHmac: Uint8Array; expiresAt: Date } | undefined
  code: string | undefined
  now: Date
  hmac: (code: string, context: string) => Uint8Array
}): OneTimeCodeCheck {
  const code = normaliseCode(input.code)
  if (code === null) return { ok: false, reason: 'malformed' }
  if (!input.stored) return { ok: false, reason: 'no_code' }
  // Compare first, then look at the expiry, so both answers cost the same work.
  const matches = bytesEqual(input.hmac(code, codeContext(input.stored)), input.stored.codeHmac)
  if (input.stored.expiresAt <= input.now) return { ok: false, reason: 'expired' }
  return matches ? { ok: true } : { ok: false, reason: 'wrong_code' }
}

/** Start of the fixed window that `now` falls in. */
export function windowStart(now: Date, windowMs: number): Date {
  return new Date(now.getTime() - (now.getTime() % windowMs))
}
