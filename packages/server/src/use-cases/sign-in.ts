import type { MethodKind } from '@countersign/protocol'
import { DAY_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { secondFactorRequirement, type Requirement } from '../domain/sign-in/second-factor-requirement.js'
import { amrFor, FLOW_LIFETIME_MS, offeredMethods, type FlowState } from '../domain/sign-in/sign-in-flow.js'
import { newToken, parseToken, secretMatches } from '../domain/tokens.js'
import { usernameKey } from '../domain/username.js'
import { hasVerifiedPhone } from '../domain/phone-number.js'
import type { Account, Device, Organisation, SignInFlow, Store } from '../store/store.js'
import { recordEvent } from './audit.js'
import { boundedText, inTransaction, type Context, type RequestMeta } from './context.js'
import { availableMethods, ensureNotLocked, verifySecondFactor } from './second-factor.js'
import { checkPassword } from './password-check.js'
import { recoveryCodeCheck, recoveryCodesLeft } from './recovery-codes.js'
import { sendSecurityNotice } from './security-notices.js'
import { createSession, type Authenticated } from './sessions.js'

export type SignInResult =
  | { state: 'completed'; auth: Authenticated; sessionToken: string; rememberToken?: string; reason: string; /** After a recovery code: how many are left. */ recoveryCodesLeft?: number }
  | {
      state: Exclude<FlowState, 'completed'>
      flow: SignInFlow
      flowToken: string
      /** Forced enrolment (F-LOGIN-5, F-POL-4): a session that reaches only the enrolment endpoints. */
      restricted?: { auth: Authenticated; sessionToken: string }
      reason: string
      /** The organisation's "Remember this browser for N days" (0: not offered), for the page. */
      rememberBrowserDays?: number
    }

/**
 * Step one (F-LOGIN-1): the password. Unknown user names and wrong passwords take the same path,
 * the same time (a dummy argon2 run) and the same answer. A locked account is reported only after
 * a correct password (T7). Then the policy decides whether a second factor is due, and why.
 */
export async function passwordStep(
  ctx: Context,
  input: {
    username: string
    password: string
    rememberToken: string | undefined
    /** An application asked for a second factor (OIDC `acr_values=mfa`, a protected host): no remembered browser, no bypass, no policy exemption skips it. */
    requireSecondFactor?: boolean | undefined
  },
  meta: RequestMeta,
): Promise<SignInResult> {
  const { store } = ctx
  const account = await store.accounts.getByUsername(usernameKey(input.username))
  const checked = await checkPassword(ctx, { username: input.username, storedHash: account?.passwordHash ?? null, password: input.password })
  if (checked.throttled) {
    // Same answer whether the name exists (BF-12): the throttle is keyed by the name as typed.
    if (account) {
      await recordEvent(store, ctx.clock.now(), meta, { event: 'sign_in.password_throttled', organisationId: account.organisationId, accountId: account.id, reason: 'too_many_password_failures' })
    }
    throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: checked.retryAfterSeconds })
  }
  const passwordOk = checked.ok
  const now = ctx.clock.now()
  // A deactivated account answers exactly like a wrong password (issue 17, EN-01): the hash ran all the same.
  if (!account || !passwordOk || account.deactivatedAt) {
    // Recorded for unknown names too (without the name, which is often a mistyped password): the
    // same write keeps the two cases alike in timing (EN-02) and counts stuffing per IP.
    await recordEvent(store, now, meta, {
      event: 'sign_in.password_failed',
      organisationId: account?.organisationId ?? null,
      accountId: account?.id ?? null,
      reason: account?.deactivatedAt && passwordOk ? 'account_deactivated' : 'credentials_invalid',
    })
    throw new CountersignError('CREDENTIALS_INVALID')
  }
  if (ctx.hasher.needsRehash(account.passwordHash)) {
    await store.accounts.update(account.id, { passwordHash: await ctx.hasher.hash(input.password) })
  }

  const organisation = account.organisationId ? await store.organisations.get(account.organisationId) : undefined
  await ensureNotLocked(ctx, account, meta, 'password')

  const devices = await store.devices.listActive(account.id)
  const remembered = await findRememberedBrowser(ctx, account, organisation ?? null, input.rememberToken)
  const bypass = await store.bypassGrants.findUsable(account.id, now)
  const requirement: Requirement = input.requireSecondFactor
    ? { required: true, reason: 'requested_by_application' }
    : secondFactorRequirement({
        account,
        organisationPolicy: organisation?.policy ?? null,
        bypassUsable: bypass !== undefined,
        browserRemembered: remembered !== null,
      })

  return inTransaction(ctx, (tx) => decide(tx, { account, organisation: organisation ?? null, devices, requirement, bypassId: bypass?.id, remembered, meta }))
}

async function decide(
  ctx: Context,
  input: {
    account: Account
    organisation: Organisation | null
    devices: Device[]
    requirement: Requirement
    bypassId: string | undefined
    remembered: { id: string; secretHash: Buffer } | null
    meta: RequestMeta
  },
): Promise<SignInResult> {
  const { store } = ctx
  const { account, organisation, requirement, meta } = input
  const now = ctx.clock.now()
  const audit = (event: string, reason: string, details?: Record<string, unknown>) =>
    recordEvent(store, now, meta, { event, organisationId: account.organisationId, accountId: account.id, reason, details })

  if (!requirement.required && requirement.reason === 'one_time_bypass') {
    // Single use, even under a race (RR-08); the loser asks for a factor as if there were no grant.
    if (input.bypassId && (await store.bypassGrants.use(input.bypassId, now))) {
      await audit('bypass.used', 'one_time_bypass')
      return enrolmentFlow(ctx, input.account, 'one_time_bypass', meta)
    }
    return decide(ctx, { ...input, requirement: secondFactorRequirement({ account, organisationPolicy: organisation?.policy ?? null, bypassUsable: false, browserRemembered: input.remembered !== null }), bypassId: undefined })
  }

  let rememberToken: string | undefined
  if (!requirement.required && requirement.reason === 'browser_remembered' && input.remembered) {
    // Rotated on use: of parallel uses of one token at most one wins (RR-12); the others are asked.
    const next = newToken(ctx.random)
    const rotated = await store.rememberedBrowsers.rotate(input.remembered.id, input.remembered.secretHash, next.secretHash, now)
    if (!rotated) {
      return decide(ctx, { ...input, remembered: null, requirement: secondFactorRequirement({ account, organisationPolicy: organisation?.policy ?? null, bypassUsable: false, browserRemembered: false }) })
    }
    rememberToken = `${input.remembered.id}.${next.token.split('.')[1]}`
  }

  if (!requirement.required) {
    const { token, session } = await createSession(ctx, store, { accountId: account.id, organisation, amr: amrFor(null), authenticatedAt: now, restricted: false, meta })
    await store.accounts.update(account.id, { lastSignInAt: now })
    await audit('sign_in.completed', requirement.reason, { amr: session.amr })
    return {
      state: 'completed',
      auth: { session, account, organisation },
      sessionToken: token,
      ...(rememberToken ? { rememberToken } : {}),
      reason: requirement.reason,
    }
  }

  const allowed = organisation?.allowedMethods ?? ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code']
  const methods = offeredMethods({ available: availableMethods(input.devices, account), allowed, preferred: account.preferredMethod })
  // Recovery codes come beside a real method, never instead of one: they do not satisfy forced
  // enrolment (F-X-2), so they are offered only when something else is.
  if (methods.length > 0 && allowed.includes('recovery_code') && (await recoveryCodesLeft(ctx, account.id)) > 0) methods.push('recovery_code')
  if (methods.length === 0) {
    await audit('sign_in.enrolment_required', requirement.reason)
    return enrolmentFlow(ctx, account, requirement.reason, meta)
  }
  const { flow, flowToken } = await createFlow(ctx, account, 'awaiting_second_factor', methods, requirement.reason)
  await audit('sign_in.password_succeeded', requirement.reason, { methods })
  return { state: 'awaiting_second_factor', flow, flowToken, reason: requirement.reason, rememberBrowserDays: organisation?.rememberBrowserDays ?? 0 }
}

/** A persisted flow: the client holds `id.secret`, the store only the hash; 10 minutes (SC-05). */
async function createFlow(ctx: Context, account: Account, state: Exclude<FlowState, 'completed'>, methods: MethodKind[], reason: string) {
  const now = ctx.clock.now()
  const token = newToken(ctx.random)
  const flow: SignInFlow = {
    id: token.id,
    secretHash: token.secretHash,
    accountId: account.id,
    state,
    methods,
    preferredMethod: methods[0] ?? null,
    reason,
    createdAt: now,
    expiresAt: new Date(now.getTime() + FLOW_LIFETIME_MS),
  }
  await ctx.store.flows.create(flow)
  return { flow, flowToken: token.token }
}

/** F-LOGIN-5 / F-POL-4: a flow in `awaiting_enrolment` and a session restricted to enrolment. */
async function enrolmentFlow(ctx: Context, account: Account, reason: string, meta: RequestMeta, amr: string[] = amrFor(null)): Promise<SignInResult> {
  const now = ctx.clock.now()
  const { flow, flowToken } = await createFlow(ctx, account, 'awaiting_enrolment', [], reason)
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  const { token, session } = await createSession(ctx, ctx.store, { accountId: account.id, organisation, amr, authenticatedAt: now, restricted: true, meta })
  return { state: 'awaiting_enrolment', flow, flowToken, restricted: { auth: { session, account, organisation }, sessionToken: token }, reason }
}

/** A remember-this-browser token valid for this account now (F-LOGIN-3, SC-10), or `null`. */
async function findRememberedBrowser(ctx: Context, account: Account, organisation: Organisation | null, token: string | undefined) {
  const parsed = parseToken(token)
  if (!parsed) return null
  const row = await ctx.store.rememberedBrowsers.get(parsed.id)
  if (!row || row.accountId !== account.id || !secretMatches(row.secretHash, parsed.secret)) return null
  const now = ctx.clock.now()
  const days = organisation?.rememberBrowserDays ?? 0
  if (days <= 0 || row.expiresAt <= now || row.createdAt.getTime() + days * DAY_MS <= now.getTime()) return null
  // A change of factors or password voids every remembered browser (F-LOGIN-3).
  if (row.factorsChangedAt.getTime() !== account.factorsChangedAt.getTime()) return null
  if (row.passwordChangedAt.getTime() !== account.passwordChangedAt.getTime()) return null
  return { id: row.id, secretHash: row.secretHash }
}

/** Loads the flow a token names, or FLOW_EXPIRED for every kind of invalid, expired or used flow. */
export async function loadFlow(ctx: Context, token: string | undefined, state?: FlowState): Promise<SignInFlow> {
  const parsed = parseToken(token)
  const flow = parsed ? await ctx.store.flows.get(parsed.id) : undefined
  if (!parsed || !flow || !secretMatches(flow.secretHash, parsed.secret)) throw new CountersignError('FLOW_EXPIRED')
  if (flow.expiresAt <= ctx.clock.now() || (state && flow.state !== state)) throw new CountersignError('FLOW_EXPIRED')
  return flow
}

/**
 * Step two (F-LOGIN-2, F-LOGIN-4): one code for one flow, checked on the account's single
 * counter (second-factor.ts). The flow moves to `completed` once, so a flow cannot be reused.
 */
export async function secondFactorStep(
  ctx: Context,
  input: { flowToken: string | undefined; method: MethodKind; code: string | undefined; rememberBrowser: boolean },
  meta: RequestMeta,
): Promise<SignInResult> {
  const { store } = ctx
  const flow = await loadFlow(ctx, input.flowToken, 'awaiting_second_factor')
  const account = await store.accounts.get(flow.accountId)
  if (!account) throw new CountersignError('FLOW_EXPIRED')
  const organisation = account.organisationId ? ((await store.organisations.get(account.organisationId)) ?? null) : null
  const method = flow.methods.includes(input.method) ? input.method : null
  // A recovery code is compared (argon2id) before the attempt is charged, and used after (recovery-codes.ts).
  const check = method === 'recovery_code' ? await recoveryCodeCheck(ctx, account, input.code, meta) : undefined
  const result = await verifySecondFactor(ctx, { account, organisation, method, code: input.code, flowId: flow.id, ...(check ? { check } : {}) }, meta, (tx) =>
    completeSecondFactor(tx, { flow, account, organisation, method: input.method, rememberBrowser: input.rememberBrowser }, meta),
  )
  if (method !== 'recovery_code' || result.state !== 'completed') return result
  // F-X-2: the user hears of it, and the page says how many are left (and offers new ones).
  await sendSecurityNotice(ctx, account, 'recovery_code_used', meta)
  return { ...result, recoveryCodesLeft: await recoveryCodesLeft(ctx, account.id) }
}

/**
 * A second factor was proved for a flow (a code, or a signed push approval): the flow moves to
 * `completed` once, and the session (and a remembered browser when asked) is made, in the caller's
 * transaction.
 */
export async function completeSecondFactor(
  tx: Context,
  input: { flow: SignInFlow; account: Account; organisation: Organisation | null; method: MethodKind; rememberBrowser: boolean; /** When the method's own `amr` depends on the answer (a passkey's user verification). */ amr?: string[] },
  meta: RequestMeta,
): Promise<SignInResult> {
  const { flow, account, organisation } = input
  const now = tx.clock.now()
  // Deactivated while the flow was open: it ends like an expired one.
  if (account.deactivatedAt) throw new CountersignError('FLOW_EXPIRED')
  if (!(await tx.store.flows.transition(flow.id, 'awaiting_second_factor', 'completed', now))) {
    throw new CountersignError('FLOW_EXPIRED')
  }
  // F-OTP-4: SMS without a verified number was answered by an e-mail code; a number must be
  // registered and verified before anything else (a session restricted to enrolment).
  if (input.method === 'sms' && !hasVerifiedPhone(account)) {
    await recordEvent(tx.store, now, meta, { event: 'sign_in.phone_required', organisationId: account.organisationId, accountId: account.id, reason: 'sms_without_phone', details: { method: 'sms' } })
    return enrolmentFlow(tx, account, 'phone_required', meta, amrFor('email'))
  }
  const { token, session } = await createSession(tx, tx.store, { accountId: account.id, organisation, amr: input.amr ?? amrFor(input.method), authenticatedAt: now, restricted: false, meta })
  await tx.store.accounts.update(account.id, { lastSignInAt: now })
  const audit = (event: string, reason: string | null, details?: Record<string, unknown>) =>
    recordEvent(tx.store, now, meta, { event, organisationId: account.organisationId, accountId: account.id, reason, details: { method: input.method, ...details } })

  let rememberToken: string | undefined
  if (input.rememberBrowser && organisation && organisation.rememberBrowserDays > 0) {
    const remember = newToken(tx.random)
    await tx.store.rememberedBrowsers.create({
      id: remember.id,
      secretHash: remember.secretHash,
      accountId: account.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + organisation.rememberBrowserDays * DAY_MS),
      lastUsedAt: null,
      factorsChangedAt: account.factorsChangedAt,
      passwordChangedAt: account.passwordChangedAt,
      userAgent: boundedText(meta.userAgent),
      ip: boundedText(meta.ip, 64),
    })
    rememberToken = remember.token
    await audit('browser.remembered', null, { rememberedBrowserId: remember.id, days: organisation.rememberBrowserDays })
  }
  await audit('sign_in.completed', flow.reason, { amr: session.amr })
  return {
    state: 'completed' as const,
    auth: { session, account, organisation },
    sessionToken: token,
    ...(rememberToken ? { rememberToken } : {}),
    reason: flow.reason,
  }
}

