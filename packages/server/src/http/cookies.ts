import type { FastifyReply, FastifyRequest } from 'fastify'

export type CookieKind = 'session' | 'flow' | 'remember'

/**
 * Cookie names and attributes (API.md, SC-06): HttpOnly, SameSite=Lax, Path=/, no Domain;
 * on https also Secure with the `__Host-` prefix.
 */
export class Cookies {
  readonly #secure: boolean
  constructor(publicUrl: string) {
    this.#secure = publicUrl.startsWith('https://')
  }

  name(kind: CookieKind): string {
    const base = kind === 'session' ? 'cs_session' : kind === 'flow' ? 'cs_flow' : 'cs_remember'
    return this.#secure ? `__Host-${base}` : base
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
      ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
    })
  }

  clear(reply: FastifyReply, kind: CookieKind): void {
    reply.clearCookie(this.name(kind), { httpOnly: true, sameSite: 'lax', path: '/', secure: this.#secure })
  }
}
