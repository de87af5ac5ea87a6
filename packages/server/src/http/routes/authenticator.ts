import {
  AnswerBody,
  CreateDeviceBody,
  PairAnswer,
  PairBody,
  PendingAuthenticatorDevice,
  PushChallengeView,
  SignedQuery,
  SignedQueryForDevice,
  SubscriptionBody,
} from '@countersign/protocol'
import { z } from 'zod'
import { channels } from '../../realtime/channels.js'
import type { Context } from '../../use-cases/context.js'
import {
  answerChallenge,
  authenticateDevice,
  authenticatorConfig,
  listPendingChallenges,
  pairDevice,
  pairedDevice,
  readChallenge,
  startAuthenticatorDevice,
  unpairDevice,
  updateSubscription,
} from '../../use-cases/push.js'
import { openOwnedEventStream } from '../event-stream.js'
import type { Router } from '../router.js'
import { limitPerIp } from './sign-in.js'

const ChallengeParams = z.strictObject({ id: z.string().min(1).max(64) })
const DeviceParams = z.strictObject({ id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a device id') })
const AccountDeviceParams = z.strictObject({ deviceId: z.string().min(1).max(64) })

const APP_STREAM_LIFETIME_MS = 10 * 60_000

const signed = {
  400: { description: 'INVALID_REQUEST: a missing field, or an issuedAt that is not a time' },
  401: { description: 'SIGNATURE_INVALID: unknown or removed device, bad signature, or the phone’s clock more than 2 minutes off' },
}

/** The Countersign Authenticator's requests (docs/authenticator-protocol.md), signed by its key. */
export function authenticatorRoutes(router: Router, ctx: Context) {
  router.route(
    { method: 'GET', url: '/api/v1/authenticator/config', summary: 'The VAPID public key the app subscribes to Web Push with (RFC 8292)', tag: 'authenticator', access: 'none', responses: { 200: { description: '{ vapidPublicKey }' } } },
    async () => authenticatorConfig(ctx),
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/authenticator/pair',
      summary: 'The app’s “Login” tap: registers its public key and push subscription and links the device (F-PUSH-1)',
      tag: 'authenticator',
      access: 'none',
      body: PairBody,
      responses: {
        200: { description: 'linked', schema: PairAnswer },
        ...signed,
        404: { description: 'NOT_FOUND: unknown, used or expired pairing token' },
        409: { description: 'DEVICE_LIMIT_REACHED' },
      },
    },
    async ({ body, meta }) => {
      await limitPerIp(ctx, 'pair', meta.ip, ctx.config.rateLimitCodePerMinute)
      return pairDevice(ctx, body, meta)
    },
  )

  router.route(
    { method: 'GET', url: '/api/v1/authenticator/challenges', summary: 'The account’s pending sign-in requests, for an app that opens', tag: 'authenticator', access: 'none', query: SignedQuery, responses: { 200: { description: '[Challenge]', schema: z.array(PushChallengeView) }, ...signed } },
    async ({ query, meta }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      return listPendingChallenges(ctx, query, meta)
    },
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/authenticator/challenges/:id',
      summary: 'One sign-in request with its context (F-PUSH-5); never the number',
      tag: 'authenticator',
      access: 'none',
      params: ChallengeParams,
      query: SignedQuery,
      responses: { 200: { description: 'Challenge', schema: PushChallengeView }, ...signed, 404: { description: 'NOT_FOUND' } },
    },
    async ({ params, query, meta }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      return readChallenge(ctx, { challengeId: params.id, ...query }, meta)
    },
  )

  router.route(
    {
      method: 'POST',
      url: '/api/v1/authenticator/challenges/:id/answer',
      summary: 'Approve with the typed number, or deny (“This wasn’t me”), signed (F-PUSH-2, F-PUSH-6)',
      tag: 'authenticator',
      access: 'none',
      params: ChallengeParams,
      body: AnswerBody,
      responses: {
        200: { description: '{ status }' },
        ...signed,
        401: { description: 'SIGNATURE_INVALID, or NUMBER_MISMATCH: the number typed was not the one shown (counts as a failed attempt)' },
        404: { description: 'NOT_FOUND' },
        409: { description: 'CHALLENGE_CLOSED: already answered' },
        410: { description: 'CHALLENGE_EXPIRED' },
        423: { description: 'ACCOUNT_LOCKED' },
      },
    },
    async ({ params, body, meta }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      return answerChallenge(ctx, { challengeId: params.id, ...body }, meta)
    },
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/authenticator/events',
      summary: 'Event stream for an open app: challenge, closed, removed',
      tag: 'authenticator',
      access: 'none',
      query: SignedQuery,
      responses: { 200: { description: 'text/event-stream' }, ...signed },
    },
    async ({ query, meta, request, reply }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      // Its own purpose: a signature that lists the challenges cannot open the stream, nor the reverse.
      const key = await authenticateDevice(ctx, { ...query, purpose: 'events', fields: [] }, meta)
      // Listening before the stream opens: nothing that happens once the app sees it is missed.
      const early: string[] = []
      let deliver = (payload: string) => void early.push(payload)
      // A replayed signed URL must not keep the app out: the newest stream takes the oldest's place.
      const stream = await openOwnedEventStream(request, reply, `device:${key.deviceId}`, () => ctx.notifier.subscribe(channels.device(key.deviceId), (payload) => deliver(payload)), 'replaceOldest')
      deliver = (payload) => {
        try {
          const message = JSON.parse(payload) as { type: string; id?: string; status?: string }
          if (message.type === 'removed') stream.wake()
          else stream.send(message.type, { id: message.id, ...(message.status ? { status: message.status } : {}) })
        } catch {
          // not ours
        }
      }
      for (const payload of early.splice(0)) deliver(payload)
      // A signed URL is good for 2 minutes; the stream it opened lasts 10, then the app reconnects
      // with a fresh signature — so a URL read from some log cannot listen for long.
      const lifetime = setTimeout(() => stream.close(), APP_STREAM_LIFETIME_MS)
      stream.onClose(() => clearTimeout(lifetime))
      // Removed on the server (here, on another instance, or by an admin): say so and end (F-PUSH-4).
      stream.watch(async () => {
        if (await ctx.store.push.getKey(key.deviceId)) return
        stream.send('removed', { id: key.deviceId })
        stream.close()
      }, 15_000)
    },
  )

  router.route(
    {
      method: 'DELETE',
      url: '/api/v1/authenticator/devices/:id',
      summary: 'Menu › Unpair: removes this device on the server too (F-PUSH-4)',
      tag: 'authenticator',
      access: 'none',
      params: DeviceParams,
      query: SignedQueryForDevice,
      responses: { 204: { description: 'removed' }, ...signed, 409: { description: 'LAST_FACTOR_REQUIRED: link another method first' } },
    },
    async ({ params, query, meta, reply }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      await unpairDevice(ctx, { deviceId: params.id, ...query }, meta)
      return reply.status(204).send()
    },
  )

  router.route(
    {
      method: 'PUT',
      url: '/api/v1/authenticator/devices/:id/subscription',
      summary: 'The app renewed or dropped its Web Push subscription',
      tag: 'authenticator',
      access: 'none',
      params: DeviceParams,
      body: SubscriptionBody,
      responses: { 204: { description: 'saved' }, ...signed },
    },
    async ({ params, body, meta, reply }) => {
      await limitPerIp(ctx, 'device', meta.ip, ctx.config.rateLimitCodePerMinute)
      await updateSubscription(ctx, { deviceId: params.id, ...body }, meta)
      return reply.status(204).send()
    },
  )

  // ---- The browser's side of pairing --------------------------------------------------------

  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/devices/authenticator',
      summary: 'Add a Countersign Authenticator: a pending device and its pairing QR code (F-PUSH-1)',
      tag: 'account',
      access: 'enrolment',
      body: CreateDeviceBody,
      responses: {
        201: { description: 'pending device with pairingUri', schema: PendingAuthenticatorDevice },
        401: { description: 'SESSION_REQUIRED' },
        403: { description: 'REAUTHENTICATION_REQUIRED' },
        409: { description: 'DEVICE_LIMIT_REACHED' },
      },
    },
    async ({ auth, body, meta, reply }) => reply.status(201).send(await startAuthenticatorDevice(ctx, auth, body, meta)),
  )

  router.route(
    {
      method: 'GET',
      url: '/api/v1/account/devices/:deviceId/events',
      summary: 'Event stream for the page showing a pairing QR code: `linked` once the app paired',
      tag: 'account',
      access: 'enrolment',
      params: AccountDeviceParams,
      responses: { 200: { description: 'text/event-stream' }, 401: { description: 'SESSION_REQUIRED' }, 404: { description: 'NOT_FOUND' } },
    },
    async ({ auth, params, request, reply }) => {
      await pairedDevice(ctx, auth, params.deviceId)
      let wake = () => {}
      const stream = await openOwnedEventStream(request, reply, `pairing:${params.deviceId}`, () => ctx.notifier.subscribe(channels.pairing(params.deviceId), () => wake()))
      wake = () => stream.wake()
      stream.watch(async () => {
        const device = await pairedDevice(ctx, auth, params.deviceId).catch(() => null)
        if (!device) return
        stream.send('linked', device)
        stream.close()
      }, 3000)
    },
  )
}
