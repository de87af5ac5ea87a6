import { createECDH, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { signedMessage, type SignedPurpose } from '../domain/push/signed-request.js'

/*
 * A phone in Node: what the Countersign Authenticator does on the wire (docs/authenticator-protocol.md),
 * written from the protocol, not from the server's code paths, so tests can pair, read and answer
 * challenges with a real P-256 key. The PWA itself is tested in Chromium.
 */

export interface Answer {
  status: number
  body: any
}

/** How the phone reaches the server: `inject` for in-process tests, `fetch` for a listening one. */
export type Transport = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<Answer>

export function injectTransport(app: FastifyInstance, userAgent = 'CountersignAuthenticator/1 (test phone)'): Transport {
  return async (method, url, body) => {
    const response = await app.inject({ method, url, headers: { 'user-agent': userAgent, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) })
    return { status: response.statusCode, body: response.body ? safeJson(response.body) : null }
  }
}

export function fetchTransport(base: string): Transport {
  return async (method, url, body) => {
    const response = await fetch(new URL(url, base), {
      method,
      // No cookies and no Origin: the server treats it as the machine client it is (no CSRF rule).
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.text()
    return { status: response.status, body: text ? safeJson(text) : null }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** What the pairing QR code says (protocol §1). */
export function parsePairingUri(uri: string): { token: string; server: string; deviceId: string; secret: string } {
  const url = new URL(uri)
  const get = (name: string) => {
    const value = url.searchParams.get(name)
    if (!value) throw new Error(`pairing URI without ${name}`)
    return value
  }
  return { token: get('cs_pair'), server: get('cs_server'), deviceId: get('cs_device'), secret: get('secret') }
}

/** A push subscription whose keys the test holds, so a fake push service can decrypt what arrives. */
export function testSubscription(endpoint: string) {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const auth = randomBytes(16)
  return {
    subscription: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') } },
    ecdh,
    auth,
  }
}

export class TestAuthenticator {
  readonly publicJwk: { kty: string; crv: string; x: string; y: string }
  readonly #privateKey: KeyObject
  deviceId = ''
  secret = ''

  constructor(
    private readonly transport: Transport,
    private readonly now: () => Date,
    keys = generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ) {
    this.#privateKey = keys.privateKey
    const jwk = keys.publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string }
    this.publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }
  }

  /** The raw r‖s signature WebCrypto makes, base64url. */
  sign(purpose: SignedPurpose, deviceId: string, issuedAt: string, fields: ReadonlyArray<string | boolean | null>): string {
    return sign('sha256', signedMessage(purpose, deviceId, issuedAt, fields), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  }

  issuedAt(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString()
  }

  async pair(pairingUri: string, options: { pushSubscription?: unknown; name?: string } = {}): Promise<Answer> {
    const { token, deviceId, secret } = parsePairingUri(pairingUri)
    const issuedAt = this.issuedAt()
    const answer = await this.transport('POST', '/api/v1/authenticator/pair', {
      pairingToken: token,
      deviceId,
      publicKey: this.publicJwk,
      pushSubscription: options.pushSubscription ?? null,
      name: options.name ?? 'Test phone',
      issuedAt,
      signature: this.sign('pair', deviceId, issuedAt, [token]),
    })
    if (answer.status === 200) {
      this.deviceId = deviceId
      this.secret = secret
    }
    return answer
  }

  #query(purpose: SignedPurpose, fields: string[], withDevice = true): string {
    const issuedAt = this.issuedAt()
    const signature = this.sign(purpose, this.deviceId, issuedAt, fields)
    return `${withDevice ? `deviceId=${encodeURIComponent(this.deviceId)}&` : ''}issuedAt=${encodeURIComponent(issuedAt)}&signature=${signature}`
  }

  /** A signed query for `purpose` as the app would send it (tests of one purpose used for another). */
  signedQuery(purpose: SignedPurpose): string {
    return this.#query(purpose, [])
  }

  pending(): Promise<Answer> {
    return this.transport('GET', `/api/v1/authenticator/challenges?${this.#query('list', [])}`)
  }

  read(challengeId: string): Promise<Answer> {
    return this.transport('GET', `/api/v1/authenticator/challenges/${encodeURIComponent(challengeId)}?${this.#query('read', [challengeId])}`)
  }

  /** The signed answer body, for tests that tamper with it. */
  answerBody(challengeId: string, decision: 'approve' | 'deny', number: string, options: { notMe?: boolean; issuedAt?: string } = {}) {
    const notMe = options.notMe ?? false
    const issuedAt = options.issuedAt ?? this.issuedAt()
    return { deviceId: this.deviceId, decision, number, notMe, issuedAt, signature: this.sign('answer', this.deviceId, issuedAt, [challengeId, decision, number, notMe]) }
  }

  answer(challengeId: string, decision: 'approve' | 'deny', number: string, options: { notMe?: boolean; issuedAt?: string } = {}): Promise<Answer> {
    return this.send(challengeId, this.answerBody(challengeId, decision, number, options))
  }

  send(challengeId: string, body: unknown): Promise<Answer> {
    return this.transport('POST', `/api/v1/authenticator/challenges/${encodeURIComponent(challengeId)}/answer`, body)
  }

  unpair(): Promise<Answer> {
    return this.transport('DELETE', `/api/v1/authenticator/devices/${encodeURIComponent(this.deviceId)}?${this.#query('unpair', [], false)}`)
  }

  /** The signed body of a subscription change; `subscription: null` = no more pushes. */
  subscriptionBody(subscription: { endpoint: string; keys: { p256dh: string; auth: string } } | null) {
    const issuedAt = this.issuedAt()
    const fields = [subscription?.endpoint ?? null, subscription?.keys.p256dh ?? null, subscription?.keys.auth ?? null]
    return { pushSubscription: subscription, issuedAt, signature: this.sign('subscription', this.deviceId, issuedAt, fields) }
  }

  setSubscription(body: unknown): Promise<Answer> {
    return this.transport('PUT', `/api/v1/authenticator/devices/${encodeURIComponent(this.deviceId)}/subscription`, body)
  }

  eventsUrl(): string {
    return `/api/v1/authenticator/events?${this.#query('events', [])}`
  }
}
