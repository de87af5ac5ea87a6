import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HARD_LOCK_FAILURES, lockedUntil, nextAttemptLimit, passwordDelayMs } from './lockout.js'
import { newToken, parseToken, secretMatches } from './tokens.js'
import { cryptoRandom } from './clock.js'

describe('lockout rules', () => {
  it('BF-10 T8: auto-unlock gives five more tries and never passes the hard limit of 100', () => {
    assert.equal(nextAttemptLimit(5), 10)
    assert.equal(nextAttemptLimit(97), HARD_LOCK_FAILURES)
    const now = new Date('2026-11-25T10:00:00Z')
    assert.equal(lockedUntil({ now, failures: 5, autoUnlockMinutes: null }), null)
    assert.equal(lockedUntil({ now, failures: 5, autoUnlockMinutes: 15 })?.toISOString(), '2026-11-25T10:15:00.000Z')
    assert.equal(lockedUntil({ now, failures: 100, autoUnlockMinutes: 15 }), null)
  })

  it('BF-12: password delays start at the 5th failure with 30 s, double, and stop at one hour', () => {
    assert.deepEqual([1, 4, 5, 6, 7, 12, 50].map(passwordDelayMs), [0, 0, 30_000, 60_000, 120_000, 3_600_000, 3_600_000])
  })
})

describe('tokens', () => {
  it('SC-06 SR-05: tokens are id.secret with 256-bit secrets, only their hash is kept, and 10⁵ are all distinct', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 100_000; i++) seen.add(newToken(cryptoRandom).token)
    assert.equal(seen.size, 100_000)
    const token = newToken(cryptoRandom)
    const parsed = parseToken(token.token)!
    assert.equal(Buffer.from(parsed.secret, 'base64url').length, 32)
    assert.equal(secretMatches(token.secretHash, parsed.secret), true)
    assert.equal(secretMatches(token.secretHash, parsed.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), false)
    assert.notEqual(token.secretHash.toString('base64url'), parsed.secret)
  })

  it('every malformed token parses to null', () => {
    for (const bad of [undefined, null, '', 'abc', 'a.b', `${'a'.repeat(16)}.${'b'.repeat(42)}`, `${'a'.repeat(16)}.${'b'.repeat(43)}x`, 'x'.repeat(500)]) {
      assert.equal(parseToken(bad as string), null)
    }
  })
})
