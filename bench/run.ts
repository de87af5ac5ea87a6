// Countersign load benchmark: password step, TOTP step, whole sign-ins and overload, against a real
// server started here on a fresh SQLite database. Loopback only; every process it starts is
// stopped when it ends, fails or is interrupted. `npm run bench -- --help` for the options.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Client } from './lib/http.js'
import { inParallel, Recorder, round, summarise, type RunResult } from './lib/load.js'
import { sampleProcess, waitQuiet } from './lib/procfs.js'
import { markdown, type OverloadResult, type Report } from './lib/report.js'
import { runFlows, runPasswordSteps, runTotpSteps, statusLabel, type PooledFlow } from './lib/scenarios.js'
import { freePort, killAllServers, startServer, type RunningServer } from './lib/server.js'
import { timeStep } from './lib/totp.js'
import { createOrganisation, mintFlow, provisionUser, UserGroup, type BenchUser } from './lib/users.js'

const usage = `npm run bench -- [options]

  --duration S         seconds per measured run (default 10)
  --full               also run concurrency 64 (default: 1 and 16)
  --json               print JSON instead of markdown
  --out FILE           also write the JSON report to FILE
  --pin / --no-pin     pin the server to CPU 0 and this process to CPU 1 (default: on when
                       taskset exists and there are at least 2 CPUs)
  --users N            users for the password, whole-flow and overload runs (default: enough
                       for 120 flows/s per server core, each user signing in once per 30 s step)
  --pool N             flows opened in advance for each TOTP run (default 400; one user each)
  --overload-concurrency N   concurrent password steps in the overload run (default 64)
  --queue-limit N      COUNTERSIGN_HASH_QUEUE_LIMIT for the overload run (default 4)
  --only LIST          comma-separated subset of: password,totp,flow,overload (default: all)
  --quiet-wait S       before each run, wait up to S seconds for other processes to leave the
                       CPU idle (default 10; 0 = do not wait)
  --cli PATH           the server's cli.js to measure (default packages/server/dist/cli.js)
  --build              rebuild the server first (it is built anyway when dist/ is missing)
  --cpu-prof DIR       write a V8 CPU profile of the measured server into DIR
  --db-dir DIR         where the temporary database and data directory go (default: the OS temp
                       dir; /dev/shm shows what the figures would be without the cost of fsync)
  --instances N        measure N server processes on one database, requests round-robin
                       between them (PostgreSQL: --set COUNTERSIGN_DATABASE_URL=postgres://…);
                       turns pinning off; CPU and RSS figures are the first instance's
  --set NAME=VALUE     an extra server setting, e.g. --set COUNTERSIGN_SQLITE_SYNCHRONOUS=normal
                       (repeatable; reported with the figures)
  --no-peer            skip the side-by-side run against Better Auth (bench/peer.ts), which
                       otherwise follows: the same whole-flow load against both servers in
                       alternating rounds, Better Auth installed from npm into a temporary folder
  --peer-rounds N      rounds of the side-by-side run (default 3; the ratio is their median)
`

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'packages/server/dist/cli.js')
const PROVISION_CONCURRENCY = 8
const TOTP_WARMUP = 30
const REFUSAL_FAST_MS = 50

interface Options {
  durationMs: number
  concurrencies: number[]
  json: boolean
  out: string | undefined
  pin: boolean
  users: number | undefined
  pool: number
  overloadConcurrency: number
  queueLimit: number
  scenarios: Set<string>
  quietWaitMs: number
  build: boolean
  cpuProfDir: string | undefined
  dbDir: string
  cli: string
  extraSettings: Record<string, string>
  instances: number
  /** Then the side-by-side run against Better Auth (bench/peer.ts). */
  peer: boolean
  peerRounds: number
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      users: { type: 'string' },
      pool: { type: 'string', default: '400' },
      'overload-concurrency': { type: 'string', default: '64' },
      'queue-limit': { type: 'string', default: '4' },
      only: { type: 'string', default: 'password,totp,flow,overload' },
      'quiet-wait': { type: 'string', default: '10' },
      build: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'db-dir': { type: 'string' },
      cli: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      instances: { type: 'string', default: '1' },
      'no-peer': { type: 'boolean', default: false },
      'peer-rounds': { type: 'string', default: '3' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const nonNegativeInteger = (name: string, text: string) => {
    const value = Number(text)
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0`)
    return value
  }
  const positive = (name: string, text: string) => {
    const value = Number(text)
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
    return value
  }
  return {
    durationMs: positive('duration', values.duration) * 1000,
    concurrencies: values.full ? [1, 16, 64] : [1, 16],
    json: values.json,
    out: values.out,
    pin: !values['no-pin'],
    users: values.users === undefined ? undefined : Math.ceil(positive('users', values.users)),
    pool: Math.ceil(positive('pool', values.pool)),
    overloadConcurrency: Math.ceil(positive('overload-concurrency', values['overload-concurrency'])),
    queueLimit: nonNegativeInteger('queue-limit', values['queue-limit']),
    scenarios: parseScenarios(values.only),
    quietWaitMs: nonNegativeInteger('quiet-wait', values['quiet-wait']) * 1000,
    build: values.build,
    cpuProfDir: values['cpu-prof'],
    dbDir: values['db-dir'] ?? tmpdir(),
    cli: values.cli ?? CLI,
    instances: Math.ceil(positive('instances', values.instances)),
    // The side-by-side run measures the default setup; with other settings or instances it would compare unlike things.
    peer: !values['no-peer'] && values.set.length === 0 && values.instances === '1' && !values['cpu-prof'],
    peerRounds: Math.ceil(positive('peer-rounds', values['peer-rounds'])),
    extraSettings: Object.fromEntries(
      (values.set ?? []).map((pair) => {
        const match = /^(COUNTERSIGN_[A-Z0-9_]+)=(.*)$/.exec(pair)
        if (!match) throw new Error(`--set wants COUNTERSIGN_NAME=value, not ${pair}`)
        return [match[1]!, match[2]!]
      }),
    ),
  }
}

const SCENARIOS = ['password', 'totp', 'flow', 'overload']

function parseScenarios(list: string): Set<string> {
  const chosen = new Set(list.split(',').map((name) => name.trim()).filter(Boolean))
  for (const name of chosen) if (!SCENARIOS.includes(name)) throw new Error(`--only: unknown scenario ${name} (${SCENARIOS.join(', ')})`)
  return chosen
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

function ensureBuilt(force: boolean): void {
  if (existsSync(CLI) && !force) return
  log('building the server (npm run build)')
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] })
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** All threads of this process onto one CPU, away from the server's. */
function pinSelf(core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' })
}


interface Provisioned {
  flowUsers: BenchUser[]
  totpPools: PooledFlow[][]
  seconds: number
}

/**
 * Users and TOTP pools, made on a server that may use every core (argon2 dominates and would
 * take minutes on one). Each TOTP pool has users of its own, and the whole-flow users are a third
 * set, so no run finds its users' current time step already used by an earlier run.
 */
async function provision(input: { origin: string; adminToken: string; flowUsers: number; pools: number; poolSize: number }): Promise<Provisioned> {
  const started = performance.now()
  const client = new Client(input.origin, PROVISION_CONCURRENCY)
  try {
    const organisationId = await createOrganisation(client, input.adminToken)
    const total = input.pools * input.poolSize + input.flowUsers
    let done = 0
    const users = await inParallel(total, PROVISION_CONCURRENCY, async (index) => {
      const user = await provisionUser(client, { adminToken: input.adminToken, organisationId, origin: input.origin, index })
      if (++done % 200 === 0) log(`  ${done}/${total} users`)
      return user
    })
    const poolUsers = users.slice(0, input.pools * input.poolSize)
    log(`opening ${poolUsers.length} flows for the TOTP runs`)
    const flowIds = await inParallel(poolUsers.length, PROVISION_CONCURRENCY, (i) => mintFlow(client, poolUsers[i]!))
    const pooled = poolUsers.map((user, i) => ({ user, flowId: flowIds[i]! }))
    const totpPools = Array.from({ length: input.pools }, (_, p) => pooled.slice(p * input.poolSize, (p + 1) * input.poolSize))
    return { flowUsers: users.slice(poolUsers.length), totpPools, seconds: round((performance.now() - started) / 1000, 1) }
  } finally {
    client.close()
  }
}

async function overloadRun(input: { server: RunningServer; group: UserGroup; concurrency: number; durationMs: number; queueLimit: number }): Promise<OverloadResult> {
  const client = new Client(input.server.origin, input.concurrency)
  try {
    const recorder = new Recorder()
    const refusedUsers = new Set<BenchUser>()
    const run = await runPasswordSteps({
      client,
      group: input.group,
      concurrency: input.concurrency,
      durationMs: input.durationMs,
      serverPid: input.server.pid,
      scenario: 'overload: password step',
      recorder,
      onAnswer: (user, answer) => answer.status === 503 && refusedUsers.add(user),
    })
    const refusalMs = recorder.latencies.get('503 refusals') ?? []
    const answered = Object.entries(run.statuses).reduce((sum, [label, count]) => (label === 'error' ? sum : sum + count), 0)
    const refused = run.statuses['503 OVERLOADED'] ?? 0
    const refusalSamples = run.parts['503 refusals']
    await sleep(2000) // let the hash queue drain
    const afterwards: Record<string, number> = {}
    for (const user of [...refusedUsers].slice(0, 20)) {
      const answer = await client.request('POST', '/api/v1/sign-in/password', { json: { username: user.username, password: user.password } })
      const label = statusLabel(answer)
      afterwards[label] = (afterwards[label] ?? 0) + 1
    }
    return {
      run,
      queueLimit: input.queueLimit,
      share503: answered ? refused / answered : 0,
      share503Within50ms: refusalMs.length ? refusalMs.filter((ms) => ms <= REFUSAL_FAST_MS).length / refusalMs.length : 0,
      refusals: refusalSamples ?? summarise([]),
      afterwards,
    }
  } finally {
    client.close()
  }
}

function targetsFor(report: Omit<Report, 'targets'>): Report['targets'] {
  const cores = report.setup.serverCores
  const targets: Report['targets'] = []
  const runsOf = (scenario: string) => report.runs.filter((run) => run.scenario === scenario)
  const perCore = (scenario: string, goal: number, label: string) => {
    if (!runsOf(scenario).length) return
    const best = Math.max(...runsOf(scenario).map((run) => run.opsPerSecond)) / cores
    targets.push({ figure: `${scenario}s/s per core (best run)`, measured: best.toFixed(1), target: label, met: best >= goal })
  }
  perCore('password step', 25, '≥ 25 (argon2id 19 MiB, t=2)')
  perCore('TOTP step', 500, '≥ 500')
  for (const scenario of ['password step', 'TOTP step', 'whole flow']) {
    const run = runsOf(scenario).find((candidate) => candidate.concurrency === 1)
    if (run) targets.push({ figure: `p99 at concurrency 1, ${scenario}`, measured: `${run.latency.p99?.toFixed(1)} ms`, target: '≤ 90 ms', met: (run.latency.p99 ?? Infinity) <= 90 })
  }
  if (report.runs.length) targets.push({ figure: 'RSS peak under load', measured: `${report.rssPeakMiB.toFixed(1)} MiB (at rest ${report.rssAtRestMiB.toFixed(1)})`, target: '≤ 150 MiB', met: report.rssPeakMiB <= 150 })
  const overload = report.overload
  if (overload) {
    targets.push({
      figure: `overload: 503 OVERLOADED within ${REFUSAL_FAST_MS} ms`,
      measured: `${(100 * overload.share503Within50ms).toFixed(1)} % of ${overload.run.statuses['503 OVERLOADED'] ?? 0} (p99 ${overload.refusals.p99?.toFixed(1)} ms)`,
      target: 'fast refusals past the hashing capacity (≥ 99 %)',
      met: overload.share503 > 0 && overload.share503Within50ms >= 0.99,
    })
  }
  return targets
}

/** The commit measured, and whether the server's sources differ from it. */
function revision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${commit} with uncommitted changes in packages/` : commit
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<void> {
  const options = parseOptions()
  if (options.cli === CLI) ensureBuilt(options.build)
  const pinned = options.pin && options.instances === 1 && hasTaskset() && cpus().length >= 2
  const serverCores = pinned ? 1 : cpus().length
  const dir = mkdtempSync(join(options.dbDir, 'countersign-bench-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

  const port = await freePort()
  const adminToken = randomBytes(24).toString('hex')
  const settings: Record<string, string> = {
    COUNTERSIGN_PORT: String(port),
    COUNTERSIGN_HOST: '127.0.0.1',
    COUNTERSIGN_PUBLIC_URL: `http://127.0.0.1:${port}`,
    COUNTERSIGN_DATABASE_URL: `sqlite:${join(dir, 'countersign.db')}`,
    COUNTERSIGN_DATA_DIR: dir,
    COUNTERSIGN_DEMO: '0',
    COUNTERSIGN_ADMIN_TOKEN: adminToken,
    COUNTERSIGN_LOG_LEVEL: 'warn',
    // Throughput runs come from one address: the per-IP limits would cap them at 30 and 60 a minute.
    COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '1000000',
    COUNTERSIGN_RATE_LIMIT_CODE_PER_MINUTE: '1000000',
    ...options.extraSettings,
  }
  const levels = options.concurrencies
  const wants = (scenario: string) => options.scenarios.has(scenario)
  const pools = wants('totp') ? levels.length : 0
  // Each user signs in at most once per 30 s step: enough users for the whole-flow runs at up to
  // 120 flows/s per server core (the machine has done 112; in the morning of 2026-11-25 it did 45).
  const flowSeconds = wants('flow') ? Math.min(30, (options.durationMs / 1000) * levels.length) : 0
  const flowUsers = options.users ?? Math.max(options.overloadConcurrency, Math.max(...levels), Math.ceil(120 * serverCores * flowSeconds))

  log(`provisioning ${flowUsers + pools * options.pool} users on an unpinned server`)
  let server = await startServer({ cli: options.cli, port, settings, pinCore: null })
  const provisioned = await provision({ origin: server.origin, adminToken, flowUsers, pools, poolSize: options.pool }).finally(() => server.stop())
  const group = new UserGroup(provisioned.flowUsers)
  // After the TOTP runs, their users can sign in again from the next time step on.
  const flowGroup = new UserGroup([...provisioned.flowUsers, ...provisioned.totpPools.flat().map((entry) => entry.user)])
  log(`provisioned in ${provisioned.seconds} s`)
  if (pinned) pinSelf(1)

  const runs: RunResult[] = []
  let rssAtRestMiB = 0
  if (wants('password') || wants('totp') || wants('flow')) {
    server = await startServer({
      cli: options.cli,
      port,
      settings,
      pinCore: pinned ? 0 : null,
      extraNodeArgs: options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [],
    })
    const others: RunningServer[] = []
    try {
      for (let i = 1; i < options.instances; i++) {
        const otherPort = await freePort()
        others.push(await startServer({ cli: options.cli, port: otherPort, settings: { ...settings, COUNTERSIGN_PORT: String(otherPort) }, pinCore: null }))
      }
      await sleep(1500)
      rssAtRestMiB = round(sampleProcess(server.pid)?.rssMiB ?? 0, 1)
      runs.push(...(await measuredRuns({ server, others, group, flowGroup, pools: provisioned.totpPools, options, wants })))
    } finally {
      for (const other of others) await other.stop()
      await server.stop()
    }
  }

  let overload: OverloadResult | null = null
  if (wants('overload')) {
    server = await startServer({ cli: options.cli, port, settings: { ...settings, COUNTERSIGN_HASH_QUEUE_LIMIT: String(options.queueLimit) }, pinCore: pinned ? 0 : null })
    try {
      await sleep(1000)
      await quiet(server, options)
      log(`overload: ${options.overloadConcurrency} concurrent password steps, hash queue limit ${options.queueLimit}`)
      overload = await overloadRun({ server, group, concurrency: options.overloadConcurrency, durationMs: options.durationMs, queueLimit: options.queueLimit })
    } finally {
      await server.stop()
    }
  }

  const withoutTargets: Omit<Report, 'targets'> = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, kernel: release(), date: new Date().toISOString(), revision: revision() },
    setup: {
      pinned,
      serverCores,
      argon2: 'argon2id m=19456 KiB, t=2, p=1 (server defaults)',
      durationSeconds: options.durationMs / 1000,
      users: provisioned.flowUsers.length + provisioned.totpPools.flat().length,
      totpPoolPerRun: options.pool,
      provisioningSeconds: provisioned.seconds,
      databaseDir: options.dbDir,
      settings: Object.fromEntries(Object.entries({ ...settings, COUNTERSIGN_INSTANCES: String(options.instances) }).filter(([name]) => !/ADMIN_TOKEN|PORT|URL|DIR/.test(name))),
    },
    rssAtRestMiB,
    rssPeakMiB: Math.max(0, ...runs.map((run) => run.server.rssPeakMiB)),
    runs,
    overload,
  }
  const report: Report = { ...withoutTargets, targets: targetsFor(withoutTargets) }
  // One command answers it all (issue 8): our figures, then the same load against the peer.
  const peer = options.peer ? await sideBySide(options) : null
  const full = peer ? { ...report, peer } : report
  if (options.out) writeFileSync(options.out, `${JSON.stringify(full, null, 2)}\n`)
  process.stdout.write(options.json ? `${JSON.stringify(full, null, 2)}\n` : `${markdown(report)}\n${peer ? `\n## Side by side with Better Auth\n\n${peer.markdown}\n` : ''}`)
}

/** bench/peer.ts as a child, in JSON: whole flows against Better Auth and against us, alternating rounds. */
function sideBySide(options: Options): Promise<{ markdown: string } & Record<string, unknown>> {
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'peer.ts'), '--json', '--rounds', String(options.peerRounds), '--quiet-wait', String(options.quietWaitMs / 1000)]
  if (options.concurrencies.includes(64)) args.push('--concurrency', '1,16,64')
  log(`side by side with Better Auth: node ${args.join(' ')}`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`bench/peer.ts exited with ${code ?? signal}`))
      try {
        resolve(JSON.parse(stdout) as { markdown: string })
      } catch (error) {
        reject(new Error(`bench/peer.ts did not print JSON: ${String(error)}`))
      }
    })
  })
}

async function quiet(server: RunningServer, options: Options): Promise<void> {
  if (options.quietWaitMs === 0) return
  const others = await waitQuiet([server.pid, process.pid], options.quietWaitMs)
  if (others >= 0.15) log(`  other processes are using ${others.toFixed(2)} cores; measuring anyway`)
}

/**
 * Linking a device uses its time step, so a pool whose users linked in the current step would
 * have nothing to send until the next one (only with short runs right after provisioning).
 */
async function stepAfterLinking(pool: PooledFlow[]): Promise<void> {
  const linked = Math.max(0, ...pool.map((entry) => entry.user.lastStep))
  if (timeStep() > linked) return
  log(`  waiting for the next 30 s time step (this pool's devices were linked in the current one)`)
  while (timeStep() <= linked) await sleep(250)
}

/** Password, TOTP and whole-flow runs at each concurrency, on one server. */
async function measuredRuns(input: {
  server: RunningServer
  /** More instances on the same database: requests alternate between all of them. */
  others: RunningServer[]
  group: UserGroup
  flowGroup: UserGroup
  pools: PooledFlow[][]
  options: Options
  wants: (scenario: string) => boolean
}): Promise<RunResult[]> {
  const { server, group, options, wants } = input
  const levels = options.concurrencies
  const client = roundRobin([server, ...input.others].map((s) => new Client(s.origin, Math.max(...levels))))
  const base = { client, durationMs: options.durationMs, serverPid: server.pid }
  const runs: RunResult[] = []
  try {
    log('warming up (password steps, not counted)')
    await runPasswordSteps({ ...base, group, concurrency: 2, durationMs: 2000 })
    for (const concurrency of wants('password') ? levels : []) {
      await quiet(server, options)
      log(`password step, concurrency ${concurrency}`)
      runs.push(await runPasswordSteps({ ...base, group, concurrency }))
    }
    for (const [i, concurrency] of (wants('totp') ? levels : []).entries()) {
      const pool = input.pools[i]!
      await stepAfterLinking(pool)
      await quiet(server, options)
      log(`TOTP step, concurrency ${concurrency} (${pool.length - TOTP_WARMUP} flows after ${TOTP_WARMUP} warm-up)`)
      await runTotpSteps({ ...base, concurrency, pool: pool.slice(0, TOTP_WARMUP) })
      runs.push(await runTotpSteps({ ...base, concurrency, pool: pool.slice(TOTP_WARMUP) }))
    }
    for (const concurrency of wants('flow') ? levels : []) {
      await quiet(server, options)
      // Users linked in this very time step cannot sign in until the next one (RR-04): without the
      // password and TOTP runs first (`--only flow`), the run would idle waiting for them.
      const fresh = input.flowGroup.users.filter((user) => user.lastStep < timeStep()).length
      if (fresh < Math.max(concurrency, input.flowGroup.users.length / 2)) {
        log('  waiting for the next 30 s time step (most users were linked in the current one)')
        const step = timeStep()
        while (timeStep() <= step) await sleep(250)
      }
      log(`whole flow, concurrency ${concurrency}`)
      runs.push(await runFlows({ ...base, group: input.flowGroup, concurrency }))
    }
  } finally {
    client.close()
  }
  return runs
}

/** One client over several instances: each request goes to the next (a whole flow crosses them). */
function roundRobin(clients: Client[]): Client {
  if (clients.length === 1) return clients[0]!
  let next = 0
  return {
    request: (method: string, path: string, options?: Parameters<Client['request']>[2]) => clients[next++ % clients.length]!.request(method, path, options),
    close: () => clients.forEach((c) => c.close()),
  } as unknown as Client
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllServers()
    process.exit(130)
  })
}
process.on('exit', killAllServers)

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  killAllServers()
  process.exitCode = 1
})
