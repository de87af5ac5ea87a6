import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/**
 * Stand-ins for the providers, speaking their real protocols on loopback: an SMTP server
 * (smtp-server, messages parsed with mailparser), Twilio's Messages API, and a webhook receiver.
 */

export interface ReceivedMail {
  envelope: { from: string; to: string[] }
  user: string | undefined
  parsed: ParsedMail
}

/** A real SMTP server with AUTH PLAIN/LOGIN over plain TCP; `reject` makes it refuse every message. */
export async function startSmtpServer(options: { user?: string; password?: string } = {}) {
  const mails: ReceivedMail[] = []
  const waiters: Array<() => void> = []
  let reject = false
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !options.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) callback(null, { user: auth.username })
      else callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', async () => {
        if (reject) {
          const error = new Error('Mailbox unavailable') as Error & { responseCode: number }
          error.responseCode = 550
          return callback(error)
        }
        const parsed = await simpleParser(Buffer.concat(chunks))
        mails.push({
          envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
          user: session.user as string | undefined,
          parsed,
        })
        waiters.splice(0).forEach((w) => w())
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    mails,
    url: options.user ? `smtp://${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? '')}@127.0.0.1:${port}` : `smtp://127.0.0.1:${port}`,
    set rejectAll(value: boolean) {
      reject = value
    },
    to(address: string) {
      return mails.filter((m) => m.envelope.to.includes(address))
    },
    /** The six-digit code in the newest mail to `address`, read from its text part. */
    codeFor(address: string): string {
      const mail = mails.filter((m) => m.envelope.to.includes(address)).at(-1)
      const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1]
      if (!code) throw new Error(`no code mailed to ${address}`)
      return code
    },
    async waitFor(predicate: () => boolean, ms = 5000) {
      const until = Date.now() + ms
      while (!predicate()) {
        if (Date.now() > until) throw new Error('timed out waiting for mail')
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 50)
        })
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export interface TwilioRequest {
  path: string
  authorization: string | undefined
  contentType: string | undefined
  form: URLSearchParams
}

/**
 * A local server that speaks Twilio's Messages API: `POST /2010-04-01/Accounts/{Sid}/Messages.json`
 * with Basic auth and a form body; `201` with a message resource, or Twilio's JSON error answers.
 * `mode` makes it fail: `error400` (21211 invalid To), `error500`, `hang` (never answers).
 */
export async function startTwilioFake(credentials: { accountSid: string; authToken: string }) {
  const requests: TwilioRequest[] = []
  let mode: 'ok' | 'error400' | 'error500' | 'hang' = 'ok'
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request)
    const form = new URLSearchParams(body)
    requests.push({ path: request.url ?? '', authorization: request.headers.authorization, contentType: request.headers['content-type'], form })
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(value))
    }
    const expected = `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64')}`
    if (request.method !== 'POST' || request.url !== `/2010-04-01/Accounts/${credentials.accountSid}/Messages.json`) {
      return json(404, { code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 })
    }
    if (request.headers.authorization !== expected) {
      return json(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 })
    }
    if (mode === 'hang') return
    if (mode === 'error500') return json(500, { code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 })
    if (mode === 'error400' || !form.get('To') || !form.get('Body') || (!form.get('From') && !form.get('MessagingServiceSid'))) {
      return json(400, { code: 21211, message: `The 'To' number ${form.get('To')} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 })
    }
    json(201, {
      sid: `SM${'0'.repeat(32)}`,
      account_sid: credentials.accountSid,
      to: form.get('To'),
      from: form.get('From'),
      body: form.get('Body'),
      status: 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${credentials.accountSid}/Messages/SM${'0'.repeat(32)}.json`,
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    set mode(value: typeof mode) {
      mode = value
    },
    codeFor(phone: string): string {
      const request = requests.filter((r) => r.form.get('To') === phone).at(-1)
      const code = /\b(\d{6})\b/.exec(request?.form.get('Body') ?? '')?.[1]
      if (!code) throw new Error(`no SMS to ${phone}`)
      return code
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** A webhook receiver that keeps every request with its headers. */
export async function startWebhookReceiver() {
  const requests: Array<{ headers: IncomingMessage['headers']; body: string }> = []
  let status = 200
  const server = createServer(async (request, response) => {
    requests.push({ headers: request.headers, body: await readBody(request) })
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`,
    requests,
    set status(value: number) {
      status = value
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A port on loopback where nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
