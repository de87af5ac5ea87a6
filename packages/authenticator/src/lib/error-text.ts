import type { Translate } from '../i18n'
import { ServerError } from './server-api'

/** The user's words for a failed request: our catalogue first, the server's own message otherwise. */
export function errorText(t: Translate, error: unknown): string {
  if (!(error instanceof ServerError)) return t('error.unknown', { message: error instanceof Error ? error.message : String(error) })
  if (error.code === 'NETWORK') return t('error.network')
  if (error.code === 'SIGNATURE_INVALID') {
    // PU-03: the server allows two minutes; past one, the phone's clock is the likely cause.
    const minutes = error.clockSkewMs === null ? 0 : Math.round(Math.abs(error.clockSkewMs) / 60_000)
    return minutes >= 1 ? t('error.clock', { minutes }) : t('error.signature')
  }
  if (error.status === 429) return t('error.rateLimited')
  if (error.status >= 500) return t('error.server', { status: error.status })
  return error.message && error.message !== error.code ? error.message : t('error.unknown', { message: error.code })
}
