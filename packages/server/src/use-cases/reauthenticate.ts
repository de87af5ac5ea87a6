import type { MethodKind } from '@countersign/protocol'
import { CountersignError } from '../domain/errors.js'
import type { CodeChannel } from '../domain/methods/one-time-code.js'
import { hasVerifiedPhone } from '../domain/phone-number.js'
import { amrFor, offeredMethods } from '../domain/sign-in/sign-in-flow.js'
import type { Device } from '../store/store.js'
import type { Context, RequestMeta } from './context.js'
import { checkStoredCode, issueAndSendCode } from './one-time-codes.js'
import { availableMethods, ensureNotLocked, verifySecondFactor } from './second-factor.js'
import type { Authenticated } from './sessions.js'
import { checkAssertion, passkeyAmr } from './passkeys.js'
import type { AuthenticationResponseJSON } from '@simplewebauthn/server'

export { availableMethods }

/** Every method an organisation may allow, for accounts without one (staff). */
const EVERY_METHOD: MethodKind[] = ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code']

/** The methods whose proof is a typed code, and passkeys: what the re-authentication dialog can ask for. */
const CODE_METHODS: readonly MethodKind[] = ['totp', 'sms', 'email']
const REAUTHENTICATION_METHODS: readonly MethodKind[] = [...CODE_METHODS, 'passkey']

/**
 * The second factors that count for this session's re-authentication, as at sign-in (the account's
 * set-up methods the organisation allows, preferred first): an app, SMS to a verified number (or,
 * under F-OTP-4, to the e-mail address), e-mail when it is the chosen method. A session restricted
 * to enrolment has proved no factor yet, so it re-enters the password only.
 */
function methodsForReauthentication(auth: Authenticated, devices: readonly Device[]): MethodKind[] {
  if (auth.session.restrictedToEnrolment) return []
  return offeredMethods({ available: availableMethods(devices, auth.account), allowed: auth.organisation?.allowedMethods ?? EVERY_METHOD, preferred: auth.account.preferredMethod })
}

/** What the dialog offers (`GET /api/v1/account/security`): the methods above proved by a code. */
export function reauthenticationMethods(auth: Authenticated, devices: readonly Device[]): MethodKind[] {
  return methodsForReauthentication(auth, devices).filter((m) => REAUTHENTICATION_METHODS.includes(m))
}

/**
 * "Send me a code" in the re-authentication dialog (issue 5): a `reauth` code to the account's own
 * phone or address (never one the caller names, RB-11), with the sign-in codes' cool-down and
 * budgets (BF-11), bound to this session (RR-06), never to a locked account.
 */
export async function sendReauthenticationCode(ctx: Context, auth: Authenticated, input: { method: 'sms' | 'email' }, meta: RequestMeta) {
  const { account, organisation } = auth
  const methods = methodsForReauthentication(auth, await ctx.store.devices.listActive(account.id))
  if (!methods.includes(input.method)) throw new CountersignError('INVALID_REQUEST', { field: 'method', detail: 'is not set up for this account' })
  await ensureNotLocked(ctx, account, meta, 'reauthentication_send_code')
  const toPhone = input.method === 'sms' && hasVerifiedPhone(account)
  const sent = await issueAndSendCode(
    ctx,
    {
      account,
      organisation,
      purpose: 'reauth',
      channel: toPhone ? 'sms' : 'email',
      destination: toPhone ? account.phone! : account.email,
      flowId: auth.session.id,
      method: input.method,
    },
    meta,
  )
  return { sentTo: sent.sentTo, expiresAt: sent.expiresAt.toISOString(), channel: sent.channel }
}

/**
 * The second half of re-authentication: an account with a factor must prove one again — an app
 * code, or the `reauth` code sent by SMS or e-mail — on the same lockout counter as sign-in
 * (F-LOGIN-4); the password alone is not enough. An account without one (forced enrolment, 2FA
 * off) re-enters the password only. Returns the `amr` of the new session.
 */
export async function secondFactorStepForReauthentication(
  ctx: Context,
  auth: Authenticated,
  input: { method?: MethodKind; code?: string; passkey?: AuthenticationResponseJSON },
  meta: RequestMeta,
): Promise<string[]> {
  const methods = methodsForReauthentication(auth, await ctx.store.devices.listActive(auth.account.id))
  if (methods.length === 0) return amrFor(null)
  if (input.method === 'passkey' && methods.includes('passkey')) {
    // A passkey's assertion against this session's challenge, on the same counter (F-X-1).
    if (!input.passkey) throw new CountersignError('CODE_INVALID', { detail: 'a passkey assertion is needed' })
    const response = input.passkey
    let userVerified = false
    await verifySecondFactor(
      ctx,
      {
        account: auth.account,
        organisation: auth.organisation,
        method: 'passkey',
        code: undefined,
        check: async (tx) => {
          const result = await checkAssertion(tx, { account: auth.account, response, purpose: 'second_factor', owner: auth.session.id, requireUserVerification: false }, meta)
          userVerified = result.ok && result.userVerified === true
          return result
        },
      },
      meta,
      async () => undefined,
    )
    return passkeyAmr(userVerified, true)
  }
  // Without `method` an app code is meant when the account has an app (as before codes by SMS
  // and e-mail counted here), else the first method that takes a code.
  const method = input.method ?? (methods.includes('totp') ? 'totp' : (methods.find((m) => CODE_METHODS.includes(m)) ?? methods[0]!))
  if (input.code === undefined) throw new CountersignError('CODE_INVALID', { detail: 'a code is needed' })
  const offered = methods.includes(method) ? method : null
  let channel: CodeChannel | undefined
  const byMessage = offered === 'sms' || offered === 'email' ? offered : null
  await verifySecondFactor(
    ctx,
    {
      account: auth.account,
      organisation: auth.organisation,
      method: offered,
      code: input.code,
      ...(byMessage
        ? {
            check: async (tx: Context) => {
              const checked = await checkReauthenticationCode(tx, auth, byMessage, input.code)
              channel = checked.consumed?.channel
              return checked
            },
          }
        : {}),
    },
    meta,
    async () => undefined,
  )
  // SC-11: `amr` says what was proved; an SMS request answered by e-mail (F-OTP-4) is `mail`.
  return amrFor(channel === 'email' ? 'email' : method)
}

/**
 * A re-authentication code: sent for this session, by the channel of the method (an SMS request
 * without a verified number went to the e-mail address, F-OTP-4).
 */
function checkReauthenticationCode(ctx: Context, auth: Authenticated, method: 'sms' | 'email', code: string | undefined) {
  const fallback = !hasVerifiedPhone(auth.account)
  return checkStoredCode(ctx, {
    accountId: auth.account.id,
    purpose: 'reauth',
    code,
    accept: (stored) => stored.flowId === auth.session.id && (stored.channel === method || (method === 'sms' && fallback && stored.channel === 'email')),
  })
}
