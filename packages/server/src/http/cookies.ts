import type { FastifyReply, FastifyRequest } from 'fastify'

export type CookieKind = 'session' | 'flow' | 'remember'

/**
 * Cookie names and attributes (API.md, SC-06): HttpOnly, SameSite=Lax, Path=/, no Domain;
 * on https also Secure with the `__Host-` prefix. With a cookie domain (forward auth), the session
 * cookie alone gets `Domain=` and, on https, the `__Secure-` prefix, since `__Host-` forbids a
 * Domain (RFC 6265bis §4.1.3); the flow and remember-browser cookies stay on this host.
 */
export class Cookies {
  readonly #secure: boolean
  readonly #domain: string | undefined
  constructor(publicUrl: string, cookieDomain?: string) {
    this.#secure = publicUrl.startsWith('https://')
    this.#domain = cookieDomain
  }

  name(kind: CookieKind): string {
    const base = kind === 'session' ? 'cs_session' : kind === 'flow' ? 'cs_flow' : 'cs_remember'
    if (!this.#secure) return base
    return this.#domainOf(kind) ? `__Secure-${base}` : `__Host-${base}`
  }

  #domainOf(kind: CookieKind): string | undefined {
    return kind === 'session' ? this.#domain : undefined
  }

  read(request: FastifyRequest, kind: CookieKind): string | undefined {
    const value = request.cookies[this.name(kind)]
    return typeof value === 'string' && value.length <= 200 ? value : undefined
  }

  has(request: FastifyRequest): boolean {
    return (['session', 'flow', 'remember'] as const).some((kind) => request.cookies[this.name(kind)] !== undefined)
  }

  set(reply: FastifyReply, kind: CookieKind, value: string, maxAgeSeconds?: number): void {
    reply.setCookie(this.name(kind), value, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: this.#secure,
      ...(this.#domainOf(kind) ? { domain: this.#domainOf(kind) } : {}),
      ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
    })
  }

  /** The `Set-Cookie` value that clears a cookie, for answers written outside Fastify (the OIDC provider's). */
  clearHeader(kind: CookieKind): string {
    const domain = this.#domainOf(kind)
    return `${this.name(kind)}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${this.#secure ? '; Secure' : ''}${domain ? `; Domain=${domain}` : ''}`
  }

  clear(reply: FastifyReply, kind: CookieKind): void {
    const domain = this.#domainOf(kind)
    reply.clearCookie(this.name(kind), { httpOnly: true, sameSite: 'lax', path: '/', secure: this.#secure, ...(domain ? { domain } : {}) })
  }
}
