import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Seals secrets at rest (TOTP seeds, later push keys) with AES-256-GCM, a 96-bit random nonce
 * and associated data that binds the ciphertext to its row (SECURITY.md "Seeds at rest", SR-02).
 * The key id travels in the ciphertext, so keys can be rotated: the first key seals, every key
 * listed opens (SR-03).
 *
 * Format: `v1.<keyId>.<nonce>.<ciphertext+tag>`, base64url parts.
 */
export class SecretSealer {
  readonly #keys: Map<string, Buffer>
  readonly #currentKeyId: string
  readonly #codeKey: Buffer

  constructor(keys: ReadonlyArray<{ id: string; key: Buffer }>) {
    const first = keys[0]
    if (!first) throw new TypeError('SecretSealer needs at least one key')
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new TypeError(`secrets key "${id}" must be 32 bytes`)
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(id)) throw new TypeError(`secrets key id "${id}" must be 1-16 letters or digits`)
    }
    this.#keys = new Map(keys.map((k) => [k.id, k.key]))
    this.#currentKeyId = first.id
    // A separate key for code HMACs, derived so one configured secret serves both (RFC 5869).
    this.#codeKey = Buffer.from(hkdfSync('sha256', first.key, Buffer.alloc(0), 'countersign code hmac v1', 32))
  }

  seal(plaintext: Uint8Array, associatedData: string): string {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#currentKeyId)!, nonce)
    cipher.setAAD(Buffer.from(associatedData))
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    return ['v1', this.#currentKeyId, nonce.toString('base64url'), body.toString('base64url')].join('.')
  }

  /** Opens a sealed value; `null` when the key is unknown, the data was moved or tampered with. */
  open(sealed: string, associatedData: string): Buffer | null {
    const parts = sealed.split('.')
    if (parts.length !== 4 || parts[0] !== 'v1') return null
    const key = this.#keys.get(parts[1]!)
    if (!key) return null
    const nonce = Buffer.from(parts[2]!, 'base64url')
    const body = Buffer.from(parts[3]!, 'base64url')
    if (nonce.length !== 12 || body.length < 16) return null
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce)
      decipher.setAAD(Buffer.from(associatedData))
      decipher.setAuthTag(body.subarray(body.length - 16))
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()])
    } catch {
      return null
    }
  }

  /** True when a value is sealed under a key other than the current one (for rotation). */
  needsResealing(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#currentKeyId
  }

  /** HMAC-SHA-256 of a short code under the server key (SR-04): a plain hash of 10⁶ codes is no secret. */
  codeHmac(code: string, context: string): Buffer {
    return createHmac('sha256', this.#codeKey).update(context).update('\0').update(code).digest()
  }
}

/** Parses `COUNTERSIGN_SECRETS_KEY`: `base64` or `id:base64[,id:base64…]`, the first one current. */
export function parseSecretsKeys(value: string): Array<{ id: string; key: Buffer }> {
  return value.split(',').map((part, index) => {
    const [id, encoded] = part.includes(':') ? (part.split(':', 2) as [string, string]) : [`k${index + 1}`, part]
    const key = Buffer.from(encoded.trim(), /^[0-9a-fA-F]{64}$/.test(encoded.trim()) ? 'hex' : 'base64')
    return { id: id.trim(), key }
  })
}
