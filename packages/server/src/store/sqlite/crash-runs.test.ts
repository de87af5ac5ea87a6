import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { crashRuns } from '../../test-support/crash-runs.js'

/*
 * DD-01, bounded for CI: a server process killed with SIGKILL at random moments inside bursts of
 * sign-in attempts, 15 times; `npm run crash-runs -- --runs 200` runs it longer.
 */
describe('DD-01 crash runs on SQLite', () => {
  it('DD-01: killed mid-burst 15 times, the database stays whole: integrity and foreign keys ok, every charged attempt audited, at the limit locked, every session with its sign-in event, ready after each restart', async () => {
    const report = await crashRuns({ runs: 15, seed: 20261208 })
    console.log(`DD-01: ${report.runs} runs, ${report.answered} answered before the kill, ${report.cutOff} cut off`)
    assert.deepEqual(report.violations, [])
    assert.equal(report.runs, 15)
    assert.ok(report.cutOff > 0, 'some kills landed inside requests')
  })
})
