import type { Random } from '../clock.js'

/*
 * Recovery codes (F-X-2, RB-03): 10 codes of 16 characters from Crockford's base32 alphabet
 * (no I, L, O or U, so none is misread), 80 bits each from the CSPRNG, shown as
 * `xxxx-xxxx-xxxx-xxxx`. What the user types is normalised first: spaces and dashes go, case is
 * ignored, and O, I and L read as 0, 1 and 1 (Crockford's decoding); any other shape is no code.
 */

export const RECOVERY_CODE_COUNT = 10
/** "Only a few left": at this many unused codes or fewer the pages warn and offer new ones. */
export const RECOVERY_CODES_LOW = 2

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const LENGTH = 16

/** One new code, readable: `k3f9-x7m2-q0a8-4dzc`. 80 bits: 10 random bytes, 5 bits a character. */
export function newRecoveryCode(random: Random): string {
  const bytes = random.bytes((LENGTH * 5) / 8)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out.match(/.{4}/g)!.join('-')
}

/** The canonical form of what a user typed (16 characters, no dashes), or `null`: not a recovery code. */
export function normaliseRecoveryCode(input: string | undefined): string | null {
  if (input === undefined || input.length > 64) return null
  const compact = input
    .replace(/[\s-]/g, '')
    .toLowerCase()
    .replace(/o/g, '0')
    .replace(/[il]/g, '1')
  if (compact.length !== LENGTH || [...compact].some((c) => !ALPHABET.includes(c))) return null
  return compact
}
