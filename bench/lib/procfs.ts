import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

// Process and machine figures from /proc (Linux). /proc/<pid>/stat's utime+stime cover every
// thread of the process, so argon2's libuv worker threads are counted with the event loop.

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export interface ProcessSample {
  cpuSeconds: number
  rssMiB: number
  /** Peak RSS over the process's life (VmHWM). */
  hwmMiB: number
  threads: number
}

export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
    return {
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      rssMiB: kib('VmRSS') / 1024,
      hwmMiB: kib('VmHWM') / 1024,
      threads: kib('Threads'),
    }
  } catch {
    return null
  }
}

/** CPU seconds the whole machine spent busy (all cores), to spot other work competing with a run. */
export function machineBusySeconds(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

/** VmRSS every 200 ms while running; keeps the peak. */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined
  peakMiB = 0

  constructor(private readonly pid: number) {}

  start(): void {
    this.peakMiB = sampleProcess(this.pid)?.rssMiB ?? 0
    this.#timer = setInterval(() => this.#sample(), 200)
  }

  stop(): number {
    clearInterval(this.#timer)
    this.#sample()
    return this.peakMiB
  }

  #sample(): void {
    const rss = sampleProcess(this.pid)?.rssMiB ?? 0
    if (rss > this.peakMiB) this.peakMiB = rss
  }
}

/**
 * Waits (at most `maxMs`) until, for one whole second, processes other than `pids` used less than
 * `maxCores` of CPU: this machine may be shared, and a run next to other work measures that work.
 * Returns the CPU cores the others were using at the end, to report.
 */
export async function waitQuiet(pids: readonly number[], maxMs: number, maxCores = 0.15): Promise<number> {
  const deadline = performance.now() + maxMs
  const ours = () => pids.reduce((sum, pid) => sum + (sampleProcess(pid)?.cpuSeconds ?? 0), 0)
  for (;;) {
    const busy0 = machineBusySeconds()
    const ours0 = ours()
    const started = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const others = (machineBusySeconds() - busy0 - (ours() - ours0)) / ((performance.now() - started) / 1000)
    if (others < maxCores || performance.now() >= deadline) return Math.max(0, others)
  }
}
