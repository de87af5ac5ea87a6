import { hasMessage, type Translate } from './i18n'

/** An answer from the API that was not a success, or no answer at all (`NETWORK`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
    /** Extra fields of the error body, such as `lockedUntil`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/**
 * Calls the JSON API of API.md with the page's cookies. Same-origin fetches carry `Origin`, which
 * the server's CSRF rule checks. Errors become `ApiError`; a 204 is `undefined`.
 */
export async function api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiError(0, 'NETWORK', '')
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string; field?: string } & Record<string, unknown> } | undefined)?.error
    const retryAfter = Number(response.headers.get('retry-after'))
    throw new ApiError(
      response.status,
      error?.code ?? (response.status >= 500 ? 'SERVER' : 'UNKNOWN'),
      error?.message ?? '',
      error?.field,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      error ?? {},
    )
  }
  return data as T
}

/** The user's words for an error: our catalogue first, the server's message as a fallback. */
export function errorText(t: Translate, error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.UNKNOWN')
  // The server names the field and what is wrong with it, in the request's language.
  if (error.code === 'INVALID_REQUEST' && error.message) return error.message
  const id = `error.${error.code}`
  if (hasMessage(id)) return t(id, { field: error.field ?? '', seconds: error.retryAfterSeconds ?? 30 })
  return error.message || t(error.status >= 500 ? 'error.SERVER' : 'error.UNKNOWN')
}
