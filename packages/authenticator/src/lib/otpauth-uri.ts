import { fromBase32 } from './bytes'
import type { TotpAlgorithm, TotpParameters } from './totp'

/** What a scanned or pasted otpauth URI says (protocol §1). */
export interface OtpauthLink {
  issuer: string
  username: string
  totp: TotpParameters
  /** Present only in Countersign's pairing links; without them the link gives codes only. */
  pairing: { token: string; server: string; deviceId: string } | null
}

const ALGORITHMS: Record<string, TotpAlgorithm> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' }

/**
 * Parses `otpauth://totp/<Issuer>:<username>?secret=…&issuer=…[&cs_pair&cs_server&cs_device]`.
 * Parsed by hand rather than with `URL`, whose handling of non-special schemes differs between
 * browsers. Null for anything that is not a usable TOTP link.
 */
export function parseOtpauthUri(text: string): OtpauthLink | null {
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

  const token = params.get('cs_pair')
  const server = serverOrigin(params.get('cs_server'))
  const deviceId = params.get('cs_device')
  const pairing = token && server && deviceId ? { token, server, deviceId } : null
  return { issuer, username: username || issuer, totp: { secret, algorithm, digits, periodSeconds }, pairing }
}

/** The origin of the server named in the link: https, or plain http on loopback or on this app's own origin. */
function serverOrigin(value: string | null): string | null {
  if (!value) return null
  try {
    const url = new URL(value)
    if (url.protocol === 'https:') return url.origin
    if (url.protocol !== 'http:') return null
    if (/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname) || url.origin === globalThis.location?.origin) return url.origin
    return null
  } catch {
    return null
  }
}
