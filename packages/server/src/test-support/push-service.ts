import { execFileSync } from 'node:child_process'
import { verify, type ECDH } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ece from 'http_ece'

/*
 * A push service on 127.0.0.1 that speaks RFC 8030, standing in for the browser vendors' (which
 * tests cannot reach). Like theirs it is https only, checks the VAPID JWT (RFC 8292: ES256 under
 * the `k` key, `aud` = its own origin, an `exp` within 24 hours) and answers 201; the test holds
 * the subscription's private keys, so it decrypts each message (RFC 8291, aes128gcm) and reads it.
 */

export interface ReceivedPush {
  path: string
  ttl: string | undefined
  urgency: string | undefined
  vapid: { aud: string; sub: string; exp: number; publicKey: string }
  /** The decrypted payload, when the test registered the subscription's keys. */
  payload: any
  body: Buffer
}

export interface PushServiceOptions {
  /** Answer this status for a path instead of 201 (410: the subscription is gone). */
  status?: (path: string) => number
}

export async function startPushService(options: PushServiceOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-push-'))
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' })
  const keys = new Map<string, { ecdh: ECDH; auth: Buffer }>()
  const received: ReceivedPush[] = []
  const refused: Array<{ path: string; reason: string }> = []
  const waiters: Array<() => void> = []
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      const body = Buffer.concat(chunks)
      const refuse = (status: number, reason: string) => {
        refused.push({ path, reason })
        response.writeHead(status).end(reason)
      }
      if (request.method !== 'POST') return refuse(405, 'method')
      const vapid = checkVapid(request.headers.authorization, `https://127.0.0.1:${port}`)
      if (typeof vapid === 'string') return refuse(401, vapid)
      if (request.headers['content-encoding'] !== 'aes128gcm') return refuse(400, 'content-encoding')
      if (!request.headers.ttl) return refuse(400, 'ttl')
      const status = options.status?.(path) ?? 201
      if (status !== 201) {
        response.writeHead(status).end()
        return
      }
      const subscriber = keys.get(path)
      let payload: unknown = null
      if (subscriber) {
        try {
          payload = JSON.parse(ece.decrypt(body, { version: 'aes128gcm', privateKey: subscriber.ecdh, authSecret: subscriber.auth }).toString('utf8'))
        } catch {
          return refuse(400, 'cannot decrypt')
        }
      }
      received.push({ path, ttl: request.headers.ttl as string | undefined, urgency: request.headers.urgency as string | undefined, vapid, payload, body })
      response.writeHead(201, { location: `${path}/message/${received.length}` }).end()
      for (const wake of waiters.splice(0)) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    origin: `https://127.0.0.1:${port}`,
    caFile: certFile,
    received,
    refused,
    /** An endpoint on this service whose messages it can decrypt with the given keys. */
    endpoint(name: string, subscriber?: { ecdh: ECDH; auth: Buffer }) {
      if (subscriber) keys.set(`/push/${name}`, subscriber)
      return `https://127.0.0.1:${port}/push/${name}`
    },
    /** Resolves when `count` messages have arrived (bounded by `ms`). */
    async waitFor(count: number, ms = 5000): Promise<ReceivedPush[]> {
      const deadline = Date.now() + ms
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`push service: ${received.length} of ${count} messages after ${ms} ms (refused: ${JSON.stringify(refused)})`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
      return received
    },
    async close() {
      await new Promise((resolve) => server.close(resolve))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** RFC 8292 §2–3: `vapid t=<JWT>, k=<P-256 public key>`; a reason string when it does not hold. */
function checkVapid(header: string | undefined, origin: string): ReceivedPush['vapid'] | string {
  const match = /^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '')
  if (!match) return 'no vapid authorization'
  const [, token, k] = match as unknown as [string, string, string]
  const [head, claims, signature] = token.split('.')
  if (!head || !claims || !signature) return 'malformed jwt'
  const header64 = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string; typ?: string }
  if (header64.alg !== 'ES256') return 'alg'
  const point = Buffer.from(k, 'base64url')
  if (point.length !== 65 || point[0] !== 4) return 'k is not an uncompressed P-256 point'
  const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }
  if (!verify('sha256', Buffer.from(`${head}.${claims}`), { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) return 'jwt signature'
  const body = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { aud?: string; exp?: number; sub?: string }
  if (body.aud !== origin) return `aud ${body.aud}`
  const now = Date.now() / 1000
  if (typeof body.exp !== 'number' || body.exp < now || body.exp > now + 24 * 3600) return 'exp'
  if (!body.sub || !/^(mailto:|https:)/.test(body.sub)) return 'sub'
  return { aud: body.aud, sub: body.sub, exp: body.exp, publicKey: k }
}
