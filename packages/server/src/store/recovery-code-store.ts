import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'

/*
 * Recovery codes (F-X-2, RB-03, SR-05): each code only as an argon2id PHC string (its own salt),
 * never readable; one row per code, used once.
 */

export interface RecoveryCode {
  id: string
  accountId: string
  /** argon2id of the normalised code, with a per-code salt (SECURITY.md "Recovery codes"). */
  codeHash: string
  createdAt: Date
  usedAt: Date | null
}

export interface RecoveryCodeStore {
  /** Replaces every code of the account (used or not) with a new set: old codes stop working at once. */
  replaceAll(accountId: string, codes: readonly RecoveryCode[]): Promise<void>
  /** The account's codes not used yet, oldest first. */
  listUnused(accountId: string): Promise<RecoveryCode[]>
  /** How many unused codes each account has (accounts without any are absent). */
  countUnused(accountIds: readonly string[]): Promise<Map<string, number>>
  /**
   * Uses one code: only an unused code of this account changes, in one guarded UPDATE, so of
   * parallel uses of one code exactly one wins (RR-07). `false`: already used, or not this account's.
   */
  use(accountId: string, id: string, now: Date): Promise<boolean>
  /** Voids every code of the account (the last real factor went, or the user asked); how many. */
  removeAll(accountId: string): Promise<number>
}

export interface RecoveryCodeTables {
  recovery_codes: {
    id: string
    account_id: string
    code_hash: string
    created_at: number | bigint
    used_at: number | bigint | null
  }
}

function toRecoveryCode(row: RecoveryCodeTables['recovery_codes']): RecoveryCode {
  return {
    id: row.id,
    accountId: row.account_id,
    codeHash: row.code_hash,
    createdAt: new Date(Number(row.created_at)),
    usedAt: row.used_at === null ? null : new Date(Number(row.used_at)),
  }
}

export class KyselyRecoveryCodeStore implements RecoveryCodeStore {
  constructor(private readonly db: Kysely<RecoveryCodeTables>) {}

  async replaceAll(accountId: string, codes: readonly RecoveryCode[]) {
    await this.db.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute()
    if (codes.length === 0) return
    await this.db
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ id: code.id, account_id: accountId, code_hash: code.codeHash, created_at: code.createdAt.getTime(), used_at: null })))
      .execute()
  }

  async listUnused(accountId: string) {
    const rows = await this.db.selectFrom('recovery_codes').selectAll().where('account_id', '=', accountId).where('used_at', 'is', null).orderBy('created_at').orderBy('id').execute()
    return rows.map(toRecoveryCode)
  }

  async countUnused(accountIds: readonly string[]) {
    if (accountIds.length === 0) return new Map<string, number>()
    const rows = await this.db
      .selectFrom('recovery_codes')
      .select(['account_id', (eb) => eb.fn.countAll<number | string>().as('unused')])
      .where('account_id', 'in', accountIds)
      .where('used_at', 'is', null)
      .groupBy('account_id')
      .execute()
    return new Map(rows.map((row) => [row.account_id, Number(row.unused)]))
  }

  async use(accountId: string, id: string, now: Date) {
    const result = await this.db.updateTable('recovery_codes').set({ used_at: now.getTime() }).where('id', '=', id).where('account_id', '=', accountId).where('used_at', 'is', null).executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async removeAll(accountId: string) {
    const result = await this.db.deleteFrom('recovery_codes').where('account_id', '=', accountId).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

/** Migration `0008-recovery-codes`, in each dialect's types. */
export function recoveryCodeMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict }) => [
    `CREATE TABLE recovery_codes (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      code_hash TEXT NOT NULL,
      created_at ${big} NOT NULL,
      used_at ${big}
    )${strict}`,
    `CREATE INDEX recovery_codes_account ON recovery_codes(account_id, used_at)`,
  ])
}
