import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { Notifier } from './notifier.js'

/** The one PostgreSQL channel; the product's channels travel inside the payload. */
const PG_CHANNEL = 'countersign_events'
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900

/**
 * The Notifier over PostgreSQL `LISTEN/NOTIFY`, for several instances on one database (F-X-4).
 * One dedicated connection listens; it reconnects by itself with a growing pause (up to 5 s) and
 * listens again, so a database restart interrupts events only while it lasts.
 */
export class PostgresNotifier implements Notifier {
  readonly #url: string
  readonly #events = new EventEmitter().setMaxListeners(0)
  readonly #publisher: pg.Pool
  #listener: pg.Client | null = null
  #closed = false
  #retryMs = 100
  #ready: Promise<void>

  constructor(url: string, options: { onError?: (error: Error) => void } = {}) {
    this.#url = url
    this.#publisher = new pg.Pool({ connectionString: url, max: 2 })
    this.#publisher.on('error', (error) => options.onError?.(error))
    this.#onError = options.onError ?? (() => {})
    this.#ready = this.#connect()
  }

  readonly #onError: (error: Error) => void

  async #connect(): Promise<void> {
    while (!this.#closed) {
      const client = new pg.Client({ connectionString: this.#url })
      try {
        await client.connect()
        client.on('notification', (message) => this.#deliver(message.payload))
        client.on('error', (error) => this.#lost(client, error))
        client.on('end', () => this.#lost(client, new Error('listener connection ended')))
        await client.query(`LISTEN ${PG_CHANNEL}`)
        this.#listener = client
        this.#retryMs = 100
        return
      } catch (error) {
        this.#onError(error as Error)
        await client.end().catch(() => {})
        await new Promise((resolve) => setTimeout(resolve, this.#retryMs))
        this.#retryMs = Math.min(this.#retryMs * 2, 5000)
      }
    }
  }

  #lost(client: pg.Client, error: Error) {
    if (this.#listener !== client || this.#closed) return
    this.#listener = null
    this.#onError(error)
    client.end().catch(() => {})
    this.#ready = this.#connect()
  }

  #deliver(raw: string | undefined) {
    if (!raw) return
    try {
      const { channel, payload } = JSON.parse(raw) as { channel: string; payload: string }
      this.#events.emit(channel, payload)
    } catch {
      // Not ours: ignore.
    }
  }

  async publish(channel: string, payload: string): Promise<void> {
    const message = JSON.stringify({ channel, payload })
    if (Buffer.byteLength(message) > MAX_PAYLOAD) throw new TypeError('notifier payload too large')
    await this.#publisher.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, message])
  }

  async subscribe(channel: string, listener: (payload: string) => void): Promise<() => void> {
    await this.#ready
    this.#events.on(channel, listener)
    return () => this.#events.off(channel, listener)
  }

  /** True while the listening connection is up (for readiness and tests). */
  get listening(): boolean {
    return this.#listener !== null
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#events.removeAllListeners()
    await this.#listener?.end().catch(() => {})
    await this.#publisher.end().catch(() => {})
  }
}
