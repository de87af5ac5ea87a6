import type { AuthenticationResponseJSON, RegistrationResponseJSON, VerifiedAuthenticationResponse } from '@simplewebauthn/server'
import { MINUTE_MS } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { amrFor } from '../domain/sign-in/sign-in-flow.js'
import { newId } from '../domain/tokens.js'
import type { Account, Device, Organisation } from '../store/store.js'
import type { ChallengePurpose } from '../store/passkey-store.js'
import { recordEvent } from './audit.js'
import { inTransaction, type Context, type RequestMeta } from './context.js'
import { describeDevice } from './devices.js'
import { ensureNotLocked, verifySecondFactor, type Evaluation } from './second-factor.js'
import { sendSecurityNotice } from './security-notices.js'
import { completeEnrolment, createSession, requireRecentSignIn, type Authenticated } from './sessions.js'
import { completeSecondFactor, loadFlow, type SignInResult } from './sign-in.js'

/*
 * Passkeys (F-X-1) with @simplewebauthn/server: registration from My Account (or a forced
 * enrolment), a passkey as the second step of a flow, and a discoverable passkey with user
 * verification alone (passwordless). The relying party is the public URL's host; challenges are
 * single use, bound to the session or flow that asked, 5 minutes; attestation `none`.
 */

const CHALLENGE_MS = 5 * MINUTE_MS

/**
 * @simplewebauthn/server with its certificate parsers is ~10 MiB of heap: it loads at the first
 * passkey request (as oidc-provider does), so a server whose users have no passkey never holds it.
 */
let loading: Promise<typeof import('@simplewebauthn/server')> | null = null
const webauthn = () => (loading ??= import('@simplewebauthn/server'))

/**
 * The COSE algorithms accepted: EdDSA, ES256 and RS256, what every passkey and security key offers.
 * Named, so the library does not probe Node for the post-quantum ML-DSA ones (experimental in
 * Node 24: each probe prints an ExperimentalWarning on the server's stderr).
 */
const ALGORITHMS = [-8, -7, -257]

function relyingParty(ctx: Context) {
  const url = new URL(ctx.config.publicUrl)
  return { rpID: url.hostname, origin: url.origin }
}

/** The associated data a passkey's public key is sealed with: it cannot be moved to another device or account. */
const publicKeyBinding = (deviceId: string, accountId: string) => `passkey-public-key|${deviceId}|${accountId}`

function passkeysAllowed(organisation: Organisation | null): boolean {
  return !organisation || organisation.allowedMethods.includes('passkey')
}

/** The challenge a response answers, from its client data (base64url JSON); `null` when unreadable. */
function answeredChallenge(clientDataJSON: string): string | null {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }
    return typeof data.challenge === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(data.challenge) ? data.challenge : null
  } catch {
    return null
  }
}

/** Step one of registering a passkey: creation options for the browser (F-X-1). */
export async function passkeyRegistrationOptions(ctx: Context, auth: Authenticated) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  if (!passkeysAllowed(organisation)) throw new CountersignError('FORBIDDEN', { detail: 'method not allowed' })
  const limit = organisation?.deviceLimit ?? 5
  if ((await ctx.store.devices.countActive(account.id)) >= limit) throw new CountersignError('DEVICE_LIMIT_REACHED', { details: { limit } })
  const { rpID } = relyingParty(ctx)
  const existing = await ctx.store.passkeys.listForAccount(account.id)
  const { generateRegistrationOptions } = await webauthn()
  const options = await generateRegistrationOptions({
    rpName: organisation?.name ?? 'Countersign',
    rpID,
    userName: account.username,
    userID: new TextEncoder().encode(account.id),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    extensions: { credProps: true },
    supportedAlgorithmIDs: ALGORITHMS,
    timeout: CHALLENGE_MS,
  })
  await ctx.store.passkeys.addChallenge({ challenge: options.challenge, purpose: 'register', owner: auth.session.id, expiresAt: new Date(ctx.clock.now().getTime() + CHALLENGE_MS) })
  return options
}

/**
 * Step two: the browser's answer. Linked only when it verifies against a challenge of this very
 * session; the device limit is enforced by the statement that activates it (RR-10); a credential
 * already registered anywhere is refused. In a forced enrolment it completes the enrolment.
 */
export async function registerPasskey(ctx: Context, auth: Authenticated, input: { name: string; response: RegistrationResponseJSON }, meta: RequestMeta) {
  requireRecentSignIn(ctx, auth)
  const { account, organisation } = auth
  if (!passkeysAllowed(organisation)) throw new CountersignError('FORBIDDEN', { detail: 'method not allowed' })
  const now = ctx.clock.now()
  const { rpID, origin } = relyingParty(ctx)
  const refuse = async (reason: string) => {
    await recordEvent(ctx.store, now, meta, { event: 'device.confirmation_failed', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, reason, details: { kind: 'passkey' } })
    return new CountersignError('INVALID_REQUEST', { field: 'response', detail: reason.replaceAll('_', ' ') })
  }
  const challenge = answeredChallenge(input.response.response.clientDataJSON)
  if (!challenge || !(await ctx.store.passkeys.consumeChallenge(challenge, 'register', auth.session.id, now))) throw await refuse('challenge_invalid')
  const { verifyRegistrationResponse } = await webauthn()
  const verification = await verifyRegistrationResponse({ response: input.response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false, supportedAlgorithmIDs: ALGORITHMS }).catch(() => null)
  if (!verification?.verified) throw await refuse('registration_invalid')
  const { credential, credentialBackedUp } = verification.registrationInfo
  const discoverable = (input.response.clientExtensionResults as { credProps?: { rk?: unknown } }).credProps?.rk === true

  const limit = organisation?.deviceLimit ?? 5
  const deviceId = newId(ctx.random)
  const device: Device = { id: deviceId, accountId: account.id, kind: 'passkey', name: input.name, sealedSecret: null, lastUsedStep: null, status: 'pending', createdAt: now, linkedAt: null, lastUsedAt: null, expiresAt: new Date(now.getTime() + CHALLENGE_MS) }
  if (await ctx.store.passkeys.credentialIdTaken(credential.id)) throw await refuse('credential_registered')
  const replacement = await inTransaction(ctx, async (tx) => {
    // Again inside the transaction (two registrations of one credential at once); audited above only.
    if (await tx.store.passkeys.credentialIdTaken(credential.id)) throw new CountersignError('INVALID_REQUEST', { field: 'response', detail: 'credential registered' })
    await tx.store.devices.create(device)
    if (!(await tx.store.devices.activate(deviceId, account.id, limit, 0, now, 'passkey'))) throw new CountersignError('DEVICE_LIMIT_REACHED', { details: { limit } })
    await tx.store.passkeys.addCredential({
      deviceId,
      accountId: account.id,
      credentialId: credential.id,
      sealedPublicKey: ctx.sealer.seal(credential.publicKey, publicKeyBinding(deviceId, account.id)),
      counter: credential.counter,
      transports: credential.transports ?? [],
      discoverable,
      backedUp: credentialBackedUp,
      createdAt: now,
    })
    // A factor changed: every remembered browser is void (F-LOGIN-3, SC-09).
    await tx.store.accounts.update(account.id, { factorsChangedAt: now, twoFactorEnabled: true, ...(account.preferredMethod === null ? { preferredMethod: 'passkey' as const } : {}) })
    await tx.store.rememberedBrowsers.removeAllForAccount(account.id)
    await recordEvent(tx.store, now, meta, { event: 'device.linked', organisationId: account.organisationId, accountId: account.id, actor: `account:${account.id}`, details: { deviceId, kind: 'passkey', name: input.name, discoverable, backedUp: credentialBackedUp } })
    // amr stays `pwd`: the factor was created in this sign-in and proves no earlier binding (T9).
    return auth.session.restrictedToEnrolment ? completeEnrolment(tx, auth, amrFor(null), { deviceId }, meta) : undefined
  })
  await sendSecurityNotice(ctx, account, 'passkey_added', meta)
  return { device: describeDevice((await ctx.store.devices.get(account.id, deviceId))!), replacement }
}

/**
 * Checks an assertion against a challenge of `purpose` and `owner`, used here once, inside the
 * attempt's transaction (after its charge). `account`: the credential must be this account's. The
 * signature counter may only move forward; one that goes back is refused and audited.
 */
export async function checkAssertion(
  tx: Context,
  input: { account: Account; response: AuthenticationResponseJSON; purpose: ChallengePurpose; owner: string | null; requireUserVerification: boolean },
  meta: RequestMeta,
): Promise<Evaluation & { userVerified?: boolean }> {
  const now = tx.clock.now()
  const { rpID, origin } = relyingParty(tx)
  const challenge = answeredChallenge(input.response.response.clientDataJSON)
  if (!challenge || !(await tx.store.passkeys.consumeChallenge(challenge, input.purpose, input.owner, now))) return { ok: false, reason: 'challenge_invalid' }
  const credential = await tx.store.passkeys.findByCredentialId(input.response.id)
  if (!credential || credential.accountId !== input.account.id) return { ok: false, reason: 'unknown_credential' }
  const publicKey = tx.sealer.open(credential.sealedPublicKey, publicKeyBinding(credential.deviceId, credential.accountId))
  if (!publicKey) return { ok: false, reason: 'unknown_credential' }
  const userHandle = input.response.response.userHandle
  if (userHandle !== undefined && Buffer.from(userHandle, 'base64url').toString('utf8') !== input.account.id) return { ok: false, reason: 'unknown_credential' }
  const { verifyAuthenticationResponse } = await webauthn()
  let verification: VerifiedAuthenticationResponse
  try {
    verification = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: credential.credentialId, publicKey: new Uint8Array(publicKey), counter: credential.counter, transports: credential.transports as never },
      requireUserVerification: input.requireUserVerification,
    })
  } catch (error) {
    if (error instanceof Error && /counter/i.test(error.message)) return counterRegressed(tx, input.account, credential.deviceId, meta)
    return { ok: false, reason: 'assertion_invalid' }
  }
  if (!verification.verified) return { ok: false, reason: 'assertion_invalid' }
  // The guarded write decides under a race: two uses of one assertion counter, one moves it.
  if (!(await tx.store.passkeys.advanceCounter(credential.deviceId, verification.authenticationInfo.newCounter))) return counterRegressed(tx, input.account, credential.deviceId, meta)
  await tx.store.push.markDeviceUsed(credential.deviceId, now)
  return { ok: true, deviceId: credential.deviceId, userVerified: verification.authenticationInfo.userVerified }
}

async function counterRegressed(tx: Context, account: Account, deviceId: string, meta: RequestMeta): Promise<Evaluation> {
  // A counter that goes back means a cloned authenticator, or a replayed assertion.
  await recordEvent(tx.store, tx.clock.now(), meta, { event: 'passkey.counter_regressed', organisationId: account.organisationId, accountId: account.id, reason: 'counter_regressed', details: { deviceId } })
  return { ok: false, reason: 'counter_regressed' }
}

/** `amr` for a passkey (RFC 8176): `hwk`, `user` when the authenticator verified the user, and `mfa`. */
export function passkeyAmr(userVerified: boolean, withPassword: boolean): string[] {
  return [...(withPassword ? ['pwd'] : []), 'hwk', ...(userVerified ? ['user'] : []), 'mfa']
}

/** Request options for a flow whose methods include `passkey`: the account's credentials. */
export async function passkeySecondFactorOptions(ctx: Context, flowToken: string | undefined) {
  const flow = await loadFlow(ctx, flowToken, 'awaiting_second_factor')
  if (!flow.methods.includes('passkey')) throw new CountersignError('INVALID_REQUEST', { field: 'method', detail: 'this sign-in does not offer a passkey' })
  const { rpID } = relyingParty(ctx)
  const credentials = await ctx.store.passkeys.listForAccount(flow.accountId)
  const { generateAuthenticationOptions } = await webauthn()
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })), userVerification: 'preferred', timeout: CHALLENGE_MS })
  const expiresAt = new Date(Math.min(ctx.clock.now().getTime() + CHALLENGE_MS, flow.expiresAt.getTime()))
  await ctx.store.passkeys.addChallenge({ challenge: options.challenge, purpose: 'second_factor', owner: flow.id, expiresAt })
  return options
}

/**
 * A passkey as the second step (F-X-1): like a code, on the account's one lockout counter, the
 * attempt charged before the assertion is looked at (F-LOGIN-4, BF-02).
 */
export async function passkeySecondFactor(ctx: Context, input: { flowToken: string | undefined; response: AuthenticationResponseJSON; rememberBrowser: boolean }, meta: RequestMeta): Promise<SignInResult> {
  const flow = await loadFlow(ctx, input.flowToken, 'awaiting_second_factor')
  const account = await ctx.store.accounts.get(flow.accountId)
  if (!account) throw new CountersignError('FLOW_EXPIRED')
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  const offered = flow.methods.includes('passkey')
  let userVerified = false
  return verifySecondFactor(
    ctx,
    {
      account,
      organisation,
      method: offered ? 'passkey' : null,
      code: undefined,
      flowId: flow.id,
      ...(offered
        ? {
            check: async (tx: Context) => {
              const result = await checkAssertion(tx, { account, response: input.response, purpose: 'second_factor', owner: flow.id, requireUserVerification: false }, meta)
              userVerified = result.ok && result.userVerified === true
              return result
            },
          }
        : {}),
    },
    meta,
    (tx) => completeSecondFactor(tx, { flow, account, organisation, method: 'passkey', rememberBrowser: input.rememberBrowser, amr: passkeyAmr(userVerified, true) }, meta),
  )
}

/**
 * Request options for re-authenticating with a passkey (SC-14): the account's passkeys, the
 * challenge bound to this session (used once, 5 minutes).
 */
export async function reauthenticationPasskeyOptions(ctx: Context, auth: Authenticated) {
  const credentials = await ctx.store.passkeys.listForAccount(auth.account.id)
  if (credentials.length === 0 || auth.session.restrictedToEnrolment) throw new CountersignError('INVALID_REQUEST', { field: 'method', detail: 'no passkey to confirm with' })
  const { rpID } = relyingParty(ctx)
  const { generateAuthenticationOptions } = await webauthn()
  const options = await generateAuthenticationOptions({ rpID, allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })), userVerification: 'preferred', timeout: CHALLENGE_MS })
  // Sessions and flows have distinct random ids: a session's challenge never answers a flow.
  await ctx.store.passkeys.addChallenge({ challenge: options.challenge, purpose: 'second_factor', owner: auth.session.id, expiresAt: new Date(ctx.clock.now().getTime() + CHALLENGE_MS) })
  return options
}

/** Request options for signing in with a passkey alone: no credentials listed, user verification required. */
export async function discoverableOptions(ctx: Context) {
  const { rpID } = relyingParty(ctx)
  const { generateAuthenticationOptions } = await webauthn()
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required', timeout: CHALLENGE_MS })
  await ctx.store.passkeys.addChallenge({ challenge: options.challenge, purpose: 'discoverable', owner: null, expiresAt: new Date(ctx.clock.now().getTime() + CHALLENGE_MS) })
  return options
}

/**
 * Signing in with a passkey alone (beyond the spec): a discoverable credential whose
 * authenticator verified the user is something the user has and is (or knows): `hwk user mfa`.
 * Only where the account's organisation allows passkeys, never for a locked account (BF-08), and
 * every refusal — unknown credential, wrong signature, not allowed, locked — is the wrong
 * password's CREDENTIALS_INVALID, so nothing tells which accounts exist or have passkeys (EN-01).
 * A failed assertion is not charged to the account: a signature cannot be guessed, and charging
 * would let anyone who learnt a credential id lock its owner out without the password.
 */
export async function discoverableSignIn(ctx: Context, input: { response: AuthenticationResponseJSON }, meta: RequestMeta): Promise<SignInResult> {
  const credential = await ctx.store.passkeys.findByCredentialId(input.response.id)
  const account = credential ? await ctx.store.accounts.get(credential.accountId) : undefined
  const organisation = account?.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  const refuse = async (reason: string) => {
    await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'sign_in.passkey_refused', organisationId: account?.organisationId ?? null, accountId: account?.id ?? null, reason })
    return new CountersignError('CREDENTIALS_INVALID')
  }
  if (!credential || !account || account.deactivatedAt || !passkeysAllowed(organisation)) {
    // The challenge is spent all the same: one answer per challenge.
    const challenge = answeredChallenge(input.response.response.clientDataJSON)
    if (challenge) await ctx.store.passkeys.consumeChallenge(challenge, 'discoverable', null, ctx.clock.now())
    throw await refuse(!credential || !account ? 'unknown_credential' : account.deactivatedAt ? 'account_deactivated' : 'method_not_allowed')
  }
  try {
    await ensureNotLocked(ctx, account, meta, 'passkey_discoverable')
  } catch (error) {
    if (error instanceof CountersignError && error.code === 'ACCOUNT_LOCKED') throw new CountersignError('CREDENTIALS_INVALID')
    throw error
  }
  const outcome = await inTransaction(ctx, async (tx) => {
    const check = await checkAssertion(tx, { account, response: input.response, purpose: 'discoverable', owner: null, requireUserVerification: true }, meta)
    if (!check.ok) return { refused: check.reason }
    // Locked meanwhile (a lock is checked again where the session is made, RR-11).
    const lockout = await tx.store.lockouts.get(account.id)
    if (lockout.lockedAt || lockout.failures >= lockout.attemptLimit) return { refused: 'account_locked' }
    const now = tx.clock.now()
    const { token, session } = await createSession(tx, tx.store, { accountId: account.id, organisation, amr: passkeyAmr(check.userVerified === true, false), authenticatedAt: now, restricted: false, meta })
    await tx.store.accounts.update(account.id, { lastSignInAt: now })
    await recordEvent(tx.store, now, meta, { event: 'sign_in.completed', organisationId: account.organisationId, accountId: account.id, reason: 'passkey', details: { method: 'passkey', deviceId: check.deviceId, amr: session.amr } })
    return { result: { state: 'completed' as const, auth: { session, account, organisation }, sessionToken: token, reason: 'passkey' } }
  })
  if ('refused' in outcome) throw await refuse(outcome.refused ?? 'assertion_invalid')
  return outcome.result
}
