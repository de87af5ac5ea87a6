import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { protectedUrlFrom } from '../../domain/return-url.js'
import { translate } from '../../i18n/messages.js'
import type { Context } from '../../use-cases/context.js'
import { decideForwardAuth, returnUrlFor, signInUrl } from '../../use-cases/forward-auth.js'
import type { Cookies } from '../cookies.js'
import type { Router } from '../router.js'

/**
 * Two styles, chosen by the proxy's configured address, never guessed from the request:
 * - default (`mode=status`, nginx `auth_request`, which accepts only 2xx, 401 and 403): the URL
 *   from `X-Original-URL`; signed out → `401` with the sign-in page in `Location`, for
 *   `auth_request_set $signin_url $upstream_http_location`;
 * - `mode=redirect` (Traefik ForwardAuth, which hands our answer to the browser): the URL from
 *   `X-Forwarded-Proto/Host/Uri`; signed out → `302` to the sign-in page.
 */
const ForwardAuthQuery = z.strictObject({ mode: z.enum(['status', 'redirect']).optional() })
const ReturnQuery = z.strictObject({ url: z.string().max(4096) })
const ReturnAnswer = z.object({ url: z.string().nullable(), secondFactorRequired: z.boolean() })

/** Every value a header was sent with, from the raw list, so a repeated header is seen as repeated. */
function headerValues(request: FastifyRequest, name: string): string[] {
  const raw = request.raw.rawHeaders
  const values: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!)
  return values
}

/**
 * HTTP carries header values as bytes; Node writes a string's characters as Latin-1. A user name
 * like `zoë` or `李` is sent as its UTF-8 bytes, which is what nginx and Traefik pass on.
 */
function headerText(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1')
}

export function forwardAuthRoutes(router: Router, ctx: Context, cookies: Cookies) {
  router.route(
    {
      method: 'GET',
      url: '/api/v1/forward-auth',
      summary: 'Forward auth for nginx auth_request and Traefik ForwardAuth (F-INT-2); HEAD too',
      tag: 'integration',
      access: 'none',
      query: ForwardAuthQuery,
      responses: {
        200: { description: 'allowed: Remote-User, Remote-Email, Remote-Organisation, Remote-Amr' },
        302: { description: 'mode=redirect: not signed in (or no second factor where the origin asks for one); Location is the sign-in page' },
        401: { description: 'SESSION_REQUIRED: as 302, for nginx; Location is the sign-in page' },
        403: { description: 'FORBIDDEN: the account’s organisation does not allow this origin' },
      },
    },
    async ({ query, request, reply }) => {
      // X-Forwarded-* / X-Original-URL describe the protected URL only; our own origin checks
      // (CSRF, cookies) never read them.
      const redirect = query.mode === 'redirect'
      const url = protectedUrlFrom(redirect ? 'forwarded' : 'original', {
        originalUrl: headerValues(request, 'x-original-url'),
        forwardedProto: headerValues(request, 'x-forwarded-proto'),
        forwardedHost: headerValues(request, 'x-forwarded-host'),
        forwardedUri: headerValues(request, 'x-forwarded-uri'),
      })
      const decision = await decideForwardAuth(ctx, { sessionToken: cookies.read(request, 'session'), url })
      switch (decision.outcome) {
        case 'allowed':
          return reply
            .header('Remote-User', headerText(decision.identity.username))
            .header('Remote-Email', headerText(decision.identity.email))
            .header('Remote-Organisation', decision.identity.organisation)
            .header('Remote-Amr', decision.identity.amr.join(','))
            .status(200)
            .send()
        case 'forbidden':
          // EN-06: nothing about the user or their state in the answer.
          return reply.status(403).send({ error: { code: 'FORBIDDEN', message: translate(request.language, 'error.forbidden') } })
        case 'sign_in': {
          const location = signInUrl(ctx.config.publicUrl, decision.returnUrl, decision.secondFactor)
          reply.header('Location', location)
          // RB-09: a URL nobody could describe is a 401 in both styles, never a redirect.
          if (redirect && decision.reason !== 'unknown_url') return reply.status(302).send()
          return reply.status(401).send({ error: { code: 'SESSION_REQUIRED', message: translate(request.language, 'error.sessionRequired') } })
        }
      }
    },
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/forward-auth/return',
      summary: 'Whether the sign-in page may send this session to an absolute URL (the organisation’s allowed origins)',
      tag: 'integration',
      access: 'session',
      query: ReturnQuery,
      responses: {
        200: { description: '{"url"} normalised, or null; secondFactorRequired when the origin asks for one this session lacks', schema: ReturnAnswer },
        401: { description: 'SESSION_REQUIRED' },
      },
    },
    async ({ auth, query }) => returnUrlFor(auth, query.url),
  )
}
