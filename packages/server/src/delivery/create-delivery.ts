import pino from 'pino'
import type { Config } from '../config/config.js'
import type { Clock, Random } from '../domain/clock.js'
import type { Store } from '../store/store.js'
import { DeliveryError, type Delivery, type DeliveryLog, type Mailer, type SmsSender } from './delivery.js'
import { OutboxMailer, OutboxSmsSender } from './outbox.js'
import { SmtpMailer } from './smtp-mailer.js'
import { TwilioSmsSender } from './twilio-sms-sender.js'
import { WebhookSmsSender } from './webhook-sms-sender.js'

/** Paths pino censors, whatever a caller puts there by mistake (SR-07). */
export const DELIVERY_REDACT_PATHS = ['code', 'text', 'html', 'authToken', 'password', 'secret', 'authorization', '*.code', '*.text', '*.html', '*.authToken', '*.password', '*.secret', '*.authorization']

/**
 * Picks the mailer and the SMS sender from the configuration (main.ts is the only caller). A
 * provider that is chosen but not fully configured stops the start, naming the missing key.
 */
export function createDelivery(
  config: Config,
  input: { store: () => Store; clock: Clock; random: Random; logStream?: NodeJS.WritableStream },
): Delivery {
  const log: DeliveryLog = pino(
    { name: 'delivery', level: config.logLevel, redact: { paths: DELIVERY_REDACT_PATHS, censor: '[redacted]' } },
    input.logStream ?? pino.destination(2),
  )
  const outboxChannels: Array<'sms' | 'email'> = []
  let mailer: Mailer
  if (config.smtpUrl) {
    mailer = new SmtpMailer(config.smtpUrl, config.smtpFrom, config.deliveryTimeoutMs)
  } else if (config.env === 'production') {
    // The outbox is for development: in production a channel without a provider refuses to send
    // (the user is told, and may try another method) rather than keeping codes anyone could read.
    mailer = unconfigured('smtp')
  } else {
    mailer = new OutboxMailer(input.store, input.clock)
    outboxChannels.push('email')
  }
  let sms: SmsSender
  switch (config.smsProvider) {
    case 'twilio': {
      const { twilioAccountSid: accountSid, twilioAuthToken: authToken, twilioFrom: from } = config
      if (!accountSid || !authToken || !from) {
        throw new TypeError('COUNTERSIGN_SMS_PROVIDER=twilio needs COUNTERSIGN_TWILIO_ACCOUNT_SID, COUNTERSIGN_TWILIO_AUTH_TOKEN and COUNTERSIGN_TWILIO_FROM')
      }
      sms = new TwilioSmsSender({ accountSid, authToken, from, baseUrl: config.twilioBaseUrl, timeoutMs: config.deliveryTimeoutMs })
      break
    }
    case 'webhook': {
      if (!config.smsWebhookUrl || !config.smsWebhookSecret) {
        throw new TypeError('COUNTERSIGN_SMS_PROVIDER=webhook needs COUNTERSIGN_SMS_WEBHOOK_URL and COUNTERSIGN_SMS_WEBHOOK_SECRET')
      }
      sms = new WebhookSmsSender({
        url: config.smsWebhookUrl,
        secret: config.smsWebhookSecret,
        timeoutMs: config.deliveryTimeoutMs,
        now: () => input.clock.now(),
        newId: () => input.random.bytes(12).toString('base64url'),
      })
      break
    }
    default:
      if (config.env === 'production') {
        sms = unconfigured('sms')
      } else {
        sms = new OutboxSmsSender(input.store, input.clock)
        outboxChannels.push('sms')
      }
  }
  const secrets = [config.twilioAuthToken, config.smsWebhookSecret, smtpPassword(config.smtpUrl)].filter((s): s is string => typeof s === 'string' && s.length >= 4)
  return {
    mailer,
    sms,
    outboxChannels,
    log,
    scrub: (text) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text),
  }
}

function smtpPassword(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const password = new URL(url).password
    return password ? decodeURIComponent(password) : undefined
  } catch {
    return undefined
  }
}

/** A channel with no provider in production: every send fails, visibly (DELIVERY_FAILED). */
function unconfigured(provider: string): Mailer & SmsSender {
  return {
    async send() {
      throw new DeliveryError(provider, 'misconfigured', 'no provider is configured for this channel')
    },
  }
}
