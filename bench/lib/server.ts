import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'node:net'

export interface ServerOptions {
  cli: string
  port: number
  /** `COUNTERSIGN_*` settings (without the prefix handling: full variable names). */
  settings: Record<string, string>
  /** CPU to pin the server to with `taskset -c`, or null for no pinning. */
  pinCore: number | null
  extraNodeArgs?: string[]
}

export interface RunningServer {
  pid: number
  origin: string
  stop(): Promise<void>
}

const READY = /Countersign is listening on (http:\/\/127\.0\.0\.1:\d+)/
const START_TIMEOUT_MS = 60_000
const children = new Set<ChildProcess>()

/** Kills every server still running; safe to call from exit handlers (synchronous). */
export function killAllServers(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** An environment without the caller's own COUNTERSIGN_* variables, which would change the figures. */
function serverEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('COUNTERSIGN_')) env[name] = value
  }
  return { ...env, ...settings }
}

/**
 * The V8 flags `npm start`, `npm run countersign` and the `countersign` command start the server
 * with (package.json, the shebang of packages/server/bin/countersign.js): a 2 MiB young generation keeps the peak memory
 * under load about 45 MiB lower at the same throughput (docs/performance.md).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=2']

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const node = [...SERVER_NODE_FLAGS, ...(options.extraNodeArgs ?? []), options.cli, 'serve']
  // taskset execs node, so the child's pid is the server's own pid (what /proc is read for).
  const [command, args] =
    options.pinCore === null ? [process.execPath, node] : ['taskset', ['-c', String(options.pinCore), process.execPath, ...node]]
  return launch({ name: 'server', command, args, env: serverEnvironment(options.settings), ready: READY })
}

/**
 * Starts a server process and waits until its stdout matches `ready` (group 1: the origin); the
 * process is killed by `killAllServers`. `onChild` lets a caller track it as well.
 */
export async function launch(options: {
  name: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
  ready: RegExp
  onChild?: (child: ChildProcess) => void
}): Promise<RunningServer> {
  const child = spawn(options.command, options.args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  options.onChild?.(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => children.delete(child))

  let stderrTail = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000)
  })
  const origin = await new Promise<string>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start in ${START_TIMEOUT_MS} ms\n${stderrTail}`)), START_TIMEOUT_MS)
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = (stdout + chunk).slice(-4000)
      const match = options.ready.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${options.name} exited (${code ?? signal}) before listening\n${stderrTail}`))
    })
  })

  return {
    pid: child.pid!,
    origin,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The repository's root and the built CLI the benchmarks start. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'packages/server/dist/cli.js')

/**
 * What a single-server benchmark needs first: the server built (once), a data folder removed on
 * exit with every server killed, and whether `taskset` can pin the server to CPU 0.
 */
export function benchSetup(name: string): { dir: string; pinned: boolean } {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  const dir = mkdtempSync(join(tmpdir(), `countersign-${name}-`))
  process.on('exit', () => {
    killAllServers()
    rmSync(dir, { recursive: true, force: true })
  })
  let pinned = true
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
  } catch {
    pinned = false
  }
  return { dir, pinned }
}
