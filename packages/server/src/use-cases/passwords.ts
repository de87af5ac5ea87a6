import { HOUR_MS, MINUTE_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { DEFAULT_MIN_PASSWORD_LENGTH, judgeNewPassword, passwordContext } from '../domain/password-rules.js'
import { newToken, parseToken, secretMatches } from '../domain/tokens.js'
import { usernameKey } from '../domain/username.js'
import { DeliveryError, maskRecipient } from '../delivery/delivery.js'
import { passwordResetEmail, passwordResetOffEmail } from '../delivery/message-texts.js'
import type { Account, Organisation } from '../store/store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type AdminActor, type Context, type RequestMeta } from './context.js'
import { checkPassword } from './password-check.js'
import { sendSecurityNotice } from './security-notices.js'
import { endAllAccess, requireRecentSignIn, type Authenticated } from './sessions.js'

/*
 * Passwords over an account's life (issue 17): changing one's own, "Forgot your password?" by an
 * e-mailed link, and an admin's reset link. Each new password meets the organisation's rules
 * (domain/password-rules.ts) before any hashing; each change ends sessions and remembered browsers
 * (SC-09) and OpenID Connect tokens, and is told by e-mail.
 */

/** A reset link works for 30 minutes, once; only the newest works (RB-04 allows up to 24 h). */
export const PASSWORD_RESET_LIFETIME_MS = 30 * MINUTE_MS
/** Reset e-mails per account per hour, whoever asks: more are dropped without a word (EN-03). */
const RESETS_PER_ACCOUNT_PER_HOUR = 3

async function organisationOf(ctx: Context, account: Pick<Account, 'organisationId'>): Promise<Organisation | null> {
  return account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
}

/**
 * Refuses a new password that breaks the organisation's rules, with the reason in words
 * (422 PASSWORD_REJECTED). Cheap next to the hash it comes before: milliseconds.
 */
export async function enforcePasswordRules(
  account: Pick<Account, 'username'> & { email?: string | null },
  organisation: Pick<Organisation, 'name' | 'slug' | 'minPasswordLength'> | null,
  password: string,
): Promise<void> {
  const verdict = await judgeNewPassword(password, {
    minLength: organisation?.minPasswordLength ?? DEFAULT_MIN_PASSWORD_LENGTH,
    context: passwordContext({ username: account.username, email: account.email ?? null, organisation }),
  })
  if (!verdict.ok) {
    throw new CountersignError('PASSWORD_REJECTED', { details: { reason: verdict.reason, ...(verdict.minLength ? { minLength: verdict.minLength } : {}) } })
  }
}

/** Sets a new password (hash made by the caller, outside any transaction) and ends what the old one opened. */
async function replacePassword(tx: Context, accountId: string, passwordHash: string, keepSessionId?: string) {
  await tx.store.accounts.update(accountId, { passwordHash, passwordChangedAt: tx.clock.now(), mustChangePassword: false })
  return endAllAccess(tx, accountId, keepSessionId)
}

/**
 * My Account › Security › Password: the current password (behind the same per-name throttle as
 * sign-in, BF-12), a sign-in within 10 minutes as for factors, and a new one that meets the rules.
 * This session stays; every other one ends. One verification and one hash.
 */
export async function changePassword(ctx: Context, auth: Authenticated, input: { currentPassword: string; newPassword: string }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  if (input.newPassword.normalize('NFKC') === input.currentPassword.normalize('NFKC')) {
    throw new CountersignError('PASSWORD_REJECTED', { details: { reason: 'same_as_current' } })
  }
  await enforcePasswordRules(account, organisation, input.newPassword)
  const checked = await checkPassword(ctx, { username: account.username, storedHash: account.passwordHash, password: input.currentPassword })
  if (checked.throttled) throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: checked.retryAfterSeconds })
  if (!checked.ok) {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'password.change_failed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, reason: 'credentials_invalid' })
    throw new CountersignError('CREDENTIALS_INVALID')
  }
  const passwordHash = await ctx.hasher.hash(input.newPassword)
  const outcome = await inTransaction(ctx, async (tx) => {
    const result = await replacePassword(tx, account.id, passwordHash, auth.session.id)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'password.changed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: result })
    return result
  })
  await sendSecurityNotice(ctx, account, 'password_changed', meta)
  return { endedSessions: outcome.endedSessions }
}

/**
 * "Forgot your password?": the caller has answered `202` already, the same for every name and
 * address (EN-03), so what happens here — who exists, caps, the organisation's choice — never
 * shows in the answer or its timing. A link goes only to the address stored on the account
 * (GitLab CVE-2023-7028); by e-mail address, each account with that address gets its own.
 */
export async function requestPasswordReset(ctx: Context, input: { username?: string | undefined; email?: string | undefined }, meta: RequestMeta): Promise<void> {
  const accounts = input.username !== undefined
    ? [await ctx.store.accounts.getByUsername(usernameKey(input.username))].filter((a): a is Account => a !== undefined)
    : await ctx.store.accounts.listByEmail(input.email ?? '')
  for (const account of accounts) {
    const organisation = await organisationOf(ctx, account)
    const audit = (event: string, reason: string | null) =>
      recordEvent(ctx.store, ctx.clock.now(), meta, { event, organisationId: account.organisationId, accountId: account.id, reason })
    if (account.deactivatedAt) {
      await audit('password_reset.refused', 'account_deactivated')
      continue
    }
    const now = ctx.clock.now()
    const windowStart = new Date(now.getTime() - (now.getTime() % HOUR_MS))
    if (!(await ctx.store.sendBudgets.take(`password-reset:${account.id}`, windowStart, RESETS_PER_ACCOUNT_PER_HOUR))) {
      await audit('password_reset.refused', 'too_many_requests')
      continue
    }
    if (organisation && !organisation.selfServicePasswordReset) {
      await audit('password_reset.refused', 'self_service_off')
      await sendMail(ctx, account, passwordResetOffEmail(languageOf(account, meta), { username: account.username, organisation: organisation.name }), meta)
      continue
    }
    await issueResetLink(ctx, account, organisation, { actor: null, meta })
  }
}

/** An admin sends a user a reset link (F-POL-5), whatever the self-service setting. */
export async function adminSendPasswordReset(ctx: Context, actor: AdminActor, account: Account, meta: RequestMeta) {
  if (account.deactivatedAt) throw new CountersignError('FORBIDDEN', { detail: 'the account is deactivated' })
  const organisation = await organisationOf(ctx, account)
  const expiresAt = await issueResetLink(ctx, account, organisation, { actor: actor.actor, meta })
  return { sentTo: maskRecipient(account.email), expiresAt: expiresAt.toISOString() }
}

function languageOf(account: Pick<Account, 'language'>, meta: RequestMeta | null) {
  return account.language ?? meta?.language ?? 'en'
}

async function issueResetLink(ctx: Context, account: Account, organisation: Organisation | null, by: { actor: string | null; meta: RequestMeta }): Promise<Date> {
  const now = ctx.clock.now()
  const token = newToken(ctx.random)
  const expiresAt = new Date(now.getTime() + PASSWORD_RESET_LIFETIME_MS)
  await inTransaction(ctx, async (tx) => {
    await tx.store.passwordResets.issue({ id: token.id, accountId: account.id, secretHash: token.secretHash, createdAt: now, expiresAt })
    await recordEvent(tx.store, now, by.meta, { event: 'password_reset.requested', organisationId: account.organisationId, accountId: account.id, actor: by.actor, details: { expiresAt: expiresAt.toISOString() } })
  })
  // The secret rides in the fragment: browsers never send it to a server, so no log or Referer holds it.
  const link = `${ctx.config.publicUrl}/password-reset#token=${token.token}`
  const mail = passwordResetEmail(languageOf(account, by.meta), { link, username: account.username, organisation: organisation?.name ?? 'Countersign', minutes: PASSWORD_RESET_LIFETIME_MS / MINUTE_MS })
  await sendMail(ctx, account, mail, by.meta)
  return expiresAt
}

/** Sends after the commit; a failure is logged and audited (the user can ask again), never thrown. */
async function sendMail(ctx: Context, account: Account, mail: { subject: string; text: string; html: string }, meta: RequestMeta) {
  try {
    await ctx.delivery.mailer.send({ to: account.email, ...mail })
  } catch (error) {
    const reason = error instanceof DeliveryError ? error.reason : 'error'
    ctx.delivery.log.warn({ event: 'password_reset_mail_failed', to: maskRecipient(account.email), reason }, 'could not send a password reset e-mail')
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'password_reset.delivery_failed', organisationId: account.organisationId, accountId: account.id, reason }).catch(() => {})
  }
}

/**
 * The link's page: a new password for the account the link was made for. Every unusable link —
 * unknown, wrong secret, expired, used, replaced by a newer one, a deactivated account — is one
 * RESET_LINK_INVALID. A refused password leaves the link usable. A reset never signs in; the next
 * sign-in still asks for the second factor (RB-04). One hash.
 */
export async function completePasswordReset(ctx: Context, input: { token: string; newPassword: string }, meta: RequestMeta) {
  const parsed = parseToken(input.token)
  const reset = parsed ? await ctx.store.passwordResets.get(parsed.id) : undefined
  const account = reset ? await ctx.store.accounts.get(reset.accountId) : undefined
  const now = ctx.clock.now()
  if (!parsed || !reset || !secretMatches(reset.secretHash, parsed.secret) || reset.expiresAt <= now || !account || account.deactivatedAt) {
    await recordEvent(ctx.store, now, meta, { event: 'password_reset.refused', organisationId: account?.organisationId ?? null, accountId: account?.id ?? null, reason: 'link_invalid' })
    throw new CountersignError('RESET_LINK_INVALID')
  }
  const organisation = await organisationOf(ctx, account)
  await enforcePasswordRules(account, organisation, input.newPassword)
  const passwordHash = await ctx.hasher.hash(input.newPassword)
  const outcome = await inTransaction(ctx, async (tx) => {
    // Used once: of two racers with the same link, one deletes the row and the other is refused.
    if (!(await tx.store.passwordResets.consume(reset.id, tx.clock.now()))) return null
    const result = await replacePassword(tx, account.id, passwordHash)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'password.reset', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: result })
    return result
  })
  if (!outcome) throw new CountersignError('RESET_LINK_INVALID')
  // Whoever was guessing this name's password before no longer slows its owner down.
  await ctx.store.passwordThrottle.settle(usernameKey(account.username), 'success', ctx.clock.now())
  await sendSecurityNotice(ctx, account, 'password_reset', meta)
  if (organisation?.notifyAdminsOfPasswordReset) {
    const admins = (await ctx.store.accounts.listAdmins(organisation.id)).filter((a) => a.id !== account.id).map((a) => a.email)
    if (admins.length > 0) await sendSecurityNotice(ctx, account, 'password_reset', meta, { to: admins })
  }
  return { username: account.username }
}
