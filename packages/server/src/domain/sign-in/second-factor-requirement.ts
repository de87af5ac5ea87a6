import type { Policy, TwoFactorOverride } from '@countersign/protocol'

export type RequiredReason =
  | 'staff_switch_on'
  | 'user_override_required'
  | 'organisation_required'
  | 'user_enabled'
  /** The application that sent the user here asked for one (OIDC `acr_values=mfa`). */
  | 'requested_by_application'

export type NotRequiredReason =
  | 'staff_switch_off'
  | 'one_time_bypass'
  | 'user_override_exempt'
  | 'organisation_off'
  | 'user_not_enabled'
  | 'browser_remembered'

export type Requirement =
  | { required: true; reason: RequiredReason }
  | { required: false; reason: NotRequiredReason }

export interface RequirementInput {
  account: {
    role: 'user' | 'admin' | 'staff'
    staffTwoFactor: boolean
    twoFactorOverride: TwoFactorOverride
    /** The user's own choice where the policy is optional (F-SET-4). */
    twoFactorEnabled: boolean
  }
  /** Staff have no organisation; their switch decides (F-POL-3). */
  organisationPolicy: Policy | null
  /** An unused, unexpired admin grant (F-POL-4). */
  bypassUsable: boolean
  /** A valid remember-this-browser token for this account (F-LOGIN-3). */
  browserRemembered: boolean
}

/**
 * Decides whether this sign-in needs a second factor, and why (F-POL-1…4, F-LOGIN-3).
 * Ordered checks, as oidc-provider's interaction policy: the first that applies decides, and its
 * reason goes into the audit event and onto the admin's "why" column.
 *
 * A one-time bypass is used only where a factor would otherwise be asked; a remembered browser
 * only skips a factor that is asked, so neither ever claims more than it did.
 */
export function secondFactorRequirement(input: RequirementInput): Requirement {
  const base = policyRequirement(input)
  if (!base.required) return base
  if (input.bypassUsable) return { required: false, reason: 'one_time_bypass' }
  if (input.browserRemembered) return { required: false, reason: 'browser_remembered' }
  return base
}

/** What the policy alone says, before a bypass or a remembered browser (the admin's view). */
export function policyRequirement(input: Pick<RequirementInput, 'account' | 'organisationPolicy'>): Requirement {
  const { account } = input
  if (account.role === 'staff') {
    return account.staffTwoFactor
      ? { required: true, reason: 'staff_switch_on' }
      : { required: false, reason: 'staff_switch_off' }
  }
  if (account.twoFactorOverride === 'exempt') return { required: false, reason: 'user_override_exempt' }
  if (account.twoFactorOverride === 'required') return { required: true, reason: 'user_override_required' }
  switch (input.organisationPolicy) {
    case 'required':
      return { required: true, reason: 'organisation_required' }
    case 'off':
      return { required: false, reason: 'organisation_off' }
    default:
      return account.twoFactorEnabled
        ? { required: true, reason: 'user_enabled' }
        : { required: false, reason: 'user_not_enabled' }
  }
}
