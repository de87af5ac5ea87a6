import { sql, type Kysely, type Transaction } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'
import type { CodeChannel, CodePurpose } from '../domain/methods/one-time-code.js'

/**
 * The delivery queue (DD-07): a text message or e-mail that carries a one-time code is written in
 * the same transaction as its code, so the two land together or not at all. It is sent right
 * after the commit and its row deleted once the provider took it; a row whose sender died (a crash
 * between the commit and the provider's answer) is claimed again after its lease and resent.
 * The message holds the code, so it is stored sealed (AES-256-GCM), never readable (SR-04).
 */
export interface PendingDelivery {
  id: string
  accountId: string
  /** The one-time code the message carries; a retry is skipped once that code is no longer live. */
  codeId: string
  purpose: CodePurpose
  channel: CodeChannel
  /** `{to, subject, text, html}`, sealed with the row's ids as associated data. */
  sealedMessage: string
  /** Sends started so far, the first one (by the request that issued the code) included. */
  attempts: number
  createdAt: Date
  /** Until then the sender that holds the row may still be at work; after it, anyone may claim it. */
  leaseUntil: Date
}

export interface DeliveryQueueStore {
  /** Queues a message; called inside the transaction that issues its code (both or neither). */
  enqueue(delivery: PendingDelivery): Promise<void>
  find(id: string): Promise<PendingDelivery | undefined>
  /** Forgets a message: sent, refused for good, or given up on. `true` if it was still there. */
  remove(id: string): Promise<boolean>
  /**
   * Claims up to `limit` messages whose lease ran out by `now`, oldest first: each gets the new
   * lease and one more attempt, in ONE guarded `UPDATE … WHERE lease_until <= now … RETURNING`.
   * The guard is evaluated again on a row another claimer changed first (PostgreSQL re-checks the
   * updated row at READ COMMITTED; SQLite has one writer), so two instances never claim one row.
   */
  claimStale(now: Date, leaseUntil: Date, limit: number): Promise<PendingDelivery[]>
}

export interface DeliveryQueueTables {
  pending_deliveries: {
    id: string
    account_id: string
    code_id: string
    purpose: string
    channel: string
    sealed_message: string
    attempts: number
    created_at: number
    lease_until: number
  }
}

type Db = Kysely<DeliveryQueueTables> | Transaction<DeliveryQueueTables>
type Row = DeliveryQueueTables['pending_deliveries']

function toDelivery(row: Row): PendingDelivery {
  return {
    id: row.id,
    accountId: row.account_id,
    codeId: row.code_id,
    purpose: row.purpose as CodePurpose,
    channel: row.channel as CodeChannel,
    sealedMessage: row.sealed_message,
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    leaseUntil: new Date(Number(row.lease_until)),
  }
}

/** The one implementation, for SQLite and PostgreSQL alike (Kysely). */
export class KyselyDeliveryQueueStore implements DeliveryQueueStore {
  constructor(private readonly db: Db) {}

  async enqueue(delivery: PendingDelivery) {
    await this.db
      .insertInto('pending_deliveries')
      .values({
        id: delivery.id,
        account_id: delivery.accountId,
        code_id: delivery.codeId,
        purpose: delivery.purpose,
        channel: delivery.channel,
        sealed_message: delivery.sealedMessage,
        attempts: delivery.attempts,
        created_at: delivery.createdAt.getTime(),
        lease_until: delivery.leaseUntil.getTime(),
      })
      .execute()
  }

  async find(id: string) {
    const row = await this.db.selectFrom('pending_deliveries').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toDelivery(row) : undefined
  }

  async remove(id: string) {
    const result = await this.db.deleteFrom('pending_deliveries').where('id', '=', id).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async claimStale(now: Date, leaseUntil: Date, limit: number) {
    const at = now.getTime()
    // The lease guard stands in the outer WHERE too, not only in the subquery: that is the part
    // PostgreSQL evaluates again on a row a concurrent claimer has just updated.
    const result = await sql<Row>`
      UPDATE pending_deliveries SET lease_until = ${leaseUntil.getTime()}, attempts = attempts + 1
      WHERE lease_until <= ${at}
        AND id IN (SELECT id FROM pending_deliveries WHERE lease_until <= ${at} ORDER BY created_at, id LIMIT ${limit})
      RETURNING *`.execute(this.db)
    return result.rows.map(toDelivery).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
  }
}

/**
 * Migration `0006-delivery-queue`, in each dialect's types. No CHECK on `purpose`: a new purpose
 * must not need a table rebuild (SQLite cannot alter a CHECK).
 */
export function deliveryQueueMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict }) => [
    `CREATE TABLE pending_deliveries (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      code_id TEXT NOT NULL,
      purpose TEXT NOT NULL,
      channel TEXT NOT NULL CHECK (channel IN ('sms','email')),
      sealed_message TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      created_at ${big} NOT NULL,
      lease_until ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX pending_deliveries_lease ON pending_deliveries(lease_until)`,
    `CREATE INDEX pending_deliveries_account ON pending_deliveries(account_id)`,
  ])
}
