import { z } from 'zod'

const flag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true')

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

/**
 * Every setting, its environment variable and its default. Per-organisation settings (policy,
 * device limit, remembered-browser days…) are data in the store, not configuration.
 */
export const configSchema = z.strictObject({
  /** Public URL of this server: the origin for CSRF checks and cookie security; later the OIDC issuer. */
  publicUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(3000),
  /** SQLite by default (F-X-4): `sqlite:<file>`; `postgres://…` for several instances on one database. */
  databaseUrl: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://').default('sqlite:./data/countersign.db'),
  /**
   * SQLite's `synchronous` in WAL mode: `full` syncs every commit, so no acknowledged write is
   * lost even on power loss (DD-04); `normal` survives a crash of the process but may lose the
   * last commits on a power loss or OS crash, for about 1.5× the sign-in throughput.
   */
  sqliteSynchronous: z.enum(['full', 'normal']).default('full'),
  /** PostgreSQL only: connections per instance, and how long one statement may run. */
  databasePoolSize: int(1, 200).default(10),
  databaseStatementTimeoutMs: int(100, 600_000).default(5000),
  /** Where the development secrets key is written when none is configured. */
  dataDir: z.string().default('./data'),
  /** The built web UI (`packages/web/dist` by default); a packager may put it elsewhere. */
  webDir: z.string().optional(),
  /** `base64` or `id:base64[,id:base64…]` (first one seals): 32-byte keys for secrets at rest. */
  secretsKey: z.string().min(32).optional(),
  /** Unset: e-mail goes to the development outbox. */
  smtpUrl: z.string().optional(),
  smsProvider: z.enum(['outbox', 'twilio', 'webhook']).default('outbox'),
  /** `1`: create the demo organisation on an empty database. Default on outside production. */
  demo: flag.optional(),
  /** Bootstrap admin API token, staff level, accepted while set. */
  adminToken: z.string().min(32, 'must be at least 32 characters').optional(),
  /** `production` refuses unsafe defaults (no secrets key). */
  env: z.enum(['development', 'production', 'test']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Trust `X-Forwarded-For` from these proxies (Fastify `trustProxy`): `false`, `true`, or a list. */
  trustProxy: z.string().default('false'),
  /** argon2id memory in KiB and passes; OWASP's minimum is 19456 / 2 (SR-06). */
  argon2MemoryKib: int(1024, 1_048_576).default(19456),
  argon2TimeCost: int(1, 10).default(2),
  /** Parallel argon2 hashes (default: the number of cores) and how many may wait before 503. */
  hashConcurrency: int(1, 64).optional(),
  hashQueueLimit: int(0, 10_000).optional(),
  /** Per-IP limits per minute on the unauthenticated sign-in steps. */
  rateLimitPasswordPerMinute: int(1, 1_000_000).default(30),
  rateLimitCodePerMinute: int(1, 1_000_000).default(60),
  /** Largest request body in bytes. */
  bodyLimitBytes: int(1024, 1_048_576).default(16_384),
})

export type Config = Readonly<z.infer<typeof configSchema>>

/** Environment variable for each key: `publicUrl` ↔ `COUNTERSIGN_PUBLIC_URL`. */
export function envName(key: string): string {
  return `COUNTERSIGN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** The configuration table of the README, generated from the schema's keys. */
export const configKeys = Object.keys(configSchema.shape) as Array<keyof z.infer<typeof configSchema>>
