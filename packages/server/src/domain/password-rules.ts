import type { PasswordRejection } from '@countersign/protocol'
import type { ZxcvbnFactory } from '@zxcvbn-ts/core'

/**
 * The rules for a new password, after NIST SP 800-63B §3.1.1.2: a length (the organisation's
 * minimum, 8–64, default 12; at most 256, checked by the request schema), every Unicode character
 * allowed and counted in code points after NFKC, no composition rules, and a check against
 * commonly used and breached passwords and the context: the user name, the organisation and the
 * service's own name.
 *
 * The check is zxcvbn-ts with its common-passwords list (49,000 passwords from breach corpora) and
 * the context words as user inputs, offline: its estimate of guesses must reach 10^9. That
 * refuses a listed password, one a few changes away from one ("P@ssw0rd2024!"), a word with a
 * year and a flourish ("Summer2024!!", estimated at 10^8), a repeat or a keyboard row, while any
 * passphrase of three unrelated words, or 12 random characters, passes. A password that contains the user name or the service's name is refused
 * outright.
 */

export const DEFAULT_MIN_PASSWORD_LENGTH = 12
export const MIN_PASSWORD_LENGTH_FLOOR = 8

/** log10 of the guesses a new password needs in zxcvbn's estimate. */
const MIN_GUESSES_LOG10 = 9
/**
 * zxcvbn's work grows quickly with length, so it sees the first 64 characters: a password whose
 * first 64 characters are hard to guess is hard to guess. This bounds the check to milliseconds.
 */
const ESTIMATED_CHARACTERS = 64

export type PasswordVerdict = { ok: true } | { ok: false; reason: PasswordRejection; minLength?: number }

/** The password as it is hashed and counted: NFKC (IV-04), the same form the hasher uses. */
export function passwordCharacters(password: string): number {
  return [...password.normalize('NFKC')].length
}

let estimator: Promise<ZxcvbnFactory> | null = null

/** Loaded on the first new password, not at start: the lists cost ~10 MB and 0.2 s to build. */
function loadEstimator(): Promise<ZxcvbnFactory> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')])
    return new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs, maxLength: ESTIMATED_CHARACTERS })
  })()
  return estimator
}

/**
 * The context a password must not be built on (NIST: "context-specific words… and derivatives"):
 * `whole` — the user name, the e-mail's local part and "countersign" — which a new password may
 * not contain at all (from 4 characters on); and `words`, those, the organisation's name and short
 * name, and their parts, which zxcvbn counts as already known when it estimates. (An
 * organisation's name is often a plain word, "Care" or "Scale": containing it is judged by the
 * estimate, not refused outright.)
 */
export interface PasswordContext {
  whole: string[]
  words: string[]
}

export function passwordContext(input: { username: string; email?: string | null; organisation?: { name: string; slug: string } | null }): PasswordContext {
  const whole = new Set<string>(['countersign'])
  const words = new Set<string>(['countersign'])
  const personal = [input.username, input.email?.split('@')[0]]
  for (const value of [...personal, input.organisation?.name, input.organisation?.slug]) {
    if (!value) continue
    const lower = value.normalize('NFKC').toLowerCase()
    if (personal.includes(value) && [...lower].length >= 4) whole.add(lower)
    words.add(lower)
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part)
  }
  return { whole: [...whole], words: [...words] }
}

/** Judges a new password; the caller has already bounded its length (schema: 8–256 characters). */
export async function judgeNewPassword(password: string, input: { minLength: number; context: PasswordContext }): Promise<PasswordVerdict> {
  const normalised = password.normalize('NFKC')
  if (passwordCharacters(normalised) < input.minLength) return { ok: false, reason: 'too_short', minLength: input.minLength }
  const lower = normalised.toLowerCase()
  if (input.context.whole.some((word) => lower.includes(word))) return { ok: false, reason: 'personal' }
  const zxcvbn = await loadEstimator()
  const result = zxcvbn.check([...normalised].slice(0, ESTIMATED_CHARACTERS).join(''), input.context.words)
  if (Math.log10(result.guesses) >= MIN_GUESSES_LOG10) return { ok: true }
  const personal = result.sequence.some((match) => 'dictionaryName' in match && match.dictionaryName === 'userInputs')
  if (personal) return { ok: false, reason: 'personal' }
  switch (result.feedback.warning) {
    case 'topTen':
    case 'topHundred':
    case 'common':
    case 'pwned':
      return { ok: false, reason: 'common' }
    case 'similarToCommon':
      return { ok: false, reason: 'similar_to_common' }
    case 'simpleRepeat':
    case 'extendedRepeat':
      return { ok: false, reason: 'repeated' }
    case 'sequences':
    case 'straightRow':
    case 'keyPattern':
      return { ok: false, reason: 'sequence' }
    default:
      return { ok: false, reason: 'guessable' }
  }
}
