/**
 * `npm run fuzz -- [--minutes 30] [--seed N]`: the OpenAPI fuzzer (IV-10) for as long as asked,
 * against its own server on loopback. Prints requests per minute, operations covered and the
 * statuses; a failure is printed with its shrunk case, kept under `regressions/` (the CI test
 * replays every file there) and ends the run with exit code 1.
 */
import { writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import { describeReport, Fuzzer } from './fuzzer.js'

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, seed: { type: 'string' } } })
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31
const minutes = Number(values.minutes)
if (!Number.isFinite(seed) || !Number.isFinite(minutes) || minutes <= 0) {
  console.error('usage: npm run fuzz -- [--minutes 30] [--seed N]')
  process.exit(2)
}
console.log(`fuzzing for ${minutes} min with seed ${seed} (repeat with --seed ${seed})`)
const fuzzer = new Fuzzer()
await fuzzer.start()
const started = Date.now()
const failure = await fuzzer.fuzz(seed, minutes * 60_000)
const report = fuzzer.report(seed, Date.now() - started, failure)
await fuzzer.stop()
console.log(describeReport(report))
if (failure) {
  const name = createHash('sha256').update(JSON.stringify(failure.fuzzCase)).digest('hex').slice(0, 12)
  const file = new URL(`./regressions/${seed}-${name}.json`, import.meta.url)
  writeFileSync(file, `${JSON.stringify({ problem: failure.problem, seed, fuzzCase: failure.fuzzCase }, null, 2)}\n`)
  console.log(`kept as a regression case: ${file.pathname}`)
  process.exit(1)
}
