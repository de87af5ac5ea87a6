import { CodeBody, EmailChangeBody, OutboxEntry, OutboxQuery, PhoneBody, ReauthenticationCodeBody, SendCodeBody, SentCode } from '@countersign/protocol'
import { z } from 'zod'
import { MINUTE_MS } from '../../domain/clock.js'
import { CountersignError } from '../../domain/errors.js'
import { startEmailChange, startPhoneChange, verifyEmailChange, verifyPhone } from '../../use-cases/contact-details.js'
import type { Context } from '../../use-cases/context.js'
import { sendReauthenticationCode } from '../../use-cases/reauthenticate.js'
import { describeSession } from '../../use-cases/sessions.js'
import { sendSignInCode } from '../../use-cases/sign-in-codes.js'
import type { Cookies } from '../cookies.js'
import type { Router } from '../router.js'

const sent = { 202: { description: 'sent; `sentTo` is masked', schema: SentCode } }
const throttled = { 429: { description: 'RESEND_TOO_SOON (cool-down, per-account and per-recipient budgets) or RATE_LIMITED (organisation budget), with Retry-After' } }
const failed = { 502: { description: 'DELIVERY_FAILED: the provider did not take the message; try another method' } }

/**
 * One-time codes by SMS and e-mail (issue 5): the sign-in's "Send me a code" (F-OTP-1, F-OTP-2),
 * the code that confirms it is you before a sensitive change, registering a phone and changing
 * the e-mail address with a code (F-SET-2), and the development outbox (F-OTP-5).
 */
export function codeRoutes(router: Router, ctx: Context, cookies: Cookies) {
  router.route(
    {
      method: 'POST',
      url: '/api/v1/sign-in/send-code',
      summary: 'Send a code by SMS or e-mail for the sign-in in progress; a new code voids the previous one (F-OTP-1, F-OTP-2)',
      tag: 'sign-in',
      access: 'none',
      body: SendCodeBody,
      responses: { ...sent, 400: { description: 'INVALID_REQUEST: the method is not offered' }, 410: { description: 'FLOW_EXPIRED' }, 423: { description: 'ACCOUNT_LOCKED' }, ...throttled, ...failed },
    },
    async ({ body, meta, request, reply }) => {
      // Per IP, like the code step; the per-account and per-recipient budgets are the use-case's.
      const now = ctx.clock.now().getTime()
      const windowStart = now - (now % MINUTE_MS)
      if ((await ctx.store.rateLimits.hit(`send-code:${meta.ip ?? 'unknown'}`, new Date(windowStart))) > ctx.config.rateLimitCodePerMinute) {
        throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: Math.ceil((windowStart + MINUTE_MS - now) / 1000) })
      }
      const result = await sendSignInCode(ctx, { flowToken: body.flowId ?? cookies.read(request, 'flow'), method: body.method }, meta)
      return reply.status(202).send(result)
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/reauthenticate/send-code',
      summary: 'Send a code by SMS or e-mail for "Confirm it is you"; then POST /api/v1/account/reauthenticate with the password and that code',
      tag: 'account',
      access: 'session',
      body: ReauthenticationCodeBody,
      responses: { ...sent, 400: { description: 'INVALID_REQUEST: the method is not set up for this account' }, 423: { description: 'ACCOUNT_LOCKED' }, ...throttled, ...failed },
    },
    async ({ auth, body, meta, reply }) => reply.status(202).send(await sendReauthenticationCode(ctx, auth, body, meta)),
  )

  router.route(
    {
      method: 'PUT',
      url: '/api/v1/account/phone',
      summary: 'Register a mobile number: a code is sent to it; the number counts once verified (F-SET-2)',
      tag: 'account',
      access: 'enrolment',
      body: PhoneBody,
      responses: { ...sent, 400: { description: 'INVALID_REQUEST naming `phone`' }, 403: { description: 'REAUTHENTICATION_REQUIRED' }, ...throttled, ...failed },
    },
    async ({ auth, body, meta, reply }) => reply.status(202).send(await startPhoneChange(ctx, auth, body, meta)),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/phone/verify',
      summary: 'Verify the number with its code; in forced enrolment this completes it (F-SET-2, F-OTP-4)',
      tag: 'account',
      access: 'enrolment',
      body: CodeBody,
      responses: { 200: { description: '`{"phone", "phoneVerified"}` (masked), and `session` when enrolment completed' }, 401: { description: 'CODE_INVALID' }, 423: { description: 'ACCOUNT_LOCKED' } },
    },
    async ({ auth, body, meta, reply }) => {
      const result = await verifyPhone(ctx, auth, body, meta)
      if (result.replacement) cookies.set(reply, 'session', result.replacement.token)
      return { phone: result.phone, phoneVerified: true, ...(result.replacement ? { session: describeSession(result.replacement.auth) } : {}) }
    },
  )
  router.route(
    {
      method: 'PUT',
      url: '/api/v1/account/email',
      summary: 'Change the e-mail address: a code goes to the new address (F-SET-2)',
      tag: 'account',
      access: 'session',
      body: EmailChangeBody,
      responses: { ...sent, 400: { description: 'INVALID_REQUEST naming `email`' }, 403: { description: 'REAUTHENTICATION_REQUIRED' }, ...throttled, ...failed },
    },
    async ({ auth, body, meta, reply }) => reply.status(202).send(await startEmailChange(ctx, auth, body, meta)),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/email/verify',
      summary: 'Confirm the new e-mail address with its code; the old and the new address are told',
      tag: 'account',
      access: 'session',
      body: CodeBody,
      responses: { 200: { description: '`{"email"}`' }, 401: { description: 'CODE_INVALID' }, 423: { description: 'ACCOUNT_LOCKED' } },
    },
    async ({ auth, body, meta }) => verifyEmailChange(ctx, auth, body, meta),
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/dev/outbox',
      summary: 'Development outbox: messages not sent but kept, newest first; 404 when no channel uses it (F-OTP-5)',
      tag: 'development',
      access: 'none',
      query: OutboxQuery,
      responses: { 200: { description: 'messages', schema: z.array(OutboxEntry) }, 404: { description: 'NOT_FOUND: e-mail and SMS go to real providers' } },
    },
    async ({ query }) => {
      if (ctx.delivery.outboxChannels.length === 0) throw new CountersignError('NOT_FOUND')
      const messages = await ctx.store.outbox.list(query.to, 100)
      return messages.map((m) => ({ channel: m.channel, to: m.to, subject: m.subject, text: m.text, sentAt: m.sentAt.toISOString() }))
    },
  )
}
