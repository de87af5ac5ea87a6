import type { MethodKind } from '@countersign/protocol'
import { CountersignError } from '../domain/errors.js'
import { amrFor } from '../domain/sign-in/sign-in-flow.js'
import type { Context, RequestMeta } from './context.js'
import { availableMethods, verifySecondFactor } from './second-factor.js'
import type { Authenticated } from './sessions.js'

export { availableMethods }

/**
 * The second half of re-authentication: an account with a factor proves it again, on the same
 * lockout counter as sign-in (F-LOGIN-4); an account without one (forced enrolment, 2FA off)
 * re-enters the password only. Returns the `amr` of the new session.
 */
export async function secondFactorStepForReauthentication(
  ctx: Context,
  auth: Authenticated,
  input: { method?: MethodKind; code?: string },
  meta: RequestMeta,
): Promise<string[]> {
  const methods = availableMethods(await ctx.store.devices.listActive(auth.account.id))
  if (methods.length === 0 || auth.session.restrictedToEnrolment) return amrFor(null)
  const method = input.method ?? methods[0]!
  if (input.code === undefined) throw new CountersignError('CODE_INVALID', { detail: 'a code is needed' })
  await verifySecondFactor(ctx, { account: auth.account, organisation: auth.organisation, method: methods.includes(method) ? method : null, code: input.code }, meta, async () => undefined)
  return amrFor(method)
}
