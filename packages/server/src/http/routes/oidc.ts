import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type Provider from 'oidc-provider'
import { recordEvent } from '../../use-cases/audit.js'
import type { Context, RequestMeta } from '../../use-cases/context.js'
import { page, pageText } from '../../oidc/pages.js'
import { loadSigningKeys } from '../../oidc/keys.js'
import type { Cookies } from '../cookies.js'
import { limitPerIp } from './sign-in.js'

const MOUNT = '/oidc'

/** Headers Fastify holds for the reply (security headers, no-store) onto the raw response the provider writes. */
function handOver(reply: FastifyReply) {
  reply.hijack()
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value as string)
}

/**
 * Mounts the OpenID Connect provider at `/oidc` and its interaction at `/interaction/:uid`
 * (issue 7). The provider reads its own request bodies, so its scope has no body parser.
 */
export async function oidcRoutes(
  app: FastifyInstance,
  ctx: Context,
  cookies: Cookies,
  options: { stylesheet: string | null; meta(request: FastifyRequest): RequestMeta },
): Promise<() => Promise<Provider>> {
  const { stylesheet } = options
  // The signing keys are made or opened now, so a wrong secrets key stops the start as before
  // (jose only; the provider itself loads later).
  await loadSigningKeys(ctx)
  // oidc-provider and its Koa stack are the largest of our dependencies (tens of MiB): they load at
  // the first OpenID Connect request, so a server used through forward auth alone never holds them.
  let loading: Promise<{ provider: Provider; callback: ReturnType<Provider['callback']>; oidc: typeof import('../../oidc/provider.js') }> | null = null
  const load = () =>
    (loading ??= import('../../oidc/provider.js')
      .then(async (oidc) => {
        const provider = await oidc.createOidcProvider(ctx, { sessionCookie: cookies.name('session'), clearSessionCookie: cookies.clearHeader('session'), stylesheet })
        return { provider, callback: provider.callback(), oidc }
      })
      .catch((error: unknown) => {
        loading = null // a database that was down at the first request is tried again at the next
        throw error
      }))

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      // The token endpoint takes codes, refresh tokens and client secrets: bounded per IP like the sign-in steps.
      if (request.method === 'POST' && request.url.split('?')[0] === `${MOUNT}/token`) {
        await limitPerIp(ctx, 'oidc-token', request.ip, ctx.config.rateLimitOidcTokenPerMinute)
      }
      const { callback } = await load()
      handOver(reply)
      const raw = request.raw as typeof request.raw & { originalUrl?: string }
      raw.originalUrl = raw.url
      raw.url = raw.url!.slice(MOUNT.length) || '/'
      await callback(raw, reply.raw)
    }
    scope.all(MOUNT, handler)
    scope.all(`${MOUNT}/*`, handler)
  })

  /**
   * Where the provider sends the browser when it needs a sign-in (or consent). With a Countersign
   * session that fits the request, the interaction finishes at once; otherwise the sign-in page
   * runs first and comes back here. Clients sign in only their own organisation's users.
   */
  app.get<{ Params: { uid: string } }>('/interaction/:uid', async (request, reply) => {
    const { provider, oidc } = await load()
    const { ACR_PASSWORD, ACR_SECOND_FACTOR, countersignSession, wantsSecondFactor } = oidc
    let details: Awaited<ReturnType<Provider['interactionDetails']>>
    try {
      details = await provider.interactionDetails(request.raw, reply.raw)
    } catch {
      return expired(request, reply, stylesheet)
    }
    if (details.uid !== request.params.uid) return expired(request, reply, stylesheet)
    const auth = await countersignSession(ctx, cookies.read(request, 'session'))
    const params = details.params as Record<string, unknown>
    const needSecondFactor = wantsSecondFactor(params, typeof params.claims === 'string' ? safeJson(params.claims) : undefined)
    const prompt = details.prompt as { name: string; reasons: string[]; details: Record<string, unknown> }
    // prompt=login and max_age ask for a sign-in made now: the first visit notes the time (on the
    // interaction, in our clock) and sends the browser to sign in; it must come back signed in since.
    const fresh = prompt.name === 'login' && (prompt.reasons.includes('login_prompt') || prompt.reasons.includes('max_age'))
    const freshSince = (details.result as { freshSince?: number } | undefined)?.freshSince
    if (fresh && freshSince === undefined) {
      await provider.interactionResult(request.raw, reply.raw, { freshSince: ctx.clock.now().getTime() }, { mergeWithLastSubmission: false })
    }
    const signedInEnough =
      auth !== null &&
      (!needSecondFactor || auth.session.amr.includes('mfa')) &&
      (!fresh || (freshSince !== undefined && auth.session.authenticatedAt.getTime() >= freshSince))
    if (!signedInEnough) {
      const query = new URLSearchParams({ return: `/interaction/${details.uid}` })
      if (needSecondFactor) query.set('mfa', '1')
      if (fresh || auth) query.set('fresh', '1')
      return reply.redirect(`/sign-in?${query}`, 303)
    }

    const clientId = String(params.client_id)
    const client = await ctx.store.oidc.getClient(clientId)
    const meta = options.meta(request)
    if (!client || client.organisationId !== auth.account.organisationId) {
      await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'oidc.refused', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, reason: 'client_of_another_organisation', details: { clientId } })
      handOver(reply)
      return provider.interactionFinished(request.raw, reply.raw, { error: 'access_denied', error_description: 'this application belongs to another organisation' }, { mergeWithLastSubmission: false })
    }

    if (prompt.name === 'login') {
      const amr = auth.session.amr
      await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'oidc.signed_in', organisationId: client.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { clientId, amr } })
      handOver(reply)
      return provider.interactionFinished(
        request.raw,
        reply.raw,
        { login: { accountId: auth.account.id, amr, acr: amr.includes('mfa') ? ACR_SECOND_FACTOR : ACR_PASSWORD, ts: Math.floor(auth.session.authenticatedAt.getTime() / 1000), remember: false } },
        { mergeWithLastSubmission: false },
      )
    }

    // Consent: the organisation's admin registered the application, so its users need not be asked.
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: auth.account.id, clientId })
    if (!grant) return expired(request, reply, stylesheet)
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> }
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '))
    const grantId = await grant.save()
    handOver(reply)
    return provider.interactionFinished(request.raw, reply.raw, { consent: { grantId } }, { mergeWithLastSubmission: true })
  })

  return async () => (await load()).provider
}

function safeJson(value: string): never | undefined {
  try {
    return JSON.parse(value) as never
  } catch {
    return undefined
  }
}

/** The interaction's cookie is gone or expired: back to the application, which starts again. */
function expired(request: FastifyRequest, reply: FastifyReply, stylesheet: string | null) {
  const language = request.language
  return reply
    .status(400)
    .type('text/html; charset=utf-8')
    .send(page(language, stylesheet, pageText(language, 'errorTitle'), `<p>${pageText(language, 'errorLead')}</p><p><a href="/account/security">${pageText(language, 'backToAccount')}</a></p>`))
}
