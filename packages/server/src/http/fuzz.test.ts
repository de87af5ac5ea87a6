import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { describeReport, Fuzzer, type FuzzCase } from '../test-support/fuzz/fuzzer.js'

/*
 * IV-10: the OpenAPI fuzzer, bounded for CI — every case it ever failed on first, then a fixed seed
 * for 60 seconds. `npm run fuzz -- --minutes 30` runs it longer with a seed of its own.
 */

const SEED = 20261208
const SECONDS = 60
const regressions = new URL('../test-support/fuzz/regressions/', import.meta.url)

describe('IV-10 the API under fuzzing', () => {
  const fuzzer = new Fuzzer()
  before(() => fuzzer.start())
  after(() => fuzzer.stop())

  it('IV-10: every case the fuzzer once failed on now passes', async () => {
    const files = readdirSync(regressions).filter((f) => f.endsWith('.json'))
    for (const file of files) {
      const { fuzzCase, problem } = JSON.parse(readFileSync(new URL(file, regressions), 'utf8')) as { fuzzCase: FuzzCase; problem: string }
      assert.equal(await fuzzer.run(fuzzCase), null, `${file} (was: ${problem})`)
    }
  })

  it(`IV-10: ${SECONDS} s of generated and mutated requests over every operation and credential: no 5xx, no dropped connection, errors in the catalogue's shape, no session or state change from an invalid request`, async () => {
    const started = Date.now()
    const failure = await fuzzer.fuzz(SEED, SECONDS * 1000)
    const report = fuzzer.report(SEED, Date.now() - started, failure)
    console.log(describeReport(report))
    assert.equal(failure, null, failure ? `${failure.problem}\n${JSON.stringify(failure.fuzzCase)}` : '')
    assert.equal(report.covered, report.operations, 'every operation was called')
  })
})
