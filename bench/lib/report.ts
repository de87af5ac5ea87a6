import type { RunResult, Summary } from './load.js'

export interface OverloadResult {
  run: RunResult
  queueLimit: number
  share503: number
  share503Within50ms: number
  refusals: Summary
  /** A correct password for users who were refused during the overload, sent once it was over. */
  afterwards: Record<string, number>
}

export interface Report {
  machine: { cpu: string; cores: number; node: string; kernel: string; date: string; revision: string }
  setup: {
    pinned: boolean
    serverCores: number
    argon2: string
    durationSeconds: number
    users: number
    totpPoolPerRun: number
    provisioningSeconds: number
    databaseDir: string
    settings: Record<string, string>
  }
  rssAtRestMiB: number
  rssPeakMiB: number
  runs: RunResult[]
  overload: OverloadResult | null
  targets: Array<{ figure: string; measured: string; target: string; met: boolean | null }>
}

const fmt = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? '–' : value.toFixed(digits))

function answers(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([label, count]) => `${label}: ${count}`)
    .join(', ')
}

export function markdown(report: Report): string {
  const { machine, setup } = report
  const lines: string[] = []
  lines.push(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, Linux ${machine.kernel}; ${machine.date}; Countersign ${machine.revision}`)
  lines.push(
    `Setup: server ${setup.pinned ? 'pinned to CPU 0 (taskset), load generator on CPU 1' : `not pinned (${setup.serverCores} cores shared with the load generator)`}; ` +
      `${setup.argon2}; ${setup.durationSeconds} s per run; ${setup.users} users with a linked TOTP device, ` +
      `${setup.totpPoolPerRun} flows opened in advance per TOTP run; SQLite database under ${setup.databaseDir}; per-IP rate limits raised to 1000000/min; provisioning took ${setup.provisioningSeconds} s.`,
  )
  lines.push('')
  lines.push('| scenario | conc. | ops/s | per core | p50 ms | p90 ms | p99 ms | server CPU ms/op | server CPU % | RSS peak MiB | answers |')
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  for (const run of report.runs) {
    lines.push(
      `| ${run.scenario} | ${run.concurrency} | ${fmt(run.opsPerSecond)} | ${fmt(run.opsPerSecond / setup.serverCores)} | ${fmt(run.latency.p50)} | ${fmt(run.latency.p90)} | ${fmt(run.latency.p99)} | ` +
        `${fmt(run.server.cpuMsPerOk, 2)} | ${run.server.utilisationPct} | ${fmt(run.server.rssPeakMiB)} | ${answers(run.statuses)} |`,
    )
  }
  const flowSteps = report.runs.filter((run) => run.scenario === 'whole flow')
  if (flowSteps.length) {
    lines.push('')
    lines.push('Whole flows by step (p50 / p99 ms): ' + flowSteps.map((run) => `c=${run.concurrency}: password ${fmt(run.parts.password?.p50)} / ${fmt(run.parts.password?.p99)}, TOTP ${fmt(run.parts.totp?.p50)} / ${fmt(run.parts.totp?.p99)}`).join('; '))
  }
  lines.push('')
  lines.push(`RSS of the server: ${fmt(report.rssAtRestMiB)} MiB at rest (after start), ${fmt(report.rssPeakMiB)} MiB peak under load (VmRSS every 200 ms).`)
  if (flowSteps.length) {
    lines.push(`Server CPU per whole flow (utime+stime from /proc): ${flowSteps.map((run) => `${fmt(run.server.cpuMsPerOk, 1)} ms at c=${run.concurrency}`).join(', ')}.`)
  }
  const overload = report.overload
  if (overload) {
    const run = overload.run
    lines.push('')
    lines.push(
      `Overload (COUNTERSIGN_HASH_QUEUE_LIMIT=${overload.queueLimit}, ${run.concurrency} concurrent password steps, ${run.seconds} s): ` +
        `${fmt(100 * overload.share503)} % of answers were 503 OVERLOADED, ${fmt(100 * overload.share503Within50ms)} % of those within 50 ms ` +
        `(p50 ${fmt(overload.refusals.p50)} ms, p99 ${fmt(overload.refusals.p99)} ms, max ${fmt(overload.refusals.max)} ms); ` +
        `${fmt(run.opsPerSecond)} sign-ins/s still accepted (p99 ${fmt(run.parts['200 answers']?.p99)} ms). Answers: ${answers(run.statuses)}. ` +
        `A correct password afterwards, for users refused during the overload: ${answers(overload.afterwards)}.`,
    )
  }
  lines.push('')
  lines.push('| target | measured | goal | met |')
  lines.push('| --- | --- | --- | --- |')
  for (const target of report.targets) lines.push(`| ${target.figure} | ${target.measured} | ${target.target} | ${target.met === null ? '–' : target.met ? 'yes' : 'no'} |`)
  const noisy = [...report.runs, ...(overload ? [overload.run] : [])].filter((run) => run.otherCpuSeconds > 1)
  if (noisy.length) {
    lines.push('')
    lines.push(`Warning: other work used the CPU during ${noisy.map((run) => `${run.scenario} c=${run.concurrency} (${run.otherCpuSeconds} s)`).join(', ')}; those figures may be low.`)
  }
  return lines.join('\n')
}
