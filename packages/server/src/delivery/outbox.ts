import type { Clock } from '../domain/clock.js'
import type { Store } from '../store/store.js'
import type { Email, Mailer, SmsSender, TextMessage } from './delivery.js'

/**
 * The development outbox (F-OTP-5): messages are kept in the database instead of being sent, and
 * shown at `GET /api/v1/dev/outbox` and the page `/dev/outbox`. In the database, so several
 * instances on one PostgreSQL show the same outbox.
 */
export class OutboxMailer implements Mailer {
  constructor(private readonly store: () => Store, private readonly clock: Clock) {}
  async send(mail: Email) {
    await this.store().outbox.append({ channel: 'email', to: mail.to, subject: mail.subject, text: mail.text, sentAt: this.clock.now() })
  }
}

export class OutboxSmsSender implements SmsSender {
  constructor(private readonly store: () => Store, private readonly clock: Clock) {}
  async send(message: TextMessage) {
    await this.store().outbox.append({ channel: 'sms', to: message.to, subject: null, text: message.text, sentAt: this.clock.now() })
  }
}
