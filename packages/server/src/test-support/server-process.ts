import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'

const cli = new URL('../cli.ts', import.meta.url).pathname
const builtCli = new URL('../../dist/cli.js', import.meta.url).pathname

export interface ServerProcess {
  child: ChildProcess
  base: string
  /** Everything the process printed on stdout so far. */
  output(): string
}

/**
 * Starts `countersign serve` as its own process on a free port and waits for its listening line;
 * `script` runs another entry point that prints the same line (a server with a failpoint);
 * `built` runs the compiled CLI where it exists.
 */
export async function startServerProcess(env: NodeJS.ProcessEnv, options: { script?: string; built?: boolean } = {}): Promise<ServerProcess> {
  // `built`: the compiled CLI when there is one (`tsc -b` ran), which starts faster than through tsx.
  const args = options.script ? ['--import', 'tsx', options.script] : options.built && existsSync(builtCli) ? [builtCli, 'serve'] : ['--import', 'tsx', cli, 'serve']
  const child = spawn(process.execPath, args, { env: { ...env, COUNTERSIGN_PORT: '0' } })
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk) => (out += chunk))
  child.stderr!.on('data', (chunk) => (err += chunk))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out} ${err}`)), 40_000)
    child.stdout!.on('data', () => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
  })
  return { child, base: `http://127.0.0.1:${port}`, output: () => out }
}

/** Environment without the caller's own COUNTERSIGN_* variables. */
export function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COUNTERSIGN_')))
}
