import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { CountersignError } from '../domain/errors.js'
import { bytesEqual, sha256 } from '../domain/clock.js'
import { parseToken, secretMatches } from '../domain/tokens.js'
import { errorResponses, languageFrom, passwordRejectionMessage, translate, type Language } from '../i18n/messages.js'
import type { AdminActor, Context, RequestMeta } from '../use-cases/context.js'
import { resolveSession } from '../use-cases/sessions.js'
import { isStoreUnavailable } from '../store/store.js'
import { Cookies } from './cookies.js'
import { Router, type Guards } from './router.js'
import { accountRoutes } from './routes/account.js'
import { codeRoutes } from './routes/codes.js'
import { adminRoutes } from './routes/admin.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { forwardAuthRoutes } from './routes/forward-auth.js'
import { healthRoutes } from './routes/health.js'
import { signInRoutes } from './routes/sign-in.js'
import { wantsPage, webPages } from './routes/web-pages.js'
import { authenticatorApp } from './routes/authenticator-app.js'
import { authenticatorRoutes } from './routes/authenticator.js'
import { trackEventStreams } from './event-stream.js'
import { oidcRoutes } from './routes/oidc.js'
import { oidcClientRoutes } from './routes/oidc-clients.js'

declare module 'fastify' {
  interface FastifyRequest {
    language: Language
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** CSP without inline script or style, no plugins, no base, no framing (SC-13, CS-05). */
const CSP_DIRECTIVES: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/** Headers for answers Fastify gives before the hooks run (frameworkErrors). */
const FALLBACK_HEADERS = {
  'content-security-policy': Object.entries(CSP_DIRECTIVES)
    .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
    .join(';'),
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

/**
 * Builds the HTTP server: security headers, the CSRF rule, one error handler mapping the error
 * catalogue, and the routes. No listening here; `main.ts` does that, tests call `app.inject()`.
 */
export async function buildApp(ctx: Context, options: { log?: boolean; logStream?: NodeJS.WritableStream } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify's logger is pino; secrets never reach it (SR-07): no bodies are logged, and the
    // headers that carry tokens are redacted.
    logger: options.log
      ? {
          level: ctx.config.logLevel,
          redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
          // The app's signed GET requests carry their signature in the query: not in the log.
          serializers: { req: (request: { method: string; url: string; ip?: string }) => ({ method: request.method, url: request.url.replace(/([?&]signature=)[^&]*/g, '$1[redacted]'), ip: request.ip }) },
          ...(options.logStream ? { stream: options.logStream } : {}),
        }
      : false,
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: parseTrustProxy(ctx.config.trustProxy),
    // IV-06: `__proto__` and `constructor.prototype` in a body are a 400, never merged.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: false },
    // Router-level errors (a malformed percent-encoding, an over-long parameter) are answered
    // before any hook runs: give them the catalogue's shape and the security headers too.
    // Errors of Node's HTTP parser (oversized headers, a malformed request line) are answered on
    // the socket, below the router: in the catalogue's shape with the security headers as well.
    clientErrorHandler(error, socket) {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return
      const overflow = (error as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW'
      const code = overflow ? 'HEADERS_TOO_LARGE' : 'INVALID_REQUEST'
      const { status, message } = errorResponses[code]
      const body = JSON.stringify({ error: { code, message: translate('en', message) } })
      const headers = Object.entries({ ...FALLBACK_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
        .map(([name, value]) => `${name}: ${value}`)
        .join('\r\n')
      if (socket.writable) socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n\r\n${body}`)
      socket.destroy()
    },
    frameworkErrors(error, request, rawReply) {
      const reply = rawReply as unknown as FastifyReply
      for (const [name, value] of Object.entries(FALLBACK_HEADERS)) reply.header(name, value)
      const language = languageFrom(request.headers['accept-language'])
      const tooLong = (error as FastifyError).code === 'FST_ERR_MAX_PARAM_LENGTH'
      void reply.status(tooLong ? 404 : 400).send({
        error: tooLong
          ? { code: 'NOT_FOUND', message: translate(language, 'error.notFound') }
          : { code: 'INVALID_REQUEST', message: translate(language, 'error.invalidField', { field: 'path', detail: 'is not a valid URL' }), field: 'path' },
      })
    },
  })
  const cookies = new Cookies(ctx.config.publicUrl, ctx.config.cookieDomain)
  const publicOrigin = new URL(ctx.config.publicUrl).origin
  const https = ctx.config.publicUrl.startsWith('https://')

  app.removeContentTypeParser('text/plain')
  await app.register(cookie)
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CSP_DIRECTIVES, ...(https ? { upgradeInsecureRequests: [] } : {}) },
    },
    // SC-13: HSTS only means something on https.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    // Agrees with frame-ancestors 'none' for browsers that only know the old header (CS-05).
    frameguard: { action: 'deny' },
  })

  app.addHook('onRequest', async (request, reply) => {
    // The page's language switch (cookie `cs_lang`) wins over the browser's Accept-Language.
    const chosen = request.cookies.cs_lang
    request.language = chosen === 'en' || chosen === 'nl' ? chosen : languageFrom(request.headers['accept-language'])
    reply.header('Cache-Control', 'no-store')
    reply.header('Vary', 'Accept-Language, Cookie, Origin')
    if (SAFE_METHODS.has(request.method)) return
    // The OpenID Connect endpoints are called across origins by design (token requests, logout
    // forms) and protect themselves: client authentication, PKCE, the logout form's own token.
    if (request.url.startsWith('/oidc/')) return
    // CSRF (API.md): an unsafe request from a browser must come from our own origin. A bearer
    // client without our cookies is not a browser; a request without cookies, Origin or
    // Sec-Fetch-Site is curl. A request that carries a cookie is checked whatever else it says.
    if (/^Bearer /i.test(request.headers.authorization ?? '') && !cookies.has(request)) return
    const origin = request.headers.origin
    const site = request.headers['sec-fetch-site']
    if (origin !== undefined) {
      if (origin !== publicOrigin) throw new CountersignError('CSRF_REJECTED')
      return
    }
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new CountersignError('CSRF_REJECTED')
    if (cookies.has(request) && site !== 'same-origin') throw new CountersignError('CSRF_REJECTED')
  })

  app.setErrorHandler((error: FastifyError | CountersignError, request, reply) => {
    const language = request.language ?? 'en'
    const known = toCountersignError(error)
    if (!known) {
      request.log.error({ err: error }, 'unhandled error')
      return reply.status(500).send({ error: { code: 'INTERNAL', message: translate(language, 'error.internal') } })
    }
    if (known.code === 'UNAVAILABLE') request.log.warn({ err: error }, 'database unavailable')
    const response = errorResponses[known.code]
    if (known.retryAfterSeconds !== undefined) reply.header('Retry-After', String(known.retryAfterSeconds))
    const message =
      known.code === 'INVALID_REQUEST' && known.field
        ? translate(language, 'error.invalidField', { field: known.field, detail: known.message === known.code ? '' : known.message })
        : known.code === 'PASSWORD_REJECTED'
          ? translate(language, passwordRejectionMessage(known.details?.reason), { minLength: String(known.details?.minLength ?? '') })
          : translate(language, response.message)
    return reply.status(response.status).send({
      error: {
        code: known.code,
        message,
        ...(known.field ? { field: known.field } : {}),
        // The technical detail of a 400, in English, for integrators (the message is translated).
        ...(known.code === 'INVALID_REQUEST' && known.message !== known.code ? { detail: known.message } : {}),
        ...(known.details ?? {}),
      },
    })
  })
  const webIndex = await webPages(app, ctx.config.webDir)
  await authenticatorApp(app, ctx.config.appDir)
  // The provider's pages wear the web UI's stylesheet when the UI is built.
  await oidcRoutes(app, ctx, cookies, { stylesheet: /href="(\/assets\/[^"]+\.css)"/.exec(webIndex ?? '')?.[1] ?? null, meta: requestMeta })
  app.setNotFoundHandler((request, reply) => {
    if (webIndex && wantsPage(request)) return reply.status(404).type('text/html; charset=utf-8').send(webIndex)
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: translate(request.language ?? 'en', 'error.notFound') } })
  })

  const guards: Guards = {
    meta: (request) => requestMeta(request),
    async session(request, access) {
      const auth = await resolveSession(ctx, cookies.read(request, 'session'))
      if (!auth) throw new CountersignError('SESSION_REQUIRED')
      if (access === 'enrolment') return auth
      if (auth.session.restrictedToEnrolment) throw new CountersignError('ENROLMENT_REQUIRED')
      if (auth.account.mustChangePassword && access !== 'password') throw new CountersignError('PASSWORD_CHANGE_REQUIRED')
      return auth
    },
    async admin(request) {
      const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
      if (bearer !== undefined) return adminFromToken(ctx, bearer)
      const auth = await guards.session(request, 'session')
      if (auth.account.role === 'staff') return { kind: 'staff', actor: `account:${auth.account.id}`, accountId: auth.account.id }
      if (auth.account.role === 'admin' && auth.account.organisationId) {
        return { kind: 'organisation_admin', actor: `account:${auth.account.id}`, accountId: auth.account.id, organisationId: auth.account.organisationId }
      }
      throw new CountersignError('FORBIDDEN')
    },
  }
  trackEventStreams(app)
  const router = new Router(app, guards)
  healthRoutes(router, ctx)
  signInRoutes(router, ctx, cookies)
  accountRoutes(router, ctx, cookies)
  codeRoutes(router, ctx, cookies)
  adminRoutes(router, ctx)
  lifecycleRoutes(router, ctx, cookies)
  oidcClientRoutes(router, ctx)
  forwardAuthRoutes(router, ctx, cookies)
  authenticatorRoutes(router, ctx)
  router.route(
    { method: 'GET', url: '/api/v1/openapi.json', summary: 'This document', tag: 'meta', access: 'none', responses: { 200: { description: 'OpenAPI 3.1' } } },
    async () => router.openApi({ title: 'Countersign', version: '1', serverUrl: ctx.config.publicUrl }),
  )
  return app
}

function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent']
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null, language: request.language ?? 'en' }
}

/** The bootstrap token (`COUNTERSIGN_ADMIN_TOKEN`) or a stored API token; 401 for anything else. */
async function adminFromToken(ctx: Context, presented: string): Promise<AdminActor> {
  const bootstrap = ctx.config.adminToken
  if (bootstrap !== undefined && bytesEqual(sha256(presented), sha256(bootstrap))) {
    return { kind: 'staff', actor: 'token:bootstrap', accountId: null }
  }
  const parsed = parseToken(presented.startsWith('cs_') ? presented.slice(3) : null)
  const token = parsed ? await ctx.store.apiTokens.get(parsed.id) : undefined
  if (!parsed || !token || !secretMatches(token.secretHash, parsed.secret)) throw new CountersignError('SESSION_REQUIRED')
  await ctx.store.apiTokens.touch(token.id, ctx.clock.now())
  return token.organisationId
    ? { kind: 'organisation_admin', actor: `token:${token.id}`, accountId: null, organisationId: token.organisationId }
    : { kind: 'staff', actor: `token:${token.id}`, accountId: null }
}

/** Fastify's own errors (body parsing, limits) mapped onto the catalogue. */
function toCountersignError(error: unknown): CountersignError | null {
  if (error instanceof CountersignError) return error
  const fastifyError = error as Partial<FastifyError>
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CountersignError('PAYLOAD_TOO_LARGE')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CountersignError('UNSUPPORTED_MEDIA_TYPE')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CountersignError('INVALID_REQUEST', { field: 'body', detail: 'is empty' })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CountersignError('INVALID_REQUEST', { field: 'body', detail: 'is not valid JSON' })
  }
  if (fastifyError.statusCode === 400 || error instanceof SyntaxError) {
    return new CountersignError('INVALID_REQUEST', { field: 'body', detail: 'is not valid JSON' })
  }
  if (fastifyError.statusCode === 413) return new CountersignError('PAYLOAD_TOO_LARGE')
  if (isStoreUnavailable(error)) return new CountersignError('UNAVAILABLE', { retryAfterSeconds: 1, cause: error })
  if (fastifyError.statusCode === 415) return new CountersignError('UNSUPPORTED_MEDIA_TYPE')
  return null
}

function parseTrustProxy(value: string): boolean | string[] {
  if (value === 'false' || value === '') return false
  if (value === 'true') return true
  return value.split(',').map((part) => part.trim())
}
