import { MINUTE_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, RECENT_SIGN_IN_MS } from '../domain/sign-in/sign-in-flow.js'
import { newToken, parseToken, secretMatches } from '../domain/tokens.js'
import type { Account, Organisation, Session, Store } from '../store/store.js'
import { recordEvent } from './audit.js'
import { boundedText, type Context, type RequestMeta } from './context.js'

/** A signed-in caller: the session row, its account and organisation. */
export interface Authenticated {
  session: Session
  account: Account
  organisation: Organisation | null
}

/** Creates a session and returns its cookie value; the token is never stored (SR-05). */
export async function createSession(
  ctx: Context,
  store: Store,
  input: { accountId: string; amr: string[]; authenticatedAt: Date; restricted: boolean; meta: RequestMeta },
): Promise<{ token: string; session: Session }> {
  const now = ctx.clock.now()
  const token = newToken(ctx.random)
  const session: Session = {
    id: token.id,
    secretHash: token.secretHash,
    accountId: input.accountId,
    amr: input.amr,
    authenticatedAt: input.authenticatedAt,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
    restrictedToEnrolment: input.restricted,
    userAgent: boundedText(input.meta.userAgent),
    ip: boundedText(input.meta.ip, 64),
  }
  await store.sessions.create(session)
  return { token: token.token, session }
}

/**
 * Resolves a session cookie: `null` for every kind of invalid token (unknown, wrong secret,
 * expired, idle too long), so no answer tells them apart. Idle time is refreshed at most once a
 * minute, never past the absolute expiry (SC-07).
 */
export async function resolveSession(ctx: Context, token: string | undefined): Promise<Authenticated | null> {
  const parsed = parseToken(token)
  if (!parsed) return null
  const session = await ctx.store.sessions.get(parsed.id)
  if (!session || !secretMatches(session.secretHash, parsed.secret)) return null
  const now = ctx.clock.now()
  if (session.expiresAt <= now || session.lastSeenAt.getTime() + SESSION_IDLE_MS <= now.getTime()) {
    await ctx.store.sessions.remove(session.id)
    return null
  }
  const account = await ctx.store.accounts.get(session.accountId)
  if (!account) return null
  if (now.getTime() - session.lastSeenAt.getTime() > MINUTE_MS) await ctx.store.sessions.touch(session.id, now)
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  return { session, account, organisation }
}

/** Sensitive changes need a sign-in within the last 10 minutes (API.md, SC-14). */
export function requireRecentSignIn(ctx: Context, auth: Authenticated): void {
  if (ctx.clock.now().getTime() - auth.session.authenticatedAt.getTime() > RECENT_SIGN_IN_MS) {
    throw new CountersignError('REAUTHENTICATION_REQUIRED')
  }
}

export async function signOut(ctx: Context, token: string | undefined): Promise<void> {
  const parsed = parseToken(token)
  if (!parsed) return
  const session = await ctx.store.sessions.get(parsed.id)
  if (session && secretMatches(session.secretHash, parsed.secret)) await ctx.store.sessions.remove(session.id)
}

/** The public shape of a session (API.md `Session`). */
export function describeSession(auth: Authenticated) {
  return {
    account: {
      id: auth.account.id,
      username: auth.account.username,
      role: auth.account.role,
      organisation: auth.organisation
        ? { id: auth.organisation.id, slug: auth.organisation.slug, name: auth.organisation.name }
        : null,
    },
    amr: auth.session.amr,
    authenticatedAt: auth.session.authenticatedAt.toISOString(),
    expiresAt: auth.session.expiresAt.toISOString(),
    restrictedToEnrolment: auth.session.restrictedToEnrolment,
  }
}

/**
 * True while the account is locked by wrong codes (F-LOGIN-4). A lock stops every pathway — OIDC,
 * forward auth — also for a session made before the lock (BF-08, RB-08).
 */
export async function accountLocked(ctx: Context, accountId: string): Promise<boolean> {
  const lockout = await ctx.store.lockouts.get(accountId)
  return lockout.lockedAt !== null && (!lockout.lockedUntil || lockout.lockedUntil > ctx.clock.now())
}

/**
 * Enrolment done (F-LOGIN-5, F-OTP-4): the session restricted to enrolment gives way to a full one
 * with a fresh id (SC-01) and the same sign-in time; `amr` says what this sign-in proved.
 */
export async function completeEnrolment(tx: Context, auth: Authenticated, amr: string[], details: Record<string, unknown>, meta: RequestMeta) {
  const { account } = auth
  const now = tx.clock.now()
  const { token, session } = await createSession(tx, tx.store, { accountId: account.id, amr, authenticatedAt: auth.session.authenticatedAt, restricted: false, meta })
  await tx.store.sessions.remove(auth.session.id)
  await tx.store.accounts.update(account.id, { lastSignInAt: now })
  await recordEvent(tx.store, now, meta, { event: 'sign_in.enrolment_completed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details })
  return { token, auth: { ...auth, session } }
}
