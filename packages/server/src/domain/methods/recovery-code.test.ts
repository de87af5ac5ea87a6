import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cryptoRandom, type Random } from '../clock.js'
import { newRecoveryCode, normaliseRecoveryCode } from './recovery-code.js'

/** A Random that hands out the given bytes, for exact expectations. */
function fixed(bytes: number[]): Random {
  return { bytes: (length) => Buffer.from(bytes.slice(0, length)), int: () => 0 }
}

describe('Recovery codes: the form (F-X-2, RB-03)', () => {
  it('80 bits become 16 characters of Crockford base32 in four groups, bit for bit', () => {
    assert.equal(newRecoveryCode(fixed(Array(10).fill(0))), '0000-0000-0000-0000')
    assert.equal(newRecoveryCode(fixed(Array(10).fill(255))), 'zzzz-zzzz-zzzz-zzzz')
    // 0x00 0x44 0x32 0x14 0xc7 → 00000 00001 00010 00011 00100 00101 00110 00111 (0..7)
    assert.equal(newRecoveryCode(fixed([0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf])).replaceAll('-', ''), '0123456789abcdef')
  })

  it('codes from the CSPRNG use the whole alphabet and never I, L, O or U', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) for (const c of newRecoveryCode(cryptoRandom).replaceAll('-', '')) seen.add(c)
    assert.equal(seen.size, 32)
    for (const c of 'ilou') assert.ok(!seen.has(c))
  })

  it('what people type is forgiven: spaces, dashes, case, and O/I/L for 0/1/1', () => {
    assert.equal(normaliseRecoveryCode('k3f9-x7m2-q0a8-4dzc'), 'k3f9x7m2q0a84dzc')
    assert.equal(normaliseRecoveryCode(' K3F9 X7M2 Q0A8 4DZC '), 'k3f9x7m2q0a84dzc')
    assert.equal(normaliseRecoveryCode('k3f9x7m2qOa84dzc'), 'k3f9x7m2q0a84dzc')
    assert.equal(normaliseRecoveryCode('I1L1-0000-0000-0000'), '1111000000000000')
  })

  it('any other shape is no code at all', () => {
    for (const typed of [undefined, '', 'k3f9-x7m2-q0a8', 'k3f9-x7m2-q0a8-4dzc-0', 'k3f9-x7m2-q0a8-4dzu', 'k3f9_x7m2_q0a8_4dzc', '１２３４５６７８９０abcdef', 'x'.repeat(65)]) {
      assert.equal(normaliseRecoveryCode(typed), null, String(typed))
    }
  })
})
