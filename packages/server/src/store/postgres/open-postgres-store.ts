import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import { Migrator } from 'kysely/migration'
import { KyselyStore } from '../kysely-store.js'
import type { Tables } from '../sqlite/schema.js'
import type { Store } from '../store.js'
import { postgresMigrations } from './migrations.js'

const INT8 = 20

/**
 * Opens a PostgreSQL store (F-X-4 scale-out). `pg` is imported here only. BIGINT columns come
 * back as numbers (epoch milliseconds are far below 2^53); statements time out rather than hang.
 */
export async function openPostgresStore(
  url: string,
  options: { migrate?: boolean; poolSize?: number; statementTimeoutMs?: number; onIdleError?: (error: Error) => void } = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    types: { getTypeParser: (oid, format) => (oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
  })
  // An idle connection the server dropped (restart, failover) is an 'error' event on the pool; left
  // unhandled it would end the process. The pool discards it and opens a new one when needed.
  pool.on('error', (error) => options.onIdleError?.(error))
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
  if (options.migrate !== false) await migratePostgres(db)
  return new KyselyStore(db, { onClose: () => db.destroy() })
}

/** Kysely's migrator takes a lock, so instances starting together run each migration once. */
export async function migratePostgres(db: Kysely<Tables>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: postgresMigrations })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  return (results ?? []).map((r) => r.migrationName)
}
