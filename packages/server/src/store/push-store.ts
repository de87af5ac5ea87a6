import { sql, type Kysely, type Transaction } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'

/*
 * What push approval keeps (issue 9, DESIGN.md §6): single-use pairing tokens (hashed), the public
 * key and push subscription of each paired Countersign Authenticator, the sign-in challenges, and
 * the server's VAPID key pair. No private key of a device is ever here (F-PUSH-6, PU-10).
 */

export type PushChallengeStatus = 'pending' | 'approved' | 'denied' | 'used' | 'cancelled'

export interface PushChallenge {
  id: string
  flowId: string
  accountId: string
  /** The digits shown in the browser and typed on the phone (F-PUSH-5). */
  matchNumber: string
  status: PushChallengeStatus
  /** Why it ended: `denied`, `not_me`, `wrong_number`, `locked`, `replaced`. */
  reason: string | null
  decidedBy: string | null
  decidedAt: Date | null
  createdAt: Date
  expiresAt: Date
  /** The signing-in browser's user agent and IP, bounded (PU-07). */
  userAgent: string | null
  ip: string | null
}

export interface AuthenticatorKey {
  deviceId: string
  accountId: string
  /** The public JWK `{kty, crv, x, y}` as JSON, sealed to its device and account (push.ts). */
  publicKeyJwk: string
  /** The Web Push subscription, sealed (it holds the keys that encrypt to the phone); `null`: no push. */
  sealedSubscription: string | null
  /** The browser session that showed the QR code: only it may finish a forced enrolment with this device. */
  pairedForSession: string
  createdAt: Date
}

export interface PushStore {
  /** Remembers the hash of a pairing token for a pending device, replacing the account's previous one. */
  createPairing(pairing: { deviceId: string; accountId: string; sessionId: string; tokenHash: string; expiresAt: Date }): Promise<void>
  /** Uses a pairing token once (DELETE … RETURNING), if unexpired: exactly one racer wins (PU-09). */
  consumePairing(tokenHash: string, now: Date): Promise<{ deviceId: string; accountId: string; sessionId: string } | undefined>
  addKey(key: AuthenticatorKey): Promise<void>
  /** The key of a device that is still active: a removed device's key verifies nothing (PU-08). */
  getKey(deviceId: string): Promise<AuthenticatorKey | undefined>
  listKeys(accountId: string): Promise<AuthenticatorKey[]>
  setSubscription(deviceId: string, sealedSubscription: string | null): Promise<void>
  removeKey(deviceId: string): Promise<void>

  createChallenge(challenge: PushChallenge): Promise<void>
  getChallenge(id: string): Promise<PushChallenge | undefined>
  /** The flow's newest challenge. */
  latestForFlow(flowId: string): Promise<PushChallenge | undefined>
  /** Ends the flow's pending challenges (a new push replaces them); returns their ids. */
  cancelPendingForFlow(flowId: string, now: Date): Promise<string[]>
  /**
   * Records the one decision of a challenge: only a pending, unexpired challenge changes, in one
   * guarded UPDATE, so of two devices answering at once exactly one wins (PU-06).
   */
  decide(id: string, decision: { status: 'approved' | 'denied'; reason: string | null; deviceId: string | null }, now: Date): Promise<boolean>
  /** An approved challenge completes one sign-in: approved → used, once. */
  use(id: string, now: Date): Promise<boolean>
  /** The account's pending, unexpired challenges, newest first. */
  listPending(accountId: string, now: Date): Promise<PushChallenge[]>
  /** The account's challenges created after `since`, newest first (rate limit, push bombing). */
  listSince(accountId: string, since: Date, limit: number): Promise<PushChallenge[]>
  /** Locks the account's row until the transaction ends, so counting and creating cannot race. */
  lockAccount(accountId: string): Promise<void>
  markDeviceUsed(deviceId: string, now: Date): Promise<void>
  deleteExpired(now: Date): Promise<number>

  getVapidKeys(): Promise<{ publicKey: string; sealedPrivateKey: string } | undefined>
  /** Stores the VAPID key pair unless one exists (instances starting together keep the first). */
  addVapidKeys(keys: { publicKey: string; sealedPrivateKey: string; createdAt: Date }): Promise<void>
}

export interface PushTables {
  authenticator_pairings: { device_id: string; account_id: string; session_id: string; token_hash: string; expires_at: number }
  authenticator_keys: { device_id: string; account_id: string; public_key_jwk: string; sealed_subscription: string | null; paired_for_session: string; created_at: number }
  push_challenges: {
    id: string
    flow_id: string
    account_id: string
    match_number: string
    status: string
    reason: string | null
    decided_by: string | null
    decided_at: number | null
    created_at: number
    expires_at: number
    user_agent: string | null
    ip: string | null
  }
  push_vapid_keys: { id: string; public_key: string; sealed_private_key: string; created_at: number }
  devices: { id: string; account_id: string; status: string; last_used_at: number | null }
  accounts: { id: string }
}

type Db = Kysely<PushTables> | Transaction<PushTables>

/**
 * Challenges are kept 90 days after they end: the "3 unanswered in a row" rule reads them, and a
 * pause must not lift itself by their deletion (PU-04).
 */
const CHALLENGE_RETENTION_MS = 90 * 24 * 60 * 60 * 1000

function toChallenge(row: PushTables['push_challenges']): PushChallenge {
  return {
    id: row.id,
    flowId: row.flow_id,
    accountId: row.account_id,
    matchNumber: row.match_number,
    status: row.status as PushChallengeStatus,
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : new Date(Number(row.decided_at)),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
    userAgent: row.user_agent,
    ip: row.ip,
  }
}

function toKey(row: PushTables['authenticator_keys']): AuthenticatorKey {
  return {
    deviceId: row.device_id,
    accountId: row.account_id,
    publicKeyJwk: row.public_key_jwk,
    sealedSubscription: row.sealed_subscription,
    pairedForSession: row.paired_for_session,
    createdAt: new Date(Number(row.created_at)),
  }
}

const changed = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) => Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n)

/** The one implementation, for SQLite and PostgreSQL alike (Kysely). */
export class KyselyPushStore implements PushStore {
  constructor(private readonly db: Db) {}

  async createPairing(pairing: { deviceId: string; accountId: string; sessionId: string; tokenHash: string; expiresAt: Date }) {
    await this.db.deleteFrom('authenticator_pairings').where('account_id', '=', pairing.accountId).execute()
    await this.db
      .insertInto('authenticator_pairings')
      .values({ device_id: pairing.deviceId, account_id: pairing.accountId, session_id: pairing.sessionId, token_hash: pairing.tokenHash, expires_at: pairing.expiresAt.getTime() })
      .execute()
  }

  async consumePairing(tokenHash: string, now: Date) {
    const row = await this.db
      .deleteFrom('authenticator_pairings')
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now.getTime())
      .returning(['device_id', 'account_id', 'session_id'])
      .executeTakeFirst()
    return row ? { deviceId: row.device_id, accountId: row.account_id, sessionId: row.session_id } : undefined
  }

  async addKey(key: AuthenticatorKey) {
    await this.db
      .insertInto('authenticator_keys')
      .values({ device_id: key.deviceId, account_id: key.accountId, public_key_jwk: key.publicKeyJwk, sealed_subscription: key.sealedSubscription, paired_for_session: key.pairedForSession, created_at: key.createdAt.getTime() })
      .execute()
  }

  async getKey(deviceId: string) {
    const row = await this.db
      .selectFrom('authenticator_keys')
      .innerJoin('devices', 'devices.id', 'authenticator_keys.device_id')
      .selectAll('authenticator_keys')
      .where('authenticator_keys.device_id', '=', deviceId)
      .where('devices.status', '=', 'active')
      .executeTakeFirst()
    return row ? toKey(row) : undefined
  }

  async listKeys(accountId: string) {
    const rows = await this.db
      .selectFrom('authenticator_keys')
      .innerJoin('devices', 'devices.id', 'authenticator_keys.device_id')
      .selectAll('authenticator_keys')
      .where('authenticator_keys.account_id', '=', accountId)
      .where('devices.status', '=', 'active')
      .orderBy('authenticator_keys.created_at')
      .execute()
    return rows.map(toKey)
  }

  async setSubscription(deviceId: string, sealedSubscription: string | null) {
    await this.db.updateTable('authenticator_keys').set({ sealed_subscription: sealedSubscription }).where('device_id', '=', deviceId).execute()
  }

  async removeKey(deviceId: string) {
    await this.db.deleteFrom('authenticator_keys').where('device_id', '=', deviceId).execute()
  }

  async createChallenge(c: PushChallenge) {
    await this.db
      .insertInto('push_challenges')
      .values({
        id: c.id,
        flow_id: c.flowId,
        account_id: c.accountId,
        match_number: c.matchNumber,
        status: c.status,
        reason: c.reason,
        decided_by: c.decidedBy,
        decided_at: c.decidedAt?.getTime() ?? null,
        created_at: c.createdAt.getTime(),
        expires_at: c.expiresAt.getTime(),
        user_agent: c.userAgent,
        ip: c.ip,
      })
      .execute()
  }

  async getChallenge(id: string) {
    const row = await this.db.selectFrom('push_challenges').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toChallenge(row) : undefined
  }

  async latestForFlow(flowId: string) {
    // A replaced challenge is never the current one, even when both were made in the same millisecond.
    const row = await this.db
      .selectFrom('push_challenges')
      .selectAll()
      .where('flow_id', '=', flowId)
      .orderBy('created_at', 'desc')
      .orderBy(sql`CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END`)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()
    return row ? toChallenge(row) : undefined
  }

  async cancelPendingForFlow(flowId: string, now: Date) {
    const rows = await this.db
      .updateTable('push_challenges')
      .set({ status: 'cancelled', reason: 'replaced', decided_at: now.getTime() })
      .where('flow_id', '=', flowId)
      .where('status', '=', 'pending')
      .returning('id')
      .execute()
    return rows.map((row) => row.id)
  }

  async decide(id: string, decision: { status: 'approved' | 'denied'; reason: string | null; deviceId: string | null }, now: Date) {
    const result = await this.db
      .updateTable('push_challenges')
      .set({ status: decision.status, reason: decision.reason, decided_by: decision.deviceId, decided_at: now.getTime() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now.getTime())
      .executeTakeFirst()
    return changed(result) === 1
  }

  async use(id: string, now: Date) {
    const result = await this.db.updateTable('push_challenges').set({ status: 'used', decided_at: now.getTime() }).where('id', '=', id).where('status', '=', 'approved').executeTakeFirst()
    return changed(result) === 1
  }

  async listPending(accountId: string, now: Date) {
    const rows = await this.db
      .selectFrom('push_challenges')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now.getTime())
      .orderBy('created_at', 'desc')
      .execute()
    return rows.map(toChallenge)
  }

  async listSince(accountId: string, since: Date, limit: number) {
    const rows = await this.db
      .selectFrom('push_challenges')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('created_at', '>', since.getTime())
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.map(toChallenge)
  }

  async lockAccount(accountId: string) {
    await this.db.updateTable('accounts').set((eb) => ({ id: eb.ref('id') })).where('id', '=', accountId).execute()
  }

  async markDeviceUsed(deviceId: string, now: Date) {
    await this.db.updateTable('devices').set({ last_used_at: now.getTime() }).where('id', '=', deviceId).execute()
  }

  async deleteExpired(now: Date) {
    const pairings = await this.db.deleteFrom('authenticator_pairings').where('expires_at', '<=', now.getTime()).executeTakeFirst()
    const challenges = await this.db.deleteFrom('push_challenges').where('expires_at', '<', now.getTime() - CHALLENGE_RETENTION_MS).executeTakeFirst()
    return changed(pairings) + changed(challenges)
  }

  async getVapidKeys() {
    const row = await this.db.selectFrom('push_vapid_keys').selectAll().where('id', '=', 'vapid').executeTakeFirst()
    return row ? { publicKey: row.public_key, sealedPrivateKey: row.sealed_private_key } : undefined
  }

  async addVapidKeys(keys: { publicKey: string; sealedPrivateKey: string; createdAt: Date }) {
    await this.db
      .insertInto('push_vapid_keys')
      .values({ id: 'vapid', public_key: keys.publicKey, sealed_private_key: keys.sealedPrivateKey, created_at: keys.createdAt.getTime() })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute()
  }
}

/** Migration `0005-push`, in each dialect's types. */
export function pushMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict }) => [
    `ALTER TABLE organisations ADD COLUMN push_number_digits INTEGER NOT NULL DEFAULT 2`,
    `CREATE TABLE authenticator_pairings (
      device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      session_id TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      expires_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX authenticator_pairings_account ON authenticator_pairings(account_id)`,
    `CREATE TABLE authenticator_keys (
      device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      public_key_jwk TEXT NOT NULL,
      sealed_subscription TEXT,
      paired_for_session TEXT NOT NULL,
      created_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX authenticator_keys_account ON authenticator_keys(account_id)`,
    `CREATE TABLE push_challenges (
      id TEXT PRIMARY KEY,
      flow_id TEXT NOT NULL,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      match_number TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','used','cancelled')),
      reason TEXT,
      decided_by TEXT,
      decided_at ${big},
      created_at ${big} NOT NULL,
      expires_at ${big} NOT NULL,
      user_agent TEXT,
      ip TEXT
    )${strict}`,
    `CREATE INDEX push_challenges_flow ON push_challenges(flow_id, created_at)`,
    `CREATE INDEX push_challenges_account ON push_challenges(account_id, created_at)`,
    `CREATE TABLE push_vapid_keys (
      id TEXT PRIMARY KEY,
      public_key TEXT NOT NULL,
      sealed_private_key TEXT NOT NULL,
      created_at ${big} NOT NULL
    )${strict}`,
  ])
}
