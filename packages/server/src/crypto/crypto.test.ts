import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CountersignError } from '../domain/errors.js'
import { createPasswordHasher, OWASP_ARGON2 } from './password-hasher.js'
import { parseSecretsKeys, SecretSealer } from './secret-sealer.js'

const key = () => ({ id: 'k1', key: randomBytes(32) })

describe('SecretSealer', () => {
  it('SR-01: a sealed seed opens with its binding and holds no plaintext; 10⁴ nonces are all distinct', () => {
    const sealer = new SecretSealer([key()])
    const seed = randomBytes(20)
    const sealed = sealer.seal(seed, 'device|account|org')
    assert.deepEqual(sealer.open(sealed, 'device|account|org'), seed)
    assert.equal(sealed.includes(seed.toString('base64url')), false)
    const nonces = new Set<string>()
    for (let i = 0; i < 10_000; i++) nonces.add(sealer.seal(seed, 'x').split('.')[2]!)
    assert.equal(nonces.size, 10_000)
  })

  it('SR-02: a ciphertext moved to another device or user does not open; tampering does not open; nothing throws', () => {
    const sealer = new SecretSealer([key()])
    const sealed = sealer.seal(randomBytes(20), 'd1|alice|org')
    assert.equal(sealer.open(sealed, 'd2|bob|org'), null)
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[0] = body[0]! ^ 1
    assert.equal(sealer.open([parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'd1|alice|org'), null)
    assert.equal(sealer.open('garbage', 'd1|alice|org'), null)
  })

  it('SR-03: after rotation the new key seals, the old key still opens old values, and they are marked for resealing', () => {
    const old = key()
    const fresh = { id: 'k2', key: randomBytes(32) }
    const before = new SecretSealer([old]).seal(Buffer.from('seed'), 'b')
    const rotated = new SecretSealer([fresh, old])
    assert.deepEqual(rotated.open(before, 'b'), Buffer.from('seed'))
    assert.equal(rotated.needsResealing(before), true)
    assert.equal(rotated.needsResealing(rotated.seal(Buffer.from('seed'), 'b')), false)
    assert.equal(new SecretSealer([fresh]).open(before, 'b'), null)
  })

  it('SR-04: code HMACs depend on the server key and the context', () => {
    const a = new SecretSealer([key()])
    const b = new SecretSealer([key()])
    assert.notDeepEqual(a.codeHmac('123456', 'c1'), b.codeHmac('123456', 'c1'))
    assert.notDeepEqual(a.codeHmac('123456', 'c1'), a.codeHmac('123456', 'c2'))
  })

  it('parses keys given as base64, hex or id:value lists, and refuses short keys', () => {
    const raw = randomBytes(32)
    assert.deepEqual(parseSecretsKeys(raw.toString('base64'))[0]!.key, raw)
    assert.deepEqual(parseSecretsKeys(raw.toString('hex'))[0]!.key, raw)
    assert.deepEqual(parseSecretsKeys(`new:${raw.toString('base64')},old:${randomBytes(32).toString('base64')}`).map((k) => k.id), ['new', 'old'])
    assert.throws(() => new SecretSealer(parseSecretsKeys(randomBytes(16).toString('base64'))), /32 bytes/)
  })
})

describe('password hasher', () => {
  it('SR-06: stored hashes are argon2id with m=19456 KiB, t=2, p=1, and weaker ones ask for a rehash', async () => {
    const hasher = createPasswordHasher({ parameters: OWASP_ARGON2 })
    const stored = await hasher.hash('correct horse battery staple')
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.equal(await hasher.verify(stored, 'correct horse battery staple'), true)
    assert.equal(await hasher.verify(stored, 'wrong'), false)
    assert.equal(hasher.needsRehash(stored), false)
    const weak = await createPasswordHasher({ parameters: { memoryKiB: 1024, timeCost: 1 } }).hash('x')
    assert.equal(hasher.needsRehash(weak), true)
  })

  it('IV-04: NFC, NFD and NFKC forms of one password verify alike; emoji and 64 code points work', async () => {
    const hasher = createPasswordHasher({ parameters: { memoryKiB: 1024, timeCost: 1 } })
    const stored = await hasher.hash('Crème brûlée ﬁ')
    assert.equal(await hasher.verify(stored, 'Crème brûlée ﬁ'.normalize('NFD')), true)
    assert.equal(await hasher.verify(stored, 'Crème brûlée fi'), true)
    const long = '🔐'.repeat(64)
    assert.equal(await hasher.verify(await hasher.hash(long), long), true)
  })

  it('EN-02: an unknown user is verified against a dummy hash and never succeeds', async () => {
    const hasher = createPasswordHasher({ parameters: { memoryKiB: 1024, timeCost: 1 } })
    assert.equal(await hasher.verify(null, 'anything'), false)
  })

  it('LD-03: past the queue limit the hasher refuses at once with OVERLOADED and a retry hint', async () => {
    const hasher = createPasswordHasher({ parameters: { memoryKiB: 8192, timeCost: 2 }, concurrency: 1, queueLimit: 2 })
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => hasher.hash('x')))
    const refused = results.filter((r) => r.status === 'rejected')
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3)
    assert.equal(refused.length, 7)
    for (const r of refused) {
      const error = (r as PromiseRejectedResult).reason as CountersignError
      assert.equal(error.code, 'OVERLOADED')
      assert.equal(error.retryAfterSeconds, 1)
    }
    assert.deepEqual(hasher.stats, { running: 0, waiting: 0 })
  })
})
