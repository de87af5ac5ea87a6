import { DeliveryError, type SmsSender, type TextMessage } from './delivery.js'

/**
 * Text messages through Twilio's Messages API:
 * `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` with Basic auth (SID, auth token)
 * and the form fields `To`, `From` (or `MessagingServiceSid`) and `Body`. Success is `201` with the
 * message resource; errors are JSON `{"code","message","more_info","status"}`.
 */
export class TwilioSmsSender implements SmsSender {
  readonly #url: string
  readonly #authorization: string
  constructor(
    private readonly options: { accountSid: string; authToken: string; from: string; baseUrl: string; timeoutMs: number },
  ) {
    this.#url = `${options.baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`
    this.#authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`
  }

  async send(message: TextMessage) {
    const form = new URLSearchParams({ To: message.to, Body: message.text })
    if (this.options.from.startsWith('MG')) form.set('MessagingServiceSid', this.options.from)
    else form.set('From', this.options.from)
    let response: Response
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { authorization: this.#authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      })
    } catch (error) {
      const name = (error as Error).name
      throw new DeliveryError('twilio', name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable', name === 'TimeoutError' ? 'no answer in time' : 'connection failed')
    }
    const body = (await response.json().catch(() => ({}))) as { sid?: unknown; status?: unknown; code?: unknown }
    if (response.status === 200 || response.status === 201) {
      if (body.status === 'failed' || body.status === 'undelivered') throw new DeliveryError('twilio', 'rejected', `message ${String(body.status)}`, response.status)
      return
    }
    // Twilio's error code (e.g. 21211 invalid To, 20003 authentication) says what went wrong, and
    // carries no secret; its message text is not kept, it may echo the number.
    const code = typeof body.code === 'number' ? `Twilio error ${body.code}` : 'no error code'
    const reason = response.status === 401 || response.status === 403 ? 'misconfigured' : response.status >= 500 ? 'unreachable' : 'refused'
    throw new DeliveryError('twilio', reason, code, response.status)
  }
}
