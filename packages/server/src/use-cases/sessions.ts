import { MINUTE_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { RECENT_SIGN_IN_MS, sessionLimits } from '../domain/sign-in/sign-in-flow.js'
import { newToken, parseToken, secretMatches } from '../domain/tokens.js'
import type { Account, Organisation, Session, Store } from '../store/store.js'
import { recordEvent } from './audit.js'
import { boundedText, inTransaction, type Context, type RequestMeta } from './context.js'

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
  input: { accountId: string; organisation: Organisation | null; amr: string[]; authenticatedAt: Date; restricted: boolean; meta: RequestMeta },
): Promise<{ token: string; session: Session }> {
  const now = ctx.clock.now()
  const { maxMs } = sessionLimits(input.organisation)
  const token = newToken(ctx.random)
  const session: Session = {
    id: token.id,
    secretHash: token.secretHash,
    accountId: input.accountId,
    amr: input.amr,
    authenticatedAt: input.authenticatedAt,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + maxMs),
    restrictedToEnrolment: input.restricted,
    userAgent: boundedText(input.meta.userAgent),
    ip: boundedText(input.meta.ip, 64),
  }
  await store.sessions.create(session)
  return { token: token.token, session }
}

/**
 * Resolves a session cookie: `null` for every kind of invalid token (unknown, wrong secret,
 * expired, idle too long, a deactivated account), so no answer tells them apart. The session row
 * is read on every request, so a session ended anywhere is refused everywhere at once (SC-12).
 * Idle time is the organisation's, refreshed at most once a minute, never past the absolute
 * expiry (SC-07).
 */
export async function resolveSession(ctx: Context, token: string | undefined): Promise<Authenticated | null> {
  const parsed = parseToken(token)
  if (!parsed) return null
  const session = await ctx.store.sessions.get(parsed.id)
  if (!session || !secretMatches(session.secretHash, parsed.secret)) return null
  const now = ctx.clock.now()
  const account = session.expiresAt > now ? await ctx.store.accounts.get(session.accountId) : undefined
  if (!account || account.deactivatedAt) {
    await ctx.store.sessions.remove(session.id)
    return null
  }
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  const limits = sessionLimits(organisation)
  // The organisation's limits as they are now: shortening them also shortens sessions already open.
  if (session.lastSeenAt.getTime() + limits.idleMs <= now.getTime() || session.createdAt.getTime() + limits.maxMs <= now.getTime()) {
    await ctx.store.sessions.remove(session.id)
    return null
  }
  if (now.getTime() - session.lastSeenAt.getTime() > MINUTE_MS) await ctx.store.sessions.touch(session.id, now)
  return { session, account, organisation }
}

/**
 * A session that may reach everything its account may: not restricted to enrolment, and no new
 * password owed. OpenID Connect and forward auth answer only for such a session.
 */
export function fullySignedIn(auth: Authenticated): boolean {
  return !auth.session.restrictedToEnrolment && !auth.account.mustChangePassword
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
    passwordChangeRequired: auth.account.mustChangePassword,
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
  const { token, session } = await createSession(tx, tx.store, { accountId: account.id, organisation: auth.organisation, amr, authenticatedAt: auth.session.authenticatedAt, restricted: false, meta })
  await tx.store.sessions.remove(auth.session.id)
  await tx.store.accounts.update(account.id, { lastSignInAt: now })
  await recordEvent(tx.store, now, meta, { event: 'sign_in.enrolment_completed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details })
  return { token, auth: { ...auth, session } }
}

/** One session as its owner or an admin sees it (SC-12); `currentId` marks the asking browser. */
function describeSessionRow(session: Session, idleMs: number, currentId: string | null) {
  const idleEnds = session.lastSeenAt.getTime() + idleMs
  return {
    id: session.id,
    current: session.id === currentId,
    userAgent: session.userAgent,
    ip: session.ip,
    amr: session.amr,
    signedInAt: session.authenticatedAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: new Date(Math.min(idleEnds, session.expiresAt.getTime())).toISOString(),
    restrictedToEnrolment: session.restrictedToEnrolment,
  }
}

/** The sessions of an account that are still alive, with the organisation's limits. */
export async function listSessions(ctx: Context, account: Account, organisation: Organisation | null, currentId: string | null) {
  const now = ctx.clock.now().getTime()
  const { idleMs, maxMs } = sessionLimits(organisation)
  const sessions = (await ctx.store.sessions.listForAccount(account.id))
    .filter((s) => s.expiresAt.getTime() > now && s.lastSeenAt.getTime() + idleMs > now)
    .map((s) => describeSessionRow(s, idleMs, currentId))
  return { sessions, idleMinutes: idleMs / MINUTE_MS, maxHours: maxMs / (60 * MINUTE_MS) }
}

/** Ends one of one's own sessions (this one too: that is signing out). */
export async function endOwnSession(ctx: Context, auth: Authenticated, sessionId: string, meta: RequestMeta) {
  await inTransaction(ctx, async (tx) => {
    if (!(await tx.store.sessions.removeForAccount(auth.account.id, sessionId))) throw new CountersignError('NOT_FOUND')
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'session.ended', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { sessionId, current: sessionId === auth.session.id } })
  })
}

/** "Sign out everywhere else": every other session of the account ends; this one stays. */
export async function endOtherSessions(ctx: Context, auth: Authenticated, meta: RequestMeta) {
  return inTransaction(ctx, async (tx) => {
    const ended = await endSessions(tx, auth.account.id, auth.session.id)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'session.others_ended', organisationId: auth.account.organisationId, accountId: auth.account.id, actor: `account:${auth.account.id}`, details: { ended } })
    return { ended }
  })
}

/**
 * Ends an account's sessions (all, or all but `exceptId`) and revokes its OpenID Connect grants
 * and tokens, in the caller's transaction. Every instance reads the session row on each request,
 * so this takes effect everywhere at once (SC-12); a refresh token stops working with its grant.
 */
export async function endSessions(tx: Context, accountId: string, exceptId?: string): Promise<number> {
  const ended = await tx.store.sessions.removeAllForAccount(accountId, exceptId)
  await tx.store.oidc.revokeByAccount(accountId)
  return ended
}

/**
 * What a password opened, ended at once: the account's sessions (all, or all but `keepSessionId`)
 * and OpenID Connect tokens, its remembered browsers (SC-09, F-LOGIN-3) and any reset link. For a
 * new password and a deactivation, in the caller's transaction.
 */
export async function endAllAccess(tx: Context, accountId: string, keepSessionId?: string) {
  const endedSessions = await endSessions(tx, accountId, keepSessionId)
  const forgottenBrowsers = await tx.store.rememberedBrowsers.removeAllForAccount(accountId)
  await tx.store.passwordResets.removeForAccount(accountId)
  return { endedSessions, forgottenBrowsers }
}
