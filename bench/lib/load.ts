import { machineBusySeconds, RssSampler, sampleProcess } from './procfs.js'

export interface Summary {
  n: number
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
}

/** Nearest-rank percentiles, in milliseconds with two decimals. */
export function summarise(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort()
  const at = (p: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!) : null)
  return { n: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted.length ? round(sorted[sorted.length - 1]!) : null }
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** What one scenario saw: latencies per label (`op` is the whole operation) and answers by status. */
export class Recorder {
  readonly latencies = new Map<string, number[]>()
  readonly statuses = new Map<string, number>()
  readonly errors: string[] = []

  latency(label: string, ms: number): void {
    let list = this.latencies.get(label)
    if (!list) this.latencies.set(label, (list = []))
    list.push(ms)
  }

  status(label: string): void {
    this.statuses.set(label, (this.statuses.get(label) ?? 0) + 1)
  }

  error(error: unknown): void {
    this.status('error')
    if (this.errors.length < 5) this.errors.push(String(error))
  }
}

/** ok and fail are counted; `done` means the operation has nothing left to do (pool used up). */
export type Outcome = 'ok' | 'fail' | 'done'

export interface RunResult {
  scenario: string
  concurrency: number
  seconds: number
  ok: number
  fail: number
  opsPerSecond: number
  latency: Summary
  /** Per-label latencies other than the whole operation (flow steps, refusals). */
  parts: Record<string, Summary>
  statuses: Record<string, number>
  errors: string[]
  server: { cpuSeconds: number; cpuMsPerOk: number | null; utilisationPct: number; rssPeakMiB: number; rssAfterMiB: number }
  loadgenCpuSeconds: number
  /** CPU used by anything but the server and this process: other work on the machine skews a run. */
  otherCpuSeconds: number
}

/**
 * A closed loop: `concurrency` workers, each sending its next request when the last one is
 * answered, until `durationMs` has passed or the operation reports `done`.
 */
export async function measure(input: {
  scenario: string
  concurrency: number
  durationMs: number
  serverPid: number
  recorder: Recorder
  op: () => Promise<Outcome>
}): Promise<RunResult> {
  const { recorder } = input
  const sampler = new RssSampler(input.serverPid)
  const before = sampleProcess(input.serverPid)
  const busyBefore = machineBusySeconds()
  const loadgenBefore = process.cpuUsage()
  sampler.start()
  let ok = 0
  let fail = 0
  let stopped = false
  const started = performance.now()
  const stopAt = started + input.durationMs
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (!stopped && performance.now() < stopAt) {
        try {
          const outcome = await input.op()
          if (outcome === 'done') stopped = true
          else if (outcome === 'ok') ok++
          else fail++
        } catch (error) {
          fail++
          recorder.error(error)
        }
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const rssPeakMiB = sampler.stop()
  const after = sampleProcess(input.serverPid)
  const loadgen = process.cpuUsage(loadgenBefore)
  const loadgenCpuSeconds = (loadgen.user + loadgen.system) / 1e6
  const serverCpu = before && after ? after.cpuSeconds - before.cpuSeconds : 0
  const parts: Record<string, Summary> = {}
  for (const [label, samples] of recorder.latencies) if (label !== 'op') parts[label] = summarise(samples)
  return {
    scenario: input.scenario,
    concurrency: input.concurrency,
    seconds: round(seconds),
    ok,
    fail,
    opsPerSecond: round(ok / seconds, 1),
    latency: summarise(recorder.latencies.get('op') ?? []),
    parts,
    statuses: Object.fromEntries([...recorder.statuses].sort()),
    errors: recorder.errors,
    server: {
      cpuSeconds: round(serverCpu),
      cpuMsPerOk: ok ? round((1000 * serverCpu) / ok) : null,
      utilisationPct: round((100 * serverCpu) / seconds, 0),
      rssPeakMiB: round(rssPeakMiB, 1),
      rssAfterMiB: round(after?.rssMiB ?? 0, 1),
    },
    loadgenCpuSeconds: round(loadgenCpuSeconds),
    otherCpuSeconds: round(machineBusySeconds() - busyBefore - serverCpu - loadgenCpuSeconds),
  }
}

/** Runs `work(i)` for i < n with at most `concurrency` in flight. */
export async function inParallel<T>(n: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(n)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++
        results[i] = await work(i)
      }
    }),
  )
  return results
}
