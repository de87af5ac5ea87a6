import { HOTP, Secret, TOTP } from 'otpauth'
import { bytesEqual, type Random } from '../clock.js'

/** RFC 6238 with the F-TOTP-2 defaults. */
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
/** RFC 4226 R6 recommends 160 bits: 20 bytes, 32 base32 characters (SECURITY.md). */
export const TOTP_SECRET_BYTES = 20

export type TotpCheck =
  | { ok: true; step: number }
  | { ok: false; reason: 'wrong_code' | 'replayed' | 'malformed' }

/** A fresh seed from the CSPRNG (SR-08). */
export function newTotpSecret(random: Random): Uint8Array {
  return new Uint8Array(random.bytes(TOTP_SECRET_BYTES))
}

export function toBase32(secret: Uint8Array): string {
  return new Secret({ buffer: Uint8Array.from(secret).buffer }).base32
}

export function fromBase32(text: string): Uint8Array {
  return new Uint8Array(Secret.fromBase32(text.replace(/[\s=]/g, '').toUpperCase()).buffer)
}

/** The `otpauth://` URI that authenticator apps scan (F-TOTP-1, IV-11: issuer and label escaped). */
export function otpauthUri(input: { issuer: string; accountName: string; secret: Uint8Array }): string {
  const totp = new TOTP({
    issuer: input.issuer,
    label: input.accountName,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: new Secret({ buffer: Uint8Array.from(input.secret).buffer }),
  })
  return totp.toString()
}

/** RFC 4226 HOTP value for one counter, as a zero-padded string. */
export function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm = 'SHA1'): string {
  return HOTP.generate({
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
    counter,
    digits,
    algorithm,
  })
}

/** The time step of an instant (RFC 6238 §4.2, T0 = 0). */
export function timeStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS)
}

/**
 * What a person typed, as six ASCII digits, or `null`. Spaces and dashes are dropped and
 * full-width digits folded by NFKC (IV-01), the same for every method.
 */
export function normaliseCode(input: string | undefined, digits = TOTP_DIGITS): string | null {
  if (typeof input !== 'string') return null
  const folded = input.normalize('NFKC').replace(/[\s-]/g, '')
  return new RegExp(`^[0-9]{${digits}}$`).test(folded) ? folded : null
}

/**
 * Checks a code against steps T-1, T and T+1 (RFC 6238 §5.2: one step of drift either way) and
 * refuses steps at or before the last one used (F-TOTP-2). Every candidate is compared in constant
 * time and none returns early, so timing does not tell which step matched (EN-05).
 * The caller persists `step` with a guarded write; zero rows changed means a replay under a race.
 */
export function checkTotpCode(input: {
  secret: Uint8Array
  code: string | undefined
  now: Date
  lastUsedStep: number | null
}): TotpCheck {
  const code = normaliseCode(input.code)
  if (code === null) return { ok: false, reason: 'malformed' }
  const current = timeStep(input.now)
  const typed = Buffer.from(code)
  let matched: number | null = null
  for (const step of [current - 1, current, current + 1]) {
    const expected = Buffer.from(hotp(input.secret, step))
    if (bytesEqual(expected, typed) && matched === null) matched = step
  }
  if (matched === null) return { ok: false, reason: 'wrong_code' }
  if (input.lastUsedStep !== null && matched <= input.lastUsedStep) return { ok: false, reason: 'replayed' }
  return { ok: true, step: matched }
}
