import { FlowAnswer, FlowIdBody, PasskeyDiscoverableBody, PasskeySignInBody, PasswordStepBody, PushCompleteBody, PushStarted, SecondFactorBody, Session as SessionSchema } from '@countersign/protocol'
import type { FastifyReply } from 'fastify'
import { MINUTE_MS } from '../../domain/clock.js'
import { CountersignError } from '../../domain/errors.js'
import { FLOW_LIFETIME_MS } from '../../domain/sign-in/sign-in-flow.js'
import { recordEvent } from '../../use-cases/audit.js'
import type { Context } from '../../use-cases/context.js'
import { describeSession, resolveSession, signOut } from '../../use-cases/sessions.js'
import { loadFlow, passwordStep, secondFactorStep, type SignInResult } from '../../use-cases/sign-in.js'
import { completePush, flowPushState, startPush } from '../../use-cases/push.js'
import { discoverableOptions, discoverableSignIn, passkeySecondFactor, passkeySecondFactorOptions } from '../../use-cases/passkeys.js'
import { channels } from '../../realtime/channels.js'
import { openOwnedEventStream } from '../event-stream.js'
import type { Cookies } from '../cookies.js'
import type { Router } from '../router.js'

/** Per-IP limits on the unauthenticated steps, in fixed one-minute windows (DESIGN.md §4). */
export async function limitPerIp(ctx: Context, bucket: string, ip: string | null, limit: number) {
  const now = ctx.clock.now().getTime()
  const windowStart = now - (now % MINUTE_MS)
  const count = await ctx.store.rateLimits.hit(`${bucket}:${ip ?? 'unknown'}`, new Date(windowStart))
  if (count > limit) throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: Math.ceil((windowStart + MINUTE_MS - now) / 1000) })
}

export function signInRoutes(router: Router, ctx: Context, cookies: Cookies) {
  /** Sets the cookies a sign-in result calls for and renders API.md's flow answer. */
  function render(reply: FastifyReply, result: SignInResult) {
    if (result.state === 'completed') {
      cookies.set(reply, 'session', result.sessionToken)
      cookies.clear(reply, 'flow')
      if (result.rememberToken) {
        const days = result.auth.organisation?.rememberBrowserDays ?? 0
        cookies.set(reply, 'remember', result.rememberToken, days * 86_400)
      }
      return { state: 'completed' as const, session: describeSession(result.auth), ...(result.recoveryCodesLeft !== undefined ? { recoveryCodesLeft: result.recoveryCodesLeft } : {}) }
    }
    cookies.set(reply, 'flow', result.flowToken, FLOW_LIFETIME_MS / 1000)
    if (result.restricted) cookies.set(reply, 'session', result.restricted.sessionToken)
    return {
      state: result.state,
      flowId: result.flowToken,
      expiresAt: result.flow.expiresAt.toISOString(),
      methods: result.flow.methods,
      preferredMethod: result.flow.preferredMethod,
      reason: result.reason,
      ...(result.rememberBrowserDays !== undefined ? { rememberBrowserDays: result.rememberBrowserDays } : {}),
      ...(result.restricted ? { session: describeSession(result.restricted.auth) } : {}),
    }
  }

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/password',
      summary: 'Step one: user name and password (F-LOGIN-1)',
      tag: 'sign-in',
      access: 'none',
      body: PasswordStepBody,
      responses: {
        200: { description: 'completed, awaiting_second_factor or awaiting_enrolment', schema: FlowAnswer },
        400: { description: 'INVALID_REQUEST' },
        401: { description: 'CREDENTIALS_INVALID: unknown user and wrong password alike' },
        423: { description: 'ACCOUNT_LOCKED, only after a correct password' },
        429: { description: 'RATE_LIMITED, with Retry-After' },
        503: { description: 'OVERLOADED: the hashing queue is full, with Retry-After' },
      },
    },
    async ({ body, meta, request, reply }) => {
      await limitPerIp(ctx, 'password', meta.ip, ctx.config.rateLimitPasswordPerMinute)
      const result = await passwordStep(ctx, { username: body.username, password: body.password, requireSecondFactor: body.requireSecondFactor, rememberToken: cookies.read(request, 'remember') }, meta)
      // A session cookie from before never becomes this sign-in's session (SC-02).
      await signOut(ctx, cookies.read(request, 'session'))
      return render(reply, result)
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/second-factor',
      summary: 'Step two: a code from an app, SMS, e-mail or a recovery code (F-LOGIN-2, F-LOGIN-4)',
      tag: 'sign-in',
      access: 'none',
      body: SecondFactorBody,
      responses: {
        200: { description: 'completed, with cs_session (and cs_remember when asked)', schema: FlowAnswer },
        400: { description: 'INVALID_REQUEST' },
        401: { description: 'CODE_INVALID: wrong, expired, replayed, or method not set up' },
        410: { description: 'FLOW_EXPIRED: unknown, expired or used flow' },
        423: { description: 'ACCOUNT_LOCKED' },
        429: { description: 'RATE_LIMITED' },
      },
    },
    async ({ body, meta, request, reply }) => {
      await limitPerIp(ctx, 'code', meta.ip, ctx.config.rateLimitCodePerMinute)
      const result = await secondFactorStep(
        ctx,
        { flowToken: body.flowId ?? cookies.read(request, 'flow'), method: body.method, code: body.code, rememberBrowser: body.rememberBrowser ?? false },
        meta,
      )
      return render(reply, result)
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/passkey/options',
      summary: 'Step two with a passkey: WebAuthn request options for the flow, listing the account’s passkeys (F-X-1)',
      tag: 'sign-in',
      access: 'none',
      body: FlowIdBody.optional(),
      responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON' }, 400: { description: 'INVALID_REQUEST: this sign-in offers no passkey' }, 410: { description: 'FLOW_EXPIRED' }, 429: { description: 'RATE_LIMITED' } },
    },
    async ({ body, meta, request }) => {
      await limitPerIp(ctx, 'code', meta.ip, ctx.config.rateLimitCodePerMinute)
      return passkeySecondFactorOptions(ctx, body?.flowId ?? cookies.read(request, 'flow'))
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/passkey',
      summary: 'Step two with a passkey: the assertion, on the one lockout counter (F-X-1, F-LOGIN-4)',
      tag: 'sign-in',
      access: 'none',
      body: PasskeySignInBody,
      responses: {
        200: { description: 'completed, with cs_session; amr pwd hwk (user) mfa', schema: FlowAnswer },
        400: { description: 'INVALID_REQUEST: not a WebAuthn assertion' },
        401: { description: 'CODE_INVALID: wrong challenge, origin, RP, signature or credential, a counter that went back, or no passkey in this sign-in' },
        410: { description: 'FLOW_EXPIRED' },
        423: { description: 'ACCOUNT_LOCKED' },
        429: { description: 'RATE_LIMITED' },
      },
    },
    async ({ body, meta, request, reply }) => {
      await limitPerIp(ctx, 'code', meta.ip, ctx.config.rateLimitCodePerMinute)
      const result = await passkeySecondFactor(ctx, { flowToken: body.flowId ?? cookies.read(request, 'flow'), response: body.response as never, rememberBrowser: body.rememberBrowser ?? false }, meta)
      return render(reply, result)
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/passkey/discoverable/options',
      summary: 'Sign in with a passkey alone: WebAuthn request options, user verification required',
      tag: 'sign-in',
      access: 'none',
      responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON' }, 429: { description: 'RATE_LIMITED' } },
    },
    async ({ meta }) => {
      await limitPerIp(ctx, 'password', meta.ip, ctx.config.rateLimitPasswordPerMinute)
      return discoverableOptions(ctx)
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/passkey/discoverable',
      summary: 'Sign in with a passkey alone (no user name): amr hwk user mfa; every refusal is CREDENTIALS_INVALID',
      tag: 'sign-in',
      access: 'none',
      body: PasskeyDiscoverableBody,
      responses: {
        200: { description: 'completed, with cs_session', schema: FlowAnswer },
        400: { description: 'INVALID_REQUEST: not a WebAuthn assertion' },
        401: { description: 'CREDENTIALS_INVALID: as a wrong password, whatever the reason' },
        429: { description: 'RATE_LIMITED' },
      },
    },
    async ({ body, meta, reply }) => {
      await limitPerIp(ctx, 'password', meta.ip, ctx.config.rateLimitPasswordPerMinute)
      return render(reply, await discoverableSignIn(ctx, { response: body.response as never }, meta))
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/push',
      summary: 'Step two with the Countersign Authenticator: a push to every paired app and a number to type there (F-PUSH-2, F-PUSH-5)',
      tag: 'sign-in',
      access: 'none',
      body: FlowIdBody.optional(),
      responses: {
        202: { description: 'sent: the number to show, how many devices were asked', schema: PushStarted },
        403: { description: 'FORBIDDEN: push is not offered in this sign-in' },
        410: { description: 'FLOW_EXPIRED' },
        423: { description: 'ACCOUNT_LOCKED' },
        429: { description: 'RATE_LIMITED: 5 pushes in 15 minutes, or push paused after 3 unanswered in a row (details.reason)' },
      },
    },
    async ({ body, meta, request, reply }) => {
      await limitPerIp(ctx, 'code', meta.ip, ctx.config.rateLimitCodePerMinute)
      return reply.status(202).send(await startPush(ctx, { flowToken: body?.flowId ?? cookies.read(request, 'flow') }, meta))
    },
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/sign-in/events',
      summary: 'Event stream for the waiting browser: approved, denied, expired (works across instances)',
      tag: 'sign-in',
      access: 'none',
      responses: { 200: { description: 'text/event-stream' }, 410: { description: 'FLOW_EXPIRED' }, 429: { description: 'RATE_LIMITED: this flow has 4 streams open already' } },
    },
    async ({ request, reply }) => {
      const flow = await loadFlow(ctx, cookies.read(request, 'flow'), 'awaiting_second_factor')
      let wake = () => {}
      const stream = await openOwnedEventStream(request, reply, `flow:${flow.id}`, () => ctx.notifier.subscribe(channels.flow(flow.id), () => wake()))
      wake = () => stream.wake()
      let told = ''
      // Every wake re-reads the flow's current challenge; a timer catches expiry and lost events.
      stream.watch(async () => {
        if (flow.expiresAt <= ctx.clock.now()) {
          stream.send('expired', { flow: true })
          stream.close()
          return
        }
        const state = await flowPushState(ctx, flow.id)
        if (!state?.event) return
        const said = `${state.challengeId}:${state.event}`
        if (said === told) return
        told = said
        stream.send(state.event, { challengeId: state.challengeId, ...(state.reason ? { reason: state.reason } : {}) })
      }, 2000)
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/push/complete',
      summary: 'Continue once the phone approved: the session (amr pwd, swk, mfa)',
      tag: 'sign-in',
      access: 'none',
      body: PushCompleteBody.optional(),
      responses: {
        200: { description: 'completed, with cs_session (and cs_remember when asked)', schema: FlowAnswer },
        403: { description: 'PUSH_DENIED (details.reason: denied, not_me, wrong_number, locked)' },
        404: { description: 'NOT_FOUND: no push was sent in this sign-in' },
        409: { description: 'PUSH_PENDING: no answer yet' },
        410: { description: 'CHALLENGE_EXPIRED or FLOW_EXPIRED' },
        423: { description: 'ACCOUNT_LOCKED' },
      },
    },
    async ({ body, meta, request, reply }) => {
      const result = await completePush(ctx, { flowToken: body?.flowId ?? cookies.read(request, 'flow'), rememberBrowser: body?.rememberBrowser ?? false }, meta)
      return render(reply, result)
    },
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/session',
      summary: 'The current session, with RFC 8176 amr',
      tag: 'sign-in',
      access: 'enrolment',
      responses: { 200: { description: 'Session', schema: SessionSchema }, 401: { description: 'SESSION_REQUIRED' } },
    },
    async ({ auth }) => describeSession(auth),
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-out',
      summary: 'Ends the session',
      tag: 'sign-in',
      access: 'none',
      body: FlowIdBody.optional(),
      responses: { 204: { description: 'signed out' } },
    },
    async ({ request, reply, meta }) => {
      const token = cookies.read(request, 'session')
      const auth = await resolveSession(ctx, token)
      await signOut(ctx, token)
      if (auth) {
        await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'session.ended', organisationId: auth.account.organisationId, actor: `account:${auth.account.id}`, accountId: auth.account.id, reason: 'sign_out' })
      }
      cookies.clear(reply, 'session')
      cookies.clear(reply, 'flow')
      return reply.status(204).send()
    },
  )
}
