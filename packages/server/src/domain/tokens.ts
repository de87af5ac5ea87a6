import { bytesEqual, sha256, type Random } from './clock.js'

/**
 * Server-side tokens (sessions, flows, remembered browsers, bypass grants, API tokens): the
 * client holds `id.secret`, the store holds only `sha256(secret)` and looks rows up by `id`.
 * 256-bit secrets (ASVS 7.2.3, SECURITY.md §Sessions). The Copenhagen Book, "Server-side tokens".
 */
export interface NewToken {
  id: string
  token: string
  secretHash: Buffer
}

export function newToken(random: Random): NewToken {
  const id = random.bytes(12).toString('base64url')
  const secret = random.bytes(32).toString('base64url')
  return { id, token: `${id}.${secret}`, secretHash: sha256(secret) }
}

/** Splits a presented token; `null` for anything that does not have the shape. */
export function parseToken(token: string | undefined | null): { id: string; secret: string } | null {
  if (typeof token !== 'string' || token.length > 200) return null
  const match = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(token)
  if (!match) return null
  return { id: match[1]!, secret: match[2]! }
}

/** Constant-time check of a presented secret against the stored hash. */
export function secretMatches(storedHash: Uint8Array, secret: string): boolean {
  return bytesEqual(storedHash, sha256(secret))
}

/** A random identifier for rows that are not tokens (accounts, devices, events). */
export function newId(random: Random): string {
  return random.bytes(12).toString('base64url')
}
