import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely'
import { Migrator } from 'kysely/migration'
import { KyselyStore } from '../kysely-store.js'
import { MemoryRateLimits } from '../memory-rate-limits.js'
import type { Store } from '../store.js'
import { sqliteMigrations } from './migrations.js'
import type { Tables } from './schema.js'

/**
 * Opens (and creates) the SQLite database: WAL, `synchronous=FULL` by default so an acknowledged
 * write survives power loss too (DD-04), a busy timeout for other processes such as the CLI, and
 * foreign keys on. better-sqlite3 is the only importer of the driver.
 */
export async function openSqliteStore(file: string, options: { migrate?: boolean; synchronous?: 'full' | 'normal' } = {}): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  database.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) })
  if (options.migrate !== false) await migrateSqlite(db)
  return new KyselyStore(db, { onClose: () => db.destroy(), rateLimits: new MemoryRateLimits() })
}

/**
 * Kysely prepares every query anew; the product runs the same few dozen statements over and over,
 * so prepared statements are kept by their SQL text (better-sqlite3 statements are reusable as
 * long as none is iterated while another call runs, and Kysely only calls `all` and `run`).
 */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const cache = new Map<string, Database.Statement>()
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql)
      if (!statement) {
        statement = database.prepare(sql)
        if (cache.size >= 500) cache.delete(cache.keys().next().value!)
        cache.set(sql, statement)
      }
      return statement as unknown as SqliteStatement
    },
  }
}

export async function migrateSqlite(db: Kysely<Tables>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: sqliteMigrations })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).map((r) => r.migrationName)
}
