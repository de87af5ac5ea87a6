import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, Migrator, SqliteDialect } from 'kysely'
import { KyselyStore } from '../kysely-store.js'
import type { Store } from '../store.js'
import { sqliteMigrations } from './migrations.js'
import type { Tables } from './schema.js'

/**
 * Opens (and creates) the SQLite database: WAL, `synchronous=FULL` so an acknowledged write
 * survives power loss too (DD-04), a busy timeout for other processes such as the CLI, and
 * foreign keys on. better-sqlite3 is the only importer of the driver.
 */
export async function openSqliteStore(file: string, options: { migrate?: boolean } = {}): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const database = new Database(file)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }) })
  if (options.migrate !== false) await migrateSqlite(db)
  return new KyselyStore(db, () => db.destroy())
}

export async function migrateSqlite(db: Kysely<Tables>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: sqliteMigrations })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).map((r) => r.migrationName)
}
