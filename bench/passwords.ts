/**
 * Issue 17's figures, on a server of its own with production argon2 parameters (pinned to CPU 0
 * when taskset exists):
 *  - EN-03: "Forgot your password?" answers as fast for a name or address nobody has as for a real
 *    one (medians and their difference; the work for a real one happens after the answer);
 *  - the server's CPU per request (utime + stime of the whole process, argon2's threads included)
 *    for a password step (one verification), a password change (one verification + one hash + the
 *    rules) and a reset completion (one hash + the rules).
 *
 *   node --import tsx bench/passwords.ts [--samples 200] [--cpu 40]
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Client, cookieValue, parseJson } from './lib/http.js'
import { summarise } from './lib/load.js'
import { sampleProcess } from './lib/procfs.js'
import { benchSetup, CLI, freePort, startServer } from './lib/server.js'

const PASSWORD = 'the real passphrase'

async function main() {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '200' }, cpu: { type: 'string', default: '40' } } })
  const samples = Number(values.samples)
  const cpuRuns = Number(values.cpu)
  const { dir, pinned } = benchSetup('passwords')
  const port = await freePort()
  const token = randomBytes(24).toString('hex')
  const server = await startServer({
    cli: CLI,
    port,
    pinCore: pinned ? 0 : null,
    settings: {
      COUNTERSIGN_PORT: String(port),
      COUNTERSIGN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      COUNTERSIGN_DATABASE_URL: `sqlite:${join(dir, 'cs.db')}`,
      COUNTERSIGN_DATA_DIR: dir,
      COUNTERSIGN_DEMO: '0',
      COUNTERSIGN_ADMIN_TOKEN: token,
      COUNTERSIGN_LOG_LEVEL: 'warn',
      COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '1000000',
      COUNTERSIGN_RATE_LIMIT_PASSWORD_RESET_PER_MINUTE: '1000000',
    },
  })
  const client = new Client(server.origin, 4)
  const admin = { authorization: `Bearer ${token}` }
  // Policy off: the password alone signs in, so a change can follow a sign-in without a device.
  const org = parseJson<{ id: string }>(await client.request('POST', '/api/v1/admin/organisations', { json: { slug: 'passwords', name: 'Passwords', policy: 'off' }, headers: admin }))
  const users: string[] = []
  // A real name gets at most three links an hour: enough users that every sample sends one.
  const needed = Math.ceil(samples / 3) + cpuRuns * 2
  for (let i = 0; i < needed; i++) {
    const username = `known${i}`
    const created = await client.request('POST', `/api/v1/admin/organisations/${org.id}/users`, { json: { username, email: `${username}@example.test`, password: PASSWORD }, headers: admin })
    if (created.status !== 201) throw new Error(`user: ${created.status} ${created.text}`)
    users.push(username)
  }

  // EN-03: interleaved, the order alternating, so drift hits every kind alike.
  const times: Record<string, number[]> = { 'unknown name': [], 'known name': [], 'unknown address': [], 'known address': [] }
  const bodies = new Set<string>()
  for (let i = 0; i < samples; i++) {
    const known = users[Math.floor(i / 3)]!
    const kinds: Array<[string, unknown]> = [
      ['unknown name', { username: `nobody-${randomBytes(6).toString('hex')}` }],
      ['known name', { username: known }],
      ['unknown address', { email: `nobody-${randomBytes(6).toString('hex')}@example.test` }],
      ['known address', { email: `${users[(Math.floor(i / 3) + 1) % users.length]}@example.test` }],
    ]
    for (const [kind, json] of i % 2 ? kinds : kinds.reverse()) {
      const answer = await client.request('POST', '/api/v1/password-reset', { json })
      times[kind]!.push(answer.ms)
      bodies.add(`${answer.status} ${answer.text}`)
    }
  }

  // CPU per request: the server process's CPU time over `cpuRuns` requests of one kind, one at a time.
  const cpuPer = async (label: string, run: (i: number) => Promise<void>) => {
    await new Promise((resolve) => setTimeout(resolve, 500)) // background reset e-mails settle
    const before = sampleProcess(server.pid)!.cpuSeconds
    for (let i = 0; i < cpuRuns; i++) await run(i)
    const after = sampleProcess(server.pid)!.cpuSeconds
    return { label, ms: ((after - before) * 1000) / cpuRuns }
  }
  const changers = users.slice(users.length - cpuRuns * 2, users.length - cpuRuns)
  const resetters = users.slice(users.length - cpuRuns)
  const cookies: string[] = []
  for (const username of changers) {
    const signedIn = await client.request('POST', '/api/v1/sign-in/password', { json: { username, password: PASSWORD } })
    cookies.push(`cs_session=${cookieValue(signedIn, 'cs_session')}`)
  }
  const tokens: string[] = []
  for (const username of resetters) {
    await client.request('POST', '/api/v1/password-reset', { json: { username } })
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  for (const username of resetters) {
    const outbox = parseJson<Array<{ text: string }>>(await client.request('GET', `/api/v1/dev/outbox?to=${username}@example.test`))
    const link = outbox.map((m) => /#token=([A-Za-z0-9_.-]+)/.exec(m.text)?.[1]).find(Boolean)
    if (!link) throw new Error(`no reset link for ${username}`)
    tokens.push(link)
  }
  // The rules' lists load on the first new password (~0.2 s, once per process): load them before measuring.
  const warm = await client.request('PUT', '/api/v1/account/password', { json: { currentPassword: PASSWORD, newPassword: 'password1234' }, headers: { cookie: cookies[0]!, origin: server.origin } })
  if (warm.status !== 422) throw new Error(`warm-up: ${warm.status} ${warm.text}`)
  const figures = [
    await cpuPer('password step (1 verification)', async (i) => {
      const answer = await client.request('POST', '/api/v1/sign-in/password', { json: { username: users[i]!, password: 'a wrong guess' } })
      if (answer.status !== 401) throw new Error(`password step: ${answer.status}`)
    }),
    await cpuPer('password change (1 verification + 1 hash + rules)', async (i) => {
      const answer = await client.request('PUT', '/api/v1/account/password', { json: { currentPassword: PASSWORD, newPassword: `violet lantern harbour ${i}` }, headers: { cookie: cookies[i]!, origin: server.origin } })
      if (answer.status !== 200) throw new Error(`change: ${answer.status} ${answer.text}`)
    }),
    await cpuPer('reset completion (1 hash + rules)', async (i) => {
      const answer = await client.request('POST', '/api/v1/password-reset/complete', { json: { token: tokens[i]!, newPassword: `quiet copper meadow ${i}` } })
      if (answer.status !== 200) throw new Error(`complete: ${answer.status} ${answer.text}`)
    }),
  ]
  client.close()
  await server.stop()

  console.log(`EN-03 "Forgot your password?", ${samples} samples each, server ${pinned ? 'pinned to CPU 0' : 'unpinned'}:`)
  const summaries = Object.entries(times).map(([kind, list]) => ({ kind, ...summarise(list) }))
  for (const s of summaries) console.log(`  ${s.kind.padEnd(16)} p50 ${s.p50!.toFixed(2)} ms, p90 ${s.p90!.toFixed(2)} ms`)
  const medians = summaries.map((s) => s.p50!)
  console.log(`  largest median difference ${(Math.max(...medians) - Math.min(...medians)).toFixed(2)} ms; goal ≤ 5 ms`)
  console.log(`  distinct answers: ${bodies.size} (${[...bodies].join(' | ')})`)
  console.log(`Server CPU per request, ${cpuRuns} requests each, production argon2id (m=19 MiB, t=2):`)
  const step = figures[0]!.ms
  for (const f of figures) console.log(`  ${f.label.padEnd(50)} ${f.ms.toFixed(1)} ms  (${(f.ms / step).toFixed(2)}× a password step)`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
