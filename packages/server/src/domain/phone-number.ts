import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/**
 * Mobile numbers (F-SET-2, IV-12). The only importer of libphonenumber-js: a number is accepted only
 * when it is a valid number that can receive text messages, and is stored in E.164.
 */
export type PhoneCheck = { ok: true; e164: string } | { ok: false; reason: string }

export function normaliseMobileNumber(input: string): PhoneCheck {
  const trimmed = input.trim()
  if (!trimmed.startsWith('+')) return { ok: false, reason: 'must start with + and the country code, such as +31612345678' }
  const parsed = parsePhoneNumberFromString(trimmed)
  if (!parsed || !parsed.isValid()) return { ok: false, reason: 'is not a valid phone number' }
  const type = parsed.getType()
  // Numbers whose type the metadata cannot tell apart (US, CA…) are accepted; fixed lines are not.
  if (type !== undefined && type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') return { ok: false, reason: 'must be a mobile number' }
  const e164 = parsed.number
  if (!/^\+[1-9][0-9]{7,14}$/.test(e164)) return { ok: false, reason: 'is not a valid phone number' }
  return { ok: true, e164 }
}

/** `+31612345678` → `+31 ••• ••• 678`: enough to recognise, not to copy (F-SET-2). */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null
  return `${phone.slice(0, 3)} ••• ••• ${phone.slice(-3)}`
}

/** `alice@example.com` → `a•••@example.com`. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@')
  return `${local.slice(0, 1)}•••@${domain}`
}

/** True when the account has a number that may receive codes (T3: verified before use). */
export function hasVerifiedPhone(account: { phone: string | null; phoneVerified: boolean }): boolean {
  return Boolean(account.phone && account.phoneVerified)
}
