import type { AllowedOrigin } from '@countersign/protocol'

/** Longest URL we describe or return to; longer ones are refused rather than cut (IV-03). */
export const MAX_URL_LENGTH = 4096

/**
 * Parses an absolute URL that will be returned to after sign-in, or that a proxy says was
 * requested. Only a plain `http(s)://host[:port]/…` passes: no userinfo, no backslash, no
 * whitespace or control characters, and the two slashes written out, so `https:evil.com`,
 * `//evil.com`, `/\evil.com`, `javascript:…` and `https://app@evil.com` all fail (RB-10,
 * Authelia's TestShouldNotRedirectToUnsafeURL). `null` for anything else.
 */
export function parseAbsoluteUrl(value: string | undefined | null): URL | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) return null
  // Printable ASCII only: a proxy sends URLs percent-encoded; CR/LF/NUL/space never belong (IV-08).
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('\\')) return null
  const authority = /^https?:\/\/([^/?#]+)/i.exec(value)?.[1]
  if (authority === undefined || authority.includes('@')) return null
  const url = URL.parse(value)
  if (!url) return null
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || url.hostname === '') return null
  return url
}

/**
 * Builds the protected URL from what the reverse proxy sent: nginx's `X-Original-URL`
 * (`source: 'original'`), or Traefik's `X-Forwarded-Proto` + `X-Forwarded-Host` +
 * `X-Forwarded-Uri` (`source: 'forwarded'`). Only the named source is read: each proxy overwrites
 * its own headers but passes the client's others on, so reading both would let a client describe
 * another URL than the one it asked for. Each header at most once; anything missing, repeated or
 * malformed gives `null` (fail closed, RB-09). Nothing about our own origin comes from here.
 */
export function protectedUrlFrom(
  source: 'original' | 'forwarded',
  headers: { originalUrl: readonly string[]; forwardedProto: readonly string[]; forwardedHost: readonly string[]; forwardedUri: readonly string[] },
): URL | null {
  if (source === 'original') return headers.originalUrl.length === 1 ? parseAbsoluteUrl(headers.originalUrl[0]) : null
  const { forwardedProto, forwardedHost, forwardedUri } = headers
  if ([forwardedProto, forwardedHost, forwardedUri].some((values) => values.length !== 1)) return null
  const [proto, host, uri] = [forwardedProto[0]!, forwardedHost[0]!, forwardedUri[0]!]
  if (proto !== 'http' && proto !== 'https') return null
  // A host name or an IPv4/IPv6 address, with an optional port: nothing that could end the authority.
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/.test(host)) return null
  if (!uri.startsWith('/')) return null
  return parseAbsoluteUrl(`${proto}://${host}${uri}`)
}

/** The entry for `url`'s origin, compared as browsers compare origins (scheme, host, port). */
export function matchOrigin(url: URL, allowed: readonly AllowedOrigin[]): AllowedOrigin | undefined {
  return allowed.find((entry) => entry.origin === url.origin)
}

/** `amr` values (RFC 8176) that show a second factor was done in this sign-in (SECURITY.md T4). */
export function hasSecondFactor(amr: readonly string[]): boolean {
  return amr.includes('mfa')
}
