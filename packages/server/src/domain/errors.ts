import type { ErrorCode } from '@countersign/protocol'

export type { ErrorCode }

/**
 * An outcome a use-case reports to its caller. The HTTP layer maps `code` to a status and a message
 * in one table (http/error-responses.ts); anything else that is thrown is a 500 and is logged.
 */
export class CountersignError extends Error {
  readonly code: ErrorCode
  /** The request field a 400 is about, named in the message. */
  readonly field: string | undefined
  /** Seconds for the `Retry-After` header on 429 and 503 answers. */
  readonly retryAfterSeconds: number | undefined
  /** Extra fields for the answer, such as a remaining lock time. Never secrets. */
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: ErrorCode,
    options: { field?: string; retryAfterSeconds?: number; detail?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(options.detail ?? code, { cause: options.cause })
    this.name = 'CountersignError'
    this.code = code
    this.field = options.field
    this.retryAfterSeconds = options.retryAfterSeconds
    this.details = options.details
  }
}
