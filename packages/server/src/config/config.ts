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
  /**
   * Forward auth: the parent domain the session cookie is shared with (`example.com` covers
   * `auth.example.com` and `app.example.com`), so a proxy's auth request carries it. Unset: a
   * host-only cookie (`__Host-` on https). Set: `Domain=` and the `__Secure-` prefix on https.
   */
  cookieDomain: z
    .string()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/, 'must be a domain name such as example.com')
    .optional(),
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
  /** The built Countersign Authenticator served at `/app/` (`packages/authenticator/dist` by default). */
  appDir: z.string().optional(),
  /** `base64` or `id:base64[,id:base64…]` (first one seals): 32-byte keys for secrets at rest. */
  secretsKey: z.string().min(32).optional(),
  /**
   * Unset: e-mail goes to the development outbox. `smtp://user:pass@host:587` upgrades with
   * STARTTLS when the server offers it; `smtps://…:465` is TLS from the start; `?requireTLS=true`
   * refuses to send without STARTTLS.
   */
  smtpUrl: z.url({ protocol: /^smtps?$/ }).optional(),
  /** The sender of every e-mail, e.g. `Countersign <no-reply@example.com>`. */
  smtpFrom: z.string().min(3).max(200).default('Countersign <no-reply@countersign.invalid>'),
  /** Where text messages go (F-OTP-5): the development `outbox`, Twilio's Messages API, or a signed JSON `webhook`. */
  smsProvider: z.enum(['outbox', 'twilio', 'webhook']).default('outbox'),
  /** Twilio: the account SID (`AC…`), its auth token, and the sending number (E.164) or Messaging Service SID (`MG…`). */
  twilioAccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional(),
  twilioAuthToken: z.string().min(16).optional(),
  twilioFrom: z.string().regex(/^(\+[1-9][0-9]{7,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID').optional(),
  /** Twilio's API base URL; tests point it at a local server that speaks the same API. */
  twilioBaseUrl: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  /** Webhook SMS: the URL that receives `{"to","text"}` and the secret that signs it (HMAC-SHA-256 over timestamp and body). */
  smsWebhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  smsWebhookSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long one provider call (SMS API, webhook, SMTP) may take before it counts as failed. */
  deliveryTimeoutMs: int(500, 120_000).default(10_000),
  /** Codes sent (SMS and e-mail) per organisation per day, so nobody can run up the SMS bill (BF-11). */
  codeSendsPerOrganisationPerDay: int(1, 10_000_000).default(2000),
  /**
   * Web Push to the Countersign Authenticator (RFC 8292): the contact the push services may reach,
   * an https URL or `mailto:` (default: the public URL when it is https).
   */
  pushSubject: z.string().regex(/^(https:\/\/|mailto:)\S+$/, 'must be an https: URL or a mailto: address').optional(),
  /** A PEM file of extra CA certificates trusted for push services (a private relay; tests). */
  pushCaFile: z.string().min(1).optional(),
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
  /** "Forgot your password?" requests per IP per minute, before anything is looked up (issue 17). */
  rateLimitPasswordResetPerMinute: int(1, 1_000_000).default(5),
  /** Requests to the OpenID Connect token endpoint per IP per minute (issue 22): code and refresh guessing. */
  rateLimitOidcTokenPerMinute: int(1, 1_000_000).default(120),
  /** Largest request body in bytes. */
  bodyLimitBytes: int(1024, 1_048_576).default(16_384),
}).superRefine((config, issue) => {
  // A browser drops a cookie whose Domain does not cover the host that sets it (RFC 6265 §5.3).
  const host = new URL(config.publicUrl).hostname
  if (config.cookieDomain !== undefined && host !== config.cookieDomain && !host.endsWith(`.${config.cookieDomain}`)) {
    issue.addIssue({ code: 'custom', path: ['cookieDomain'], message: `must be the public URL's host (${host}) or a parent domain of it` })
  }
})

export type Config = Readonly<z.infer<typeof configSchema>>

/** Environment variable for each key: `publicUrl` ↔ `COUNTERSIGN_PUBLIC_URL`. */
export function envName(key: string): string {
  return `COUNTERSIGN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** The configuration table of the README, generated from the schema's keys. */
export const configKeys = Object.keys(configSchema.shape) as Array<keyof z.infer<typeof configSchema>>
