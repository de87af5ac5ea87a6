import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

/*
 * A WebAuthn authenticator in Node for the server's tests, written from the specification
 * (WebAuthn L3 §6.1 authenticator data, §6.5.4 attestation `none`, COSE ES256 keys in CBOR):
 * it makes what a browser hands the page after navigator.credentials.create() / .get(), as the
 * JSON @simplewebauthn/browser sends. The pages' tests use Chromium's virtual authenticator.
 */

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor>

/** Deterministic CBOR (RFC 8949) for the few types an attestation needs. */
function cbor(value: Cbor): Buffer {
  const head = (major: number, length: number) => {
    if (length < 24) return Buffer.from([(major << 5) | length])
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length])
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
    const b = Buffer.alloc(5)
    b[0] = (major << 5) | 26
    b.writeUInt32BE(length, 1)
    return b
  }
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)])
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])])
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()

export interface Flags {
  userPresent?: boolean
  userVerified?: boolean
}

export class SoftAuthenticator {
  readonly credentialId: Buffer
  readonly #privateKey: KeyObject
  readonly #publicKey: KeyObject
  counter: number
  userHandle: string | null = null

  constructor(options: { counter?: number; credentialId?: Buffer } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.#privateKey = privateKey
    this.#publicKey = publicKey
    this.credentialId = options.credentialId ?? randomBytes(32)
    this.counter = options.counter ?? 0
  }

  get id(): string {
    return b64url(this.credentialId)
  }

  #authenticatorData(rpId: string, flags: Flags, attested: boolean): Buffer {
    const bits = (flags.userPresent === false ? 0 : 0x01) | (flags.userVerified === false ? 0 : 0x04) | (attested ? 0x40 : 0)
    const count = Buffer.alloc(4)
    count.writeUInt32BE(this.counter >>> 0)
    const parts: Uint8Array[] = [sha256(rpId), Buffer.from([bits]), count]
    if (attested) {
      const jwk = this.#publicKey.export({ format: 'jwk' }) as { x: string; y: string }
      const coseKey = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]))
      const length = Buffer.alloc(2)
      length.writeUInt16BE(this.credentialId.length)
      parts.push(Buffer.alloc(16), length, this.credentialId, coseKey)
    }
    return Buffer.concat(parts)
  }

  /** What navigator.credentials.create() gives for these creation options (attestation `none`). */
  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string, flags: Flags & { residentKey?: boolean } = {}) {
    const rpId = options.rp.id ?? new URL(origin).hostname
    this.userHandle = options.user.id
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }))
    const authData = this.#authenticatorData(rpId, flags, true)
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: { credProps: { rk: flags.residentKey ?? true } },
    }
  }

  /** What navigator.credentials.get() gives: the counter moves on by one first (unless told otherwise). */
  assert(options: { challenge: string; rpId?: string }, origin: string, flags: Flags & { counter?: number; withUserHandle?: boolean; type?: string } = {}) {
    this.counter = flags.counter ?? this.counter + 1
    const rpId = options.rpId ?? new URL(origin).hostname
    const clientDataJSON = Buffer.from(JSON.stringify({ type: flags.type ?? 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }))
    const authenticatorData = this.#authenticatorData(rpId, flags, false)
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.#privateKey)
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(flags.withUserHandle !== false && this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      authenticatorAttachment: 'platform' as const,
      clientExtensionResults: {},
    }
  }
}
