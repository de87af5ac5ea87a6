import { fromBase32 } from './bytes'

export type TotpAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-512'

export interface TotpParameters {
  /** base32, as in the otpauth URI */
  secret: string
  algorithm: TotpAlgorithm
  digits: number
  periodSeconds: number
}

/** The secret imported once per account and kept (non-extractable) for the page's life. */
const keys = new Map<string, Promise<CryptoKey>>()

function hmacKey(parameters: TotpParameters): Promise<CryptoKey> {
  const id = `${parameters.algorithm}:${parameters.secret}`
  let key = keys.get(id)
  if (!key) {
    const secret = fromBase32(parameters.secret)
    if (!secret) return Promise.reject(new TypeError('the secret is not base32'))
    key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: parameters.algorithm }, false, ['sign'])
    keys.set(id, key)
  }
  return key
}

/**
 * RFC 6238 (TOTP over RFC 4226 HOTP) with WebCrypto's HMAC, so the offline code (F-PUSH-3) is
 * the one the server checks: SHA-1, 6 digits, 30 s for Countersign's accounts.
 */
export async function totpCode(parameters: TotpParameters, at: Date): Promise<string> {
  const step = Math.floor(at.getTime() / 1000 / parameters.periodSeconds)
  const counter = new Uint8Array(8)
  new DataView(counter.buffer).setBigUint64(0, BigInt(step))
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(parameters), counter))
  // RFC 4226 §5.3: dynamic truncation
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(binary % 10 ** parameters.digits).padStart(parameters.digits, '0')
}

/** Seconds until the next code. */
export function secondsLeft(periodSeconds: number, at: Date): number {
  const seconds = Math.floor(at.getTime() / 1000)
  return periodSeconds - (seconds % periodSeconds)
}
