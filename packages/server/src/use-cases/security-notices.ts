import { securityNoticeEmail, type SecurityNotice } from '../delivery/message-texts.js'
import { DeliveryError, maskRecipient } from '../delivery/delivery.js'
import type { Account } from '../store/store.js'
import { recordEvent } from './audit.js'
import type { Context, RequestMeta } from './context.js'

/**
 * F-POL-7: tells the user by e-mail that something changed on their account, with the time, the
 * browser and the IP, in their language. Called after the commit. A failed send is logged and
 * audited, never fatal: the change itself has happened.
 */
export async function sendSecurityNotice(
  ctx: Context,
  account: Pick<Account, 'id' | 'username' | 'email' | 'language' | 'organisationId'>,
  notice: SecurityNotice,
  meta: RequestMeta | null,
  options: { to?: readonly string[] } = {},
): Promise<void> {
  const at = ctx.clock.now()
  const organisation = account.organisationId ? await ctx.store.organisations.get(account.organisationId).catch(() => undefined) : undefined
  const language = account.language ?? meta?.language ?? 'en'
  const mail = securityNoticeEmail(language, {
    notice,
    username: account.username,
    organisation: organisation?.name ?? 'Countersign',
    at,
    browser: meta?.userAgent ?? null,
    ip: meta?.ip ?? null,
  })
  for (const to of options.to ?? [account.email]) {
    try {
      await ctx.delivery.mailer.send({ to, ...mail })
    } catch (error) {
      const reason = error instanceof DeliveryError ? error.reason : 'error'
      const detail = ctx.delivery.scrub(error instanceof DeliveryError ? error.message : 'unexpected error')
      ctx.delivery.log.warn({ event: 'notice_failed', notice, to: maskRecipient(to), reason, detail }, 'could not send a security notice')
      await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'notice.delivery_failed', organisationId: account.organisationId, accountId: account.id, reason, details: { notice, detail } }).catch(() => {})
    }
  }
}
