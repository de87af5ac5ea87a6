import { fromBase32 } from './bytes'
import type { TotpAlgorithm, TotpParameters } from './totp'

/** The pairing a link asks for, with this app's own server (F-PUSH-1). */
export interface LinkPairing {
  token: string
  /** The server's origin: always the origin this app is served from. */
  server: string
  deviceId: string
}

/** What a scanned or pasted otpauth URI says (protocol §1). */
export interface OtpauthLink {
  issuer: string
  username: string
  totp: TotpParameters
  /**
   * Present only in a Countersign pairing link whose `cs_server` is the app's own origin: the
   * only server this app pairs with. Without it the link gives codes only.
   */
  pairing: LinkPairing | null
  /**
   * A pairing link this app does not pair from: it names another server (`other-server`, with
   * that server's origin), or it is `incomplete` (no `cs_server` that is an http(s) URL, or no
   * `cs_pair`/`cs_device`). No server is contacted for it; its TOTP secret can still be added
   * for codes only.
   */
  refused: RefusedPairing | null
}

export type RefusedPairing = { reason: 'other-server'; server: string } | { reason: 'incomplete' }

const ALGORITHMS: Record<string, TotpAlgorithm> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' }

/**
 * Parses `otpauth://totp/<Issuer>:<username>?secret=…&issuer=…[&cs_pair&cs_server&cs_device]`.
 * Parsed by hand rather than with `URL`, whose handling of non-special schemes differs between
 * browsers. Null for anything that is not a usable TOTP link. `appOrigin` is the origin the app
 * is served from (`location.origin`): a pairing link is for pairing only when its `cs_server`
 * has exactly that origin.
 */
export function parseOtpauthUri(text: string, appOrigin: string): OtpauthLink | null {
  const match = /^otpauth:\/\/totp\/([^?#]*)(?:\?([^#]*))?/i.exec(text.trim())
  if (!match) return null
  let label: string
  try {
    label = decodeURIComponent(match[1] ?? '')
  } catch {
    return null
  }
  const params = new URLSearchParams(match[2] ?? '')
  const secret = (params.get('secret') ?? '').replace(/\s/g, '').toUpperCase()
  if (!fromBase32(secret)) return null
  const colon = label.indexOf(':')
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : ''
  const username = (colon >= 0 ? label.slice(colon + 1) : label).trim()
  const issuer = (params.get('issuer') ?? labelIssuer).trim()
  const algorithm = ALGORITHMS[(params.get('algorithm') ?? 'SHA1').toUpperCase()]
  const digits = Number(params.get('digits') ?? '6')
  const periodSeconds = Number(params.get('period') ?? '30')
  if (!algorithm || !Number.isInteger(digits) || digits < 6 || digits > 8) return null
  if (!Number.isInteger(periodSeconds) || periodSeconds < 1 || periodSeconds > 300) return null

  const totp = { secret, algorithm, digits, periodSeconds }
  const base = { issuer, username: username || issuer, totp }
  const token = params.get('cs_pair')
  const serverParam = params.get('cs_server')
  const deviceId = params.get('cs_device')
  // A plain otpauth link (any other service): codes only, as any authenticator app would.
  if (token === null && serverParam === null && deviceId === null) return { ...base, pairing: null, refused: null }
  const server = originOf(serverParam)
  const own = originOf(appOrigin)
  // Exactly this app's origin (scheme, host and port), never a look-alike: the app pairs with no other server.
  if (server !== null && server !== own) return { ...base, pairing: null, refused: { reason: 'other-server', server } }
  if (!token || !deviceId || server === null) return { ...base, pairing: null, refused: { reason: 'incomplete' } }
  return { ...base, pairing: { token, server, deviceId }, refused: null }
}

/** The origin of an http(s) URL, or null for anything else (`javascript:`, `data:`, not a URL). */
export function originOf(value: string | null | undefined): string | null {
  if (!value) return null
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null
  } catch {
    return null
  }
}
