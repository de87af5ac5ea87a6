import type { MethodKind } from '@countersign/protocol'
import { MINUTE_MS } from '../clock.js'

export type FlowState = 'awaiting_second_factor' | 'awaiting_enrolment' | 'completed'

/** A pending second factor lives at most 10 minutes (SC-05, ASVS 6.5.5). */
export const FLOW_LIFETIME_MS = 10 * MINUTE_MS

/**
 * Sessions: idle at most 1 hour, absolute at most 24 hours by default (SECURITY.md §Sessions,
 * SC-07, NIST SP 800-63B AAL2); an organisation may choose 5 minutes to 12 hours idle and 1 hour to
 * 30 days absolute. Staff, who belong to no organisation, keep the defaults.
 */
export const SESSION_IDLE_MS = 60 * MINUTE_MS
export const SESSION_ABSOLUTE_MS = 24 * 60 * MINUTE_MS

export function sessionLimits(organisation: { sessionIdleMinutes: number; sessionMaxHours: number } | null): { idleMs: number; maxMs: number } {
  if (!organisation) return { idleMs: SESSION_IDLE_MS, maxMs: SESSION_ABSOLUTE_MS }
  return { idleMs: organisation.sessionIdleMinutes * MINUTE_MS, maxMs: organisation.sessionMaxHours * 60 * MINUTE_MS }
}
/** Adding or removing a factor needs a sign-in within the last 10 minutes (API.md). */
export const RECENT_SIGN_IN_MS = 10 * MINUTE_MS

/**
 * The methods a flow offers, the user's preferred one first (F-LOGIN-2), only those the
 * organisation allows and the account has set up.
 */
export function offeredMethods(input: {
  available: readonly MethodKind[]
  allowed: readonly MethodKind[]
  preferred: MethodKind | null
}): MethodKind[] {
  // The Countersign Authenticator also shows a code (F-PUSH-3): where push is allowed, its code
  // counts even when other apps' codes are not (second-factor.ts then accepts only its devices).
  const pushUsable = input.allowed.includes('push') && input.available.includes('push')
  const usable = input.available.filter((m, i, all) => (input.allowed.includes(m) || (m === 'totp' && pushUsable)) && all.indexOf(m) === i)
  const order: MethodKind[] = ['push', 'totp', 'passkey', 'sms', 'email', 'recovery_code']
  usable.sort((a, b) => order.indexOf(a) - order.indexOf(b))
  if (input.preferred && usable.includes(input.preferred)) {
    return [input.preferred, ...usable.filter((m) => m !== input.preferred)]
  }
  return usable
}

/**
 * RFC 8176 `amr` for what this sign-in did. Only a second factor actually checked adds `mfa`;
 * a remembered browser or a bypass never does (SECURITY.md T4, T9).
 */
export function amrFor(secondFactor: MethodKind | null): string[] {
  const amr = ['pwd']
  switch (secondFactor) {
    case 'totp':
      amr.push('otp')
      break
    case 'recovery_code':
      // RFC 8176 has no value for a look-up secret: `mfa` alone, nothing claimed that was not done.
      break
    case 'sms':
      amr.push('sms')
      break
    case 'email':
      amr.push('mail')
      break
    case 'push':
      amr.push('swk')
      break
    case 'passkey':
      amr.push('hwk', 'user')
      break
    case null:
      return amr
  }
  amr.push('mfa')
  return amr
}
