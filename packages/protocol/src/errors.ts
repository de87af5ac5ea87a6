/**
 * The error catalogue of API.md: every error answer is `{"error": {"code", "message"}}` with one of
 * these codes. The server maps each code to its HTTP status in one table.
 */
export const errorCodes = [
  'INVALID_REQUEST',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'HEADERS_TOO_LARGE',
  'METHOD_NOT_ALLOWED',
  'CREDENTIALS_INVALID',
  'CODE_INVALID',
  'SESSION_REQUIRED',
  'REAUTHENTICATION_REQUIRED',
  'ENROLMENT_REQUIRED',
  'PASSWORD_CHANGE_REQUIRED',
  'CSRF_REJECTED',
  'FORBIDDEN',
  'PUSH_DENIED',
  'NOT_FOUND',
  'PUSH_PENDING',
  'SIGNATURE_INVALID',
  'NUMBER_MISMATCH',
  'CHALLENGE_CLOSED',
  'CHALLENGE_EXPIRED',
  'DEVICE_LIMIT_REACHED',
  'LAST_FACTOR_REQUIRED',
  'USERNAME_TAKEN',
  'SLUG_TAKEN',
  'FLOW_EXPIRED',
  'RESET_LINK_INVALID',
  'PASSWORD_REJECTED',
  'ACCOUNT_LOCKED',
  'RATE_LIMITED',
  'RESEND_TOO_SOON',
  'DELIVERY_FAILED',
  'OVERLOADED',
  'UNAVAILABLE',
  'INTERNAL',
] as const

export type ErrorCode = (typeof errorCodes)[number]

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string }
}
