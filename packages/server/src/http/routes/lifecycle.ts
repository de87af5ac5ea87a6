import { ChangePasswordBody, PasswordResetCompleteBody, PasswordResetRequestBody, SessionList, SessionsEnded, UserSummary } from '@countersign/protocol'
import { z } from 'zod'
import type { Context } from '../../use-cases/context.js'
import { accountOrNotFound } from '../../use-cases/administration.js'
import { adminSendPasswordReset, changePassword, completePasswordReset, requestPasswordReset } from '../../use-cases/passwords.js'
import { endOtherSessions, endOwnSession, listSessions } from '../../use-cases/sessions.js'
import { adminEndSessions, adminListSessions, deactivateUser, deleteUser, reactivateUser } from '../../use-cases/user-lifecycle.js'
import type { Cookies } from '../cookies.js'
import type { Router } from '../router.js'
import { limitPerIp } from './sign-in.js'

/*
 * The account lifecycle's routes (issue 17): one's password and sessions, "Forgot your
 * password?", and an admin's hold on a user's sessions, activation and existence.
 */

const Id = z.string().min(1).max(64)
const SessionParams = z.strictObject({ id: Id })
const UserParams = z.strictObject({ id: Id })
const signedIn = { 401: { description: 'SESSION_REQUIRED' } }
const denied = { 401: { description: 'SESSION_REQUIRED: no valid token or session' }, 403: { description: 'FORBIDDEN: another organisation, not an admin, or yourself' }, 404: { description: 'NOT_FOUND' } }
const rejected = { 422: { description: 'PASSWORD_REJECTED: too short, common, built on the user name…; `reason` says which, the message in words' } }

/**
 * Reset requests still being handled after their answer went out; `settled()` waits for them
 * (tests, and a clean shutdown).
 */
const pendingResets = new Set<Promise<void>>()
export async function passwordResetsSettled(): Promise<void> {
  while (pendingResets.size > 0) await Promise.allSettled([...pendingResets])
}

export function lifecycleRoutes(router: Router, ctx: Context, cookies: Cookies) {
  router.route(
    {
      method: 'PUT',
      url: '/api/v1/account/password',
      summary: 'Change my password: the current one, and a new one that meets the rules; every other session ends (SC-09)',
      tag: 'account',
      access: 'password',
      body: ChangePasswordBody,
      responses: { 200: { description: '`{"endedSessions"}`' }, 401: { description: 'CREDENTIALS_INVALID: the current password is wrong; SESSION_REQUIRED' }, 403: { description: 'REAUTHENTICATION_REQUIRED' }, ...rejected, 429: { description: 'RATE_LIMITED' } },
    },
    async ({ auth, body, meta }) => changePassword(ctx, auth, body, meta),
  )
  router.route(
    { method: 'GET', url: '/api/v1/account/sessions', summary: 'Where I am signed in, this browser marked (SC-12)', tag: 'account', access: 'enrolment', responses: { 200: { description: 'sessions and the organisation’s limits', schema: SessionList }, ...signedIn } },
    async ({ auth }) => listSessions(ctx, auth.account, auth.organisation, auth.session.id),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/account/sessions/:id', summary: 'End one of my sessions (this one: sign out)', tag: 'account', access: 'enrolment', params: SessionParams, responses: { 204: { description: 'ended' }, 404: { description: 'NOT_FOUND' }, ...signedIn } },
    async ({ auth, params, meta, reply }) => {
      await endOwnSession(ctx, auth, params.id, meta)
      if (params.id === auth.session.id) cookies.clear(reply, 'session')
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'POST', url: '/api/v1/account/sessions/end-others', summary: 'Sign out everywhere else: every other session and app token ends', tag: 'account', access: 'enrolment', responses: { 200: { description: 'how many ended', schema: SessionsEnded }, ...signedIn } },
    async ({ auth, meta }) => endOtherSessions(ctx, auth, meta),
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/password-reset',
      summary: 'Forgot your password? A reset link to the account’s own address; the same 202 whether or not it exists (EN-03, RB-04)',
      tag: 'sign-in',
      access: 'none',
      body: PasswordResetRequestBody,
      responses: { 202: { description: '`{"accepted":true}`, always alike' }, 400: { description: 'INVALID_REQUEST: not one user name or address (arrays are refused)' }, 429: { description: 'RATE_LIMITED: too many from this address' } },
    },
    async ({ body, meta, reply, request }) => {
      await limitPerIp(ctx, 'password-reset', meta.ip, ctx.config.rateLimitPasswordResetPerMinute)
      // Answered before anything is looked up: neither the answer nor its timing tells who exists.
      const work = requestPasswordReset(ctx, body, meta)
        .catch((error: unknown) => request.log.error({ err: error }, 'password reset request failed'))
        .finally(() => pendingResets.delete(work))
      pendingResets.add(work)
      return reply.status(202).send({ accepted: true })
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/password-reset/complete',
      summary: 'A new password with the link’s token; never signs in, the next sign-in still asks for the second factor',
      tag: 'sign-in',
      access: 'none',
      body: PasswordResetCompleteBody,
      responses: { 200: { description: '`{"username"}`: sign in with the new password' }, 400: { description: 'RESET_LINK_INVALID: used, expired, replaced or unknown' }, ...rejected },
    },
    async ({ body, meta }) => {
      await limitPerIp(ctx, 'password-reset-complete', meta.ip, ctx.config.rateLimitPasswordPerMinute)
      return completePasswordReset(ctx, body, meta)
    },
  )

  router.route(
    { method: 'GET', url: '/api/v1/admin/users/:id/sessions', summary: 'A user’s sessions (SC-12)', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'sessions', schema: SessionList }, ...denied } },
    async ({ admin, params }) => adminListSessions(ctx, admin, params.id),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/sessions/end', summary: 'Sign the user out everywhere: sessions and app tokens (SC-12)', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'how many ended', schema: SessionsEnded }, ...denied } },
    async ({ admin, params, meta }) => adminEndSessions(ctx, admin, params.id, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/password-reset', summary: 'E-mail the user a password reset link', tag: 'admin', access: 'admin', params: UserParams, responses: { 202: { description: '`{"sentTo", "expiresAt"}`' }, ...denied } },
    async ({ admin, params, meta, reply }) => reply.status(202).send(await adminSendPasswordReset(ctx, admin, await accountOrNotFound(ctx, admin, params.id), meta)),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/deactivate', summary: 'Deactivate: no sign-in, every session ends, the account stays for the audit', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'user', schema: UserSummary }, ...denied } },
    async ({ admin, params, meta }) => deactivateUser(ctx, admin, params.id, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/reactivate', summary: 'Let a deactivated user sign in again', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'user', schema: UserSummary }, ...denied } },
    async ({ admin, params, meta }) => reactivateUser(ctx, admin, params.id, meta),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/admin/users/:id', summary: 'Erase a user: personal data removed, audit events kept under a pseudonym', tag: 'admin', access: 'admin', params: UserParams, responses: { 204: { description: 'erased' }, ...denied } },
    async ({ admin, params, meta, reply }) => {
      await deleteUser(ctx, admin, params.id, meta)
      return reply.status(204).send()
    },
  )
}
