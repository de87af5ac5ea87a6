import { z } from 'zod'
import { base64url } from './encoding.js'
import { DisplayName, OpaqueToken, PendingTotpDevice } from './schemas.js'

// ---- Countersign Authenticator (docs/authenticator-protocol.md) -----------------------------

/**
 * RFC 3339 `date-time` (§5.6) in UTC: seconds required, any fraction, the offset `Z` (or `z`),
 * `+00:00` or `-00:00`. Any other offset is refused (400), not converted: the phone is asked for
 * UTC, and the string is signed as it is.
 */
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|[+-]00:00)$/

const daysInMonth = (year: number, month: number) =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/**
 * The milliseconds since 1970 of an `issuedAt` (an RFC 3339 time in UTC), or `null` when it is not
 * one: a date that does not exist, a leap second (`:60`, which no clock the server compares with can
 * hold), an offset other than UTC. Digits past the millisecond are dropped, as `Date.parse` does.
 */
export function issuedAtTime(text: string): number | null {
  const match = RFC3339_UTC.exec(text)
  if (!match) return null
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null
  const at = new Date(0)
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  at.setUTCFullYear(year, month - 1, day)
  at.setUTCHours(hour, minute, second, Number((match[7] ?? '').padEnd(3, '0').slice(0, 3)))
  return at.getTime()
}

/**
 * A time from the phone's clock, checked against the server's (PU-03): any RFC 3339 spelling of a
 * UTC time (`2026-12-08T10:00:00Z`, `…00.000Z`, `…00+00:00`). Validated, never rewritten: the
 * signature covers the string exactly as sent.
 */
export const IssuedAt = z
  .string()
  .refine((text) => issuedAtTime(text) !== null, 'must be an RFC 3339 time in UTC (Z or +00:00), e.g. 2026-12-08T10:00:00.000Z')
  .meta({ format: 'date-time', description: 'RFC 3339 date-time in UTC: Z or +00:00 (docs/authenticator-protocol.md §2)' })
/** base64url of a 64-byte raw ECDSA P-256 signature (r‖s). */
export const Signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'must be a base64url P-256 signature (64 bytes)')
export const DeviceIdInput = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a device id')

/** The device's public key: an EC P-256 JWK without a private part. */
export const PublicKeyJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url(43, 43),
  y: base64url(43, 43),
}).loose().refine((jwk) => !('d' in jwk), 'must not contain a private key')

/** `PushSubscription.toJSON()` of the phone's browser (RFC 8030 endpoint, RFC 8291 keys). */
export const PushSubscriptionInput = z.object({
  endpoint: z.url({ protocol: /^https$/ }).max(1000),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: base64url(80, 100), auth: base64url(16, 32) }),
})
export type PushSubscriptionInput = z.infer<typeof PushSubscriptionInput>

export const PairBody = z.strictObject({
  pairingToken: OpaqueToken,
  deviceId: DeviceIdInput,
  publicKey: PublicKeyJwk,
  pushSubscription: PushSubscriptionInput.nullable(),
  name: DisplayName,
  issuedAt: IssuedAt,
  signature: Signature,
})

export const SignedQuery = z.strictObject({ deviceId: DeviceIdInput, issuedAt: IssuedAt, signature: Signature })
export const SignedQueryForDevice = z.strictObject({ issuedAt: IssuedAt, signature: Signature })

export const AnswerBody = z.strictObject({
  deviceId: DeviceIdInput,
  decision: z.enum(['approve', 'deny']),
  number: z.string().max(6).regex(/^[0-9]*$/, 'must be digits'),
  notMe: z.boolean(),
  issuedAt: IssuedAt,
  signature: Signature,
})

export const SubscriptionBody = z.strictObject({
  pushSubscription: PushSubscriptionInput.nullable(),
  issuedAt: IssuedAt,
  signature: Signature,
})

export const PushChallengeStatus = z.enum(['pending', 'approved', 'denied', 'expired'])
export const PushChallengeView = z.object({
  id: z.string(),
  status: PushChallengeStatus,
  organisation: z.object({ name: z.string() }).nullable(),
  username: z.string(),
  browser: z.string().nullable(),
  ip: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  numberLength: z.number().int(),
})
export type PushChallengeView = z.infer<typeof PushChallengeView>

export const PairAnswer = z.object({
  deviceId: z.string(),
  account: z.object({ username: z.string(), organisation: z.object({ name: z.string(), slug: z.string() }).nullable() }),
  server: z.string(),
})

export const PushStarted = z.object({ challengeId: z.string(), matchNumber: z.string(), devices: z.number().int(), createdAt: z.string(), expiresAt: z.string() })
export type PushStarted = z.infer<typeof PushStarted>
export const PushCompleteBody = z.strictObject({ flowId: OpaqueToken.optional(), rememberBrowser: z.boolean().optional() })

export const PendingAuthenticatorDevice = PendingTotpDevice.extend({ pairingUri: z.string() })
