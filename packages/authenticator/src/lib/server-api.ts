import type { Account, Pairing } from './accounts'
import { signRequest, type SignaturePurpose } from './device-key'

/** A challenge as the server describes it (protocol §3); the number itself is never sent. */
export interface Challenge {
  id: string
  status: 'pending' | 'approved' | 'denied' | 'expired'
  organisation: { name: string } | null
  username: string
  browser: string | null
  ip: string | null
  createdAt: string
  expiresAt: string
  numberLength: number
}

export interface PairAnswer {
  deviceId: string
  account: { username: string; organisation: { name: string; slug: string } | null }
  server: string
}

/** An answer that was not a success, or no answer at all (`status` 0, code `NETWORK`). */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** How far this phone's clock is from the server's (ms, from the `Date` header), when known. */
    readonly clockSkewMs: number | null = null,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message || code)
    this.name = 'ServerError'
  }
}

/** A paired account that has not been removed on the server. */
export type PairedAccount = Account & { pairing: Pairing }

/** Server clock minus this phone's clock (ms) per server, from the `Date` header of the last answer. */
const serverOffsets = new Map<string, number>()

/** The server's time at a moment of this phone's clock, as best known (for countdowns). */
export function serverNow(server: string, localMs: number = Date.now()): Date {
  return new Date(localMs + (serverOffsets.get(server) ?? 0))
}

async function call<T>(server: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return (await exchange<T>(server, method, path, body)).data
}

/** A request and its answer, with the URL the answer came from (`url`: after any redirect the browser followed). */
async function exchange<T>(
  server: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  redirect: RequestRedirect = 'follow',
): Promise<{ data: T; url: string }> {
  // Signed requests are signed just before this: the clock they were signed with is this one.
  const startedAt = Date.now()
  let response: Response
  try {
    response = await fetch(new URL(path, server), {
      method,
      redirect,
      // Signed requests need no cookie; the server's CSRF rule accepts a request without one.
      credentials: 'omit',
      cache: 'no-store',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ServerError(0, 'NETWORK', '')
  }
  const serverDate = Date.parse(response.headers.get('date') ?? '')
  // The header has whole seconds: only a difference of more than a second says anything.
  if (Number.isFinite(serverDate)) serverOffsets.set(server, Math.abs(serverDate - Date.now()) > 1500 ? serverDate - Date.now() : 0)
  if (response.status === 204) return { data: undefined as T, url: response.url }
  const text = await response.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } & Record<string, unknown> } | undefined)?.error
    const hinted = Date.parse(typeof error?.serverTime === 'string' ? error.serverTime : '')
    const reference = Number.isFinite(hinted) ? hinted : serverDate
    // The skew of the clock the request was signed with. If the phone's clock moved while the
    // request was out (set right by hand, or by the network), it cannot be told: unknown, never
    // "no skew" — which would make a refused signature look like a removed device.
    const elapsed = Date.now() - startedAt
    const skew = Number.isFinite(reference) && elapsed >= 0 && elapsed < 30_000 ? startedAt - reference : null
    throw new ServerError(response.status, error?.code ?? (response.status >= 500 ? 'SERVER' : 'UNKNOWN'), error?.message ?? '', skew, error ?? {})
  }
  return { data: data as T, url: response.url }
}

async function signedQuery(pairing: Pairing, purpose: SignaturePurpose, fields: string[], includeDeviceId = true): Promise<string> {
  const signed = await signRequest(pairing.keyPair.privateKey, purpose, pairing.deviceId, fields)
  const query = new URLSearchParams({
    ...(includeDeviceId ? { deviceId: signed.deviceId } : {}),
    issuedAt: signed.issuedAt,
    signature: signed.signature,
  })
  return query.toString()
}

/** `GET /api/v1/authenticator/config`: the VAPID public key for `pushManager.subscribe`. */
export function fetchConfig(server: string): Promise<{ vapidPublicKey: string }> {
  return call(server, 'GET', '/api/v1/authenticator/config')
}

/**
 * `POST /api/v1/authenticator/pair`, signed with the new key (proof of possession). A redirect is
 * not followed (the pairing token goes to the link's server or nowhere); `answeredBy` is the URL
 * the answer came from, for the caller to compare with the link (F-PUSH-1).
 */
export async function pairDevice(input: {
  server: string
  pairingToken: string
  deviceId: string
  keyPair: CryptoKeyPair
  publicKey: JsonWebKey
  pushSubscription: PushSubscriptionJSON | null
  name: string
}): Promise<{ answer: PairAnswer; answeredBy: string }> {
  const signed = await signRequest(input.keyPair.privateKey, 'pair', input.deviceId, [input.pairingToken])
  const body = {
    pairingToken: input.pairingToken,
    deviceId: input.deviceId,
    publicKey: input.publicKey,
    pushSubscription: input.pushSubscription,
    name: input.name,
    issuedAt: signed.issuedAt,
    signature: signed.signature,
  }
  const { data, url } = await exchange<PairAnswer>(input.server, 'POST', '/api/v1/authenticator/pair', body, 'error')
  return { answer: data, answeredBy: url }
}

/** The account's pending challenges, newest first. */
export async function listChallenges(account: PairedAccount): Promise<Challenge[]> {
  return call(account.pairing.server, 'GET', `/api/v1/authenticator/challenges?${await signedQuery(account.pairing, 'list', [])}`)
}

export async function readChallenge(account: PairedAccount, challengeId: string): Promise<Challenge> {
  const query = await signedQuery(account.pairing, 'read', [challengeId])
  return call(account.pairing.server, 'GET', `/api/v1/authenticator/challenges/${encodeURIComponent(challengeId)}?${query}`)
}

/** Approve with the typed number, or deny (F-PUSH-5: `notMe` alerts the admins). */
export async function answerChallenge(
  account: PairedAccount,
  challengeId: string,
  answer: { decision: 'approve' | 'deny'; number: string; notMe: boolean },
): Promise<{ status: 'approved' | 'denied' }> {
  const signed = await signRequest(account.pairing.keyPair.privateKey, 'answer', account.pairing.deviceId, [challengeId, answer.decision, answer.number, answer.notMe])
  return call(account.pairing.server, 'POST', `/api/v1/authenticator/challenges/${encodeURIComponent(challengeId)}/answer`, {
    deviceId: signed.deviceId,
    decision: answer.decision,
    number: answer.number,
    notMe: answer.notMe,
    issuedAt: signed.issuedAt,
    signature: signed.signature,
  })
}

/** Menu › Unpair (F-PUSH-4): removes the device on the server. */
export async function unpairDevice(account: PairedAccount): Promise<void> {
  const query = await signedQuery(account.pairing, 'unpair', [], false)
  await call(account.pairing.server, 'DELETE', `/api/v1/authenticator/devices/${encodeURIComponent(account.pairing.deviceId)}?${query}`)
}

/** Tells the server about a new push subscription, or that there is none any more. */
export async function updateSubscription(account: PairedAccount, subscription: PushSubscriptionJSON | null): Promise<void> {
  // The whole subscription is signed: a replayed request cannot swap its keys (protocol §2).
  const signed = await signRequest(account.pairing.keyPair.privateKey, 'subscription', account.pairing.deviceId, [subscription?.endpoint ?? null, subscription?.keys?.p256dh ?? null, subscription?.keys?.auth ?? null])
  await call(account.pairing.server, 'PUT', `/api/v1/authenticator/devices/${encodeURIComponent(account.pairing.deviceId)}/subscription`, {
    pushSubscription: subscription,
    issuedAt: signed.issuedAt,
    signature: signed.signature,
  })
}

/** The signed URL of the account's event stream (EventSource cannot send headers: all in the query). */
export async function eventsUrl(account: PairedAccount): Promise<string> {
  return new URL(`/api/v1/authenticator/events?${await signedQuery(account.pairing, 'events', [])}`, account.pairing.server).toString()
}

/** The server no longer knows this device: gone on purpose, not a passing failure. */
export function isDeviceGone(error: unknown): boolean {
  if (!(error instanceof ServerError)) return false
  if (error.status === 404) return true
  // 401 SIGNATURE_INVALID also covers an unpaired device; with a clock that is right, that is the cause.
  return error.status === 401 && error.code === 'SIGNATURE_INVALID' && error.clockSkewMs !== null && Math.abs(error.clockSkewMs) < 60_000
}
