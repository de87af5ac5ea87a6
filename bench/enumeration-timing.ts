/**
 * EN-02: does the password step take as long for a user name that does not exist as for a real
 * user with a wrong password? Starts its own server (pinned to CPU 0 when taskset exists), sends
 * the two kinds of request interleaved, and prints the medians and their difference.
 *
 *   node --import tsx bench/enumeration-timing.ts [--samples 300]
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Client, parseJson } from './lib/http.js'
import { summarise } from './lib/load.js'
import { benchSetup, CLI, freePort, startServer } from './lib/server.js'

// Four wrong passwords per real user: the fifth would start the per-name delay (BF-12).
const TRIES_PER_USER = 4

async function main() {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '300' } } })
  const samples = Number(values.samples)
  const { dir, pinned } = benchSetup('timing')
  const port = await freePort()
  const token = randomBytes(24).toString('hex')
  const server = await startServer({
    cli: CLI,
    port,
    pinCore: pinned ? 0 : null,
    settings: {
      COUNTERSIGN_PORT: String(port),
      COUNTERSIGN_DATABASE_URL: `sqlite:${join(dir, 'cs.db')}`,
      COUNTERSIGN_DATA_DIR: dir,
      COUNTERSIGN_DEMO: '0',
      COUNTERSIGN_ADMIN_TOKEN: token,
      COUNTERSIGN_LOG_LEVEL: 'warn',
      COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '1000000',
    },
  })
  const client = new Client(server.origin, 4)
  const admin = { authorization: `Bearer ${token}` }
  const org = parseJson<{ id: string }>(await client.request('POST', '/api/v1/admin/organisations', { json: { slug: 'timing', name: 'Timing' }, headers: admin }))
  const users: string[] = []
  for (let i = 0; i < Math.ceil(samples / TRIES_PER_USER); i++) {
    const username = `known${i}`
    await client.request('POST', `/api/v1/admin/organisations/${org.id}/users`, { json: { username, email: `${username}@example.test`, password: 'the real passphrase' }, headers: admin })
    users.push(username)
  }
  const unknown: number[] = []
  const wrong: number[] = []
  const bodies = new Set<string>()
  for (let i = 0; i < samples; i++) {
    const pair = [
      async () => {
        const answer = await client.request('POST', '/api/v1/sign-in/password', { json: { username: `nobody-${randomBytes(6).toString('hex')}`, password: 'a guess' } })
        unknown.push(answer.ms)
        bodies.add(`${answer.status} ${answer.text}`)
      },
      async () => {
        const answer = await client.request('POST', '/api/v1/sign-in/password', { json: { username: users[Math.floor(i / TRIES_PER_USER)]!, password: 'a guess' } })
        wrong.push(answer.ms)
        bodies.add(`${answer.status} ${answer.text}`)
      },
    ]
    // Alternate which goes first, so drift hits both alike.
    for (const step of i % 2 ? pair : pair.reverse()) await step()
  }
  client.close()
  await server.stop()
  const a = summarise(unknown)
  const b = summarise(wrong)
  const difference = Math.abs(a.p50! - b.p50!)
  console.log(`EN-02 password step, ${samples} samples each, server ${pinned ? 'pinned to CPU 0' : 'unpinned'}:`)
  console.log(`  unknown user:           p50 ${a.p50!.toFixed(2)} ms, p90 ${a.p90!.toFixed(2)} ms`)
  console.log(`  known user, wrong pass: p50 ${b.p50!.toFixed(2)} ms, p90 ${b.p90!.toFixed(2)} ms`)
  console.log(`  median difference ${difference.toFixed(2)} ms (${((difference / b.p50!) * 100).toFixed(1)} %); goal ≤ 5 ms and ≤ 5 %`)
  console.log(`  distinct answers: ${bodies.size} (${[...bodies].join(' | ')})`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
