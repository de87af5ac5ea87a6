import {
  ConfirmDeviceBody,
  CreateDeviceBody,
  Device,
  PendingTotpDevice,
  RegisterPasskeyBody,
  RecoveryCodes,
  ReauthenticateBody,
  RenameDeviceBody,
  Session as SessionSchema,
  SetMethodBody,
  SetTwoFactorBody,
} from '@countersign/protocol'
import { z } from 'zod'
import {
  forgetBrowser,
  listRememberedBrowsers,
  ownActivity,
  reauthenticate,
  securityOverview,
  setPreferredMethod,
  setTwoFactor,
} from '../../use-cases/account-security.js'
import type { Context } from '../../use-cases/context.js'
import { confirmDevice, listDevices, removeOwnDevice, renameDevice, startTotpDevice } from '../../use-cases/devices.js'
import { generateRecoveryCodes, removeRecoveryCodes } from '../../use-cases/recovery-codes.js'
import { passkeyRegistrationOptions, reauthenticationPasskeyOptions, registerPasskey } from '../../use-cases/passkeys.js'
import { describeSession } from '../../use-cases/sessions.js'
import type { Cookies } from '../cookies.js'
import type { Router } from '../router.js'

const DeviceParams = z.strictObject({ deviceId: z.string().min(1).max(64) })
const BrowserParams = z.strictObject({ id: z.string().min(1).max(64) })
const ActivityQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) })

const recent = { 403: { description: 'REAUTHENTICATION_REQUIRED: sign in again or POST /api/v1/account/reauthenticate' } }
const signedIn = { 401: { description: 'SESSION_REQUIRED' } }

export function accountRoutes(router: Router, ctx: Context, cookies: Cookies) {
  router.route(
    { method: 'GET', url: '/api/v1/account/security', summary: 'My Account > Security: method, devices, contact, browsers, policy (F-SET-1…4)', tag: 'account', access: 'enrolment', responses: { 200: { description: 'overview' }, ...signedIn } },
    async ({ auth }) => securityOverview(ctx, auth),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/devices/totp',
      summary: 'Start linking an authenticator app: a pending device with its QR code (F-TOTP-1)',
      tag: 'account',
      access: 'enrolment',
      body: CreateDeviceBody,
      responses: { 201: { description: 'pending device', schema: PendingTotpDevice }, 409: { description: 'DEVICE_LIMIT_REACHED' }, ...recent, ...signedIn },
    },
    async ({ auth, body, meta, reply }) => reply.status(201).send(await startTotpDevice(ctx, auth, { name: body.name }, meta)),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/devices/:deviceId/confirm',
      summary: 'Confirm a pending device with the app’s current code; only then is it linked',
      tag: 'account',
      access: 'enrolment',
      params: DeviceParams,
      body: ConfirmDeviceBody,
      responses: { 200: { description: 'linked device', schema: Device }, 401: { description: 'CODE_INVALID' }, 404: { description: 'no such pending device' }, 409: { description: 'DEVICE_LIMIT_REACHED' }, ...recent },
    },
    async ({ auth, body, params, meta, reply }) => {
      const result = await confirmDevice(ctx, auth, { deviceId: params.deviceId, code: body.code, smsCode: body.smsCode }, meta)
      if (result.replacement) cookies.set(reply, 'session', result.replacement.token)
      return { ...result.device, ...(result.replacement ? { session: describeSession(result.replacement.auth) } : {}) }
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/devices/passkey/options',
      summary: 'Start registering a passkey or security key: WebAuthn creation options (F-X-1)',
      tag: 'account',
      access: 'enrolment',
      responses: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON' }, 403: { description: 'FORBIDDEN: passkeys not allowed; or REAUTHENTICATION_REQUIRED' }, 409: { description: 'DEVICE_LIMIT_REACHED' }, ...signedIn },
    },
    async ({ auth }) => passkeyRegistrationOptions(ctx, auth),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/devices/passkey',
      summary: 'Register the passkey the browser made; in a forced enrolment this completes it (F-X-1)',
      tag: 'account',
      access: 'enrolment',
      body: RegisterPasskeyBody,
      responses: { 201: { description: 'linked device', schema: Device }, 400: { description: 'INVALID_REQUEST: the response does not verify, its challenge is not this session’s, or the passkey is registered already' }, 409: { description: 'DEVICE_LIMIT_REACHED' }, ...recent },
    },
    async ({ auth, body, meta, reply }) => {
      const result = await registerPasskey(ctx, auth, { name: body.name, response: body.response as never }, meta)
      if (result.replacement) cookies.set(reply, 'session', result.replacement.token)
      return reply.status(201).send({ ...result.device, ...(result.replacement ? { session: describeSession(result.replacement.auth) } : {}) })
    },
  )
  router.route(
    { method: 'GET', url: '/api/v1/account/devices', summary: 'My devices (F-DEV-2)', tag: 'account', access: 'enrolment', responses: { 200: { description: 'devices', schema: z.array(Device) }, ...signedIn } },
    async ({ auth }) => listDevices(ctx, auth.account.id),
  )
  router.route(
    { method: 'PATCH', url: '/api/v1/account/devices/:deviceId', summary: 'Rename a device', tag: 'account', access: 'session', params: DeviceParams, body: RenameDeviceBody, responses: { 200: { description: 'device', schema: Device }, 404: { description: 'NOT_FOUND' } } },
    async ({ auth, body, params, meta }) => renameDevice(ctx, auth, { deviceId: params.deviceId, name: body.name }, meta),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/account/devices/:deviceId', summary: 'Remove a device (the X icon)', tag: 'account', access: 'session', params: DeviceParams, responses: { 204: { description: 'removed' }, 404: { description: 'NOT_FOUND' }, 409: { description: 'LAST_FACTOR_REQUIRED' }, ...recent } },
    async ({ auth, params, meta, reply }) => {
      await removeOwnDevice(ctx, auth, { deviceId: params.deviceId }, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'PUT', url: '/api/v1/account/method', summary: 'Choose the method offered first (F-SET-1)', tag: 'account', access: 'enrolment', body: SetMethodBody, responses: { 204: { description: 'saved' }, 400: { description: 'method not set up' }, ...recent } },
    async ({ auth, body, meta, reply }) => {
      await setPreferredMethod(ctx, auth, body.method, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'PUT', url: '/api/v1/account/two-factor', summary: 'Turn 2FA on or off where the policy makes it optional (F-SET-4)', tag: 'account', access: 'session', body: SetTwoFactorBody, responses: { 204: { description: 'saved' }, 403: { description: 'FORBIDDEN: the policy decides; or REAUTHENTICATION_REQUIRED' } } },
    async ({ auth, body, meta, reply }) => {
      await setTwoFactor(ctx, auth, body.enabled, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/reauthenticate/passkey/options',
      summary: 'Confirm it is you with a passkey: WebAuthn request options bound to this session',
      tag: 'account',
      access: 'session',
      responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON' }, 400: { description: 'INVALID_REQUEST: no passkey' } },
    },
    async ({ auth }) => reauthenticationPasskeyOptions(ctx, auth),
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/reauthenticate',
      summary: 'Confirm it is you (password, and a code when you have a factor) before a sensitive change',
      tag: 'account',
      access: 'enrolment',
      body: ReauthenticateBody,
      responses: { 200: { description: 'a fresh session', schema: SessionSchema }, 401: { description: 'CREDENTIALS_INVALID or CODE_INVALID' }, 423: { description: 'ACCOUNT_LOCKED' } },
    },
    async ({ auth, body, meta, reply }) => {
      const result = await reauthenticate(ctx, auth, { ...body, passkey: body.passkey as never }, meta)
      cookies.set(reply, 'session', result.token)
      return describeSession(result.auth)
    },
  )
  router.route(
    {
      method: 'POST',
      url: '/api/v1/account/recovery-codes',
      summary: 'Make 10 new recovery codes, shown once; every older code stops working (F-X-2)',
      tag: 'account',
      access: 'session',
      responses: {
        201: { description: 'the codes, shown this once', schema: RecoveryCodes },
        400: { description: 'INVALID_REQUEST: set up another method first' },
        403: { description: 'FORBIDDEN: the organisation does not allow recovery codes; or REAUTHENTICATION_REQUIRED' },
        503: { description: 'OVERLOADED: the hashing queue is full' },
      },
    },
    async ({ auth, meta, reply }) => reply.status(201).send(await generateRecoveryCodes(ctx, auth, meta)),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/account/recovery-codes', summary: 'Void every recovery code (F-X-2)', tag: 'account', access: 'session', responses: { 204: { description: 'voided' }, ...recent } },
    async ({ auth, meta, reply }) => {
      await removeRecoveryCodes(ctx, auth, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'GET', url: '/api/v1/account/remembered-browsers', summary: 'Browsers that skip the second factor (F-SET-3)', tag: 'account', access: 'session', responses: { 200: { description: 'browsers' } } },
    async ({ auth }) => listRememberedBrowsers(ctx, auth),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/account/remembered-browsers/:id', summary: 'Forget a browser', tag: 'account', access: 'session', params: BrowserParams, responses: { 204: { description: 'forgotten' }, 404: { description: 'NOT_FOUND' } } },
    async ({ auth, params, meta, reply }) => {
      await forgetBrowser(ctx, auth, params.id, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'GET', url: '/api/v1/account/activity', summary: 'My recent security events (F-POL-6, F-SET-3)', tag: 'account', access: 'session', query: ActivityQuery, responses: { 200: { description: 'events, newest first' } } },
    async ({ auth, query }) => ownActivity(ctx, auth, query.limit),
  )
}
