import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { cryptoRandom } from '../clock.js'
import { checkTotpCode, fromBase32, hotp, newTotpSecret, normaliseCode, otpauthUri, timeStep, toBase32 } from './totp.js'

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'ascii'))
const at = (seconds: number) => new Date(seconds * 1000)

describe('RFC 4226 and RFC 6238 vectors', () => {
  it('RFC-01 F-TOTP-2: the ten HOTP values of RFC 4226 Appendix D', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']
    expected.forEach((value, counter) => assert.equal(hotp(ascii('12345678901234567890'), counter), value))
  })

  it('RFC-02 F-TOTP-2: the eighteen TOTP values of RFC 6238 Appendix B, and their 6-digit suffixes', () => {
    const seeds = {
      SHA1: '12345678901234567890',
      SHA256: '12345678901234567890123456789012',
      SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
    }
    const table: Array<[number, string, string, string]> = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ]
    for (const [time, sha1, sha256, sha512] of table) {
      const step = timeStep(at(time))
      assert.equal(hotp(ascii(seeds.SHA1), step, 8, 'SHA1'), sha1)
      assert.equal(hotp(ascii(seeds.SHA256), step, 8, 'SHA256'), sha256)
      assert.equal(hotp(ascii(seeds.SHA512), step, 8, 'SHA512'), sha512)
      assert.equal(hotp(ascii(seeds.SHA1), step, 6, 'SHA1'), sha1.slice(2))
    }
  })

  it('RFC-04: dynamic truncation (RFC 4226 §5.4) gives 872921 for the example HMAC, and an independent node:crypto HOTP agrees', () => {
    const truncate = (mac: Buffer, digits: number) => {
      const offset = mac[mac.length - 1]! & 0xf
      return String((mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits).padStart(digits, '0')
    }
    assert.equal(truncate(Buffer.from('1f8698690e02ca16618550ef7f19da8e945b555a', 'hex'), 6), '872921')
    const seed = ascii('12345678901234567890')
    for (let counter = 0; counter < 200; counter++) {
      const message = Buffer.alloc(8)
      message.writeBigUInt64BE(BigInt(counter))
      assert.equal(hotp(seed, counter), truncate(createHmac('sha1', seed).update(message).digest(), 6))
    }
  })

  it('RFC-02: an independent oracle (oathtool) agrees on random seeds and times', { skip: !existsSync('/usr/bin/oathtool') && process.env.CI !== 'true' ? 'oathtool not installed' : false }, () => {
    for (let i = 0; i < 20; i++) {
      const secret = newTotpSecret(cryptoRandom)
      const seconds = 1_700_000_000 + cryptoRandom.int(0, 100_000_000)
      const oracle = execFileSync('oathtool', ['--totp', '-b', toBase32(secret), '-N', `@${seconds}`], { encoding: 'utf8' }).trim()
      assert.equal(hotp(secret, timeStep(at(seconds))), oracle)
    }
  })
})

describe('checkTotpCode', () => {
  const secret = ascii('12345678901234567890')
  const now = at(1_800_000_015)
  const code = (offset: number) => hotp(secret, timeStep(now) + offset)

  it('RFC-03 F-TOTP-2: codes of T-1, T and T+1 are accepted; T-2 and T+2 are refused', () => {
    for (const offset of [-1, 0, 1]) assert.deepEqual(checkTotpCode({ secret, code: code(offset), now, lastUsedStep: null }), { ok: true, step: timeStep(now) + offset })
    for (const offset of [-2, 2]) assert.deepEqual(checkTotpCode({ secret, code: code(offset), now, lastUsedStep: null }), { ok: false, reason: 'wrong_code' })
  })

  it('RFC-03: the window moves at the exact step edges (t = 59/60, 89/90, 149/150)', () => {
    const s = ascii('12345678901234567890')
    const accepted = (step: number, seconds: number) => checkTotpCode({ secret: s, code: hotp(s, step), now: at(seconds), lastUsedStep: null }).ok
    assert.equal(accepted(0, 59), true)
    assert.equal(accepted(0, 60), false)
    assert.equal(accepted(3, 59), false)
    assert.equal(accepted(3, 60), true)
    assert.equal(accepted(3, 89), true)
    assert.equal(accepted(3, 90), true)
    assert.equal(accepted(3, 149), true)
    assert.equal(accepted(3, 150), false)
  })

  it('RR-01 F-TOTP-2: a code whose step was already used is a replay', () => {
    assert.deepEqual(checkTotpCode({ secret, code: code(0), now, lastUsedStep: timeStep(now) }), { ok: false, reason: 'replayed' })
  })

  it('RR-03: after the code of T+1, the code of T is refused (last used step is monotonic)', () => {
    assert.deepEqual(checkTotpCode({ secret, code: code(0), now, lastUsedStep: timeStep(now) + 1 }), { ok: false, reason: 'replayed' })
  })

  it('IV-01: spaces, dashes and full-width digits are normalised; anything else is malformed', () => {
    const c = code(0)
    assert.equal(checkTotpCode({ secret, code: `${c.slice(0, 3)} ${c.slice(3)}`, now, lastUsedStep: null }).ok, true)
    assert.equal(checkTotpCode({ secret, code: c.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))), now, lastUsedStep: null }).ok, true)
    for (const bad of ['', '12345', '1234567', '12345a', '-12345', '1e5', '\u0000', undefined]) {
      assert.deepEqual(checkTotpCode({ secret, code: bad, now, lastUsedStep: null }), { ok: false, reason: 'malformed' }, String(bad))
    }
    assert.equal(normaliseCode('１２３４５６'), '123456')
  })
})

describe('seeds and URIs', () => {
  it('F-TOTP-3 SR-08: every seed is 160 bits from the CSPRNG, 32 base32 characters, and all differ', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const text = toBase32(newTotpSecret(cryptoRandom))
      assert.match(text, /^[A-Z2-7]{32}$/)
      seen.add(text)
    }
    assert.equal(seen.size, 1000)
  })

  it('IV-11 F-TOTP-1: an otpauth URI with awkward issuer and user names parses back to the same values', () => {
    const secret = newTotpSecret(cryptoRandom)
    for (const issuer of ['Demo Clinic', 'A:B & C?', '100% / Zorg', 'Huisartsenpraktijk Één', 'ß∂ƒ']) {
      const uri = new URL(otpauthUri({ issuer, accountName: 'jan.de.vries@example.nl', secret }))
      assert.equal(uri.protocol, 'otpauth:')
      assert.equal(uri.host, 'totp')
      assert.equal(uri.searchParams.get('issuer'), issuer)
      assert.equal(decodeURIComponent(uri.pathname.slice(1)), `${issuer}:jan.de.vries@example.nl`)
      assert.equal(uri.searchParams.get('secret'), toBase32(secret))
      assert.deepEqual(fromBase32(uri.searchParams.get('secret')!), secret)
      assert.equal(uri.searchParams.get('algorithm'), 'SHA1')
      assert.equal(uri.searchParams.get('digits'), '6')
      assert.equal(uri.searchParams.get('period'), '30')
    }
  })
})
