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
  /** Unused recovery codes (F-X-2); 0: none made yet, or all used. */
  recoveryCodesLeft: number
  /** The organisation's minimum for a new password (issue 17). */
  minPasswordLength: number
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

/** How many recovery codes one set holds (F-X-2: the server makes 10 at a time). */
export const RECOVERY_CODE_COUNT = 10

/** At this many unused recovery codes or fewer (but some), the pages warn: My Account, sign-in, the admin console. */
export const FEW_RECOVERY_CODES = 2

/**
 * Whether My Account offers recovery codes (F-X-2): the organisation allows them, the user has a
 * real method for them to stand beside (they are never the only factor), and the session is not
 * one that may only set up a method.
 */
export function offersRecoveryCodes(overview: SecurityOverview): boolean {
  const allowed = overview.allowedMethods.length === 0 || overview.allowedMethods.includes('recovery_code')
  return allowed && overview.availableMethods.length > 0 && !overview.restrictedToEnrolment
}
