import { originOf, type LinkPairing } from './otpauth-uri'

export type PairAnswerMismatch = 'server' | 'device'

/**
 * Whether the server's answer to the pairing request is the link's (F-PUSH-1): the answer came
 * from the link's server (`answeredBy`: the URL the response was read from, after any redirect),
 * it names that server (`server`, the server's public URL), and the device it paired is the
 * link's. Null when all of it matches; otherwise what did not, and the account is not kept.
 */
export function pairAnswerMismatch(link: LinkPairing, answer: { deviceId?: unknown; server?: unknown }, answeredBy: string): PairAnswerMismatch | null {
  if (originOf(answeredBy) !== link.server) return 'server'
  if (typeof answer.server !== 'string' || originOf(answer.server) !== link.server) return 'server'
  if (typeof answer.deviceId !== 'string' || answer.deviceId !== link.deviceId) return 'device'
  return null
}
