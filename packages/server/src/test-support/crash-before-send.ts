import { loadConfig } from '../config/load-config.js'
import type { Delivery, Email, TextMessage } from '../delivery/delivery.js'
import { buildApp } from '../http/app.js'
import { createContext } from '../main.js'

/*
 * A `countersign serve` with a failpoint for DD-07: the moment a one-time code is handed to the
 * SMTP server or the SMS provider — after the code and its queued message were committed, before
 * the provider is called — the process kills itself with SIGKILL: no answer, no cleanup, no
 * `finally`. Messages without a code (security notices) go out as usual.
 */

const die = (): Promise<never> => {
  process.kill(process.pid, 'SIGKILL')
  return new Promise<never>(() => {})
}
const carriesCode = (text: string) => /\b\d{6}\b/.test(text)

const config = loadConfig()
const { ctx } = await createContext(config)
const real = ctx.delivery
const delivery: Delivery = {
  ...real,
  mailer: { send: (mail: Email) => (carriesCode(mail.text) ? die() : real.mailer.send(mail)) },
  sms: { send: (message: TextMessage) => (carriesCode(message.text) ? die() : real.sms.send(message)) },
}
const app = await buildApp({ ...ctx, delivery })
await app.listen({ host: config.host, port: config.port })
console.log(`Countersign is listening on http://${config.host}:${(app.server.address() as { port: number }).port} (with a failpoint before every code send)`)
