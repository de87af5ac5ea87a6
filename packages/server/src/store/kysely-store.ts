import type { AllowedOrigin, MethodKind, Policy, TwoFactorOverride } from '@countersign/protocol'
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { KyselyOidcStore, type OidcStore, type OidcTables } from './oidc-store.js'
import { KyselyPushStore, type PushStore, type PushTables } from './push-store.js'
import { KyselyDeliveryQueueStore, type DeliveryQueueStore, type DeliveryQueueTables } from './delivery-queue-store.js'
import { KyselyRecoveryCodeStore, type RecoveryCodeStore, type RecoveryCodeTables } from './recovery-code-store.js'
import { KyselyPasskeyStore, type PasskeyStore, type PasskeyTables } from './passkey-store.js'
import { KyselyPasswordResetStore, type PasswordResetStore, type PasswordResetTables } from './password-reset-store.js'
import { passwordDelayMs } from '../domain/lockout.js'
import { usernameKey } from '../domain/username.js'
import type { FlowState } from '../domain/sign-in/sign-in-flow.js'
import type { CodeChannel, CodePurpose } from '../domain/methods/one-time-code.js'
import type { Tables } from './sqlite/schema.js'
import type {
  Account,
  AccountPatch,
  AccountStore,
  ApiToken,
  ApiTokenStore,
  AuditEventRow,
  AuditFilter,
  AuditStore,
  BypassGrant,
  BypassGrantStore,
  Device,
  DeviceKind,
  DeviceStore,
  FlowStore,
  Lockout,
  LockoutStore,
  NewAuditEvent,
  OneTimeCode,
  OneTimeCodeStore,
  Organisation,
  OutboxMessage,
  OutboxStore,
  OrganisationSettingsPatch,
  OrganisationStore,
  PasswordThrottleStore,
  RateLimitStore,
  RememberedBrowser,
  RememberedBrowserStore,
  Role,
  SendBudgetStore,
  Session,
  SessionStore,
  SignInFlow,
  Store,
} from './store.js'

/*
 * The Store over Kysely. The queries are plain SQL that SQLite (3.35+) and PostgreSQL both accept:
 * `ON CONFLICT … DO UPDATE`, `RETURNING`, guarded `UPDATE … WHERE`. Each security guarantee is one
 * statement (DESIGN.md §4); the contract suite proves them.
 */

type Db = Kysely<Tables> | Transaction<Tables>

const ms = (d: Date) => d.getTime()
const date = (n: number) => new Date(Number(n))
const dateOrNull = (n: number | null) => (n === null ? null : new Date(Number(n)))
const msOrNull = (d: Date | null) => (d === null ? null : d.getTime())
const changes = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) =>
  Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n)

function toOrganisation(row: Selectable<Tables['organisations']>): Organisation {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    policy: row.policy as Policy,
    allowedMethods: JSON.parse(row.allowed_methods) as MethodKind[],
    deviceLimit: Number(row.device_limit),
    rememberBrowserDays: Number(row.remember_browser_days),
    codeTtlMinutes: Number(row.code_ttl_minutes),
    autoUnlockMinutes: row.auto_unlock_minutes === null ? null : Number(row.auto_unlock_minutes),
    linkWithSms: Boolean(row.link_with_sms),
    pushNumberDigits: Number(row.push_number_digits),
    allowedOrigins: JSON.parse(row.allowed_origins) as AllowedOrigin[],
    minPasswordLength: Number(row.min_password_length),
    selfServicePasswordReset: Boolean(row.self_service_reset),
    notifyAdminsOfPasswordReset: Boolean(row.notify_admins_of_reset),
    sessionIdleMinutes: Number(row.session_idle_minutes),
    sessionMaxHours: Number(row.session_max_hours),
    createdAt: date(row.created_at),
  }
}

function toAccount(row: Selectable<Tables['accounts']>): Account {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    username: row.username,
    email: row.email,
    phone: row.phone,
    phoneVerified: Boolean(row.phone_verified),
    role: row.role as Role,
    twoFactorOverride: row.two_factor_override as TwoFactorOverride,
    twoFactorEnabled: Boolean(row.two_factor_enabled),
    staffTwoFactor: Boolean(row.staff_two_factor),
    preferredMethod: row.preferred_method as MethodKind | null,
    passwordHash: row.password_hash,
    language: row.language as Account['language'],
    factorsChangedAt: date(row.factors_changed_at),
    passwordChangedAt: date(row.password_changed_at),
    lastSignInAt: dateOrNull(row.last_sign_in_at),
    deactivatedAt: dateOrNull(row.deactivated_at),
    mustChangePassword: Boolean(row.must_change_password),
    createdAt: date(row.created_at),
  }
}

function toDevice(row: Selectable<Tables['devices']>): Device {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as DeviceKind,
    name: row.name,
    sealedSecret: row.sealed_secret,
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    status: row.status as Device['status'],
    createdAt: date(row.created_at),
    linkedAt: dateOrNull(row.linked_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    expiresAt: dateOrNull(row.expires_at),
  }
}

function toSession(row: Selectable<Tables['sessions']>): Session {
  return {
    id: row.id,
    secretHash: Buffer.from(row.secret_hash),
    accountId: row.account_id,
    amr: JSON.parse(row.amr) as string[],
    authenticatedAt: date(row.authenticated_at),
    createdAt: date(row.created_at),
    lastSeenAt: date(row.last_seen_at),
    expiresAt: date(row.expires_at),
    restrictedToEnrolment: Boolean(row.restricted),
    userAgent: row.user_agent,
    ip: row.ip,
  }
}

function toRememberedBrowser(row: Selectable<Tables['remembered_browsers']>): RememberedBrowser {
  return {
    id: row.id,
    secretHash: Buffer.from(row.secret_hash),
    accountId: row.account_id,
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    factorsChangedAt: date(row.factors_changed_at),
    passwordChangedAt: date(row.password_changed_at),
    userAgent: row.user_agent,
    ip: row.ip,
  }
}

function toBypassGrant(row: Selectable<Tables['bypass_grants']>): BypassGrant {
  return {
    id: row.id,
    accountId: row.account_id,
    grantedBy: row.granted_by,
    reason: row.reason,
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
    usedAt: dateOrNull(row.used_at),
  }
}

class Organisations implements OrganisationStore {
  constructor(private readonly db: Db) {}
  async create(org: Organisation) {
    await this.db
      .insertInto('organisations')
      .values({
        id: org.id,
        slug: org.slug,
        name: org.name,
        policy: org.policy,
        allowed_methods: JSON.stringify(org.allowedMethods),
        device_limit: org.deviceLimit,
        remember_browser_days: org.rememberBrowserDays,
        code_ttl_minutes: org.codeTtlMinutes,
        auto_unlock_minutes: org.autoUnlockMinutes,
        link_with_sms: org.linkWithSms ? 1 : 0,
        push_number_digits: org.pushNumberDigits,
        allowed_origins: JSON.stringify(org.allowedOrigins),
        min_password_length: org.minPasswordLength,
        self_service_reset: org.selfServicePasswordReset ? 1 : 0,
        notify_admins_of_reset: org.notifyAdminsOfPasswordReset ? 1 : 0,
        session_idle_minutes: org.sessionIdleMinutes,
        session_max_hours: org.sessionMaxHours,
        created_at: ms(org.createdAt),
      })
      .execute()
  }
  async get(id: string) {
    const row = await this.db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toOrganisation(row)
  }
  async getBySlug(slug: string) {
    const row = await this.db.selectFrom('organisations').selectAll().where('slug', '=', slug).executeTakeFirst()
    return row && toOrganisation(row)
  }
  async list() {
    const rows = await this.db.selectFrom('organisations').selectAll().orderBy('name').execute()
    return rows.map(toOrganisation)
  }
  async count() {
    const row = await this.db.selectFrom('organisations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()
    return Number(row?.n ?? 0)
  }
  async update(id: string, patch: OrganisationSettingsPatch) {
    const values: Partial<Tables['organisations']> = {}
    if (patch.name !== undefined) values.name = patch.name
    if (patch.policy !== undefined) values.policy = patch.policy
    if (patch.allowedMethods !== undefined) values.allowed_methods = JSON.stringify(patch.allowedMethods)
    if (patch.deviceLimit !== undefined) values.device_limit = patch.deviceLimit
    if (patch.rememberBrowserDays !== undefined) values.remember_browser_days = patch.rememberBrowserDays
    if (patch.codeTtlMinutes !== undefined) values.code_ttl_minutes = patch.codeTtlMinutes
    if (patch.autoUnlockMinutes !== undefined) values.auto_unlock_minutes = patch.autoUnlockMinutes
    if (patch.linkWithSms !== undefined) values.link_with_sms = patch.linkWithSms ? 1 : 0
    if (patch.pushNumberDigits !== undefined) values.push_number_digits = patch.pushNumberDigits
    if (patch.allowedOrigins !== undefined) values.allowed_origins = JSON.stringify(patch.allowedOrigins)
    if (patch.minPasswordLength !== undefined) values.min_password_length = patch.minPasswordLength
    if (patch.selfServicePasswordReset !== undefined) values.self_service_reset = patch.selfServicePasswordReset ? 1 : 0
    if (patch.notifyAdminsOfPasswordReset !== undefined) values.notify_admins_of_reset = patch.notifyAdminsOfPasswordReset ? 1 : 0
    if (patch.sessionIdleMinutes !== undefined) values.session_idle_minutes = patch.sessionIdleMinutes
    if (patch.sessionMaxHours !== undefined) values.session_max_hours = patch.sessionMaxHours
    if (Object.keys(values).length > 0) {
      await this.db.updateTable('organisations').set(values).where('id', '=', id).execute()
    }
    return this.get(id)
  }
}

class Accounts implements AccountStore {
  constructor(private readonly db: Db) {}
  async create(account: Account) {
    const inserted = await this.db
      .insertInto('accounts')
      .values({
        id: account.id,
        organisation_id: account.organisationId,
        username: account.username,
        username_key: usernameKey(account.username),
        email: account.email,
        phone: account.phone,
        phone_verified: account.phoneVerified ? 1 : 0,
        role: account.role,
        two_factor_override: account.twoFactorOverride,
        two_factor_enabled: account.twoFactorEnabled ? 1 : 0,
        staff_two_factor: account.staffTwoFactor ? 1 : 0,
        preferred_method: account.preferredMethod,
        password_hash: account.passwordHash,
        language: account.language,
        factors_changed_at: ms(account.factorsChangedAt),
        password_changed_at: ms(account.passwordChangedAt),
        last_sign_in_at: msOrNull(account.lastSignInAt),
        deactivated_at: msOrNull(account.deactivatedAt),
        must_change_password: account.mustChangePassword ? 1 : 0,
        created_at: ms(account.createdAt),
      })
      .onConflict((oc) => oc.column('username_key').doNothing())
      .executeTakeFirst()
    if (changes({ numUpdatedRows: inserted.numInsertedOrUpdatedRows }) === 0) return false
    await this.db.insertInto('lockouts').values({ account_id: account.id, failures: 0, attempt_limit: 5, locked_at: null, locked_until: null, lifetime_failures: 0 }).execute()
    return true
  }
  async get(id: string) {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toAccount(row)
  }
  async getByUsername(key: string) {
    const row = await this.db.selectFrom('accounts').selectAll().where('username_key', '=', key).executeTakeFirst()
    return row && toAccount(row)
  }
  async listByOrganisation(organisationId: string | null) {
    const query = this.db.selectFrom('accounts').selectAll().orderBy('username_key')
    const rows =
      organisationId === null
        ? await query.where('organisation_id', 'is', null).execute()
        : await query.where('organisation_id', '=', organisationId).execute()
    return rows.map(toAccount)
  }
  async listByEmail(email: string) {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .orderBy('username_key')
      .limit(20)
      .execute()
    return rows.map(toAccount)
  }
  async listAdmins(organisationId: string) {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('organisation_id', '=', organisationId)
      .where('role', '=', 'admin')
      .where('deactivated_at', 'is', null)
      .orderBy('username_key')
      .limit(50)
      .execute()
    return rows.map(toAccount)
  }
  async update(id: string, patch: AccountPatch) {
    const values: Partial<Tables['accounts']> = {}
    if (patch.email !== undefined) values.email = patch.email
    if (patch.phone !== undefined) values.phone = patch.phone
    if (patch.phoneVerified !== undefined) values.phone_verified = patch.phoneVerified ? 1 : 0
    if (patch.role !== undefined) values.role = patch.role
    if (patch.twoFactorOverride !== undefined) values.two_factor_override = patch.twoFactorOverride
    if (patch.twoFactorEnabled !== undefined) values.two_factor_enabled = patch.twoFactorEnabled ? 1 : 0
    if (patch.staffTwoFactor !== undefined) values.staff_two_factor = patch.staffTwoFactor ? 1 : 0
    if (patch.preferredMethod !== undefined) values.preferred_method = patch.preferredMethod
    if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash
    if (patch.language !== undefined) values.language = patch.language
    if (patch.factorsChangedAt !== undefined) values.factors_changed_at = ms(patch.factorsChangedAt)
    if (patch.passwordChangedAt !== undefined) values.password_changed_at = ms(patch.passwordChangedAt)
    if (patch.lastSignInAt !== undefined) values.last_sign_in_at = msOrNull(patch.lastSignInAt)
    if (patch.deactivatedAt !== undefined) values.deactivated_at = msOrNull(patch.deactivatedAt)
    if (patch.mustChangePassword !== undefined) values.must_change_password = patch.mustChangePassword ? 1 : 0
    if (Object.keys(values).length > 0) await this.db.updateTable('accounts').set(values).where('id', '=', id).execute()
  }
  async remove(id: string) {
    return changes(await this.db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst()) === 1
  }
}


class Lockouts implements LockoutStore {
  constructor(private readonly db: Db) {}
  async get(accountId: string): Promise<Lockout> {
    const row = await this.db.selectFrom('lockouts').selectAll().where('account_id', '=', accountId).executeTakeFirst()
    return {
      accountId,
      failures: Number(row?.failures ?? 0),
      attemptLimit: Number(row?.attempt_limit ?? 5),
      lockedAt: dateOrNull(row?.locked_at ?? null),
      lockedUntil: dateOrNull(row?.locked_until ?? null),
      lifetimeFailures: Number(row?.lifetime_failures ?? 0),
    }
  }
  async charge(accountId: string) {
    const row = await this.db
      .updateTable('lockouts')
      .set((eb) => ({ failures: eb('failures', '+', 1), lifetime_failures: eb('lifetime_failures', '+', 1) }))
      .where('account_id', '=', accountId)
      .whereRef('failures', '<', 'attempt_limit')
      .where('locked_at', 'is', null)
      .returning(['failures', 'attempt_limit'])
      .executeTakeFirst()
    return row ? { failures: Number(row.failures), attemptLimit: Number(row.attempt_limit) } : null
  }
  async lockIfAtLimit(accountId: string, now: Date, lockedUntil: Date | null) {
    const result = await this.db
      .updateTable('lockouts')
      .set({ locked_at: ms(now), locked_until: msOrNull(lockedUntil) })
      .where('account_id', '=', accountId)
      .whereRef('failures', '>=', 'attempt_limit')
      .where('locked_at', 'is', null)
      .executeTakeFirst()
    return changes(result) === 1
  }
  async resetOnSuccess(accountId: string) {
    const result = await this.db
      .updateTable('lockouts')
      .set({ failures: 0, attempt_limit: 5 })
      .where('account_id', '=', accountId)
      .where('locked_at', 'is', null)
      .executeTakeFirst()
    return changes(result) === 1
  }
  async autoUnlockIfDue(accountId: string, now: Date, nextLimit: number) {
    const result = await this.db
      .updateTable('lockouts')
      .set({ locked_at: null, locked_until: null, attempt_limit: nextLimit })
      .where('account_id', '=', accountId)
      .where('locked_until', 'is not', null)
      .where('locked_until', '<=', ms(now))
      .executeTakeFirst()
    return changes(result) === 1
  }
  async unlock(accountId: string, attemptLimit: number) {
    await this.db
      .updateTable('lockouts')
      .set({ failures: 0, attempt_limit: attemptLimit, locked_at: null, locked_until: null })
      .where('account_id', '=', accountId)
      .execute()
  }
}

// The delay a charge sets in advance, as a SQL CASE over the new count (domain/lockout.ts).
const delayCase = (() => {
  let expression = 'CASE'
  for (let failures = 100; failures >= 5; failures--) {
    const delay = passwordDelayMs(failures)
    if (delay !== passwordDelayMs(failures - 1) || failures === 5) expression += ` WHEN f >= ${failures} THEN ${delay}`
  }
  return `${expression} ELSE 0 END`
})()

const STALE_RESERVATION_MS = 60_000

class PasswordThrottle implements PasswordThrottleStore {
  constructor(private readonly db: Db) {}
  async charge(key: string, now: Date) {
    const at = ms(now)
    const stale = at - STALE_RESERVATION_MS
    const row = await sql<{ failures: number }>`
      INSERT INTO password_throttle (key, failures, pending, blocked_until, updated_at) VALUES (${key}, 0, 1, 0, ${at})
      ON CONFLICT (key) DO UPDATE SET
        pending = CASE WHEN password_throttle.updated_at < ${stale} THEN 1 ELSE password_throttle.pending + 1 END,
        updated_at = ${at}
      WHERE password_throttle.blocked_until <= ${at}
        AND (password_throttle.updated_at < ${stale}
          OR password_throttle.pending < CASE WHEN password_throttle.failures >= 4 THEN 1 ELSE 5 - password_throttle.failures END)
      RETURNING failures`.execute(this.db)
    if (row.rows[0]) return { ok: true as const }
    const blocked = await this.db.selectFrom('password_throttle').select('blocked_until').where('key', '=', key).executeTakeFirst()
    return { ok: false as const, blockedUntil: date(blocked?.blocked_until ?? at) }
  }
  async settle(key: string, outcome: 'success' | 'failure' | 'released', now: Date) {
    if (outcome === 'success') {
      await this.db.deleteFrom('password_throttle').where('key', '=', key).execute()
      return
    }
    if (outcome === 'released') {
      await this.db
        .updateTable('password_throttle')
        .set((eb) => ({ pending: eb.case().when('pending', '>', 0).then(eb('pending', '-', 1)).else(0).end() }))
        .where('key', '=', key)
        .execute()
      return
    }
    const at = ms(now)
    const delay = delayCase.replaceAll('f', '(password_throttle.failures + 1)')
    await sql`
      INSERT INTO password_throttle (key, failures, pending, blocked_until, updated_at) VALUES (${key}, 1, 0, 0, ${at})
      ON CONFLICT (key) DO UPDATE SET
        failures = password_throttle.failures + 1,
        pending = CASE WHEN password_throttle.pending > 0 THEN password_throttle.pending - 1 ELSE 0 END,
        blocked_until = CAST(${at} AS BIGINT) + (${sql.raw(delay)}),
        updated_at = ${at}`.execute(this.db)
  }
}

class Devices implements DeviceStore {
  constructor(private readonly db: Db) {}
  async create(device: Device) {
    await this.db
      .insertInto('devices')
      .values({
        id: device.id,
        account_id: device.accountId,
        kind: device.kind,
        name: device.name,
        sealed_secret: device.sealedSecret,
        last_used_step: device.lastUsedStep,
        status: device.status,
        created_at: ms(device.createdAt),
        linked_at: msOrNull(device.linkedAt),
        last_used_at: msOrNull(device.lastUsedAt),
        expires_at: msOrNull(device.expiresAt),
      })
      .execute()
  }
  async get(accountId: string, deviceId: string) {
    const row = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', deviceId)
      .where('account_id', '=', accountId)
      .executeTakeFirst()
    return row && toDevice(row)
  }
  async listActive(accountId: string) {
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('status', '=', 'active')
      .orderBy('linked_at')
      .orderBy('id')
      .execute()
    return rows.map(toDevice)
  }
  async listActiveForAccounts(accountIds: readonly string[]) {
    if (accountIds.length === 0) return []
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('account_id', 'in', accountIds)
      .where('status', '=', 'active')
      .orderBy('linked_at')
      .execute()
    return rows.map(toDevice)
  }
  async activate(deviceId: string, accountId: string, limit: number, confirmedStep: number, now: Date, kind?: DeviceKind) {
    // The count of active devices and the flip are one guarded UPDATE; the account's row is
    // locked first so that on PostgreSQL (READ COMMITTED) two activations for one account cannot
    // both count the same total (RR-10). On SQLite the transaction alone serialises them.
    const work = async (db: Db) => {
      await db.updateTable('accounts').set((eb) => ({ id: eb.ref('id') })).where('id', '=', accountId).execute()
      return db
        .updateTable('devices')
        .set({ status: 'active', linked_at: ms(now), last_used_step: confirmedStep, expires_at: null, ...(kind ? { kind } : {}) })
        .where('id', '=', deviceId)
        .where('account_id', '=', accountId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', ms(now))
        .where((eb) =>
          eb(
            eb
              .selectFrom('devices as other')
              .select((e) => e.fn.countAll<number>().as('n'))
              .where('other.account_id', '=', accountId)
              .where('other.status', '=', 'active'),
            '<',
            limit,
          ),
        )
        .executeTakeFirst()
    }
    const result = this.db.isTransaction ? await work(this.db) : await (this.db as Kysely<Tables>).transaction().execute(work)
    return changes(result) === 1
  }
  async recordUse(deviceId: string, step: number, now: Date) {
    const result = await this.db
      .updateTable('devices')
      .set({ last_used_step: step, last_used_at: ms(now) })
      .where('id', '=', deviceId)
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .executeTakeFirst()
    return changes(result) === 1
  }
  async rename(accountId: string, deviceId: string, name: string) {
    const result = await this.db
      .updateTable('devices')
      .set({ name })
      .where('id', '=', deviceId)
      .where('account_id', '=', accountId)
      .where('status', '=', 'active')
      .executeTakeFirst()
    return changes(result) === 1
  }
  async remove(accountId: string, deviceId: string) {
    const result = await this.db.deleteFrom('devices').where('id', '=', deviceId).where('account_id', '=', accountId).executeTakeFirst()
    return changes(result) === 1
  }
  async countActive(accountId: string) {
    const row = await this.db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('status', '=', 'active')
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }
  async removePending(accountId: string) {
    const result = await this.db.deleteFrom('devices').where('account_id', '=', accountId).where('status', '=', 'pending').executeTakeFirst()
    return changes(result)
  }
  async deleteExpiredPending(now: Date) {
    const result = await this.db.deleteFrom('devices').where('status', '=', 'pending').where('expires_at', '<=', ms(now)).executeTakeFirst()
    return changes(result)
  }
}

class Flows implements FlowStore {
  constructor(private readonly db: Db) {}
  async create(flow: SignInFlow) {
    await this.db
      .insertInto('sign_in_flows')
      .values({
        id: flow.id,
        secret_hash: flow.secretHash,
        account_id: flow.accountId,
        state: flow.state,
        methods: JSON.stringify(flow.methods),
        preferred_method: flow.preferredMethod,
        reason: flow.reason,
        created_at: ms(flow.createdAt),
        expires_at: ms(flow.expiresAt),
      })
      .execute()
  }
  async get(id: string): Promise<SignInFlow | undefined> {
    const row = await this.db.selectFrom('sign_in_flows').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    return {
      id: row.id,
      secretHash: Buffer.from(row.secret_hash),
      accountId: row.account_id,
      state: row.state as FlowState,
      methods: JSON.parse(row.methods) as MethodKind[],
      preferredMethod: row.preferred_method as MethodKind | null,
      reason: row.reason,
      createdAt: date(row.created_at),
      expiresAt: date(row.expires_at),
    }
  }
  async transition(id: string, from: FlowState, to: FlowState, now: Date) {
    const result = await this.db
      .updateTable('sign_in_flows')
      .set({ state: to })
      .where('id', '=', id)
      .where('state', '=', from)
      .where('expires_at', '>', ms(now))
      .executeTakeFirst()
    return changes(result) === 1
  }
  async deleteExpired(now: Date) {
    return changes(await this.db.deleteFrom('sign_in_flows').where('expires_at', '<=', ms(now)).executeTakeFirst())
  }
}

class Sessions implements SessionStore {
  constructor(private readonly db: Db) {}
  async create(session: Session) {
    await this.db
      .insertInto('sessions')
      .values({
        id: session.id,
        secret_hash: session.secretHash,
        account_id: session.accountId,
        amr: JSON.stringify(session.amr),
        authenticated_at: ms(session.authenticatedAt),
        created_at: ms(session.createdAt),
        last_seen_at: ms(session.lastSeenAt),
        expires_at: ms(session.expiresAt),
        restricted: session.restrictedToEnrolment ? 1 : 0,
        user_agent: session.userAgent,
        ip: session.ip,
      })
      .execute()
  }
  async get(id: string) {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toSession(row)
  }
  async touch(id: string, now: Date) {
    await this.db.updateTable('sessions').set({ last_seen_at: ms(now) }).where('id', '=', id).execute()
  }
  async remove(id: string) {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute()
  }
  async listForAccount(accountId: string) {
    const rows = await this.db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').limit(200).execute()
    return rows.map(toSession)
  }
  async removeForAccount(accountId: string, id: string) {
    return changes(await this.db.deleteFrom('sessions').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()) === 1
  }
  async removeAllForAccount(accountId: string, exceptId?: string) {
    let query = this.db.deleteFrom('sessions').where('account_id', '=', accountId)
    if (exceptId) query = query.where('id', '!=', exceptId)
    return changes(await query.executeTakeFirst())
  }
  async deleteExpired(now: Date) {
    return changes(await this.db.deleteFrom('sessions').where('expires_at', '<=', ms(now)).executeTakeFirst())
  }
}

class RememberedBrowsers implements RememberedBrowserStore {
  constructor(private readonly db: Db) {}
  async create(browser: RememberedBrowser) {
    await this.db
      .insertInto('remembered_browsers')
      .values({
        id: browser.id,
        secret_hash: browser.secretHash,
        account_id: browser.accountId,
        created_at: ms(browser.createdAt),
        expires_at: ms(browser.expiresAt),
        last_used_at: msOrNull(browser.lastUsedAt),
        factors_changed_at: ms(browser.factorsChangedAt),
        password_changed_at: ms(browser.passwordChangedAt),
        user_agent: browser.userAgent,
        ip: browser.ip,
      })
      .execute()
  }
  async get(id: string) {
    const row = await this.db.selectFrom('remembered_browsers').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toRememberedBrowser(row)
  }
  async list(accountId: string) {
    const rows = await this.db
      .selectFrom('remembered_browsers')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .execute()
    return rows.map(toRememberedBrowser)
  }
  async rotate(id: string, oldHash: Buffer, newHash: Buffer, now: Date) {
    const result = await this.db
      .updateTable('remembered_browsers')
      .set({ secret_hash: newHash, last_used_at: ms(now) })
      .where('id', '=', id)
      .where('secret_hash', '=', oldHash)
      .executeTakeFirst()
    return changes(result) === 1
  }
  async remove(accountId: string, id: string) {
    const result = await this.db.deleteFrom('remembered_browsers').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()
    return changes(result) === 1
  }
  async removeAllForAccount(accountId: string) {
    return changes(await this.db.deleteFrom('remembered_browsers').where('account_id', '=', accountId).executeTakeFirst())
  }
}

class BypassGrants implements BypassGrantStore {
  constructor(private readonly db: Db) {}
  async create(grant: BypassGrant) {
    await this.db.deleteFrom('bypass_grants').where('account_id', '=', grant.accountId).where('used_at', 'is', null).execute()
    await this.db
      .insertInto('bypass_grants')
      .values({
        id: grant.id,
        account_id: grant.accountId,
        granted_by: grant.grantedBy,
        reason: grant.reason,
        created_at: ms(grant.createdAt),
        expires_at: ms(grant.expiresAt),
        used_at: msOrNull(grant.usedAt),
      })
      .execute()
  }
  async findUsable(accountId: string, now: Date) {
    const row = await this.db
      .selectFrom('bypass_grants')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', ms(now))
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    return row && toBypassGrant(row)
  }
  async use(id: string, now: Date) {
    const result = await this.db
      .updateTable('bypass_grants')
      .set({ used_at: ms(now) })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', ms(now))
      .executeTakeFirst()
    return changes(result) === 1
  }
}

class Audit implements AuditStore {
  constructor(private readonly db: Db) {}
  async append(event: NewAuditEvent) {
    await this.db
      .insertInto('audit_events')
      .values({
        at: ms(event.at),
        organisation_id: event.organisationId,
        actor: event.actor,
        account_id: event.accountId,
        event: event.event,
        reason: event.reason,
        ip: event.ip,
        user_agent: event.userAgent,
        details: JSON.stringify(event.details),
      })
      .execute()
  }
  async list(filter: AuditFilter): Promise<AuditEventRow[]> {
    let query = this.db.selectFrom('audit_events').selectAll()
    if (filter.organisationId !== undefined) query = query.where('organisation_id', '=', filter.organisationId)
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId)
    if (filter.event !== undefined) query = query.where('event', '=', filter.event)
    if (filter.after !== undefined) query = query.where('at', '>', ms(filter.after))
    if (filter.before !== undefined) query = query.where('at', '<', ms(filter.before))
    const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute()
    return rows.map((row) => ({
      id: String(row.seq),
      at: date(row.at),
      organisationId: row.organisation_id,
      actor: row.actor,
      accountId: row.account_id,
      event: row.event,
      reason: row.reason,
      ip: row.ip,
      userAgent: row.user_agent,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }))
  }
  async pseudonymise(accountId: string, scrub: (details: Record<string, unknown>) => Record<string, unknown>) {
    const rows = await this.db.selectFrom('audit_events').select(['seq', 'details']).where('account_id', '=', accountId).execute()
    let rewritten = 0
    for (const row of rows) {
      const before = row.details
      const after = JSON.stringify(scrub(JSON.parse(before) as Record<string, unknown>))
      if (after === before) continue
      await this.db.updateTable('audit_events').set({ details: after }).where('seq', '=', row.seq).execute()
      rewritten++
    }
    return rewritten
  }
}

class ApiTokens implements ApiTokenStore {
  constructor(private readonly db: Db) {}
  async create(token: ApiToken) {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        secret_hash: token.secretHash,
        name: token.name,
        organisation_id: token.organisationId,
        created_by: token.createdBy,
        created_at: ms(token.createdAt),
        last_used_at: msOrNull(token.lastUsedAt),
      })
      .execute()
  }
  async get(id: string): Promise<ApiToken | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    return {
      id: row.id,
      secretHash: Buffer.from(row.secret_hash),
      name: row.name,
      organisationId: row.organisation_id,
      createdBy: row.created_by,
      createdAt: date(row.created_at),
      lastUsedAt: dateOrNull(row.last_used_at),
    }
  }
  async touch(id: string, now: Date) {
    await this.db.updateTable('api_tokens').set({ last_used_at: ms(now) }).where('id', '=', id).execute()
  }
}

class RateLimits implements RateLimitStore {
  constructor(private readonly db: Db) {}
  async hit(key: string, windowStart: Date) {
    const start = ms(windowStart)
    const result = await sql<{ count: number }>`
      INSERT INTO rate_limits (key, window_start, count) VALUES (${key}, ${start}, 1)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.window_start = ${start} THEN rate_limits.count + 1 ELSE 1 END,
        window_start = ${start}
      RETURNING count`.execute(this.db)
    return Number(result.rows[0]?.count ?? 1)
  }
  async deleteBefore(windowStart: Date) {
    return changes(await this.db.deleteFrom('rate_limits').where('window_start', '<', ms(windowStart)).executeTakeFirst())
  }
}

function toOneTimeCode(row: Selectable<Tables['one_time_codes']>): OneTimeCode {
  return {
    id: row.id,
    accountId: row.account_id,
    purpose: row.purpose as CodePurpose,
    channel: row.channel as CodeChannel,
    destination: row.destination,
    flowId: row.flow_id,
    codeHmac: Buffer.from(row.code_hmac),
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
  }
}

class OneTimeCodes implements OneTimeCodeStore {
  constructor(private readonly db: Db) {}
  async issue(code: OneTimeCode, cooldownMs: number) {
    const created = ms(code.createdAt)
    // One statement: replace the previous code of this purpose only when the cool-down has passed.
    const result = await sql<{ id: string }>`
      INSERT INTO one_time_codes (id, account_id, purpose, channel, destination, flow_id, code_hmac, created_at, expires_at)
      VALUES (${code.id}, ${code.accountId}, ${code.purpose}, ${code.channel}, ${code.destination}, ${code.flowId}, ${code.codeHmac}, ${created}, ${ms(code.expiresAt)})
      ON CONFLICT (account_id, purpose) DO UPDATE SET
        id = excluded.id, channel = excluded.channel, destination = excluded.destination, flow_id = excluded.flow_id,
        code_hmac = excluded.code_hmac, created_at = excluded.created_at, expires_at = excluded.expires_at
      WHERE one_time_codes.created_at <= ${created - cooldownMs}
      RETURNING id`.execute(this.db)
    if (result.rows[0]) return { issued: true as const }
    const existing = await this.find(code.accountId, code.purpose)
    return { issued: false as const, retryAt: new Date((existing?.createdAt.getTime() ?? created) + cooldownMs) }
  }
  async find(accountId: string, purpose: CodePurpose) {
    const row = await this.db.selectFrom('one_time_codes').selectAll().where('account_id', '=', accountId).where('purpose', '=', purpose).executeTakeFirst()
    return row && toOneTimeCode(row)
  }
  async consume(id: string, now: Date) {
    const row = await this.db.deleteFrom('one_time_codes').where('id', '=', id).where('expires_at', '>', ms(now)).returningAll().executeTakeFirst()
    return row && toOneTimeCode(row)
  }
  async revoke(id: string) {
    return changes(await this.db.deleteFrom('one_time_codes').where('id', '=', id).executeTakeFirst()) === 1
  }
  async deleteExpired(now: Date) {
    return changes(await this.db.deleteFrom('one_time_codes').where('expires_at', '<=', ms(now)).executeTakeFirst())
  }
}

class SendBudgets implements SendBudgetStore {
  constructor(private readonly db: Db) {}
  async take(key: string, windowStart: Date, limit: number) {
    const start = ms(windowStart)
    const result = await sql<{ count: number }>`
      INSERT INTO send_budgets (key, window_start, count) VALUES (${key}, ${start}, 1)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN send_budgets.window_start = ${start} THEN send_budgets.count + 1 ELSE 1 END,
        window_start = ${start}
      WHERE send_budgets.window_start <> ${start} OR send_budgets.count < ${limit}
      RETURNING count`.execute(this.db)
    return result.rows.length === 1 && limit >= 1
  }
  async deleteBefore(windowStart: Date) {
    return changes(await this.db.deleteFrom('send_budgets').where('window_start', '<', ms(windowStart)).executeTakeFirst())
  }
}

class Outbox implements OutboxStore {
  constructor(private readonly db: Db) {}
  async append(message: Omit<OutboxMessage, 'id'>) {
    await this.db
      .insertInto('outbox')
      .values({ channel: message.channel, recipient: message.to, subject: message.subject, text: message.text, sent_at: ms(message.sentAt) })
      .execute()
  }
  async list(to: string | undefined, limit: number) {
    let query = this.db.selectFrom('outbox').selectAll()
    if (to !== undefined) query = query.where('recipient', '=', to)
    const rows = await query.orderBy('seq', 'desc').limit(limit).execute()
    return rows.map((row) => ({
      id: String(row.seq),
      channel: row.channel as OutboxMessage['channel'],
      to: row.recipient,
      subject: row.subject,
      text: row.text,
      sentAt: date(row.sent_at),
    }))
  }
  async removeForRecipients(recipients: readonly string[]) {
    if (recipients.length === 0) return 0
    return changes(await this.db.deleteFrom('outbox').where('recipient', 'in', [...recipients]).executeTakeFirst())
  }
}

/** A Store over any Kysely database with the Countersign schema. */
export class KyselyStore implements Store {
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
  readonly oidc: OidcStore
  readonly push: PushStore
  readonly deliveryQueue: DeliveryQueueStore
  readonly recoveryCodes: RecoveryCodeStore
  readonly passkeys: PasskeyStore
  readonly passwordResets: PasswordResetStore

  constructor(
    private readonly db: Db,
    private readonly options: { onClose?: () => Promise<void>; rateLimits?: RateLimitStore } = {},
  ) {
    this.organisations = new Organisations(db)
    this.accounts = new Accounts(db)
    this.lockouts = new Lockouts(db)
    this.passwordThrottle = new PasswordThrottle(db)
    this.devices = new Devices(db)
    this.flows = new Flows(db)
    this.sessions = new Sessions(db)
    this.rememberedBrowsers = new RememberedBrowsers(db)
    this.bypassGrants = new BypassGrants(db)
    this.audit = new Audit(db)
    this.apiTokens = new ApiTokens(db)
    this.rateLimits = options.rateLimits ?? new RateLimits(db)
    this.oneTimeCodes = new OneTimeCodes(db)
    this.sendBudgets = new SendBudgets(db)
    this.outbox = new Outbox(db)
    this.oidc = new KyselyOidcStore(db as unknown as Kysely<OidcTables>)
    this.push = new KyselyPushStore(db as unknown as Kysely<PushTables>)
    this.deliveryQueue = new KyselyDeliveryQueueStore(db as unknown as Kysely<DeliveryQueueTables>)
    this.recoveryCodes = new KyselyRecoveryCodeStore(db as unknown as Kysely<RecoveryCodeTables>)
    this.passkeys = new KyselyPasskeyStore(db as unknown as Kysely<PasskeyTables>)
    this.passwordResets = new KyselyPasswordResetStore(db as unknown as Kysely<PasswordResetTables>)
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this)
    return (this.db as Kysely<Tables>).transaction().execute((trx) => work(new KyselyStore(trx, { rateLimits: this.rateLimits })))
  }

  async ping() {
    try {
      await sql`SELECT 1`.execute(this.db)
      return true
    } catch {
      return false
    }
  }

  async close() {
    await this.options.onClose?.()
  }
}
