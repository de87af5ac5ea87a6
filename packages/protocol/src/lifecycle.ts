import { z } from 'zod'
import { Email, NewPassword, OpaqueToken, PasswordInput, Username } from './schemas.js'

/*
 * The account lifecycle (issue 17): changing and resetting a password, seeing and ending sessions.
 */

/** `PUT /api/v1/account/password`. */
export const ChangePasswordBody = z.strictObject({
  currentPassword: PasswordInput,
  newPassword: NewPassword,
})

/**
 * `POST /api/v1/password-reset`: a user name or an e-mail address, one string; arrays, objects and
 * both at once are refused (GitLab CVE-2023-7028: a link only ever goes to the stored address).
 */
export const PasswordResetRequestBody = z.union([
  z.strictObject({ username: Username }),
  z.strictObject({ email: Email }),
])

/** `POST /api/v1/password-reset/complete`. */
export const PasswordResetCompleteBody = z.strictObject({
  token: OpaqueToken,
  newPassword: NewPassword,
})

/** Why a new password was refused; the message says it in words. */
export const PasswordRejection = z.enum([
  'too_short',
  'common',
  'similar_to_common',
  'personal',
  'repeated',
  'sequence',
  'guessable',
  'same_as_current',
])
export type PasswordRejection = z.infer<typeof PasswordRejection>

/** One signed-in browser or app (SC-12). */
export const SessionSummary = z.object({
  id: z.string(),
  /** The browser this list was asked from. */
  current: z.boolean(),
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  amr: z.array(z.string()),
  signedInAt: z.string(),
  lastSeenAt: z.string(),
  /** When it ends at the latest: its absolute lifetime, or sooner without use (idle timeout). */
  expiresAt: z.string(),
  /** Restricted to setting up a second factor (forced enrolment). */
  restrictedToEnrolment: z.boolean(),
})
export type SessionSummary = z.infer<typeof SessionSummary>

export const SessionList = z.object({
  sessions: z.array(SessionSummary),
  /** The organisation's limits, for the page: minutes without use, hours after sign-in. */
  idleMinutes: z.number().int(),
  maxHours: z.number().int(),
})
export type SessionList = z.infer<typeof SessionList>

export const SessionsEnded = z.object({ ended: z.number().int() })
