import { readFileSync } from 'node:fs'
import { configKeys, configSchema, envName, type Config } from './config.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Reads `COUNTERSIGN_*` variables (and the JSON file named by `COUNTERSIGN_CONFIG`, which the
 * variables override), validates them, and freezes the result. A bad value stops the start with
 * one line naming the key and where it came from.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  const source: Record<string, string> = {}
  const file = env.COUNTERSIGN_CONFIG
  if (file) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ConfigError(`COUNTERSIGN_CONFIG: cannot read ${file}: ${(error as Error).message}`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`COUNTERSIGN_CONFIG: ${file} must hold a JSON object`)
    }
    for (const [key, value] of Object.entries(parsed)) {
      raw[key] = value
      source[key] = file
    }
  }
  for (const key of configKeys) {
    const value = env[envName(key)]
    if (value !== undefined && value !== '') {
      raw[key] = value
      source[key] = envName(key)
    }
  }
  const known = new Set<string>(configKeys)
  for (const name of Object.keys(env)) {
    if (!name.startsWith('COUNTERSIGN_') || name === 'COUNTERSIGN_CONFIG') continue
    if (!configKeys.some((key) => envName(key) === name)) throw new ConfigError(`${name}: unknown setting`)
  }
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new ConfigError(`${source[key]}: unknown setting "${key}"`)
  }
  const result = configSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const key = String(issue.path[0] ?? '')
    throw new ConfigError(`${source[key] ?? envName(key)}: ${issue.message}`)
  }
  return Object.freeze(result.data)
}

/** Lines that start with `attention:` for every default production must change (oidc-provider's mustChange). */
export function attentionLines(config: Config, generatedKeyFile: string | null): string[] {
  const lines: string[] = []
  if (generatedKeyFile) {
    lines.push(`attention: no COUNTERSIGN_SECRETS_KEY; secrets are sealed with a development key in ${generatedKeyFile}. Set the key in production.`)
  }
  const production = config.env === 'production'
  if (!config.smtpUrl) lines.push(production ? 'attention: no COUNTERSIGN_SMTP_URL; e-mail codes and security e-mails cannot be sent (no outbox in production).' : 'attention: no COUNTERSIGN_SMTP_URL; e-mail goes to the development outbox at /dev/outbox.')
  if (config.smsProvider === 'outbox') lines.push(production ? 'attention: no SMS provider (COUNTERSIGN_SMS_PROVIDER); text messages cannot be sent (no outbox in production).' : 'attention: COUNTERSIGN_SMS_PROVIDER=outbox; text messages go to the development outbox.')
  if (!config.publicUrl.startsWith('https://')) lines.push(`attention: COUNTERSIGN_PUBLIC_URL is ${config.publicUrl}; use https in production (Secure and __Host- cookies, HSTS).`)
  if (config.argon2MemoryKib < 19456 || config.argon2TimeCost < 2) lines.push('attention: argon2id parameters are below OWASP\'s minimum (19456 KiB, t=2).')
  return lines
}
