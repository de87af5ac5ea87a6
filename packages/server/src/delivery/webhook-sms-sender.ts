import { createHmac } from 'node:crypto'
import { DeliveryError, type SmsSender, type TextMessage } from './delivery.js'

/** The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA-256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'countersign-signature'

/**
 * HMAC-SHA-256 over `<timestamp>.<body>`: the timestamp is inside the signed data, so a captured
 * request cannot be replayed later (the receiver refuses old timestamps, 5 minutes is usual).
 */
export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
}

/**
 * Text messages through a generic JSON webhook: `POST {url}` with `{"to","text","id"}` and the
 * signature header. Any 2xx is success. A message sent again after a crash (DD-07) keeps its `id`.
 */
export class WebhookSmsSender implements SmsSender {
  constructor(private readonly options: { url: string; secret: string; timeoutMs: number; now: () => Date; newId: () => string }) {}

  async send(message: TextMessage) {
    const body = JSON.stringify({ id: message.id ?? this.options.newId(), to: message.to, text: message.text })
    const timestamp = Math.floor(this.options.now().getTime() / 1000)
    let response: Response
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: `t=${timestamp},v1=${webhookSignature(this.options.secret, timestamp, body)}` },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      })
    } catch (error) {
      const name = (error as Error).name
      throw new DeliveryError('webhook', name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable', name === 'TimeoutError' ? 'no answer in time' : 'connection failed')
    }
    await response.arrayBuffer().catch(() => undefined)
    if (response.status < 200 || response.status >= 300) {
      throw new DeliveryError('webhook', response.status >= 500 ? 'unreachable' : 'refused', 'not accepted', response.status)
    }
  }
}
