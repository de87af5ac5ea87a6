import { issuedAtTime } from '@countersign/protocol'
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import { MINUTE_MS } from '../clock.js'

/*
 * The Countersign Authenticator signs what it sends with a P-256 key that never leaves the phone
 * (F-PUSH-6). The message is a JSON array of fixed shape (docs/authenticator-protocol.md §2), so
 * the app and the server build the same bytes without a canonicalisation library, and the purpose
 * in it keeps a signature for one request from serving another.
 */

export const SIGNATURE_VERSION = 'countersign-authenticator/1'

/** How far the phone's clock may be from the server's (PU-03). */
export const CLOCK_SKEW_MS = 2 * MINUTE_MS

export type SignedPurpose = 'pair' | 'answer' | 'read' | 'list' | 'events' | 'unpair' | 'subscription'

export function signedMessage(purpose: SignedPurpose, deviceId: string, issuedAt: string, fields: ReadonlyArray<string | boolean | null>): Buffer {
  return Buffer.from(JSON.stringify([SIGNATURE_VERSION, purpose, deviceId, issuedAt, ...fields]), 'utf8')
}

/** The public part of a P-256 JWK, or `null` when it is not a valid point on the curve. */
export function normalisePublicKey(jwk: { kty: string; crv: string; x: string; y: string }): string | null {
  const publicOnly = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
  try {
    const key = createPublicKey({ key: publicOnly as JsonWebKey, format: 'jwk' })
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return null
  } catch {
    return null
  }
  return JSON.stringify(publicOnly)
}

/** Verifies a raw `r‖s` signature (WebCrypto's format) over `message`; any malformed input is `false`. */
export function verifySignature(publicKeyJwk: string, message: Buffer, signature: string): boolean {
  try {
    const raw = Buffer.from(signature, 'base64url')
    if (raw.length !== 64) return false
    return verify('sha256', message, { key: JSON.parse(publicKeyJwk) as JsonWebKey, format: 'jwk', dsaEncoding: 'ieee-p1363' }, raw)
  } catch {
    return false
  }
}

/**
 * True when the phone's time is an RFC 3339 time in UTC (`Z`, `+00:00`, any fraction: protocol
 * `IssuedAt`) within the allowed skew of ours. Whatever its spelling, the string itself is what
 * `signedMessage` signs, so a signature made for one spelling verifies for no other.
 */
export function issuedAtAcceptable(issuedAt: string, now: Date): boolean {
  const at = issuedAtTime(issuedAt)
  return at !== null && Math.abs(at - now.getTime()) <= CLOCK_SKEW_MS
}
