import { toBase64Url } from './bytes'

/** Protocol §2: the first element of every signed message. */
export const SIGNATURE_CONTEXT = 'countersign-authenticator/1'

export type SignaturePurpose = 'pair' | 'answer' | 'read' | 'list' | 'events' | 'unpair' | 'subscription'

/** What a signed request carries besides its own fields. */
export interface SignedFields {
  deviceId: string
  issuedAt: string
  signature: string
}

/**
 * The exact bytes that are signed (protocol §2): a JSON array without spaces,
 * `["countersign-authenticator/1", purpose, deviceId, issuedAt, ...fields]`.
 */
export function signatureMessage(purpose: SignaturePurpose, deviceId: string, issuedAt: string, fields: ReadonlyArray<string | boolean | null>): string {
  return JSON.stringify([SIGNATURE_CONTEXT, purpose, deviceId, issuedAt, ...fields])
}

/**
 * A new ECDSA P-256 key pair whose private half can never be read out (F-PUSH-6, PU-10): it
 * signs, and is stored in IndexedDB as the CryptoKey object itself.
 */
export function createDeviceKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
}

/** The public half as the server wants it: `{kty, crv, x, y}` and nothing else (protocol §3). */
export async function publicJwk(keyPair: CryptoKeyPair): Promise<{ kty: string; crv: string; x: string; y: string }> {
  const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey)
  return { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! }
}

/**
 * Signs one request: WebCrypto's raw 64-byte `r‖s` over the UTF-8 message, base64url (protocol §2).
 * `issuedAt` is this phone's clock; the server allows two minutes either way (PU-03).
 */
export async function signRequest(
  privateKey: CryptoKey,
  purpose: SignaturePurpose,
  deviceId: string,
  fields: ReadonlyArray<string | boolean | null>,
  now: Date = new Date(),
): Promise<SignedFields> {
  const issuedAt = now.toISOString()
  const message = new TextEncoder().encode(signatureMessage(purpose, deviceId, issuedAt, fields))
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, message)
  return { deviceId, issuedAt, signature: toBase64Url(signature) }
}
