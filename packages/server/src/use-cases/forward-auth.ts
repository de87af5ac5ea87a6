import { hasSecondFactor, matchOrigin, parseAbsoluteUrl } from '../domain/return-url.js'
import type { Context } from './context.js'
import { accountLocked, fullySignedIn, resolveSession, type Authenticated } from './sessions.js'

/** Who the proxy may let through, as the `Remote-*` headers tell the application (F-INT-2). */
export interface ForwardedIdentity {
  username: string
  email: string
  organisation: string
  /** RFC 8176, as in the session: `mfa` only when this sign-in did a second factor (SC-11). */
  amr: readonly string[]
}

/**
 * What forward auth answers a proxy:
 * - `allowed`: a full session of an organisation that allows this origin, with a second factor
 *   where the origin asks for one;
 * - `sign_in`: signed out, or signed in without what this origin needs: go to the sign-in page,
 *   with `returnUrl` only when some organisation allows its origin;
 * - `forbidden`: signed in, but this account's organisation does not allow this origin.
 */
export type ForwardAuthDecision =
  | { outcome: 'allowed'; identity: ForwardedIdentity }
  | { outcome: 'sign_in'; reason: 'no_session' | 'account_locked' | 'enrolment_pending' | 'password_change_required' | 'second_factor_required' | 'unknown_url'; returnUrl: string | null; secondFactor: boolean }
  | { outcome: 'forbidden'; reason: 'origin_not_allowed' | 'no_organisation' }

/**
 * Decides one forward-auth request. `url` is the protected URL as the proxy described it, already
 * parsed (`null` when missing or malformed: then nobody is let through, RB-09).
 *
 * | step                                    | signed out | enrolment only | signed in |
 * |-----------------------------------------|------------|----------------|-----------|
 * | protected URL must be known             | ✓          | ✓              | ✓         |
 * | return URL from all organisations' list | ✓          | ✓              |           |
 * | origin in own organisation's list       |            |                | ✓ → 403   |
 * | `mfa` in amr where the origin asks      |            |                | ✓ → sign in |
 */
export async function decideForwardAuth(ctx: Context, input: { sessionToken: string | undefined; url: URL | null }): Promise<ForwardAuthDecision> {
  const resolved = await resolveSession(ctx, input.sessionToken)
  // BF-08: a locked account's session lets nobody through; the sign-in page then says why.
  const locked = resolved !== null && (await accountLocked(ctx, resolved.account.id))
  const auth = locked ? null : resolved
  if (input.url === null) return { outcome: 'sign_in', reason: 'unknown_url', returnUrl: null, secondFactor: false }
  // SC-03: a session that may only enrol, or owes a new password, is no session for an application.
  if (!auth || !fullySignedIn(auth)) {
    const entries = (await ctx.store.organisations.list()).flatMap((org) => org.allowedOrigins)
    const known = entries.filter((entry) => entry.origin === input.url!.origin)
    return {
      outcome: 'sign_in',
      reason: auth ? (auth.session.restrictedToEnrolment ? 'enrolment_pending' : 'password_change_required') : locked ? 'account_locked' : 'no_session',
      returnUrl: known.length > 0 ? input.url.href : null,
      secondFactor: known.some((entry) => entry.requireSecondFactor),
    }
  }
  if (!auth.organisation) return { outcome: 'forbidden', reason: 'no_organisation' }
  const entry = matchOrigin(input.url, auth.organisation.allowedOrigins)
  if (!entry) return { outcome: 'forbidden', reason: 'origin_not_allowed' }
  if (entry.requireSecondFactor && !hasSecondFactor(auth.session.amr)) {
    return { outcome: 'sign_in', reason: 'second_factor_required', returnUrl: input.url.href, secondFactor: true }
  }
  return {
    outcome: 'allowed',
    identity: { username: auth.account.username, email: auth.account.email, organisation: auth.organisation.slug, amr: auth.session.amr },
  }
}

/**
 * Where the sign-in page may send a signed-in browser: `url` (normalised) when the session's
 * organisation allows its origin and the session has the second factor the origin asks for;
 * otherwise `null`, and `secondFactorRequired` says when a sign-in with a second factor would do.
 */
export function returnUrlFor(auth: Authenticated, value: string): { url: string | null; secondFactorRequired: boolean } {
  const url = parseAbsoluteUrl(value)
  const entry = url && auth.organisation ? matchOrigin(url, auth.organisation.allowedOrigins) : undefined
  if (!url || !entry) return { url: null, secondFactorRequired: false }
  if (entry.requireSecondFactor && !hasSecondFactor(auth.session.amr)) return { url: null, secondFactorRequired: true }
  return { url: url.href, secondFactorRequired: false }
}

/** The sign-in page on our own public URL, with the return URL and the second-factor hint. */
export function signInUrl(publicUrl: string, returnUrl: string | null, secondFactor: boolean): string {
  const url = new URL('/sign-in', publicUrl)
  if (returnUrl !== null) {
    url.searchParams.set('return', returnUrl)
    if (secondFactor) url.searchParams.set('mfa', '1')
  }
  return url.href
}
