import type { AllowedOrigin, MethodKind, Policy, TwoFactorOverride } from '@countersign/protocol'
import type { OidcStore } from './oidc-store.js'
import type { PushStore } from './push-store.js'
import type { RecoveryCodeStore } from './recovery-code-store.js'
import type { PasskeyStore } from './passkey-store.js'
import type { DeliveryQueueStore } from './delivery-queue-store.js'
import type { PasswordResetStore } from './password-reset-store.js'
import type { FlowState } from '../domain/sign-in/sign-in-flow.js'
import type { CodeChannel, CodePurpose } from '../domain/methods/one-time-code.js'

/*
 * The storage port: the list of things the product does to its data. Each method that guards a
 * security property is ONE SQL statement (DESIGN.md §4), so it holds under parallel requests on
 * SQLite and, later, on PostgreSQL at READ COMMITTED. `store.contract.ts` proves each guarantee
 * for every backend.
 */

export type Role = 'user' | 'admin' | 'staff'
export type DeviceKind = 'totp' | 'authenticator' | 'passkey'

export interface Organisation {
  id: string
  slug: string
  name: string
  policy: Policy
  allowedMethods: MethodKind[]
  deviceLimit: number
  rememberBrowserDays: number
  codeTtlMinutes: number
  autoUnlockMinutes: number | null
  linkWithSms: boolean
  /** Digits of the number typed on the phone for a push sign-in (F-PUSH-5), 2 to 6. */
  pushNumberDigits: number
  /** Origins of applications behind forward auth, each possibly asking for a second factor. */
  allowedOrigins: AllowedOrigin[]
  /** The fewest characters of a new password, 8 to 64 (NIST SP 800-63B §3.1.1.2). */
  minPasswordLength: number
  /** "Forgot your password?" sends a link; off: the e-mail says to ask an admin. */
  selfServicePasswordReset: boolean
  /** The admins hear of every password reset. */
  notifyAdminsOfPasswordReset: boolean
  /** Session idle timeout and absolute lifetime (SC-07). */
  sessionIdleMinutes: number
  sessionMaxHours: number
  createdAt: Date
}

export type OrganisationSettingsPatch = Partial<
  Pick<
    Organisation,
    | 'name'
    | 'policy'
    | 'allowedMethods'
    | 'deviceLimit'
    | 'rememberBrowserDays'
    | 'codeTtlMinutes'
    | 'autoUnlockMinutes'
    | 'linkWithSms'
    | 'pushNumberDigits'
    | 'allowedOrigins'
    | 'minPasswordLength'
    | 'selfServicePasswordReset'
    | 'notifyAdminsOfPasswordReset'
    | 'sessionIdleMinutes'
    | 'sessionMaxHours'
  >
>

export interface Account {
  id: string
  organisationId: string | null
  username: string
  email: string
  phone: string | null
  phoneVerified: boolean
  role: Role
  twoFactorOverride: TwoFactorOverride
  twoFactorEnabled: boolean
  staffTwoFactor: boolean
  preferredMethod: MethodKind | null
  passwordHash: string
  language: 'en' | 'nl' | null
  factorsChangedAt: Date
  passwordChangedAt: Date
  lastSignInAt: Date | null
  /** Deactivated by an admin: cannot sign in, kept for the audit (issue 17). */
  deactivatedAt: Date | null
  /** An admin asked for a new password at the next sign-in. */
  mustChangePassword: boolean
  createdAt: Date
}

export type AccountPatch = Partial<
  Pick<
    Account,
    | 'email'
    | 'phone'
    | 'phoneVerified'
    | 'role'
    | 'twoFactorOverride'
    | 'twoFactorEnabled'
    | 'staffTwoFactor'
    | 'preferredMethod'
    | 'passwordHash'
    | 'language'
    | 'factorsChangedAt'
    | 'passwordChangedAt'
    | 'lastSignInAt'
    | 'deactivatedAt'
    | 'mustChangePassword'
  >
>

export interface Lockout {
  accountId: string
  /** Consecutive failed second-factor attempts; only a success or an admin resets it. */
  failures: number
  /** The count at which the account locks: 5, raised by 5 at each auto-unlock, at most 100. */
  attemptLimit: number
  lockedAt: Date | null
  lockedUntil: Date | null
  lifetimeFailures: number
}

export interface Device {
  id: string
  accountId: string
  kind: DeviceKind
  name: string
  /** AES-256-GCM, bound to device, account and organisation (crypto/secret-sealer.ts). */
  sealedSecret: string | null
  lastUsedStep: number | null
  status: 'pending' | 'active'
  createdAt: Date
  linkedAt: Date | null
  lastUsedAt: Date | null
  /** A pending device is forgotten after this (RB-06). */
  expiresAt: Date | null
}

export interface SignInFlow {
  id: string
  secretHash: Buffer
  accountId: string
  state: FlowState
  methods: MethodKind[]
  preferredMethod: MethodKind | null
  reason: string
  createdAt: Date
  expiresAt: Date
}

export interface Session {
  id: string
  secretHash: Buffer
  accountId: string
  amr: string[]
  authenticatedAt: Date
  createdAt: Date
  lastSeenAt: Date
  expiresAt: Date
  restrictedToEnrolment: boolean
  userAgent: string | null
  ip: string | null
}

export interface RememberedBrowser {
  id: string
  secretHash: Buffer
  accountId: string
  createdAt: Date
  expiresAt: Date
  lastUsedAt: Date | null
  factorsChangedAt: Date
  passwordChangedAt: Date
  userAgent: string | null
  ip: string | null
}

export interface BypassGrant {
  id: string
  accountId: string
  grantedBy: string
  reason: string | null
  createdAt: Date
  expiresAt: Date
  usedAt: Date | null
}

export interface AuditEventRow {
  id: string
  at: Date
  organisationId: string | null
  actor: string | null
  accountId: string | null
  event: string
  reason: string | null
  ip: string | null
  userAgent: string | null
  details: Record<string, unknown>
}

export type NewAuditEvent = Omit<AuditEventRow, 'id'>

export interface ApiToken {
  id: string
  secretHash: Buffer
  name: string
  /** `null` = staff level (every organisation). */
  organisationId: string | null
  createdBy: string
  createdAt: Date
  lastUsedAt: Date | null
}

export interface AuditFilter {
  organisationId?: string
  accountId?: string
  event?: string
  after?: Date
  before?: Date
  limit: number
}

export interface OrganisationStore {
  create(org: Organisation): Promise<void>
  get(id: string): Promise<Organisation | undefined>
  getBySlug(slug: string): Promise<Organisation | undefined>
  list(): Promise<Organisation[]>
  update(id: string, patch: OrganisationSettingsPatch): Promise<Organisation | undefined>
  count(): Promise<number>
}

export interface AccountStore {
  /** Inserts with a unique case-folded user name; `false` if the name is taken (never throws for it). */
  create(account: Account): Promise<boolean>
  get(id: string): Promise<Account | undefined>
  /** Looks up by the case-folded, NFKC user name (BF-13). */
  getByUsername(usernameKey: string): Promise<Account | undefined>
  listByOrganisation(organisationId: string | null): Promise<Account[]>
  /** Accounts whose stored address is this one, compared without case ("Forgot your password?"). */
  listByEmail(email: string): Promise<Account[]>
  /** An organisation's admins (notices), active ones only. */
  listAdmins(organisationId: string): Promise<Account[]>
  update(id: string, patch: AccountPatch): Promise<void>
  remove(id: string): Promise<boolean>
}

export interface LockoutStore {
  get(accountId: string): Promise<Lockout>
  /**
   * Charges one second-factor attempt BEFORE the code is compared ("charge first", DD-01):
   * adds one to the consecutive count only while it is below the attempt limit, and returns the
   * new count, or `null` when the account is locked and nothing may be evaluated. Parallel calls
   * each see a distinct count, so at most `attemptLimit` codes are ever evaluated (BF-02).
   */
  charge(accountId: string): Promise<{ failures: number; attemptLimit: number } | null>
  /** Locks if the count is still at or above the limit (a success in between wins); `true` if it locked. */
  lockIfAtLimit(accountId: string, now: Date, lockedUntil: Date | null): Promise<boolean>
  /**
   * A correct code: resets the count, but only if the account is not locked; `false` means a lock
   * won the race and the correct code must be refused (RR-11).
   */
  resetOnSuccess(accountId: string): Promise<boolean>
  /** Auto-unlock when due: raises the limit and clears the lock, leaving the count (BF-10). */
  autoUnlockIfDue(accountId: string, now: Date, nextLimit: number): Promise<boolean>
  /** Admin unlock: count to zero, limit back to its start. */
  unlock(accountId: string, attemptLimit: number): Promise<void>
}

export interface PasswordThrottleStore {
  /**
   * Reserves one password verification for a user name, whether it exists or not (BF-12). Refused
   * while a delay runs, and while as many verifications are in flight as free attempts remain
   * before the delay (5 − failures, at least 1), so parallel guesses cannot outrun it. One statement.
   * A reservation not settled within a minute (a crash) no longer counts.
   */
  charge(key: string, now: Date): Promise<{ ok: true } | { ok: false; blockedUntil: Date }>
  /**
   * Settles a reservation: a failure adds one and sets the delay; a success clears everything;
   * `released` (never evaluated, e.g. overload) only frees the slot.
   */
  settle(key: string, outcome: 'success' | 'failure' | 'released', now: Date): Promise<void>
}

export interface DeviceStore {
  create(device: Device): Promise<void>
  get(accountId: string, deviceId: string): Promise<Device | undefined>
  listActive(accountId: string): Promise<Device[]>
  listActiveForAccounts(accountIds: readonly string[]): Promise<Device[]>
  /**
   * Turns a pending device active if the account has fewer than `limit` active devices, in one
   * guarded statement under the account's row lock; `false` if the limit is reached or the
   * device is no longer pending (RR-10).
   * The step that confirmed it is recorded, so that code cannot sign in again (RR-04). `kind`
   * changes what the device turns out to be (a pairing QR code confirmed by another app's code).
   */
  activate(deviceId: string, accountId: string, limit: number, confirmedStep: number, now: Date, kind?: DeviceKind): Promise<boolean>
  /** Records a used time step if it is newer than the last one; `false` = replay (F-TOTP-2). */
  recordUse(deviceId: string, step: number, now: Date): Promise<boolean>
  rename(accountId: string, deviceId: string, name: string): Promise<boolean>
  remove(accountId: string, deviceId: string): Promise<boolean>
  countActive(accountId: string): Promise<number>
  deleteExpiredPending(now: Date): Promise<number>
  /** Forgets an account's pending (unconfirmed) devices; only the newest QR code stays valid. */
  removePending(accountId: string): Promise<number>
}

export interface FlowStore {
  create(flow: SignInFlow): Promise<void>
  get(id: string): Promise<SignInFlow | undefined>
  /** Moves a flow from one state to another; exactly one racer wins. */
  transition(id: string, from: FlowState, to: FlowState, now: Date): Promise<boolean>
  deleteExpired(now: Date): Promise<number>
}

export interface SessionStore {
  create(session: Session): Promise<void>
  get(id: string): Promise<Session | undefined>
  /** Extends idle time; never past the absolute expiry. */
  touch(id: string, now: Date): Promise<void>
  remove(id: string): Promise<void>
  /** The account's sessions, newest first. */
  listForAccount(accountId: string): Promise<Session[]>
  /** Ends one session of the account; `false` if it is not (or no longer) the account's. */
  removeForAccount(accountId: string, id: string): Promise<boolean>
  removeAllForAccount(accountId: string, exceptId?: string): Promise<number>
  deleteExpired(now: Date): Promise<number>
}

export interface RememberedBrowserStore {
  create(browser: RememberedBrowser): Promise<void>
  get(id: string): Promise<RememberedBrowser | undefined>
  list(accountId: string): Promise<RememberedBrowser[]>
  /** Rotates the secret on use: only the racer that still holds the old hash wins (RR-12). */
  rotate(id: string, oldHash: Buffer, newHash: Buffer, now: Date): Promise<boolean>
  remove(accountId: string, id: string): Promise<boolean>
  removeAllForAccount(accountId: string): Promise<number>
}

export interface BypassGrantStore {
  /** Creates a grant, replacing any unused one for the same account. */
  create(grant: BypassGrant): Promise<void>
  findUsable(accountId: string, now: Date): Promise<BypassGrant | undefined>
  /** Uses a grant once: `used_at` is set only if unused and unexpired; one racer wins (RR-08). */
  use(id: string, now: Date): Promise<boolean>
}

export interface AuditStore {
  append(event: NewAuditEvent): Promise<void>
  list(filter: AuditFilter): Promise<AuditEventRow[]>
  /**
   * Erasure (issue 17): the account's events stay, with `scrub` applied to each one's details
   * (personal data replaced by the pseudonym); returns how many were rewritten.
   */
  pseudonymise(accountId: string, scrub: (details: Record<string, unknown>) => Record<string, unknown>): Promise<number>
}

export interface ApiTokenStore {
  create(token: ApiToken): Promise<void>
  get(id: string): Promise<ApiToken | undefined>
  touch(id: string, now: Date): Promise<void>
}

export interface RateLimitStore {
  /** Counts one hit in a fixed window and returns the count so far, in one statement. */
  hit(key: string, windowStart: Date): Promise<number>
  deleteBefore(windowStart: Date): Promise<number>
}

/** A code sent by SMS or e-mail (F-OTP-1): only its HMAC is kept (SR-04). */
export interface OneTimeCode {
  id: string
  accountId: string
  purpose: CodePurpose
  channel: CodeChannel
  /** Where it was sent: the phone or address being verified, or the account's own. */
  destination: string
  /** The sign-in flow it belongs to (RR-06), or for a re-authentication the session; `null` for account changes. */
  flowId: string | null
  codeHmac: Buffer
  createdAt: Date
  expiresAt: Date
}

export interface OneTimeCodeStore {
  /**
   * Stores a new code for its account and purpose, replacing the previous one (F-OTP-2: only the
   * last code sent is valid), unless that one was created less than `cooldownMs` ago. One guarded
   * upsert, so two parallel sends cannot both pass the cool-down.
   */
  issue(code: OneTimeCode, cooldownMs: number): Promise<{ issued: true } | { issued: false; retryAt: Date }>
  find(accountId: string, purpose: CodePurpose): Promise<OneTimeCode | undefined>
  /** Deletes and returns a code if it is still unexpired (DELETE … RETURNING); exactly one racer wins. */
  consume(id: string, now: Date): Promise<OneTimeCode | undefined>
  /** Forgets a code on purpose (a failed send, a cancelled change). */
  revoke(id: string): Promise<boolean>
  deleteExpired(now: Date): Promise<number>
}

export interface SendBudgetStore {
  /**
   * Takes one send from a fixed-window budget if fewer than `limit` were taken in the window that
   * starts at `windowStart`; `false` when the budget is spent. One statement (BF-11).
   */
  take(key: string, windowStart: Date, limit: number): Promise<boolean>
  deleteBefore(windowStart: Date): Promise<number>
}

/** A message kept by the development outbox (F-OTP-5). */
export interface OutboxMessage {
  id: string
  channel: 'sms' | 'email'
  to: string
  subject: string | null
  text: string
  sentAt: Date
}

export interface OutboxStore {
  append(message: Omit<OutboxMessage, 'id'>): Promise<void>
  /** Newest first; `to` filters on the exact address or number. */
  list(to: string | undefined, limit: number): Promise<OutboxMessage[]>
  /** Forgets every message to these addresses and numbers (erasure). */
  removeForRecipients(recipients: readonly string[]): Promise<number>
}

export interface Store {
  readonly organisations: OrganisationStore
  readonly accounts: AccountStore
  readonly lockouts: LockoutStore
  readonly passwordThrottle: PasswordThrottleStore
  readonly devices: DeviceStore
  readonly flows: FlowStore
  readonly sessions: SessionStore
  readonly rememberedBrowsers: RememberedBrowserStore
  readonly bypassGrants: BypassGrantStore
  readonly audit: AuditStore
  readonly apiTokens: ApiTokenStore
  readonly rateLimits: RateLimitStore
  readonly oneTimeCodes: OneTimeCodeStore
  readonly sendBudgets: SendBudgetStore
  readonly outbox: OutboxStore
  /** The OpenID Connect provider's clients, records and keys (issue 7). */
  readonly oidc: OidcStore
  /** Push approval: pairings, device keys, challenges, the VAPID keys (issue 9). */
  readonly push: PushStore
  /** Messages that carry a one-time code, queued with their code and sent after the commit (DD-07). */
  readonly deliveryQueue: DeliveryQueueStore
  /** Recovery codes, argon2id-hashed, each used once (F-X-2). */
  readonly recoveryCodes: RecoveryCodeStore
  /** Passkeys' WebAuthn credentials and the ceremonies' challenges (F-X-1). */
  readonly passkeys: PasskeyStore
  /** Password reset links (issue 17). */
  readonly passwordResets: PasswordResetStore
  /** Runs `work` in one transaction: all its writes land, or none. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>
  /** True when the database answers (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/** Driver error codes that mean "the database cannot answer now", not "this request is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', // the network to the database
  '57P01', '57P02', '57P03', '57014', // PostgreSQL: shutting down, cannot connect now, statement timeout
  '08000', '08001', '08003', '08004', '08006', // PostgreSQL connection exceptions
  '53300', // PostgreSQL: too many connections
  'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL',
])

/**
 * True when an error says the database is down, busy or unreachable: the HTTP layer answers
 * `503 UNAVAILABLE` with `Retry-After` instead of a 500, and the client may try again (DD-09).
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return true
  return typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|driver has already been destroyed|database connection is not open/i.test(message)
}
