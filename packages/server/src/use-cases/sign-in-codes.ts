import { CountersignError } from '../domain/errors.js'
import { hasVerifiedPhone } from '../domain/phone-number.js'
import type { Context, RequestMeta } from './context.js'
import { issueAndSendCode } from './one-time-codes.js'
import { ensureNotLocked } from './second-factor.js'
import { loadFlow } from './sign-in.js'


/**
 * "Send me a code" / "Send a new code" (F-OTP-1, F-OTP-2) for the sign-in flow in progress: only
 * after a correct password, only for a method the flow offers, never to a locked account. The
 * destination is the account's own: a verified phone for SMS, else (F-OTP-4) the account's e-mail
 * address, which an attacker cannot choose (RB-11).
 */
export async function sendSignInCode(ctx: Context, input: { flowToken: string | undefined; method: 'sms' | 'email' }, meta: RequestMeta) {
  const flow = await loadFlow(ctx, input.flowToken, 'awaiting_second_factor')
  const account = await ctx.store.accounts.get(flow.accountId)
  if (!account) throw new CountersignError('FLOW_EXPIRED')
  if (!flow.methods.includes(input.method)) throw new CountersignError('INVALID_REQUEST', { field: 'method', detail: 'is not offered in this sign-in' })
  await ensureNotLocked(ctx, account, meta, 'send_code')
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  const toPhone = input.method === 'sms' && hasVerifiedPhone(account)
  const sent = await issueAndSendCode(
    ctx,
    {
      account,
      organisation,
      purpose: 'sign_in',
      channel: toPhone ? 'sms' : 'email',
      destination: toPhone ? account.phone! : account.email,
      flowId: flow.id,
      method: input.method,
    },
    meta,
  )
  return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString(), channel: sent.channel }
}
