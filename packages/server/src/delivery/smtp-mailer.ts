import type { Transporter } from 'nodemailer'
import type nodemailer from 'nodemailer'
import { DeliveryError, type Email, type Mailer } from './delivery.js'

/**
 * E-mail over SMTP with nodemailer (the only importer). The URL says how: `smtp://` upgrades with
 * STARTTLS when offered (`?requireTLS=true` insists on it), `smtps://` is TLS from the start, and
 * user and password in the URL authenticate.
 */
export class SmtpMailer implements Mailer {
  /** nodemailer is loaded only where SMTP is configured: a server without it never pays its memory. */
  readonly #transport: Promise<Transporter>
  constructor(
    url: string,
    private readonly from: string,
    timeoutMs: number,
    tls: { rejectUnauthorized?: boolean } = {},
  ) {
    this.#transport = import('nodemailer').then(({ default: mailer }) => mailer.createTransport(url, {
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
      ...(tls.rejectUnauthorized === false ? { tls: { rejectUnauthorized: false } } : {}),
    } as Parameters<typeof nodemailer.createTransport>[1]))
    // A failure to load surfaces at the first send (as a DeliveryError), never as an unhandled rejection.
    this.#transport.catch(() => {})
  }

  async send(mail: Email) {
    try {
      await (await this.#transport).sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; command?: string }
      // Only nodemailer's error code and the SMTP reply code: never the response text, which may
      // echo the recipient or the message (SR-07).
      const reason = e.code === 'ETIMEDOUT' ? 'timeout' : e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS' ? 'unreachable' : e.code === 'EAUTH' ? 'misconfigured' : 'rejected'
      throw new DeliveryError('smtp', reason, `${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}${e.command ? ` at ${e.command}` : ''}`)
    }
  }

  close() {
    this.#transport.then((transport) => transport.close()).catch(() => {})
  }
}
