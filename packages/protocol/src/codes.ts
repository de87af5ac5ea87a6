import { z } from 'zod'
import { CodeInput, Email, OpaqueToken } from './schemas.js'

/** One-time codes by SMS and e-mail (F-OTP, F-SET-2): bodies and answers. */

export const SendCodeBody = z.strictObject({
  method: z.enum(['sms', 'email']),
  flowId: OpaqueToken.optional(),
})

/** "Send me a code" while re-authenticating for a sensitive change: to the account's own phone or address. */
export const ReauthenticationCodeBody = z.strictObject({
  method: z.enum(['sms', 'email']),
})

/** `sentTo` is always masked; `channel` says where the code really went (F-OTP-4: e-mail). */
export const SentCode = z.object({
  sentTo: z.string(),
  expiresAt: z.string(),
  channel: z.enum(['sms', 'email']).optional(),
})

/** A mobile number as typed; the server checks and normalises it to E.164 (libphonenumber-js). */
export const PhoneBody = z.strictObject({ phone: z.string().trim().min(1).max(32) })
export const CodeBody = z.strictObject({ code: CodeInput })
export const EmailChangeBody = z.strictObject({ email: Email })

export const OutboxQuery = z.strictObject({ to: z.string().trim().min(1).max(254).optional() })
export const OutboxEntry = z.object({
  channel: z.enum(['sms', 'email']),
  to: z.string(),
  subject: z.string().nullable(),
  text: z.string(),
  sentAt: z.string(),
})
