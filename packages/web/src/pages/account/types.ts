import type { Device, MethodKind, Policy, TwoFactorOverride } from '@countersign/protocol'

export interface RememberedBrowser {
  id: string
  createdAt: string
  expiresAt: string
  lastUsedAt: string | null
  userAgent: string | null
  ip: string | null
}

/** `GET /api/v1/account/security` (F-SET-1…4). */
export interface SecurityOverview {
  method: MethodKind | null
  availableMethods: MethodKind[]
  allowedMethods: MethodKind[]
  twoFactorEnabled: boolean
  devices: Device[]
  deviceLimit: number
  phone: string | null
  phoneVerified: boolean
  email: string
  rememberedBrowsers: RememberedBrowser[]
  rememberBrowserDays: number
  policy: {
    organisation: Policy | null
    override: TwoFactorOverride
    required: boolean
    reason: string
    canTurnOff: boolean
  }
  recentSignInUntil: string
  /** What "Confirm it is you" asks for besides the password, preferred first; empty: the password alone. */
  reauthenticationMethods: MethodKind[]
  restrictedToEnrolment: boolean
}

/** `GET /api/v1/account/activity`: the user's own security events, newest first. */
export interface ActivityEvent {
  id: string
  at: string
  event: string
  reason: string | null
  ip: string | null
  userAgent: string | null
}

/** The methods the user may pick as the one offered first: set up, and allowed by the organisation. */
export function choosableMethods(overview: SecurityOverview): MethodKind[] {
  return overview.availableMethods.filter((m) => overview.allowedMethods.length === 0 || overview.allowedMethods.includes(m))
}

/** Whether the organisation lets this user link an authenticator app. */
export function canLinkApp(overview: SecurityOverview): boolean {
  return overview.allowedMethods.length === 0 || overview.allowedMethods.includes('totp')
}

/** The user decides about 2FA only where the organisation makes it optional and no override applies (F-SET-4). */
export function userDecides(overview: SecurityOverview): boolean {
  return overview.policy.organisation === 'optional' && overview.policy.override === 'default'
}
