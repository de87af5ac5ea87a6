/**
 * `npm run crash-runs -- [--runs 200] [--seed N]`: DD-01's crash runs (test-support/crash-runs.ts)
 * as many times as asked; prints the figures and every violation, exit code 1 if there is one.
 */
import { parseArgs } from 'node:util'
import { crashRuns } from './crash-runs.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, seed: { type: 'string' } } })
const runs = Number(values.runs)
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31
console.log(`crash runs: ${runs}, seed ${seed}`)
const started = Date.now()
const report = await crashRuns({ runs, seed, log: (line) => console.log(line) })
console.log(`${report.runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s: ${report.answered} requests answered before the kill, ${report.cutOff} cut off by it; the database kept ${report.charged} charged attempts and ${report.signedIn} sign-ins`)
console.log(report.violations.length ? `VIOLATIONS:\n${report.violations.join('\n')}` : 'integrity_check ok, foreign keys ok, charges = failure events, at the limit = locked, sessions = sign-in events, ready after every restart')
process.exit(report.violations.length ? 1 : 0)
