import { z } from 'zod'
import { PasskeyAuthenticationResponse, PasskeyRegistrationResponse } from './passkeys.js'

/** Methods a sign-in can offer (API.md §Sign-in). `push` and `passkey` arrive with their issues. */
export const methodKinds = ['totp', 'push', 'sms', 'email', 'passkey', 'recovery_code'] as const
export const MethodKind = z.enum(methodKinds)
export type MethodKind = z.infer<typeof MethodKind>

export const policies = ['required', 'optional', 'off'] as const
export const Policy = z.enum(policies)
export type Policy = z.infer<typeof Policy>

export const TwoFactorOverride = z.enum(['default', 'required', 'exempt'])
export type TwoFactorOverride = z.infer<typeof TwoFactorOverride>

export const SignInState = z.enum(['awaiting_second_factor', 'awaiting_enrolment', 'completed'])
export type SignInState = z.infer<typeof SignInState>

/** Printable characters only: no control characters, no line breaks (IV-08). */
const printable = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u

/** A user name: 1–64 characters of letters, digits and `. _ - @ +`; compared case-folded. */
export const Username = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N}._@+-]+$/u, 'may contain letters, digits and . _ - @ + only')

/** A password as typed: at most 1024 bytes, so nothing larger is ever hashed (IV-03). */
export const PasswordInput = z
  .string()
  .min(1)
  .max(1024)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 1024, 'must be at most 1024 bytes')

/** The most characters (code points, after NFKC) a new password may have (issue 17). */
export const PASSWORD_MAX_CHARACTERS = 256

/**
 * A new password: 8 to 256 characters counted in code points after NFKC (NIST SP 800-63B
 * §3.1.1.2), at most 1024 bytes. Anything longer is refused here, before any hashing; the
 * organisation's own minimum (8–64) and the blocklist are checked by the server.
 */
export const NewPassword = PasswordInput.refine(
  (s) => [...s.normalize('NFKC')].length >= 8,
  'must be at least 8 characters',
).refine((s) => [...s.normalize('NFKC')].length <= PASSWORD_MAX_CHARACTERS, `must be at most ${PASSWORD_MAX_CHARACTERS} characters`)

/** A code as typed. Its content is checked by the method (a malformed code is a failed attempt). */
export const CodeInput = z.string().max(64)

export const DisplayName = z.string().trim().min(1).max(64).regex(printable, 'must be printable text')

export const Email = z.string().trim().max(254).email()

/** E.164: a plus sign and 8 to 15 digits (IV-12). */
export const Phone = z.string().regex(/^\+[1-9][0-9]{7,14}$/, 'must be an E.164 number such as +31612345678')

export const Slug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be lower-case letters, digits and dashes')

/** Flow and other opaque tokens: `id.secret`, base64url. */
export const OpaqueToken = z.string().min(1).max(200)

// ---- Sign-in -------------------------------------------------------------------------------

export const PasswordStepBody = z.strictObject({
  username: Username,
  password: PasswordInput,
  /** Set by the sign-in page when an application asked for a second factor (OIDC `acr_values=mfa`). */
  requireSecondFactor: z.boolean().optional(),
})

export const SecondFactorBody = z.strictObject({
  method: MethodKind,
  code: CodeInput.optional(),
  rememberBrowser: z.boolean().optional(),
  flowId: OpaqueToken.optional(),
})

export const FlowIdBody = z.strictObject({ flowId: OpaqueToken.optional() })

/** `POST /api/v1/account/devices/passkey`: the name and the browser's registration response. */
export const RegisterPasskeyBody = z.strictObject({ name: DisplayName, response: PasskeyRegistrationResponse })
/** `POST /api/v1/sign-in/passkey`: the flow's assertion. */
export const PasskeySignInBody = z.strictObject({ flowId: OpaqueToken.optional(), response: PasskeyAuthenticationResponse, rememberBrowser: z.boolean().optional() })
/** `POST /api/v1/sign-in/passkey/discoverable`: a passkey alone, no user name. */
export const PasskeyDiscoverableBody = z.strictObject({ response: PasskeyAuthenticationResponse })

export const Organisation = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
})

export const Session = z.object({
  account: z.object({
    id: z.string(),
    username: z.string(),
    role: z.enum(['user', 'admin', 'staff']),
    organisation: Organisation.nullable(),
  }),
  amr: z.array(z.string()),
  authenticatedAt: z.string(),
  expiresAt: z.string(),
  restrictedToEnrolment: z.boolean(),
  /** An admin asked for a new password: until it is changed, only the password page is reachable. */
  passwordChangeRequired: z.boolean(),
})
export type Session = z.infer<typeof Session>

export const FlowAnswer = z.object({
  state: SignInState,
  flowId: z.string().optional(),
  expiresAt: z.string().optional(),
  methods: z.array(MethodKind).optional(),
  preferredMethod: MethodKind.nullable().optional(),
  session: Session.optional(),
  reason: z.string().optional(),
  /** The organisation's "Remember this browser for N days"; 0 when it does not offer it. */
  rememberBrowserDays: z.number().int().optional(),
  /** After signing in with a recovery code (F-X-2): how many unused codes are left. */
  recoveryCodesLeft: z.number().int().optional(),
})
export type FlowAnswer = z.infer<typeof FlowAnswer>

// ---- Own account --------------------------------------------------------------------------

export const DeviceKind = z.enum(['totp', 'authenticator', 'passkey'])
export type DeviceKind = z.infer<typeof DeviceKind>

export const Device = z.object({
  id: z.string(),
  name: z.string(),
  kind: DeviceKind,
  linkedAt: z.string(),
  lastUsedAt: z.string().nullable(),
})
export type Device = z.infer<typeof Device>

export const CreateDeviceBody = z.strictObject({ name: DisplayName })

/** F-X-2: new recovery codes, `xxxx-xxxx-xxxx-xxxx`, shown once. */
export const RecoveryCodes = z.object({
  codes: z.array(z.string()),
  createdAt: z.string(),
  remaining: z.number().int(),
})
/** `smsCode`: the confirmation SMS when the organisation links with SMS (F-TOTP-5). */
/** Without `code`: a Countersign Authenticator that paired itself finishes a forced enrolment. */
export const ConfirmDeviceBody = z.strictObject({ code: CodeInput.optional(), smsCode: CodeInput.optional() })
export const RenameDeviceBody = z.strictObject({ name: DisplayName })
export const ReauthenticateBody = z.strictObject({
  password: PasswordInput,
  method: MethodKind.optional(),
  code: CodeInput.optional(),
  /** With `method: "passkey"`: the assertion for `POST /api/v1/account/reauthenticate/passkey/options`. */
  passkey: PasskeyAuthenticationResponse.optional(),
})
export const SetMethodBody = z.strictObject({ method: MethodKind })
export const SetTwoFactorBody = z.strictObject({ enabled: z.boolean() })

export const PendingTotpDevice = z.object({
  deviceId: z.string(),
  otpauthUri: z.string(),
  secret: z.string(),
  qrCode: z.string(),
  expiresAt: z.string(),
})

// ---- Administration -----------------------------------------------------------------------

/**
 * An origin a protected application lives at (forward auth, return URLs): `http(s)://host[:port]`,
 * no user, path, query or fragment (a single trailing `/` is dropped). Normalised as browsers
 * compare origins: lower-case, punycode host, default port left out.
 */
export const OriginInput = z
  .string()
  .trim()
  .max(300)
  .transform((value, issue) => {
    const origin = /^https?:\/\/[^/?#\\@\s]+\/?$/i.test(value) ? originOf(value) : null
    if (origin === null) {
      issue.addIssue({ code: 'custom', message: 'must be an origin such as https://app.example.com' })
      return z.NEVER
    }
    return origin
  })

function originOf(value: string): string | null {
  const url = URL.parse(value)
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null
  // A DNS name (punycode) or an IP address: no wildcards, no trailing dot.
  if (!/^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) return null
  return url.origin
}

/** One protected origin, and whether a session needs a second factor (`amr` with `mfa`) there. */
export const AllowedOrigin = z.strictObject({
  origin: OriginInput,
  requireSecondFactor: z.boolean().default(false),
})
export type AllowedOrigin = z.output<typeof AllowedOrigin>

export const AllowedOrigins = z
  .array(AllowedOrigin)
  .max(20)
  .refine((list) => new Set(list.map((o) => o.origin)).size === list.length, 'must not repeat an origin')

export const OrganisationSettings = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  policy: Policy,
  allowedMethods: z.array(MethodKind),
  deviceLimit: z.number().int(),
  rememberBrowserDays: z.number().int(),
  codeTtlMinutes: z.number().int(),
  autoUnlockMinutes: z.number().int().nullable(),
  linkWithSms: z.boolean(),
  /** Digits of the number the user types on the phone for a push sign-in (F-PUSH-5). */
  pushNumberDigits: z.number().int(),
  /** Origins of applications behind forward auth (return URLs after sign-in go only there). */
  allowedOrigins: z.array(z.object({ origin: z.string(), requireSecondFactor: z.boolean() })),
  /** The fewest characters a new password may have (8–64, default 12; NIST SP 800-63B §3.1.1.2). */
  minPasswordLength: z.number().int(),
  /** "Forgot your password?" sends a reset link; off: the user asks an admin. */
  selfServicePasswordReset: z.boolean(),
  /** The organisation's admins are told by e-mail when a user resets their password. */
  notifyAdminsOfPasswordReset: z.boolean(),
  /** A session ends after this many minutes without a request (SC-07). */
  sessionIdleMinutes: z.number().int(),
  /** A session ends this many hours after sign-in, however active (SC-07). */
  sessionMaxHours: z.number().int(),
  createdAt: z.string(),
})
export type OrganisationSettings = z.infer<typeof OrganisationSettings>

const AllowedMethods = z
  .array(MethodKind)
  .min(1)
  .max(methodKinds.length)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a method')

export const CreateOrganisationBody = z.strictObject({
  slug: Slug,
  name: DisplayName,
  policy: Policy.default('required'),
  allowedMethods: AllowedMethods.optional(),
})

export const UpdateOrganisationBody = z
  .strictObject({
    name: DisplayName.optional(),
    policy: Policy.optional(),
    allowedMethods: AllowedMethods.optional(),
    deviceLimit: z.number().int().min(1).max(20).optional(),
    rememberBrowserDays: z.number().int().min(0).max(365).optional(),
    codeTtlMinutes: z.number().int().min(1).max(60).optional(),
    autoUnlockMinutes: z.number().int().min(1).max(10080).nullable().optional(),
    linkWithSms: z.boolean().optional(),
    pushNumberDigits: z.number().int().min(2).max(6).optional(),
    allowedOrigins: AllowedOrigins.optional(),
    minPasswordLength: z.number().int().min(8).max(64).optional(),
    selfServicePasswordReset: z.boolean().optional(),
    notifyAdminsOfPasswordReset: z.boolean().optional(),
    sessionIdleMinutes: z.number().int().min(5).max(720).optional(),
    sessionMaxHours: z.number().int().min(1).max(720).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one setting')

export const CreateUserBody = z.strictObject({
  username: Username,
  email: Email,
  phone: Phone.optional(),
  password: NewPassword,
  role: z.enum(['user', 'admin']).default('user'),
  twoFactor: TwoFactorOverride.default('default'),
})

export const UpdateUserBody = z
  .strictObject({
    email: Email.optional(),
    role: z.enum(['user', 'admin']).optional(),
    twoFactor: TwoFactorOverride.optional(),
    staffTwoFactor: z.boolean().optional(),
    password: NewPassword.optional(),
    /** The user must choose a new password at the next sign-in (issue 17). */
    requirePasswordChange: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field')

export const CreateStaffBody = z.strictObject({
  username: Username,
  email: Email,
  password: NewPassword,
  twoFactor: z.boolean().default(true),
})

export const BypassBody = z.strictObject({ reason: z.string().trim().max(200).regex(printable).optional() })

export const UserSummary = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.enum(['user', 'admin', 'staff']),
  organisationId: z.string().nullable(),
  twoFactor: TwoFactorOverride,
  staffTwoFactor: z.boolean(),
  method: MethodKind.nullable(),
  devices: z.array(Device),
  locked: z.boolean(),
  lockedUntil: z.string().nullable(),
  failedAttempts: z.number().int(),
  lastSignInAt: z.string().nullable(),
  bypassExpiresAt: z.string().nullable(),
  secondFactor: z.object({ required: z.boolean(), reason: z.string() }),
  /** `deactivated`: cannot sign in, kept for the audit (issue 17). */
  status: z.enum(['active', 'deactivated']),
  deactivatedAt: z.string().nullable(),
  passwordChangeRequired: z.boolean(),
  createdAt: z.string(),
})
export type UserSummary = z.infer<typeof UserSummary>

export const AuditQuery = z.strictObject({
  organisation: z.string().max(64).optional(),
  account: z.string().max(64).optional(),
  event: z.string().max(64).optional(),
  after: z.iso.datetime().optional(),
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

export const AuditEvent = z.object({
  id: z.string(),
  at: z.string(),
  event: z.string(),
  organisationId: z.string().nullable(),
  actor: z.string().nullable(),
  accountId: z.string().nullable(),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
})
export type AuditEvent = z.infer<typeof AuditEvent>
