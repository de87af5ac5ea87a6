import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'

/*
 * Password reset links (issue 17, RB-04): a 256-bit secret of which only the SHA-256 is kept, one
 * per account (a new link replaces the old: only the newest works), used once.
 */

export interface PasswordReset {
  id: string
  accountId: string
  secretHash: Buffer
  createdAt: Date
  expiresAt: Date
}

export interface PasswordResetStore {
  /** Stores a new link for the account, replacing any earlier one in the same statement. */
  issue(reset: PasswordReset): Promise<void>
  get(id: string): Promise<PasswordReset | undefined>
  /** Deletes and returns the link if it is still unexpired (DELETE … RETURNING): of racers, one wins. */
  consume(id: string, now: Date): Promise<PasswordReset | undefined>
  /** Voids the account's link (a new password, a deactivation); how many went. */
  removeForAccount(accountId: string): Promise<number>
  deleteExpired(now: Date): Promise<number>
}

export interface PasswordResetTables {
  password_resets: {
    id: string
    account_id: string
    secret_hash: Buffer
    created_at: number | bigint
    expires_at: number | bigint
  }
}

function toReset(row: PasswordResetTables['password_resets']): PasswordReset {
  return {
    id: row.id,
    accountId: row.account_id,
    secretHash: Buffer.from(row.secret_hash),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
  }
}

export class KyselyPasswordResetStore implements PasswordResetStore {
  constructor(private readonly db: Kysely<PasswordResetTables>) {}

  async issue(reset: PasswordReset) {
    const values = { id: reset.id, account_id: reset.accountId, secret_hash: reset.secretHash, created_at: reset.createdAt.getTime(), expires_at: reset.expiresAt.getTime() }
    await this.db
      .insertInto('password_resets')
      .values(values)
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ id: values.id, secret_hash: values.secret_hash, created_at: values.created_at, expires_at: values.expires_at }))
      .execute()
  }

  async get(id: string) {
    const row = await this.db.selectFrom('password_resets').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toReset(row)
  }

  async consume(id: string, now: Date) {
    const row = await this.db.deleteFrom('password_resets').where('id', '=', id).where('expires_at', '>', now.getTime()).returningAll().executeTakeFirst()
    return row && toReset(row)
  }

  async removeForAccount(accountId: string) {
    const result = await this.db.deleteFrom('password_resets').where('account_id', '=', accountId).executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async deleteExpired(now: Date) {
    const result = await this.db.deleteFrom('password_resets').where('expires_at', '<=', now.getTime()).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

/**
 * Migration `0010-account-lifecycle`: the organisation's password and session settings, a
 * deactivated account and "a new password at next sign-in", reset links, e-mail lookups for
 * "Forgot your password?", and the account of each OpenID Connect record so that ending a user's
 * sessions also revokes their tokens (SC-12).
 */
export function accountLifecycleMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict, bytes, jsonText }) => [
    `ALTER TABLE organisations ADD COLUMN min_password_length INTEGER NOT NULL DEFAULT 12`,
    `ALTER TABLE organisations ADD COLUMN self_service_reset INTEGER NOT NULL DEFAULT 1`,
    `ALTER TABLE organisations ADD COLUMN notify_admins_of_reset INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE organisations ADD COLUMN session_idle_minutes INTEGER NOT NULL DEFAULT 60`,
    `ALTER TABLE organisations ADD COLUMN session_max_hours INTEGER NOT NULL DEFAULT 24`,
    `ALTER TABLE accounts ADD COLUMN deactivated_at ${big}`,
    `ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0`,
    `CREATE INDEX accounts_email ON accounts(lower(email))`,
    `CREATE TABLE password_resets (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
      secret_hash ${bytes} NOT NULL,
      created_at ${big} NOT NULL,
      expires_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX password_resets_expiry ON password_resets(expires_at)`,
    `ALTER TABLE oidc_records ADD COLUMN account_id TEXT`,
    `UPDATE oidc_records SET account_id = ${jsonText('payload', 'accountId')}`,
    `CREATE INDEX oidc_records_account ON oidc_records(account_id)`,
  ])
}
