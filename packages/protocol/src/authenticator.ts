import { z } from 'zod'
import { base64url } from './encoding.js'
import { DisplayName, OpaqueToken, PendingTotpDevice } from './schemas.js'

// ---- Countersign Authenticator (docs/authenticator-protocol.md) -----------------------------

/** A time from the phone's clock, checked against the server's (PU-03). */
export const IssuedAt = z.iso.datetime()
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
