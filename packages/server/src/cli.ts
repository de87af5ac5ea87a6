import { parseArgs } from 'node:util'
import { createInterface } from 'node:readline/promises'
import { loadConfig, ConfigError } from './config/load-config.js'
import { createDemo } from './demo.js'
import { CountersignError } from './domain/errors.js'
import { usernameKey } from './domain/username.js'
import { LOCK_AFTER_FAILURES } from './domain/lockout.js'
import { buildApp } from './http/app.js'
import { createContext, startHousekeeping } from './main.js'
import { loadSigningKeys, retireSigningKey, rotateSigningKey } from './oidc/keys.js'
import { createApiToken, createStaff } from './use-cases/administration.js'
import { recordEvent } from './use-cases/audit.js'

const usage = `countersign <command>

  serve                         run the server (the default)
  migrate                       create or upgrade the database, then exit
  create-staff --username U --email E [--no-two-factor]
                                create a staff user; the password is read from
                                COUNTERSIGN_STAFF_PASSWORD or asked for
  token create --name N [--organisation SLUG]
                                print a new admin API token (shown once)
  unlock <username>             unlock an account locked by wrong codes
  oidc keys                     list the OpenID Connect signing keys (newest signs)
  oidc rotate-key               add a new signing key; it signs after the next restart,
                                the older ones keep verifying until retired
  oidc retire-key <kid>         remove an older key: tokens it signed stop verifying
`

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv
  if (command === '--help' || command === 'help') {
    process.stdout.write(usage)
    return 0
  }
  const staffPassword = process.env.COUNTERSIGN_STAFF_PASSWORD
  delete process.env.COUNTERSIGN_STAFF_PASSWORD
  const config = loadConfig()
  const { ctx, attention } = await createContext(config)
  const meta = { ip: null, userAgent: 'countersign-cli', language: 'en' as const }
  switch (command) {
    case 'serve': {
      for (const line of attention) console.error(line)
      const demo = config.demo ?? config.env !== 'production'
      if (demo) {
        const lines = await createDemo(ctx)
        if (lines) for (const line of lines) console.log(line)
      }
      const app = await buildApp(ctx, { log: true })
      const stopHousekeeping = startHousekeeping(ctx)
      const shutdown = async (signal: string) => {
        app.log.info({ signal }, 'shutting down')
        stopHousekeeping()
        await app.close()
        await ctx.notifier.close()
        await ctx.store.close()
        process.exit(0)
      }
      process.once('SIGINT', () => void shutdown('SIGINT'))
      process.once('SIGTERM', () => void shutdown('SIGTERM'))
      await app.listen({ host: config.host, port: config.port })
      console.log(`Countersign is listening on http://${config.host}:${(app.server.address() as { port: number }).port} (public URL ${config.publicUrl})`)
      return -1
    }
    case 'migrate':
      console.log('database is up to date')
      await ctx.store.close()
      return 0
    case 'create-staff': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' }, email: { type: 'string' }, 'no-two-factor': { type: 'boolean' } } })
      if (!values.username || !values.email) throw new ConfigError('create-staff needs --username and --email')
      const password = staffPassword ?? (await ask('Password for the new staff user: '))
      const { CreateStaffBody } = await import('@countersign/protocol')
      const body = CreateStaffBody.parse({ username: values.username, email: values.email, password, twoFactor: !values['no-two-factor'] })
      const user = await createStaff(ctx, null, body, meta)
      console.log(`created staff user ${user.username} (${user.id}); two-factor ${user.staffTwoFactor ? 'on' : 'off'}`)
      await ctx.store.close()
      return 0
    }
    case 'token': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' }, organisation: { type: 'string' } } })
      if (positionals[0] !== 'create' || !values.name) throw new ConfigError('usage: countersign token create --name N [--organisation SLUG]')
      const token = await createApiToken(ctx, { name: values.name, organisationSlug: values.organisation, createdBy: 'cli' })
      console.log(token.token)
      await ctx.store.close()
      return 0
    }
    case 'unlock': {
      const username = rest[0]
      if (!username) throw new ConfigError('usage: countersign unlock <username>')
      const account = await ctx.store.accounts.getByUsername(usernameKey(username))
      if (!account) throw new ConfigError(`no user ${username}`)
      await ctx.store.lockouts.unlock(account.id, LOCK_AFTER_FAILURES)
      await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'account.unlocked', organisationId: account.organisationId, accountId: account.id, actor: 'cli', reason: 'admin_unlock' })
      console.log(`unlocked ${account.username}`)
      await ctx.store.close()
      return 0
    }
    case 'oidc': {
      const [action, kid] = rest
      if (action === 'keys') {
        await loadSigningKeys(ctx)
        for (const key of await ctx.store.oidc.listKeys()) console.log(`${key.kid}  ${key.createdAt.toISOString()}`)
      } else if (action === 'rotate-key') {
        await loadSigningKeys(ctx)
        const added = await rotateSigningKey(ctx)
        await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'oidc_key.rotated', organisationId: null, actor: 'cli', details: { kid: added } })
        console.log(`${added} added; restart every instance so that it signs with it`)
      } else if (action === 'retire-key' && kid) {
        if (!(await retireSigningKey(ctx, kid))) throw new ConfigError(`no key ${kid}`)
        await recordEvent(ctx.store, ctx.clock.now(), meta, { event: 'oidc_key.retired', organisationId: null, actor: 'cli', details: { kid } })
        console.log(`${kid} retired`)
      } else {
        throw new ConfigError('usage: countersign oidc keys | rotate-key | retire-key <kid>')
      }
      await ctx.store.close()
      return 0
    }
    default:
      process.stderr.write(usage)
      return 2
  }
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return await rl.question(question)
  } finally {
    rl.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`countersign: ${error.message}`)
    else if (error instanceof CountersignError) console.error(`countersign: ${error.code} ${error.field ?? ''} ${error.message}`)
    else if (error && typeof error === 'object' && 'issues' in error) console.error(`countersign: ${(error as { issues: Array<{ path: unknown[]; message: string }> }).issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    else console.error(error)
    process.exit(1)
  },
)
