import type { PushSubscriptionInput } from '@countersign/protocol'
import { MINUTE_MS, bytesEqual, sha256 } from '../domain/clock.js'
import { CountersignError } from '../domain/errors.js'
import { issuedAtAcceptable, normalisePublicKey, signedMessage, verifySignature, type SignedPurpose } from '../domain/push/signed-request.js'
import { newId } from '../domain/tokens.js'
import { generateVapidKeys, pushEndpointAllowed, type VapidKeys } from '../delivery/web-push-sender.js'
import { qrCodeDataUrl } from '../presentation/qr-code.js'
import type { Account, Organisation } from '../store/store.js'
import type { AuthenticatorKey, PushChallenge } from '../store/push-store.js'
import { recordEvent } from './audit.js'
import { boundedText, inTransaction, type Context, type RequestMeta } from './context.js'
import { channels } from '../realtime/channels.js'
import { describeDevice, removeDevice, startTotpDevice } from './devices.js'
import { ensureNotLocked, verifySecondFactor } from './second-factor.js'
import { hasVerifiedPhone } from '../domain/phone-number.js'
import { sendSecurityNotice } from './security-notices.js'
import { accountLocked, type Authenticated } from './sessions.js'
import { completeSecondFactor, loadFlow, type SignInResult } from './sign-in.js'

/*
 * Push approval with the Countersign Authenticator (F-PUSH-1…6, DESIGN.md §6, the wire protocol in
 * docs/authenticator-protocol.md). The server keeps public keys only; every answer is signed on the
 * phone and checked here, and every decision is one guarded UPDATE.
 */

/** A challenge may be answered for 2 minutes (NIST SP 800-63B §3.1.3.2). */
export const PUSH_CHALLENGE_MS = 2 * MINUTE_MS
/** PU-04: at most 5 pushes per account in 15 minutes… */
const PUSH_WINDOW_MS = 15 * MINUTE_MS
const PUSHES_PER_WINDOW = 5
/** …and after 3 sign-in attempts in a row whose pushes went unanswered or were denied, none until a sign-in by another method. */
const UNANSWERED_IN_A_ROW = 3


const subscriptionBinding = (deviceId: string) => `push-subscription|${deviceId}`
/** Public keys are sealed too: whoever can write to the database cannot swap in a key of their own. */
const publicKeyBinding = (deviceId: string, accountId: string) => `authenticator-key|${deviceId}|${accountId}`
const tokenHash = (token: string) => sha256(token).toString('hex')

// ---- Pairing (F-PUSH-1) --------------------------------------------------------------------

/**
 * "Add a device": a pending device like any app's (its TOTP seed serves the offline code,
 * F-PUSH-3), plus a single-use pairing token of 256 bits in the QR code, kept only as a hash
 * (PU-09). Another authenticator app can still scan the code and confirm it with a code.
 */
export async function startAuthenticatorDevice(ctx: Context, auth: Authenticated, input: { name: string }, meta: RequestMeta) {
  const started = await startTotpDevice(ctx, auth, { name: input.name, kind: 'authenticator' }, meta)
  const token = ctx.random.bytes(32).toString('base64url')
  await ctx.store.push.createPairing({ deviceId: started.deviceId, accountId: auth.account.id, sessionId: auth.session.id, tokenHash: tokenHash(token), expiresAt: new Date(started.expiresAt) })
  const pairingUri = `${started.otpauthUri}&cs_pair=${token}&cs_server=${encodeURIComponent(ctx.config.publicUrl)}&cs_device=${encodeURIComponent(started.deviceId)}`
  return { ...started, pairingUri, qrCode: await qrCodeDataUrl(pairingUri) }
}

/**
 * The app's "Login" tap: the token is used once, the phone proves it holds the key it registers
 * (the request is signed with it), and the device is linked — within the device limit, in one
 * transaction. The page that shows the QR code hears of it over its event stream.
 */
export async function pairDevice(
  ctx: Context,
  input: { pairingToken: string; deviceId: string; publicKey: { kty: string; crv: string; x: string; y: string }; pushSubscription: PushSubscriptionInput | null; name: string; issuedAt: string; signature: string },
  meta: RequestMeta,
) {
  const now = ctx.clock.now()
  if (!issuedAtAcceptable(input.issuedAt, now)) throw clockRefused(now)
  const publicKey = normalisePublicKey(input.publicKey)
  if (!publicKey) throw new CountersignError('INVALID_REQUEST', { field: 'publicKey', detail: 'is not a P-256 public key' })
  if (!verifySignature(publicKey, signedMessage('pair', input.deviceId, input.issuedAt, [input.pairingToken]), input.signature)) {
    throw new CountersignError('SIGNATURE_INVALID')
  }
  if (input.pushSubscription && !pushEndpointAllowed(input.pushSubscription.endpoint, ctx.config.env)) {
    throw new CountersignError('INVALID_REQUEST', { field: 'pushSubscription.endpoint', detail: 'is not an address push messages may go to' })
  }
  const { account, organisation } = await inTransaction(ctx, async (tx) => {
    const pairing = await tx.store.push.consumePairing(tokenHash(input.pairingToken), now)
    if (!pairing || pairing.deviceId !== input.deviceId) throw new CountersignError('NOT_FOUND')
    const account = await tx.store.accounts.get(pairing.accountId)
    if (!account) throw new CountersignError('NOT_FOUND')
    const organisation = account.organisationId ? ((await tx.store.organisations.get(account.organisationId)) ?? null) : null
    // F-TOTP-5: where new apps are confirmed by SMS, the app is linked with its code and the SMS
    // code in the browser; the one-tap pairing would skip the SMS.
    if (organisation?.linkWithSms && hasVerifiedPhone(account)) throw new CountersignError('FORBIDDEN', { detail: 'this organisation confirms new apps with an SMS code' })
    const limit = organisation?.deviceLimit ?? 5
    if (!(await tx.store.devices.activate(pairing.deviceId, account.id, limit, 0, now, 'authenticator'))) {
      if ((await tx.store.devices.countActive(account.id)) >= limit) throw new CountersignError('DEVICE_LIMIT_REACHED', { details: { limit } })
      throw new CountersignError('NOT_FOUND')
    }
    await tx.store.push.addKey({
      deviceId: pairing.deviceId,
      accountId: account.id,
      publicKeyJwk: ctx.sealer.seal(Buffer.from(publicKey, 'utf8'), publicKeyBinding(pairing.deviceId, account.id)),
      sealedSubscription: sealSubscription(ctx, pairing.deviceId, input.pushSubscription),
      pairedForSession: pairing.sessionId,
      createdAt: now,
    })
    // A factor changed: every remembered browser is void (F-LOGIN-3, SC-09).
    await tx.store.accounts.update(account.id, {
      factorsChangedAt: now,
      twoFactorEnabled: true,
      ...(account.preferredMethod === null || account.preferredMethod === 'totp' ? { preferredMethod: 'push' as const } : {}),
    })
    await tx.store.rememberedBrowsers.removeAllForAccount(account.id)
    await recordEvent(tx.store, now, meta, {
      event: 'device.linked',
      organisationId: account.organisationId,
      accountId: account.id,
      actor: `account:${account.id}`,
      details: { deviceId: pairing.deviceId, kind: 'authenticator', push: input.pushSubscription !== null, appName: input.name },
    })
    return { account, organisation }
  })
  const device = await ctx.store.devices.get(account.id, input.deviceId)
  await ctx.notifier.publish(channels.pairing(input.deviceId), JSON.stringify({ type: 'linked', device: describeDevice(device!) })).catch(() => {})
  await sendSecurityNotice(ctx, account, 'device_linked', meta)
  return {
    deviceId: input.deviceId,
    account: { username: account.username, organisation: organisation ? { name: organisation.name, slug: organisation.slug } : null },
    server: ctx.config.publicUrl,
  }
}

function sealSubscription(ctx: Context, deviceId: string, subscription: PushSubscriptionInput | null): string | null {
  if (!subscription) return null
  const plain = JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys })
  return ctx.sealer.seal(Buffer.from(plain, 'utf8'), subscriptionBinding(deviceId))
}

// ---- Signed requests from the app (F-PUSH-6) -----------------------------------------------

function clockRefused(now: Date) {
  return new CountersignError('SIGNATURE_INVALID', { detail: 'clock', details: { reason: 'clock', serverTime: now.toISOString() } })
}

/**
 * Checks a request signed by a paired device: its time within 2 minutes of ours (PU-03), a device
 * that is still linked (PU-08) and a signature by its key over exactly these fields (PU-02).
 * Every refusal is the same answer, and audited.
 */
export async function authenticateDevice(
  ctx: Context,
  input: { deviceId: string; issuedAt: string; signature: string; purpose: SignedPurpose; fields: ReadonlyArray<string | boolean | null> },
  meta: RequestMeta,
): Promise<AuthenticatorKey> {
  const now = ctx.clock.now()
  if (!issuedAtAcceptable(input.issuedAt, now)) throw clockRefused(now)
  const key = await ctx.store.push.getKey(input.deviceId)
  const publicKey = key ? ctx.sealer.open(key.publicKeyJwk, publicKeyBinding(key.deviceId, key.accountId))?.toString('utf8') : undefined
  if (!key || !publicKey || !verifySignature(publicKey, signedMessage(input.purpose, input.deviceId, input.issuedAt, input.fields), input.signature)) {
    await recordEvent(ctx.store, now, meta, {
      event: 'authenticator.signature_refused',
      organisationId: null,
      accountId: key?.accountId ?? null,
      reason: key ? 'bad_signature' : 'unknown_device',
      details: { deviceId: boundedText(input.deviceId, 64), purpose: input.purpose },
    })
    throw new CountersignError('SIGNATURE_INVALID')
  }
  return key
}

async function accountOf(ctx: Context, accountId: string): Promise<{ account: Account; organisation: Organisation | null }> {
  const account = await ctx.store.accounts.get(accountId)
  if (!account) throw new CountersignError('NOT_FOUND')
  const organisation = account.organisationId ? ((await ctx.store.organisations.get(account.organisationId)) ?? null) : null
  return { account, organisation }
}

/** What the app shows about a challenge (F-PUSH-5). Never the number: the user reads it off the browser. */
export function describeChallenge(challenge: PushChallenge, account: Account, organisation: Organisation | null, now: Date) {
  return {
    id: challenge.id,
    status: publicStatus(challenge, now),
    organisation: organisation ? { name: organisation.name } : null,
    username: account.username,
    browser: challenge.userAgent,
    ip: challenge.ip,
    createdAt: challenge.createdAt.toISOString(),
    expiresAt: challenge.expiresAt.toISOString(),
    numberLength: challenge.matchNumber.length,
  }
}

function publicStatus(challenge: PushChallenge, now: Date): 'pending' | 'approved' | 'denied' | 'expired' {
  switch (challenge.status) {
    case 'pending':
      return challenge.expiresAt > now ? 'pending' : 'expired'
    case 'approved':
    case 'used':
      return 'approved'
    case 'denied':
      return 'denied'
    case 'cancelled':
      return 'expired'
  }
}

export async function readChallenge(ctx: Context, input: { challengeId: string; deviceId: string; issuedAt: string; signature: string }, meta: RequestMeta) {
  const key = await authenticateDevice(ctx, { ...input, purpose: 'read', fields: [input.challengeId] }, meta)
  const challenge = await ctx.store.push.getChallenge(input.challengeId)
  if (!challenge || challenge.accountId !== key.accountId) throw new CountersignError('NOT_FOUND')
  const { account, organisation } = await accountOf(ctx, key.accountId)
  return describeChallenge(challenge, account, organisation, ctx.clock.now())
}

export async function listPendingChallenges(ctx: Context, input: { deviceId: string; issuedAt: string; signature: string }, meta: RequestMeta) {
  const key = await authenticateDevice(ctx, { ...input, purpose: 'list', fields: [] }, meta)
  const now = ctx.clock.now()
  const { account, organisation } = await accountOf(ctx, key.accountId)
  return (await ctx.store.push.listPending(key.accountId, now)).map((c) => describeChallenge(c, account, organisation, now))
}

// ---- Sign-in with push (F-PUSH-2, F-PUSH-5) ------------------------------------------------

/** `digits` random digits without a leading zero, so "07" is never read as "7". */
function matchNumber(ctx: Context, digits: number): string {
  return String(ctx.random.int(10 ** (digits - 1), 10 ** digits))
}

/**
 * After the password: a challenge with a number to type, and a push to every paired app. A new
 * push for the same flow ends the previous one (one open challenge per attempt). Push bombing is
 * bounded per account (PU-04): 5 pushes in 15 minutes, and none after 3 in a row went unanswered
 * or were denied, until the user signs in by another method.
 */
export async function startPush(ctx: Context, input: { flowToken: string | undefined }, meta: RequestMeta) {
  const flow = await loadFlow(ctx, input.flowToken, 'awaiting_second_factor')
  if (!flow.methods.includes('push')) throw new CountersignError('FORBIDDEN', { detail: 'push is not offered in this sign-in' })
  const { account, organisation } = await accountOf(ctx, flow.accountId)
  await ensureNotLocked(ctx, account, meta, 'push')
  const keys = await ctx.store.push.listKeys(account.id)
  if (keys.length === 0) throw new CountersignError('FORBIDDEN', { detail: 'no paired Countersign Authenticator' })
  const now = ctx.clock.now()
  const challenge: PushChallenge = {
    id: newId(ctx.random),
    flowId: flow.id,
    accountId: account.id,
    matchNumber: matchNumber(ctx, organisation?.pushNumberDigits ?? 2),
    status: 'pending',
    reason: null,
    decidedBy: null,
    decidedAt: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PUSH_CHALLENGE_MS),
    // PU-07: attacker-controlled text, bounded here and escaped wherever it is shown.
    userAgent: boundedText(meta.userAgent, 100),
    ip: boundedText(meta.ip, 64),
  }
  const outcome = await inTransaction(ctx, async (tx) => {
    // Counting and creating under the account's row lock: parallel pushes cannot both pass.
    await tx.store.push.lockAccount(account.id)
    const inWindow = await tx.store.push.listSince(account.id, new Date(now.getTime() - PUSH_WINDOW_MS), PUSHES_PER_WINDOW)
    if (inWindow.length >= PUSHES_PER_WINDOW) {
      const oldest = inWindow[inWindow.length - 1]!
      return { refused: 'rate' as const, retryAt: new Date(oldest.createdAt.getTime() + PUSH_WINDOW_MS) }
    }
    // Counted per sign-in attempt, not per push: "Send again" in one sign-in is one unanswered
    // attempt, so a user who taps it twice does not pause push for the account.
    const recent = await tx.store.push.listSince(account.id, account.lastSignInAt ?? new Date(0), PUSHES_PER_WINDOW * UNANSWERED_IN_A_ROW)
    const attempts = [...new Set(recent.map((c) => c.flowId))].slice(0, UNANSWERED_IN_A_ROW)
    const unanswered = recent.filter((c) => attempts.includes(c.flowId)).every((c) => c.status !== 'approved' && c.status !== 'used')
    if (attempts.length === UNANSWERED_IN_A_ROW && unanswered) {
      return { refused: 'suspended' as const, since: recent[0]!.createdAt }
    }
    const replaced = await tx.store.push.cancelPendingForFlow(flow.id, now)
    await tx.store.push.createChallenge(challenge)
    await recordEvent(tx.store, now, meta, { event: 'push.sent', organisationId: account.organisationId, accountId: account.id, details: { challengeId: challenge.id, devices: keys.length, replaced } })
    return { refused: null, replaced }
  })
  if (outcome.refused === 'rate') {
    await recordEvent(ctx.store, now, meta, { event: 'push.rate_limited', organisationId: account.organisationId, accountId: account.id, reason: 'too_many_pushes' })
    throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil((outcome.retryAt.getTime() - now.getTime()) / 1000)), details: { reason: 'push_rate_limited' } })
  }
  if (outcome.refused === 'suspended') {
    await suspendPush(ctx, account, outcome.since, meta)
    throw new CountersignError('RATE_LIMITED', { detail: 'push suspended', details: { reason: 'push_suspended' } })
  }
  for (const id of outcome.replaced) await closeForDevices(ctx, keys, id, 'expired')
  await ctx.notifier.publish(channels.flow(flow.id), 'changed').catch(() => {})
  for (const key of keys) {
    await ctx.notifier.publish(channels.device(key.deviceId), JSON.stringify({ type: 'challenge', id: challenge.id })).catch(() => {})
  }
  // After the commit and without holding up the answer: a slow push service never delays the
  // browser, which shows the number at once; an open app also hears of it over its event stream.
  void sendPushes(ctx, account, organisation, keys, challenge, meta)
  return { challengeId: challenge.id, matchNumber: challenge.matchNumber, devices: keys.length, createdAt: challenge.createdAt.toISOString(), expiresAt: challenge.expiresAt.toISOString() }
}

/** PU-04: push is paused; the user and the organisation's admins hear of it once per pause. */
async function suspendPush(ctx: Context, account: Account, since: Date, meta: RequestMeta) {
  const earlier = await ctx.store.audit.list({ accountId: account.id, event: 'push.suspended', after: new Date(since.getTime() - 1), limit: 1 })
  await recordEvent(ctx.store, ctx.clock.now(), meta, { event: earlier.length ? 'push.refused_suspended' : 'push.suspended', organisationId: account.organisationId, accountId: account.id, reason: 'unanswered_in_a_row' })
  if (earlier.length) return
  await sendSecurityNotice(ctx, account, 'push_suspended', meta)
  const admins = await adminAddresses(ctx, account)
  if (admins.length) await sendSecurityNotice(ctx, account, 'push_suspended', meta, { to: admins })
}

async function adminAddresses(ctx: Context, account: Account): Promise<string[]> {
  if (!account.organisationId) return []
  const members = await ctx.store.accounts.listByOrganisation(account.organisationId)
  return members.filter((m) => m.role === 'admin' && m.id !== account.id).map((m) => m.email)
}

async function vapidKeys(ctx: Context): Promise<VapidKeys> {
  const cached = vapidCache.get(ctx.store)
  if (cached) return cached
  let stored = await ctx.store.push.getVapidKeys()
  if (!stored) {
    // Instances starting together may both generate; the first insert wins and both read it back.
    const fresh = await generateVapidKeys()
    await ctx.store.push.addVapidKeys({ publicKey: fresh.publicKey, sealedPrivateKey: ctx.sealer.seal(Buffer.from(fresh.privateKey, 'utf8'), 'vapid'), createdAt: ctx.clock.now() })
    stored = (await ctx.store.push.getVapidKeys())!
  }
  const privateKey = ctx.sealer.open(stored.sealedPrivateKey, 'vapid')
  if (!privateKey) throw new Error('the VAPID key cannot be opened with the configured secrets key')
  const keys = { publicKey: stored.publicKey, privateKey: privateKey.toString('utf8') }
  vapidCache.set(ctx.store, keys)
  return keys
}
const vapidCache = new WeakMap<object, VapidKeys>()

/** The public half, for the app's `pushManager.subscribe` (RFC 8292 `applicationServerKey`). */
export async function authenticatorConfig(ctx: Context) {
  return { vapidPublicKey: (await vapidKeys(ctx)).publicKey }
}

async function sendPushes(ctx: Context, account: Account, organisation: Organisation | null, keys: AuthenticatorKey[], challenge: PushChallenge, meta: RequestMeta) {
  try {
    const vapid = await vapidKeys(ctx)
    await Promise.all(
      keys.map(async (key) => {
        if (!key.sealedSubscription) return
        const plain = ctx.sealer.open(key.sealedSubscription, subscriptionBinding(key.deviceId))
        if (!plain) return
        const payload = JSON.stringify({
          type: 'challenge',
          challengeId: challenge.id,
          deviceId: key.deviceId,
          server: ctx.config.publicUrl,
          organisation: organisation?.name ?? null,
          username: account.username,
          browser: challenge.userAgent,
          ip: challenge.ip,
          createdAt: challenge.createdAt.toISOString(),
          expiresAt: challenge.expiresAt.toISOString(),
        })
        const outcome = await ctx.pushSender.send(JSON.parse(plain.toString('utf8')), payload, vapid)
        if (outcome.result === 'sent') return
        if (outcome.result === 'gone') await ctx.store.push.setSubscription(key.deviceId, null)
        const detail = outcome.result === 'failed' ? outcome.detail : 'subscription gone'
        ctx.delivery.log.warn({ event: 'push_failed', deviceId: key.deviceId, detail }, 'could not send a push')
        await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'push.delivery_failed', organisationId: account.organisationId, accountId: account.id, reason: outcome.result, details: { deviceId: key.deviceId, challengeId: challenge.id, detail } })
      }),
    )
  } catch (error) {
    ctx.delivery.log.warn({ event: 'push_failed', detail: (error as Error).message }, 'could not send pushes')
  }
}

async function closeForDevices(ctx: Context, keys: readonly AuthenticatorKey[], challengeId: string, status: string) {
  for (const key of keys) {
    await ctx.notifier.publish(channels.device(key.deviceId), JSON.stringify({ type: 'closed', id: challengeId, status })).catch(() => {})
  }
}

/** Tells the waiting browser and every other app that a challenge was decided (PU-06). */
async function announceDecision(ctx: Context, challenge: PushChallenge, status: 'approved' | 'denied') {
  await ctx.notifier.publish(channels.flow(challenge.flowId), 'changed').catch(() => {})
  await closeForDevices(ctx, await ctx.store.push.listKeys(challenge.accountId), challenge.id, status)
}

/**
 * The phone's answer, signed over challenge, decision, number, device and time (F-PUSH-6). Deny
 * ends the attempt; "This wasn't me" also alerts the admins (PU-05). Approve checks the typed
 * number on the server, on the account's one lockout counter (PU-01): a wrong or missing number
 * is a failed attempt and ends the challenge.
 */
export async function answerChallenge(
  ctx: Context,
  input: { challengeId: string; deviceId: string; decision: 'approve' | 'deny'; number: string; notMe: boolean; issuedAt: string; signature: string },
  meta: RequestMeta,
) {
  const key = await authenticateDevice(ctx, { ...input, purpose: 'answer', fields: [input.challengeId, input.decision, input.number, input.notMe] }, meta)
  const now = ctx.clock.now()
  const challenge = await ctx.store.push.getChallenge(input.challengeId)
  if (!challenge || challenge.accountId !== key.accountId) throw new CountersignError('NOT_FOUND')
  if (challenge.status !== 'pending') throw new CountersignError('CHALLENGE_CLOSED')
  if (challenge.expiresAt <= now) throw new CountersignError('CHALLENGE_EXPIRED')
  const { account, organisation } = await accountOf(ctx, key.accountId)
  const base = { organisationId: account.organisationId, accountId: account.id, actor: `device:${key.deviceId}` }

  if (input.decision === 'deny') {
    const reason = input.notMe ? 'not_me' : 'denied'
    const decided = await inTransaction(ctx, async (tx) => {
      if (!(await tx.store.push.decide(challenge.id, { status: 'denied', reason, deviceId: key.deviceId }, now))) return false
      await tx.store.push.markDeviceUsed(key.deviceId, now)
      await recordEvent(tx.store, now, meta, { ...base, event: input.notMe ? 'push.reported_not_me' : 'push.denied', reason, details: { challengeId: challenge.id, deviceId: key.deviceId, browser: challenge.userAgent, ip: challenge.ip } })
      // "This wasn't me" ends the whole sign-in attempt (PU-05): no new push, no code on this flow;
      // whoever typed the password must type it again. A plain deny (a mis-tap) may be retried.
      if (input.notMe) await tx.store.flows.transition(challenge.flowId, 'awaiting_second_factor', 'completed', now)
      return true
    })
    if (!decided) throw new CountersignError('CHALLENGE_CLOSED')
    await announceDecision(ctx, challenge, 'denied')
    if (input.notMe) {
      const admins = await adminAddresses(ctx, account)
      // The admins learn of it with the signing-in browser's details (PU-05).
      const attempt = { ip: challenge.ip, userAgent: challenge.userAgent, language: meta.language }
      await sendSecurityNotice(ctx, account, 'push_not_me', attempt)
      if (admins.length) await sendSecurityNotice(ctx, account, 'push_not_me', attempt, { to: admins })
    }
    return { status: 'denied' as const }
  }

  const expected = Buffer.from(challenge.matchNumber, 'utf8')
  try {
    await verifySecondFactor(
      ctx,
      {
        account,
        organisation,
        method: 'push',
        code: input.number,
        check: async () =>
          input.number !== '' && bytesEqual(Buffer.from(input.number, 'utf8'), expected)
            ? { ok: true, deviceId: key.deviceId }
            : { ok: false, reason: input.number === '' ? 'no_number' : 'wrong_number' },
      },
      meta,
      async (tx) => {
        // One guarded UPDATE: of two devices answering at once, one decision stands (PU-06).
        if (!(await tx.store.push.decide(challenge.id, { status: 'approved', reason: null, deviceId: key.deviceId }, now))) throw new CountersignError('CHALLENGE_CLOSED')
        await tx.store.push.markDeviceUsed(key.deviceId, now)
        await recordEvent(tx.store, now, meta, { ...base, event: 'push.approved', details: { challengeId: challenge.id, deviceId: key.deviceId } })
      },
    )
  } catch (error) {
    if (!(error instanceof CountersignError) || (error.code !== 'CODE_INVALID' && error.code !== 'ACCOUNT_LOCKED')) throw error
    // The attempt is over: a wrong number cannot be retried on the same challenge.
    const reason = error.code === 'CODE_INVALID' ? 'wrong_number' : 'locked'
    if (await ctx.store.push.decide(challenge.id, { status: 'denied', reason, deviceId: key.deviceId }, now)) await announceDecision(ctx, challenge, 'denied')
    throw error.code === 'CODE_INVALID' ? new CountersignError('NUMBER_MISMATCH') : error
  }
  await announceDecision(ctx, challenge, 'approved')
  return { status: 'approved' as const }
}

/** The state of the flow's current challenge, for the waiting browser's event stream. */
export async function flowPushState(ctx: Context, flowId: string): Promise<{ challengeId: string; event: 'approved' | 'denied' | 'expired' | null; reason: string | null; expiresAt: Date } | null> {
  const challenge = await ctx.store.push.latestForFlow(flowId)
  if (!challenge) return null
  const status = publicStatus(challenge, ctx.clock.now())
  return { challengeId: challenge.id, event: status === 'pending' ? null : status, reason: challenge.status === 'denied' ? challenge.reason : null, expiresAt: challenge.expiresAt }
}

/**
 * The browser continues once the phone approved (F-PUSH-2): the approval is used once, the flow
 * completes and the session says `swk` + `mfa`. A lock that landed since refuses it (BF-08).
 */
export async function completePush(ctx: Context, input: { flowToken: string | undefined; rememberBrowser: boolean }, meta: RequestMeta): Promise<SignInResult> {
  const flow = await loadFlow(ctx, input.flowToken, 'awaiting_second_factor')
  const challenge = await ctx.store.push.latestForFlow(flow.id)
  if (!challenge) throw new CountersignError('NOT_FOUND', { detail: 'no push was sent in this sign-in' })
  const now = ctx.clock.now()
  switch (publicStatus(challenge, now)) {
    case 'pending':
      throw new CountersignError('PUSH_PENDING')
    case 'expired':
      throw new CountersignError('CHALLENGE_EXPIRED')
    case 'denied':
      throw new CountersignError('PUSH_DENIED', { details: { reason: challenge.reason } })
    case 'approved':
      break
  }
  const { account, organisation } = await accountOf(ctx, flow.accountId)
  try {
    return await inTransaction(ctx, async (tx) => {
      if (!(await tx.store.push.use(challenge.id, now))) throw new CountersignError('FLOW_EXPIRED')
      // The approving device must still be linked (PU-08), and a lock that landed since the
      // approval wins (BF-08), both read inside the transaction that makes the session.
      if (!challenge.decidedBy || !(await tx.store.push.getKey(challenge.decidedBy))) throw new CountersignError('PUSH_DENIED', { details: { reason: 'device_removed' } })
      if (await accountLocked(tx, account.id)) throw new CountersignError('ACCOUNT_LOCKED')
      return completeSecondFactor(tx, { flow, account, organisation, method: 'push', rememberBrowser: input.rememberBrowser }, meta)
    })
  } catch (error) {
    if (error instanceof CountersignError && error.code === 'ACCOUNT_LOCKED') {
      await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'sign_in.rejected_locked', organisationId: account.organisationId, accountId: account.id, reason: 'account_locked', details: { method: 'push', step: 'push_complete' } })
    }
    throw error
  }
}

// ---- The app's own device (F-PUSH-4) -------------------------------------------------------

export async function unpairDevice(ctx: Context, input: { deviceId: string; issuedAt: string; signature: string }, meta: RequestMeta) {
  const key = await authenticateDevice(ctx, { ...input, purpose: 'unpair', fields: [] }, meta)
  // The last factor of a required 2FA stays (LAST_FACTOR_REQUIRED): a stolen phone must not be
  // able to leave the account with the password alone.
  await removeDevice(ctx, { accountId: key.accountId, deviceId: key.deviceId, actor: `device:${key.deviceId}`, enforceLastFactor: true }, meta)
}

export async function updateSubscription(ctx: Context, input: { deviceId: string; pushSubscription: PushSubscriptionInput | null; issuedAt: string; signature: string }, meta: RequestMeta) {
  const subscription = input.pushSubscription
  const key = await authenticateDevice(ctx, { ...input, purpose: 'subscription', fields: [subscription?.endpoint ?? null, subscription?.keys.p256dh ?? null, subscription?.keys.auth ?? null] }, meta)
  if (input.pushSubscription && !pushEndpointAllowed(input.pushSubscription.endpoint, ctx.config.env)) {
    throw new CountersignError('INVALID_REQUEST', { field: 'pushSubscription.endpoint', detail: 'is not an address push messages may go to' })
  }
  await ctx.store.push.setSubscription(key.deviceId, sealSubscription(ctx, key.deviceId, input.pushSubscription))
}

/** For the page that shows the QR code: has the app paired this device yet? */
export async function pairedDevice(ctx: Context, auth: Authenticated, deviceId: string) {
  const device = await ctx.store.devices.get(auth.account.id, deviceId)
  if (!device) throw new CountersignError('NOT_FOUND')
  return device.status === 'active' ? describeDevice(device) : null
}
