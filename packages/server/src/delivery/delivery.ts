/**
 * Delivery (F-OTP-5, DESIGN.md §7): e-mail and text messages behind two small interfaces, so the
 * use-cases never know whether a message goes over SMTP, to Twilio, to a webhook or to the
 * development outbox. Each provider's library is imported in exactly one file.
 */

export interface Email {
  to: string
  subject: string
  text: string
  html: string
}

export interface TextMessage {
  to: string
  text: string
  /** Stays the same when a queued message is sent again (DD-07), so a receiver can drop a duplicate. */
  id?: string
}

export interface Mailer {
  /** Resolves once the server accepted the message; rejects with a DeliveryError otherwise. */
  send(mail: Email): Promise<void>
}

export interface SmsSender {
  send(message: TextMessage): Promise<void>
}

/**
 * A send that failed. The message is ours, built from the provider's status and error code only,
 * so it never carries credentials, the code or the recipient (SR-07).
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError'
  constructor(
    readonly provider: string,
    readonly reason: 'refused' | 'timeout' | 'unreachable' | 'rejected' | 'misconfigured',
    detail: string,
    readonly status?: number,
  ) {
    super(`${provider}: ${reason}${status !== undefined ? ` (HTTP ${status})` : ''}: ${detail}`)
  }
}

/** Where failures are logged: a pino logger with redaction (main.ts). */
export interface DeliveryLog {
  warn(object: Record<string, unknown>, message: string): void
  info(object: Record<string, unknown>, message: string): void
}

export interface Delivery {
  readonly mailer: Mailer
  readonly sms: SmsSender
  /** Which channels deliver to the development outbox; empty in production setups. */
  readonly outboxChannels: ReadonlyArray<'sms' | 'email'>
  readonly log: DeliveryLog
  /** Removes every configured secret from a text before it is logged or audited (belt and braces). */
  scrub(text: string): string
}

/** `+31612345678` → `+31•••••••678` for logs: enough to follow a case, not to copy. */
export function maskRecipient(to: string): string {
  if (to.includes('@')) return `${to.slice(0, 1)}•••@${to.split('@')[1] ?? ''}`
  return `${to.slice(0, 3)}•••${to.slice(-3)}`
}
