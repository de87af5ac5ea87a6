import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Config } from './config/config.js'
import { attentionLines, ConfigError } from './config/load-config.js'
import { createPasswordHasher, type PasswordHasher } from './crypto/password-hasher.js'
import { parseSecretsKeys, SecretSealer } from './crypto/secret-sealer.js'
import { cryptoRandom, MINUTE_MS, systemClock, type Clock, type Random } from './domain/clock.js'
import { createDelivery } from './delivery/create-delivery.js'
import { createPushSender, type PushSender } from './delivery/web-push-sender.js'
import { InProcessNotifier } from './realtime/notifier.js'
import { openSqliteStore } from './store/sqlite/open-sqlite-store.js'
import type { Store } from './store/store.js'
import type { Context } from './use-cases/context.js'
import { startDeliveryRetries } from './use-cases/delivery-queue.js'

/**
 * The one place that picks implementations and wires them together (DESIGN.md §1).
 */
export async function createContext(
  config: Config,
  overrides: { clock?: Clock; random?: Random; store?: Store; hasher?: PasswordHasher; logStream?: NodeJS.WritableStream; pushSender?: PushSender } = {},
): Promise<{ ctx: Context; attention: string[] }> {
  const { sealer, generatedKeyFile } = loadSealer(config)
  const store = overrides.store ?? (await openStore(config))
  const hasher =
    overrides.hasher ??
    createPasswordHasher({
      parameters: { memoryKiB: config.argon2MemoryKib, timeCost: config.argon2TimeCost },
      ...(config.hashConcurrency !== undefined ? { concurrency: config.hashConcurrency } : {}),
      ...(config.hashQueueLimit !== undefined ? { queueLimit: config.hashQueueLimit } : {}),
    })
  // The PostgreSQL driver is loaded only for PostgreSQL: a SQLite server never pays its memory.
  const notifier = config.databaseUrl.startsWith('sqlite:')
    ? new InProcessNotifier()
    : new (await import('./realtime/postgres-notifier.js')).PostgresNotifier(config.databaseUrl, { onError: (error) => process.stderr.write(`countersign: notifier: ${error.message}\n`) })
  const clock = overrides.clock ?? systemClock
  const random = overrides.random ?? cryptoRandom
  let delivery: Context['delivery']
  try {
    delivery = createDelivery(config, { store: () => store, clock, random, ...(overrides.logStream ? { logStream: overrides.logStream } : {}) })
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  const pushSender = overrides.pushSender ?? createPushSender(config)
  const ctx: Context = { store, clock, random, hasher, sealer, config, notifier, delivery, pushSender }
  return { ctx, attention: attentionLines(config, generatedKeyFile) }
}

export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl.startsWith('sqlite:')) return openSqliteStore(config.databaseUrl.slice('sqlite:'.length), { synchronous: config.sqliteSynchronous })
  const { openPostgresStore } = await import('./store/postgres/open-postgres-store.js')
  return openPostgresStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onIdleError: (error) => process.stderr.write(`countersign: database connection lost: ${error.message}\n`),
  })
}

/**
 * The key that seals secrets at rest. Configured: used as given. Not configured: refused in
 * production; in development generated once into the data directory (mode 0600) with a warning.
 */
function loadSealer(config: Config): { sealer: SecretSealer; generatedKeyFile: string | null } {
  if (config.secretsKey) {
    try {
      return { sealer: new SecretSealer(parseSecretsKeys(config.secretsKey)), generatedKeyFile: null }
    } catch (error) {
      throw new ConfigError(`COUNTERSIGN_SECRETS_KEY: ${(error as Error).message}`)
    }
  }
  if (config.env === 'production') throw new ConfigError('COUNTERSIGN_SECRETS_KEY: required in production (32 bytes, base64)')
  const file = resolve(join(config.dataDir, 'secrets.key'))
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
  }
  chmodSync(file, 0o600)
  return { sealer: new SecretSealer(parseSecretsKeys(readFileSync(file, 'utf8').trim())), generatedKeyFile: file }
}

/**
 * Deletes what has expired (flows, sessions, pending devices, old rate windows) so tables stay flat
 * (LD-06), and resends queued code messages whose sender died (DD-07, delivery-queue.ts).
 */
export function startHousekeeping(ctx: Context): () => void {
  const run = async () => {
    const now = ctx.clock.now()
    await ctx.store.flows.deleteExpired(now)
    await ctx.store.sessions.deleteExpired(now)
    await ctx.store.devices.deleteExpiredPending(now)
    await ctx.store.oidc.deleteExpired(now)
    await ctx.store.rateLimits.deleteBefore(new Date(now.getTime() - 10 * MINUTE_MS))
    await ctx.store.oneTimeCodes.deleteExpired(now)
    await ctx.store.push.deleteExpired(now)
    await ctx.store.passkeys.deleteExpiredChallenges(now)
    await ctx.store.passwordResets.deleteExpired(now)
    await ctx.store.sendBudgets.deleteBefore(new Date(now.getTime() - 2 * 24 * 60 * MINUTE_MS))
  }
  const timer = setInterval(() => void run().catch(() => {}), 5 * MINUTE_MS)
  timer.unref()
  void run().catch(() => {})
  const stopDeliveryRetries = startDeliveryRetries(ctx)
  return () => {
    clearInterval(timer)
    stopDeliveryRetries()
  }
}
