import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'

/** The column types that differ between the two dialects. */
export interface DialectTypes {
  /** A 64-bit integer (milliseconds since the epoch, counters). */
  big: string
  /** What follows `CREATE TABLE (…)`: SQLite's ` STRICT`, nothing on PostgreSQL. */
  strict: string
}

/**
 * A migration of plain SQL statements, written once for both dialects: `statements` gets the
 * dialect's types and the statements run in order.
 */
export function sqlMigration(dialect: 'sqlite' | 'postgres', statements: (types: DialectTypes) => string[]): Migration {
  const types: DialectTypes = dialect === 'sqlite' ? { big: 'INTEGER', strict: ' STRICT' } : { big: 'BIGINT', strict: '' }
  return {
    async up(db: Kysely<unknown>) {
      for (const statement of statements(types)) await sql.raw(statement).execute(db)
    },
  }
}
