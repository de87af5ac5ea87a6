import { sql, type Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'

/** The column types that differ between the two dialects. */
export interface DialectTypes {
  /** A 64-bit integer (milliseconds since the epoch, counters). */
  big: string
  /** What follows `CREATE TABLE (…)`: SQLite's ` STRICT`, nothing on PostgreSQL. */
  strict: string
  /** Bytes (hashes): SQLite's BLOB, PostgreSQL's BYTEA. */
  bytes: string
  /** The text of the field `key` of a JSON text column. */
  jsonText(column: string, key: string): string
}

/**
 * A migration of plain SQL statements, written once for both dialects: `statements` gets the
 * dialect's types and the statements run in order.
 */
export function sqlMigration(dialect: 'sqlite' | 'postgres', statements: (types: DialectTypes) => string[]): Migration {
  const types: DialectTypes =
    dialect === 'sqlite'
      ? { big: 'INTEGER', strict: ' STRICT', bytes: 'BLOB', jsonText: (column, key) => `json_extract(${column}, '$.${key}')` }
      : { big: 'BIGINT', strict: '', bytes: 'BYTEA', jsonText: (column, key) => `(${column}::json ->> '${key}')` }
  return {
    async up(db: Kysely<unknown>) {
      for (const statement of statements(types)) await sql.raw(statement).execute(db)
    },
  }
}
