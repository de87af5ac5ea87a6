import { browserSupportsWebAuthn, startAuthentication, startRegistration, WebAuthnError } from '@simplewebauthn/browser'
import { api, ApiError } from './api'

/*
 * Passkeys (F-X-1) in the browser, through @simplewebauthn/browser: the server's options JSON goes
 * to the browser's prompt, and the prompt's answer (`PublicKeyCredential.toJSON()`) is exactly the
 * `response` the server wants. A browser without WebAuthn is offered no passkey at all.
 */

type CreationOptions = Parameters<typeof startRegistration>[0]['optionsJSON']
type RequestOptions = Parameters<typeof startAuthentication>[0]['optionsJSON']
export type RegistrationResponse = Awaited<ReturnType<typeof startRegistration>>
export type AuthenticationResponse = Awaited<ReturnType<typeof startAuthentication>>

/**
 * Whether passkeys can work on this page: a browser with WebAuthn, in a secure context, on a host
 * name. WebAuthn refuses an IP address as relying party (`http://127.0.0.1` throws SecurityError on
 * every call), so there the pages offer no passkey at all, as in a browser without WebAuthn.
 */
export function passkeysSupported(): boolean {
  try {
    const host = location.hostname
    const ipAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || host.startsWith('[')
    return window.isSecureContext && !ipAddress && browserSupportsWebAuthn()
  } catch {
    return false
  }
}

/**
 * What went wrong in the browser's prompt, or `null` for an answer of the API (an `ApiError`).
 * `cancelled`: the user closed the prompt, it timed out, or nothing on this device could answer —
 * the browser says `NotAllowedError` for all of them, on purpose, so a page cannot tell which.
 * `registered`: the authenticator already holds a passkey of this account (listed as excluded).
 */
export function promptProblem(error: unknown): 'cancelled' | 'registered' | 'failed' | null {
  if (error instanceof ApiError) return null
  const name = error instanceof Error ? error.name : ''
  const code = error instanceof WebAuthnError ? error.code : ''
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return 'registered'
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') return 'cancelled'
  return 'failed'
}

/** Creation options from `optionsPath`, then the browser's prompt: the registration response. */
export async function createPasskey(optionsPath: string): Promise<RegistrationResponse> {
  const optionsJSON = await api<CreationOptions>('POST', optionsPath)
  return startRegistration({ optionsJSON })
}

/** Request options from `optionsPath` (with `body`), then the browser's prompt: the assertion. */
export async function getAssertion(optionsPath: string, body?: unknown): Promise<AuthenticationResponse> {
  const optionsJSON = await api<RequestOptions>('POST', optionsPath, body)
  return startAuthentication({ optionsJSON })
}

/** A closed prompt, in the page's words: shown as information, not as an error (nothing went wrong). */
export class CalmMessage {
  constructor(readonly text: string) {}
}
