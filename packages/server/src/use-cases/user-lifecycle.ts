import { CountersignError } from '../domain/errors.js'
import { usernameKey } from '../domain/username.js'
import type { Account } from '../store/store.js'
import { accountOrNotFound, getUser } from './administration.js'
import { recordEvent } from './audit.js'
import { inTransaction, type AdminActor, type Context, type RequestMeta } from './context.js'
import { endAllAccess, endSessions, listSessions } from './sessions.js'

/*
 * An admin and a user's account over its life (issue 17, SC-12): the user's sessions, "sign out
 * everywhere", deactivation and erasure.
 */

/** An admin acts on someone else, and only staff on staff. */
async function targetOf(ctx: Context, actor: AdminActor, id: string, action: string): Promise<Account> {
  const account = await accountOrNotFound(ctx, actor, id)
  if (account.role === 'staff' && actor.kind !== 'staff') throw new CountersignError('FORBIDDEN')
  if (actor.accountId === account.id) throw new CountersignError('FORBIDDEN', { detail: `not for yourself: ${action}` })
  return account
}

export async function adminListSessions(ctx: Context, actor: AdminActor, id: string) {
  const account = await accountOrNotFound(ctx, actor, id)
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  return listSessions(ctx, account, organisation, null)
}

/** "Sign out everywhere": every session and OpenID Connect token of the user ends (SC-12). */
export async function adminEndSessions(ctx: Context, actor: AdminActor, id: string, meta: RequestMeta) {
  const account = await accountOrNotFound(ctx, actor, id)
  if (account.role === 'staff' && actor.kind !== 'staff') throw new CountersignError('FORBIDDEN')
  return inTransaction(ctx, async (tx) => {
    const ended = await endSessions(tx, account.id)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'session.all_ended', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, details: { ended } })
    return { ended }
  })
}

/**
 * Deactivate: the user can no longer sign in (the password step answers as for a wrong password),
 * every session, token, remembered browser and reset link ends, and the account stays for the
 * audit. Repeating it changes nothing.
 */
export async function deactivateUser(ctx: Context, actor: AdminActor, id: string, meta: RequestMeta) {
  const account = await targetOf(ctx, actor, id, 'deactivate')
  if (!account.deactivatedAt) {
    await inTransaction(ctx, async (tx) => {
      await tx.store.accounts.update(account.id, { deactivatedAt: tx.clock.now() })
      const { endedSessions } = await endAllAccess(tx, account.id)
      await recordEvent(tx.store, tx.clock.now(), meta, { event: 'account.deactivated', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, details: { endedSessions } })
    })
  }
  return getUser(ctx, actor, account.id)
}

export async function reactivateUser(ctx: Context, actor: AdminActor, id: string, meta: RequestMeta) {
  const account = await targetOf(ctx, actor, id, 'reactivate')
  if (account.deactivatedAt) {
    await inTransaction(ctx, async (tx) => {
      await tx.store.accounts.update(account.id, { deactivatedAt: null })
      await recordEvent(tx.store, tx.clock.now(), meta, { event: 'account.reactivated', organisationId: account.organisationId, accountId: account.id, actor: actor.actor })
    })
  }
  return getUser(ctx, actor, account.id)
}

/** Keys of audit details that hold personal data; their values become the pseudonym. */
const PERSONAL_KEYS = new Set(['username', 'email', 'phone', 'to', 'sentTo', 'destination', 'name', 'oldEmail', 'newEmail'])

/** The audit's stand-in for an erased account. */
export function pseudonymFor(accountId: string): string {
  return `deleted-user-${accountId}`
}

/**
 * Replaces personal data in an event's details, at any depth: values under personal keys, and any
 * text that is the account's user name, e-mail address or phone number.
 */
export function scrubPersonalData(details: Record<string, unknown>, account: Pick<Account, 'id' | 'username' | 'email' | 'phone'>): Record<string, unknown> {
  const pseudonym = pseudonymFor(account.id)
  const personal = new Set([usernameKey(account.username), account.email.toLowerCase(), ...(account.phone ? [account.phone] : [])])
  const scrub = (value: unknown, key: string | null): unknown => {
    if (typeof value === 'string') return (key !== null && PERSONAL_KEYS.has(key)) || personal.has(usernameKey(value)) ? pseudonym : value
    if (Array.isArray(value)) return value.map((item) => scrub(item, key))
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)]))
    return value
  }
  return scrub(details, null) as Record<string, unknown>
}

/**
 * Delete = erasure (GDPR art. 17): the account row goes, and with it (foreign keys, ON DELETE
 * CASCADE) its devices, passkeys, codes, recovery codes, sessions, remembered browsers, push
 * pairings and subscriptions, reset links; its OpenID Connect records, its password throttle row
 * (keyed by the name) and the development outbox's messages to it go too. The audit keeps its
 * events — the security record of what happened — with the account as `deleted-user-<id>` and
 * personal data in their details replaced; one more event records the deletion. Not undoable.
 */
export async function deleteUser(ctx: Context, actor: AdminActor, id: string, meta: RequestMeta) {
  const account = await targetOf(ctx, actor, id, 'delete')
  await inTransaction(ctx, async (tx) => {
    await tx.store.oidc.revokeByAccount(account.id)
    await tx.store.outbox.removeForRecipients([account.email, ...(account.phone ? [account.phone] : [])])
    await tx.store.passwordThrottle.settle(usernameKey(account.username), 'success', tx.clock.now())
    const pseudonymised = await tx.store.audit.pseudonymise(account.id, (details) => scrubPersonalData(details, account))
    if (!(await tx.store.accounts.remove(account.id))) throw new CountersignError('NOT_FOUND')
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'account.deleted', organisationId: account.organisationId, accountId: account.id, actor: actor.actor, details: { account: pseudonymFor(account.id), pseudonymisedEvents: pseudonymised } })
  })
}
