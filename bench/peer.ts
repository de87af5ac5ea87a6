// Side by side with a peer (issue 8): whole sign-ins (password, then TOTP) against Better Auth and
// against Countersign, with the same load, the same figures and in the same run, so the ratio holds
// on a machine whose speed drifts. The peer is installed from npm at bench time into a temporary
// folder outside the repository (its harness is read from shared/peers/better-auth); Countersign is
// measured by `bench/run.ts --only flow --json` as a child. Loopback only; every process started
// here is stopped when it ends, fails or is interrupted.
//
//   node --import tsx bench/peer.ts [--duration 8] [--concurrency 1,16]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Client, cookieValue, type Answer } from './lib/http.js'
import { inParallel, measure, Recorder, round, type Outcome, type RunResult } from './lib/load.js'
import { sampleProcess, waitQuiet } from './lib/procfs.js'
import type { Report } from './lib/report.js'
import { freePort, launch, type RunningServer } from './lib/server.js'
import { base32Decode, hotp, timeStep } from './lib/totp.js'

const usage = `node --import tsx bench/peer.ts [options]

  --duration S         seconds per measured run, for both servers (default 8)
  --concurrency LIST   comma-separated closed-loop concurrencies, from 1, 16 and 64 (default 1,16)
  --users N            Better Auth users to provision (default 64)
  --peer-dir DIR       where the peer is installed from npm (default \${TMPDIR:-/tmp}/countersign-peer-node<ABI>,
                       one per Node ABI, since its native addon is built for one; reused when there)
  --rounds N           measure both servers N times, alternating which goes first, and report
                       every round and the median ratio (default 1)
  --quiet-wait S       before each run, wait up to S seconds for other processes to leave the CPU
                       idle (default 10; 0 = do not wait)
  --json               print the figures and the table as JSON (what npm run bench reads)
`

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PEER_SOURCE = join(ROOT, '..', 'shared', 'peers', 'better-auth')
const PASSWORD = 'correct horse battery staple 42'
const LEVELS = [1, 16, 64]

const children = new Set<ChildProcess>()
let stopping = false

function log(message: string): void {
  process.stderr.write(`[peer] ${message}\n`)
}

function killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
}

// run.ts stops its own servers on SIGTERM, so it gets SIGTERM; the peer server is killed outright.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`)
    stopping = true
    killAll('SIGTERM')
    const giveUpAt = performance.now() + 3000
    const poll = setInterval(() => {
      const running = [...children].some((child) => child.exitCode === null && child.signalCode === null)
      if (running && performance.now() < giveUpAt) return
      clearInterval(poll)
      killAll('SIGKILL')
      process.exit(130)
    }, 100)
  })
}
process.on('exit', () => killAll('SIGKILL'))

interface Options {
  durationS: number
  concurrencies: number[]
  users: number
  peerDir: string
  quietWaitS: number
  rounds: number
  /** Print JSON (the figures and the markdown table) instead of the table alone: `npm run bench` reads it. */
  json: boolean
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '1,16' },
      users: { type: 'string', default: '64' },
      'peer-dir': { type: 'string' },
      'quiet-wait': { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(usage)
    process.exit(0)
  }
  const durationS = Number(values.duration)
  if (!Number.isFinite(durationS) || durationS <= 0) throw new Error('--duration must be a positive number')
  const concurrencies = [...new Set(values.concurrency.split(',').map((text) => Number(text.trim())))].sort((a, b) => a - b)
  for (const level of concurrencies) {
    // run.ts measures 1 and 16, and 64 with --full; the peer is measured at the same levels.
    if (!LEVELS.includes(level)) throw new Error(`--concurrency takes values from ${LEVELS.join(', ')}, not ${level}`)
  }
  const users = Number(values.users)
  if (!Number.isInteger(users) || users < Math.max(...concurrencies)) throw new Error('--users must be a whole number ≥ the highest concurrency')
  const quietWaitS = Number(values['quiet-wait'])
  if (!Number.isFinite(quietWaitS) || quietWaitS < 0) throw new Error('--quiet-wait must be ≥ 0')
  const rounds = Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number ≥ 1')
  return { durationS, concurrencies, users, peerDir: values['peer-dir'] ?? join(tmpdir(), `countersign-peer-node${process.versions.modules}`), quietWaitS, rounds, json: values.json }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function pinSelf(cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(process.pid)], { stdio: 'ignore' })
}

/** Runs a command to its end, its output on our stderr; rejects on a non-zero exit. */
function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', process.stderr, process.stderr] })
    children.add(child)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      children.delete(child)
      if (code === 0) resolve()
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`))
    })
  })
}

// ---------------------------------------------------------------------------------------------
// The peer: installed from npm into a temporary folder, never into the repository.

function peerSource(): string {
  for (const dir of [process.env.PEER_BETTER_AUTH_DIR, PEER_SOURCE]) {
    if (dir && existsSync(join(dir, 'server.mjs')) && existsSync(join(dir, 'package.json'))) return dir
  }
  throw new Error(`the Better Auth harness (server.mjs, package.json) was not found in ${PEER_SOURCE}`)
}

async function installPeer(dir: string): Promise<{ versions: Record<string, string> }> {
  const source = peerSource()
  mkdirSync(dir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as Record<string, unknown>
  // npm 11 may hold back install scripts it was not told about; better-sqlite3 needs its own
  // (a prebuilt binary, or a compile when none fits).
  manifest.allowScripts = { 'better-sqlite3': true }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  copyFileSync(join(source, 'server.mjs'), join(dir, 'server.mjs'))
  const binding = join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
  if (!existsSync(join(dir, 'node_modules', 'better-auth')) || !existsSync(binding)) {
    log(`installing the peer from npm into ${dir} (better-sqlite3 may compile for a few minutes)`)
    await run('npm', ['install', '--no-audit', '--no-fund'], dir)
    if (!existsSync(binding)) {
      log('better-sqlite3 has no native binding yet: running its install script')
      await run('npm', ['rebuild', 'better-sqlite3'], dir)
    }
    if (!existsSync(binding)) throw new Error(`better-sqlite3 was not built in ${dir}`)
  } else {
    log(`reusing the peer installed in ${dir}`)
  }
  const versions: Record<string, string> = {}
  for (const name of ['better-auth', 'better-sqlite3', '@node-rs/argon2']) {
    versions[name] = (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  }
  return { versions }
}

type PeerServer = RunningServer

async function startPeer(dir: string, dbPath: string, pin: boolean): Promise<PeerServer> {
  const port = await freePort()
  const env = { ...process.env, HASH: 'argon2id', PORT: String(port), DB: dbPath }
  const [command, args] = pin ? ['taskset', ['-c', '0', process.execPath, 'server.mjs']] : [process.execPath, ['server.mjs']]
  return launch({ name: 'Better Auth', command, args, env, cwd: dir, ready: /"listening":"(http:\/\/127\.0\.0\.1:\d+)"/, onChild: (child) => children.add(child) })
}

// What shared/peers/better-auth/targets/better-auth.mjs does, over bench/lib/http.ts and our TOTP.

interface PeerUser {
  email: string
  key: Buffer
  busy: boolean
}

const totpNow = (key: Buffer) => hotp(key, timeStep())

function cookiePair(answer: Answer, name: string): string | undefined {
  const value = cookieValue(answer, name)
  return value === undefined ? undefined : `${name}=${value}`
}

function allCookies(answer: Answer): string {
  return (answer.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ')
}

async function createPeerUser(client: Client, origin: string, i: number, tag: string): Promise<PeerUser> {
  const email = `bench-${i}-${tag}@example.test`
  let answer = await client.request('POST', '/api/auth/sign-up/email', { json: { email, password: PASSWORD, name: `Bench ${i}` }, headers: { origin } })
  if (answer.status !== 200) throw new Error(`sign-up ${answer.status} ${answer.text.slice(0, 200)}`)
  const cookie = allCookies(answer)
  answer = await client.request('POST', '/api/auth/two-factor/enable', { json: { password: PASSWORD }, headers: { origin, cookie } })
  if (answer.status !== 200) throw new Error(`2fa enable ${answer.status} ${answer.text.slice(0, 200)}`)
  const uri = new URL((JSON.parse(answer.text) as { totpURI: string }).totpURI)
  const key = base32Decode(uri.searchParams.get('secret') ?? '')
  // The first TOTP verification with the session confirms enrolment (twoFactorEnabled = true).
  answer = await client.request('POST', '/api/auth/two-factor/verify-totp', { json: { code: totpNow(key) }, headers: { origin, cookie } })
  if (answer.status !== 200) throw new Error(`2fa confirm ${answer.status} ${answer.text.slice(0, 200)}`)
  return { email, key, busy: false }
}


/** Whole sign-ins against Better Auth: password, then TOTP with the challenge cookie; latency is the sum. */
function runPeerFlows(input: { client: Client; origin: string; users: PeerUser[]; concurrency: number; durationMs: number; serverPid: number }): Promise<RunResult> {
  const recorder = new Recorder()
  let next = 0
  // Round-robin over users not in flight (Better Auth has no per-step replay guard to respect).
  const take = (): PeerUser => {
    for (let tries = 0; tries < input.users.length; tries++) {
      const user = input.users[next++ % input.users.length]!
      if (!user.busy) {
        user.busy = true
        return user
      }
    }
    throw new Error('every user is in flight')
  }
  const headers = { origin: input.origin }
  return measure({
    scenario: 'whole flow (Better Auth)',
    concurrency: input.concurrency,
    durationMs: input.durationMs,
    serverPid: input.serverPid,
    recorder,
    async op(): Promise<Outcome> {
      const user = take()
      try {
        const first = await input.client.request('POST', '/api/auth/sign-in/email', { json: { email: user.email, password: PASSWORD }, headers })
        recorder.latency('password', first.ms)
        recorder.status(`password ${first.status}`)
        const challenge = cookiePair(first, 'better-auth.two_factor')
        if (first.status !== 200 || !challenge || !first.text.includes('"twoFactorRedirect":true')) {
          recorder.latency('op', first.ms)
          return 'fail'
        }
        const second = await input.client.request('POST', '/api/auth/two-factor/verify-totp', {
          json: { code: totpNow(user.key) },
          headers: { ...headers, cookie: challenge },
        })
        recorder.latency('totp', second.ms)
        recorder.latency('op', first.ms + second.ms)
        recorder.status(`totp ${second.status}`)
        return second.status === 200 && cookieValue(second, 'better-auth.session_token') !== undefined ? 'ok' : 'fail'
      } finally {
        user.busy = false
      }
    },
  })
}

interface Peer {
  versions: Record<string, string>
  rssAtRestMiB: number
  /** One run of whole flows at each concurrency. */
  round(): Promise<RunResult[]>
  stop(): Promise<void>
}

async function startPeerBench(options: Options, pinned: boolean): Promise<Peer> {
  const { versions } = await installPeer(options.peerDir)
  const dataDir = mkdtempSync(join(tmpdir(), 'countersign-peer-db-'))
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
  const server = await startPeer(options.peerDir, join(dataDir, 'ba.db'), pinned)
  const client = new Client(server.origin)
  const stop = async () => {
    client.close()
    await server.stop()
  }
  try {
    log(`Better Auth ${versions['better-auth']} listening on ${server.origin} (pid ${server.pid}${pinned ? ', pinned to CPU 0' : ''}); provisioning ${options.users} users`)
    const started = performance.now()
    const tag = Date.now().toString(36)
    const users = await inParallel(options.users, 4, (i) => createPeerUser(client, server.origin, i, tag))
    log(`provisioned in ${round((performance.now() - started) / 1000, 1)} s`)
    await sleep(1500)
    const rssAtRestMiB = round(sampleProcess(server.pid)?.rssMiB ?? 0, 1)
    let warmedUp = false
    return {
      versions,
      rssAtRestMiB,
      stop,
      async round() {
        // Like run.ts, this process sits on CPU 1 while it measures; the child run.ts provisions
        // on an unpinned server and pins itself, so every CPU is given back afterwards.
        if (pinned) pinSelf('1')
        try {
          if (!warmedUp) {
            // Warm-up, not measured: 2 s of whole flows, as run.ts warms its server up.
            await runPeerFlows({ client, origin: server.origin, users, concurrency: 1, durationMs: 2000, serverPid: server.pid })
            warmedUp = true
          }
          const runs: RunResult[] = []
          for (const concurrency of options.concurrencies) {
            if (options.quietWaitS > 0) {
              const others = await waitQuiet([server.pid, process.pid], options.quietWaitS * 1000)
              if (others >= 0.15) log(`other processes are using ${others.toFixed(2)} of a core; measuring anyway`)
            }
            log(`Better Auth whole flow, concurrency ${concurrency}`)
            const result = await runPeerFlows({ client, origin: server.origin, users, concurrency, durationMs: options.durationS * 1000, serverPid: server.pid })
            log(`  ${result.opsPerSecond} flows/s, p99 ${result.latency.p99} ms, ${JSON.stringify(result.statuses)}`)
            runs.push(result)
          }
          return runs
        } finally {
          if (pinned) pinSelf(`0-${cpus().length - 1}`)
        }
      },
    }
  } catch (error) {
    await stop()
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Countersign: bench/run.ts's whole-flow scenario, same duration and levels, as a child.

function measureCountersign(options: Options): Promise<Report> {
  // Countersign accepts each TOTP time step once per device, so run.ts hands out each user at most
  // once per 30 s step. Its default sizing (40 flows/s per core) runs short when the server is
  // faster than that and both runs fall into one step (the loop then idles, waiting for a user):
  // provision for 150 flows/s, above what one core has done here (112 at c=16).
  // run.ts measures 1 and 16 (and 64 with --full) whatever subset was asked for here.
  const full = options.concurrencies.includes(64)
  const flowSeconds = Math.min(30, options.durationS * (full ? 3 : 2))
  const users = Math.max(64, Math.ceil(150 * flowSeconds))
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--only', 'flow', '--no-peer', '--duration', String(options.durationS), '--users', String(users), '--json', '--quiet-wait', String(options.quietWaitS)]
  if (full) args.push('--full')
  log(`Countersign: node ${args.join(' ')}`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) process.stderr.write(`[countersign] ${line}\n`)
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      children.delete(child)
      if (code !== 0) return reject(new Error(`bench/run.ts exited with ${code ?? signal}`))
      try {
        resolve(JSON.parse(stdout) as Report)
      } catch (error) {
        reject(new Error(`bench/run.ts did not print JSON: ${String(error)}\n${stdout.slice(0, 500)}`))
      }
    })
  })
}

// ---------------------------------------------------------------------------------------------

const fmt = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? '–' : value.toFixed(digits))

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Round {
  peer: RunResult[]
  ours: Report
}

async function main(): Promise<void> {
  const options = parseOptions()
  const pinned = hasTaskset() && cpus().length >= 2
  const started = new Date()
  const peer = await startPeerBench(options, pinned)
  const rounds: Round[] = []
  try {
    for (let r = 0; r < options.rounds; r++) {
      if (options.rounds > 1) log(`round ${r + 1} of ${options.rounds}`)
      // Alternate which server goes first, so a slow stretch of the machine does not always hit the same one.
      if (r % 2 === 0) {
        const peerRuns = await peer.round()
        rounds.push({ peer: peerRuns, ours: await measureCountersign(options) })
      } else {
        const ours = await measureCountersign(options)
        rounds.push({ peer: await peer.round(), ours })
      }
    }
  } finally {
    await peer.stop()
  }

  const oursAt = (round: Round, level: number) => round.ours.runs.find((run) => run.scenario === 'whole flow' && run.concurrency === level)
  const peerAt = (round: Round, level: number) => round.peer.find((run) => run.concurrency === level)
  const ratioAt = (round: Round, level: number) => {
    const a = oursAt(round, level)
    const b = peerAt(round, level)
    return a && b && b.opsPerSecond > 0 ? a.opsPerSecond / b.opsPerSecond : null
  }
  const multi = options.rounds > 1
  const lines = [
    `Whole sign-ins (password + TOTP), closed loop, ${options.durationS} s per run, both servers pinned to one core${pinned ? ' (CPU 0)' : ' (not pinned: no taskset)'}, argon2id m = 19,456 KiB, t = 2, p = 1;`,
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, Countersign ${rounds[0]!.ours.machine.revision}, Better Auth ${peer.versions['better-auth']} (better-sqlite3 ${peer.versions['better-sqlite3']}, @node-rs/argon2 ${peer.versions['@node-rs/argon2']}) installed from npm into ${options.peerDir}.`,
    '',
    `| ${multi ? 'round | ' : ''}conc. | Countersign flows/s | Better Auth flows/s | ratio | Countersign p99 ms | Better Auth p99 ms | Countersign CPU ms/flow | Better Auth CPU ms/flow | Countersign RSS peak MiB | Better Auth RSS peak MiB |`,
    `| ${multi ? '---: | ' : ''}---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ]
  rounds.forEach((round, r) => {
    for (const level of options.concurrencies) {
      const a = oursAt(round, level)
      const b = peerAt(round, level)
      const ratio = ratioAt(round, level)
      lines.push(
        `| ${multi ? `${r + 1} | ` : ''}${level} | ${fmt(a?.opsPerSecond)} | ${fmt(b?.opsPerSecond)} | ${ratio === null ? '–' : `${ratio.toFixed(2)}×`} | ${fmt(a?.latency.p99)} | ${fmt(b?.latency.p99)} | ${fmt(a?.server.cpuMsPerOk, 2)} | ${fmt(b?.server.cpuMsPerOk, 2)} | ${fmt(a?.server.rssPeakMiB)} | ${fmt(b?.server.rssPeakMiB)} |`,
      )
    }
  })
  lines.push('')
  const medianRatio = (level: number) => {
    const ratios = rounds.map((round) => ratioAt(round, level)).filter((ratio): ratio is number => ratio !== null)
    return ratios.length ? median(ratios) : null
  }
  if (multi) lines.push(`Median ratio over ${options.rounds} rounds: ${options.concurrencies.map((level) => `c=${level} ${fmt(medianRatio(level), 2)}×`).join(', ')}.`)
  const met = options.concurrencies.every((level) => (medianRatio(level) ?? 0) >= 1.3)
  lines.push(
    `RSS at rest: Countersign ${rounds.map((round) => fmt(round.ours.rssAtRestMiB)).join(' / ')} MiB, Better Auth ${fmt(peer.rssAtRestMiB)} MiB. Target: whole flows/s ≥ 1.3× Better Auth's at every concurrency${multi ? ' (median ratio)' : ''}: ${met ? 'met' : 'missed'}.`,
  )
  for (const round of rounds) {
    const runs = [...round.peer, ...round.ours.runs.filter((run) => run.scenario === 'whole flow')]
    for (const run of runs.filter((run) => run.fail > 0)) lines.push(`Warning: ${run.scenario} at concurrency ${run.concurrency} had ${run.fail} failed flows: ${JSON.stringify(run.statuses)} ${run.errors.join('; ')}`)
    for (const run of runs.filter((run) => Object.keys(run.statuses).some((label) => label.startsWith('waited'))))
      lines.push(`Warning: ${run.scenario} at concurrency ${run.concurrency} waited for users with an unused TOTP time step (the loop idled): ${JSON.stringify(run.statuses)}`)
    for (const run of runs.filter((run) => run.otherCpuSeconds > 1)) lines.push(`Warning: other work used ${run.otherCpuSeconds} CPU-seconds during ${run.scenario} at concurrency ${run.concurrency}.`)
  }
  if (!options.json) {
    process.stdout.write(`${lines.join('\n')}\n`)
    return
  }
  const figures = rounds.map((round) =>
    options.concurrencies.map((level) => {
      const a = oursAt(round, level)
      const b = peerAt(round, level)
      return {
        concurrency: level,
        countersign: { flowsPerSecond: a?.opsPerSecond ?? null, p99Ms: a?.latency.p99 ?? null, cpuMsPerFlow: a?.server.cpuMsPerOk ?? null, rssPeakMiB: a?.server.rssPeakMiB ?? null },
        betterAuth: { flowsPerSecond: b?.opsPerSecond ?? null, p99Ms: b?.latency.p99 ?? null, cpuMsPerFlow: b?.server.cpuMsPerOk ?? null, rssPeakMiB: b?.server.rssPeakMiB ?? null },
        ratio: ratioAt(round, level),
      }
    }),
  )
  const medianRatios = Object.fromEntries(options.concurrencies.map((level) => [`c${level}`, medianRatio(level)]))
  process.stdout.write(`${JSON.stringify({ versions: peer.versions, pinned, rounds: figures, medianRatio: medianRatios, target: '≥ 1.3× at every concurrency', met, markdown: lines.join('\n') }, null, 2)}\n`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (stopping) return // the signal handler exits once the children are gone
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  },
)
