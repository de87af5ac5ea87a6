import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import { languageFrom, translate, type Language } from '../i18n/messages.js'
import { accountLocked, fullySignedIn, resolveSession, signOut, type Authenticated } from '../use-cases/sessions.js'
import type { Context } from '../use-cases/context.js'
import { storeAdapter } from './adapter.js'
import { loadSigningKeys } from './keys.js'
import { escapeHtml, page, pageText } from './pages.js'

/** The `acr` values Countersign issues: a password alone, or a password and a second factor. */
export const ACR_PASSWORD = 'pwd'
export const ACR_SECOND_FACTOR = 'mfa'

export interface OidcOptions {
  /** The name of the Countersign session cookie (`cs_session`, `__Host-cs_session` on https). */
  sessionCookie: string
  /** The `Set-Cookie` value that clears it (with its Domain when forward auth shares it). */
  clearSessionCookie: string
  /** The web UI's stylesheet, so the provider's few pages look like the rest. */
  stylesheet: string | null
}

function languageOf(kctx: Pick<KoaContextWithOIDC, 'cookies' | 'get'>): Language {
  const chosen = kctx.cookies.get('cs_lang')
  return chosen === 'en' || chosen === 'nl' ? chosen : languageFrom(kctx.get('accept-language') || undefined)
}

/** True when the application asked for a second factor (`acr_values=mfa`, or an essential `acr` claim). */
export function wantsSecondFactor(params: Record<string, unknown>, claims?: { id_token?: { acr?: { essential?: boolean; value?: string; values?: string[] } } }): boolean {
  const values = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : []
  const acr = claims?.id_token?.acr
  const essential = acr?.essential ? [acr.value, ...(acr.values ?? [])] : []
  return [...values, ...essential].includes(ACR_SECOND_FACTOR)
}

/**
 * The Countersign session behind a provider request, if it may sign in to an application: not
 * restricted to enrolment (SC-03, RB-02), and not of a locked account (BF-08: a lock stops every
 * pathway, also a session made before it). Otherwise the browser goes to the sign-in page, which
 * says why.
 */
export async function countersignSession(ctx: Context, token: string | undefined): Promise<Authenticated | null> {
  const auth = await resolveSession(ctx, token)
  if (!auth || !fullySignedIn(auth) || (await accountLocked(ctx, auth.account.id))) return null
  return auth
}

/**
 * The OpenID Connect provider (oidc-provider, certified), issuer `${publicUrl}/oidc` (issue 7):
 * authorization code with PKCE, refresh tokens, RP-initiated logout, discovery, JWKS. Its storage
 * is the Store; its interactions are our sign-in pages. The provider's own login session never
 * outlives a Countersign session: every authorization checks the `cs_session` too, and asks for
 * a second factor when the application wants one and this sign-in had none.
 */
export async function createOidcProvider(ctx: Context, options: OidcOptions): Promise<Provider> {
  const issuer = `${ctx.config.publicUrl}/oidc`
  const keys = await loadSigningKeys(ctx)
  const secure = ctx.config.publicUrl.startsWith('https://')
  const cookieKey = ctx.sealer.codeHmac('oidc-provider', 'cookie-signing').toString('base64url')

  const policy = interactionPolicy.base()
  const login = policy.get('login')!
  login.checks.add(
    new interactionPolicy.Check('countersign_session', 'a Countersign sign-in is required', async (kctx) => {
      const auth = await countersignSession(ctx, kctx.cookies.get(options.sessionCookie))
      if (!auth || auth.account.id !== kctx.oidc.session?.accountId) return interactionPolicy.Check.REQUEST_PROMPT
      return interactionPolicy.Check.NO_NEED_TO_PROMPT
    }),
  )
  login.checks.add(
    new interactionPolicy.Check('second_factor_required', 'the application asks for a second factor', (kctx) => {
      if (!wantsSecondFactor(kctx.oidc.params ?? {}, kctx.oidc.claims as never)) return interactionPolicy.Check.NO_NEED_TO_PROMPT
      return kctx.oidc.session?.acr === ACR_SECOND_FACTOR ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT
    }),
  )

  const configuration: Configuration = {
    adapter: storeAdapter(ctx) as never,
    jwks: { keys: keys as never },
    cookies: {
      keys: [cookieKey],
      // On https the provider's cookies carry the browser-enforced prefixes (issue 22): its session
      // cookie is host-only at `/` (`__Host-`); the interaction cookies are path-scoped, so
      // `__Secure-` is the strongest their paths allow. Secure whenever the public URL is https.
      names: secure
        ? { session: '__Host-cs_oidc_session', interaction: '__Secure-cs_oidc_interaction', resume: '__Secure-cs_oidc_resume' }
        : { session: 'cs_oidc_session', interaction: 'cs_oidc_interaction', resume: 'cs_oidc_resume' },
      long: { signed: true, secure, sameSite: 'lax', httpOnly: true, path: '/' },
      short: { signed: true, secure, sameSite: 'lax', httpOnly: true },
    },
    pkce: { required: () => true },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'email', 'organisation'],
    claims: {
      // How the user signed in belongs in every ID token: with the `openid` scope.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      organisation: ['organisation'],
    },
    acrValues: [ACR_PASSWORD, ACR_SECOND_FACTOR],
    extraClientMetadata: { properties: ['organisation_id'] },
    clientBasedCORS: (_kctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
    },
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      // The `claims` parameter (OIDC Core 5.5): an essential `acr` claim with the value `mfa` asks
      // for a second factor as `acr_values=mfa` does (docs/oidc.md).
      claimsParameter: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(kctx, form) {
          const language = languageOf(kctx)
          // The sign-out form's answer redirects to the application: the CSP's form-action must
          // allow that one origin (browsers check form-action on redirects too).
          // A target that is not a URL is refused by the provider before any redirect.
          const target = typeof kctx.oidc.params?.post_logout_redirect_uri === 'string' ? URL.parse(kctx.oidc.params.post_logout_redirect_uri) : null
          const csp = kctx.response.get('content-security-policy')
          if (target && csp) kctx.set('content-security-policy', csp.replace(/form-action 'self'/, `form-action 'self' ${target.origin}`))
          const client = kctx.oidc.client?.clientName ?? 'Countersign'
          kctx.body = page(
            language,
            options.stylesheet,
            pageText(language, 'logoutTitle'),
            `${form}<p>${pageText(language, 'logoutQuestion', { client })}</p>
<div class="actions"><button class="button button-primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${pageText(language, 'logoutYes')}</button>
<button class="button button-secondary" type="submit" form="op.logoutForm">${pageText(language, 'logoutNo')}</button></div>`,
          )
        },
        async postLogoutSuccessSource(kctx) {
          const language = languageOf(kctx)
          const client = kctx.oidc.client?.clientName ?? 'Countersign'
          kctx.body = page(language, options.stylesheet, pageText(language, 'loggedOutTitle'), `<p>${pageText(language, 'loggedOut', { client })}</p>`)
        },
      },
    },
    interactions: {
      policy,
      url: (_kctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async loadExistingGrant(kctx) {
      // First-party applications registered by the organisation's admin: no consent screen.
      // The grant covers what the client asked for; the interaction made sure it is the user's
      // own organisation's client.
      const grantId = kctx.oidc.result?.consent?.grantId ?? kctx.oidc.session?.grantIdFor(kctx.oidc.client!.clientId)
      if (grantId) return kctx.oidc.provider.Grant.find(grantId)
      return undefined
    },
    async findAccount(kctx, sub) {
      const account = await ctx.store.accounts.get(sub)
      if (!account || account.deactivatedAt) return undefined
      // Also asked on every refresh: a locked account (BF-08), or one no longer in the client's
      // organisation, gets no more tokens.
      if (await accountLocked(ctx, sub)) return undefined
      const clientOrganisation = (kctx.oidc?.client?.metadata() as { organisation_id?: string } | undefined)?.organisation_id
      if (clientOrganisation !== undefined && clientOrganisation !== account.organisationId) return undefined
      const organisation = account.organisationId ? await ctx.store.organisations.get(account.organisationId) : undefined
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: account.username,
            name: account.username,
            email: account.email,
            ...(organisation ? { organisation: organisation.slug } : {}),
          }
        },
      }
    },
    async renderError(kctx, out) {
      const language = languageOf(kctx)
      kctx.type = 'html'
      kctx.body = page(
        language,
        options.stylesheet,
        pageText(language, 'errorTitle'),
        `<p>${pageText(language, 'errorLead')}</p><p class="muted">${pageText(language, 'errorCode')}: <code>${escapeHtml(out.error)}</code>${out.error_description ? ` — ${escapeHtml(out.error_description)}` : ''}</p><p><a href="/account/security">${pageText(language, 'backToAccount')}</a></p>`,
      )
    },
  }

  const provider = new Provider(issuer, configuration)
  // Redirect URIs are compared as exact strings, as registered (RB-10, OAuth 2.0 Security BCP),
  // not after URL normalisation: `https://APP.example.com/cb` is not `https://app.example.com/cb`.
  const clientPrototype = provider.Client.prototype as unknown as {
    redirectUris: string[]
    postLogoutRedirectUris?: string[]
    redirectUriAllowed(value: string): boolean
    postLogoutRedirectUriAllowed(value: string): boolean
  }
  clientPrototype.redirectUriAllowed = function (value) {
    return this.redirectUris.includes(value)
  }
  clientPrototype.postLogoutRedirectUriAllowed = function (value) {
    return (this.postLogoutRedirectUris ?? []).includes(value)
  }
  // oidc-provider 9 leaves a path (or method) it has no route for to Koa's bare `Not Found`: it is
  // answered like every other unknown path of the server.
  provider.use(async (kctx, next) => {
    await next()
    if (kctx.status === 404 && kctx.body == null) {
      kctx.status = 404
      kctx.body = { error: { code: 'NOT_FOUND', message: translate(languageOf(kctx), 'error.notFound') } }
    }
  })
  // Behind a TLS-terminating proxy the public URL says https; trust X-Forwarded-Proto like Fastify does.
  provider.proxy = ctx.config.trustProxy !== undefined && ctx.config.trustProxy !== 'false' && ctx.config.trustProxy !== ''
  // RP-initiated logout signs the user out of Countersign too, not only out of the provider.
  provider.on('end_session.success', (kctx: KoaContextWithOIDC) => {
    const token = kctx.cookies.get(options.sessionCookie)
    kctx.append('Set-Cookie', options.clearSessionCookie)
    void signOut(ctx, token).catch(() => {})
  })
  return provider
}
