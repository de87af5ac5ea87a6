import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Policy, TwoFactorOverride } from '@countersign/protocol'
import { secondFactorRequirement, type RequirementInput } from './second-factor-requirement.js'
import { amrFor, offeredMethods } from './sign-in-flow.js'

function input(overrides: {
  policy?: Policy | null
  override?: TwoFactorOverride
  enabled?: boolean
  role?: 'user' | 'admin' | 'staff'
  staffSwitch?: boolean
  bypass?: boolean
  remembered?: boolean
}): RequirementInput {
  return {
    account: {
      role: overrides.role ?? 'user',
      staffTwoFactor: overrides.staffSwitch ?? true,
      twoFactorOverride: overrides.override ?? 'default',
      twoFactorEnabled: overrides.enabled ?? false,
    },
    organisationPolicy: overrides.policy === undefined ? 'required' : overrides.policy,
    bypassUsable: overrides.bypass ?? false,
    browserRemembered: overrides.remembered ?? false,
  }
}

describe('secondFactorRequirement', () => {
  it('RB-07 F-POL-1 F-POL-2: the organisation policy × user override matrix asks exactly where the spec says', () => {
    const cells: Array<[Policy, TwoFactorOverride, boolean, boolean, string]> = [
      // policy, override, user enabled, required?, reason
      ['required', 'default', false, true, 'organisation_required'],
      ['required', 'required', false, true, 'user_override_required'],
      ['required', 'exempt', false, false, 'user_override_exempt'],
      ['optional', 'default', false, false, 'user_not_enabled'],
      ['optional', 'default', true, true, 'user_enabled'],
      ['optional', 'required', false, true, 'user_override_required'],
      ['optional', 'exempt', true, false, 'user_override_exempt'],
      ['off', 'default', true, false, 'organisation_off'],
      ['off', 'required', false, true, 'user_override_required'],
      ['off', 'exempt', false, false, 'user_override_exempt'],
    ]
    for (const [policy, override, enabled, required, reason] of cells) {
      assert.deepEqual(secondFactorRequirement(input({ policy, override, enabled })), { required, reason }, `${policy} × ${override} × enabled=${enabled}`)
    }
  })

  it('F-POL-3: a staff user follows only their own switch, whatever else is set', () => {
    assert.deepEqual(secondFactorRequirement(input({ role: 'staff', staffSwitch: true, policy: null, override: 'exempt' })), { required: true, reason: 'staff_switch_on' })
    assert.deepEqual(secondFactorRequirement(input({ role: 'staff', staffSwitch: false, policy: null, override: 'required' })), { required: false, reason: 'staff_switch_off' })
  })

  it('F-POL-4: a one-time bypass skips a factor that would be asked, and is not used where none is asked', () => {
    assert.deepEqual(secondFactorRequirement(input({ bypass: true })), { required: false, reason: 'one_time_bypass' })
    assert.deepEqual(secondFactorRequirement(input({ policy: 'off', bypass: true })), { required: false, reason: 'organisation_off' })
  })

  it('F-LOGIN-3: a remembered browser skips the factor; a bypass takes precedence so the grant is used up', () => {
    assert.deepEqual(secondFactorRequirement(input({ remembered: true })), { required: false, reason: 'browser_remembered' })
    assert.deepEqual(secondFactorRequirement(input({ remembered: true, bypass: true })), { required: false, reason: 'one_time_bypass' })
  })
})

describe('offered methods and amr', () => {
  it('F-LOGIN-2: the preferred method comes first; methods not allowed or not set up are not offered', () => {
    assert.deepEqual(offeredMethods({ available: ['sms', 'totp'], allowed: ['totp', 'sms'], preferred: 'sms' }), ['sms', 'totp'])
    assert.deepEqual(offeredMethods({ available: ['sms', 'totp'], allowed: ['totp'], preferred: 'sms' }), ['totp'])
    assert.deepEqual(offeredMethods({ available: [], allowed: ['totp'], preferred: 'totp' }), [])
  })

  it('SC-11 RFC 8176: amr lists only what was done; mfa only with a second factor; e-mail is mail, not otp', () => {
    assert.deepEqual(amrFor(null), ['pwd'])
    assert.deepEqual(amrFor('totp'), ['pwd', 'otp', 'mfa'])
    assert.deepEqual(amrFor('email'), ['pwd', 'mail', 'mfa'])
    assert.deepEqual(amrFor('sms'), ['pwd', 'sms', 'mfa'])
    assert.deepEqual(amrFor('push'), ['pwd', 'swk', 'mfa'])
  })
})
