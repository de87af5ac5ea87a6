import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromBase32, hotp, timeStep } from '../domain/methods/totp.js'
import { cleanEnvironment, startServerProcess } from './server-process.js'

/*
 * DD-01 crash runs: a real server process on SQLite, a burst of sign-in attempts (password steps,
 * wrong codes, right codes) and a SIGKILL at a random moment inside the burst — before, between or
 * after the writes of whatever request is running — then the database is checked as it was left:
 * integrity, foreign keys, and the invariants that one transaction keeps together:
 *  - every charged second-factor attempt has its audit event and the reverse (the lockout count
 *    rose exactly as many times as `sign_in.second_factor_failed` events were written), so the
 *    failure counter is never lower than before the killed attempt;
 *  - an account at its attempt limit is locked;
 *  - every session made by a sign-in has its `sign_in.completed` event and the reverse.
 * Then the server is started again on the same file and must be ready.
 */

const PASSWORD = 'crash-run passphrase here'

export interface CrashReport {
  runs: number
  /** Requests the kill cut off (sent, never answered). */
  cutOff: number
  /** Requests answered before the kill. */
  answered: number
  /** Second-factor attempts charged, and sign-ins completed, that the database kept over all runs. */
  charged: number
  signedIn: number
  violations: string[]
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), origin: 'http://127.0.0.1:3000', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('=')).join('; ')
  return { status: response.status, json: (await response.json().catch(() => null)) as any, cookie }
}

/** A small deterministic generator, so a run can be repeated from its seed. */
function generator(seed: number) {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

interface Snapshot {
  failures: number
  limit: number
  locked: boolean
  failedEvents: number
  sessions: number
  completedEvents: number
}

function snapshot(db: Database.Database, accountId: string): Snapshot {
  const lockout = db.prepare('SELECT failures, attempt_limit, locked_at FROM lockouts WHERE account_id = ?').get(accountId) as { failures: number; attempt_limit: number; locked_at: number | null }
  const count = (sql: string) => (db.prepare(sql).get(accountId) as { n: number }).n
  return {
    failures: lockout.failures,
    limit: lockout.attempt_limit,
    locked: lockout.locked_at !== null,
    failedEvents: count(`SELECT count(*) AS n FROM audit_events WHERE account_id = ? AND event = 'sign_in.second_factor_failed'`),
    sessions: count(`SELECT count(*) AS n FROM sessions WHERE account_id = ? AND restricted = 0`),
    completedEvents: count(`SELECT count(*) AS n FROM audit_events WHERE account_id = ? AND event = 'sign_in.completed'`),
  }
}

export async function crashRuns(options: { runs: number; seed: number; log?: (line: string) => void }): Promise<CrashReport> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-crash-'))
  const file = join(dir, 'crash.db')
  const admin = `crash-${randomBytes(16).toString('hex')}`
  const env = {
    ...cleanEnvironment(),
    COUNTERSIGN_DATABASE_URL: `sqlite:${file}`,
    COUNTERSIGN_DATA_DIR: dir,
    COUNTERSIGN_SECRETS_KEY: randomBytes(32).toString('base64'),
    COUNTERSIGN_ADMIN_TOKEN: admin,
    COUNTERSIGN_DEMO: '0',
    COUNTERSIGN_LOG_LEVEL: 'error',
    COUNTERSIGN_ARGON2_MEMORY_KIB: '1024',
    COUNTERSIGN_ARGON2_TIME_COST: '1',
    COUNTERSIGN_RATE_LIMIT_PASSWORD_PER_MINUTE: '1000000',
    COUNTERSIGN_RATE_LIMIT_CODE_PER_MINUTE: '1000000',
  }
  const random = generator(options.seed)
  const report: CrashReport = { runs: 0, cutOff: 0, answered: 0, charged: 0, signedIn: 0, violations: [] }
  const start = () => startServerProcess(env, { built: true })
  let server = await start()
  try {
    const auth = { authorization: `Bearer ${admin}` }
    const org = (await call(server.base, 'POST', '/api/v1/admin/organisations', { slug: 'crash', name: 'Crash', policy: 'required' }, auth)).json
    // Users with an app linked: three only ever send wrong codes (six a run: the fifth locks), one
    // also right ones (a code works once per time step, so most of its right ones are replays).
    const users: Array<{ id: string; username: string; secret: string; signsIn: boolean }> = []
    for (let i = 0; i < 4; i++) {
      const username = `crash${i}`
      const created = await call(server.base, 'POST', `/api/v1/admin/organisations/${org.id}/users`, { username, email: `${username}@example.test`, password: PASSWORD }, auth)
      const first = await call(server.base, 'POST', '/api/v1/sign-in/password', { username, password: PASSWORD })
      const started = await call(server.base, 'POST', '/api/v1/account/devices/totp', { name: 'Phone' }, { cookie: first.cookie })
      const confirmed = await call(server.base, 'POST', `/api/v1/account/devices/${started.json.deviceId}/confirm`, { code: hotp(fromBase32(started.json.secret), timeStep(new Date())) }, { cookie: first.cookie })
      if (confirmed.status !== 200) throw new Error(`provisioning: ${confirmed.status} ${JSON.stringify(confirmed.json)}`)
      users.push({ id: created.json.id, username, secret: started.json.secret, signsIn: i === 0 })
    }
    // And one whose organisation asks for no second factor: each password step is a whole sign-in.
    const open = (await call(server.base, 'POST', '/api/v1/admin/organisations', { slug: 'crash-open', name: 'Crash open', policy: 'off' }, auth)).json
    const plain = await call(server.base, 'POST', `/api/v1/admin/organisations/${open.id}/users`, { username: 'crash-plain', email: 'crash-plain@example.test', password: PASSWORD }, auth)
    users.push({ id: plain.json.id, username: 'crash-plain', secret: '', signsIn: true })

    for (let run = 0; run < options.runs; run++) {
      // Unlock whoever the last runs locked, so every run evaluates codes again.
      for (const user of users) {
        const unlocked = await call(server.base, 'POST', `/api/v1/admin/users/${user.id}/unlock`, undefined, auth)
        if (unlocked.status !== 200) throw new Error(`unlock: ${unlocked.status} ${JSON.stringify(unlocked.json)}`)
      }
      const before = new Map<string, Snapshot>()
      {
        const db = new Database(file, { readonly: true })
        for (const user of users) before.set(user.id, snapshot(db, user.id))
        db.close()
      }
      const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()))
      const attempts = users.flatMap((user) =>
        Array.from({ length: 6 }, async () => {
          const flow = await call(server.base, 'POST', '/api/v1/sign-in/password', { username: user.username, password: PASSWORD })
          if (flow.status !== 200 || !flow.json?.flowId || !user.secret) return
          const right = user.signsIn && random() < 0.5
          const code = right ? hotp(fromBase32(user.secret), timeStep(new Date())) : '000000'
          await call(server.base, 'POST', '/api/v1/sign-in/second-factor', { flowId: flow.json.flowId, method: 'totp', code })
        }),
      )
      const settled = Promise.allSettled(attempts.map((a) => a.then(() => 'answered', () => 'cut')))
      // The kill lands anywhere in the burst: during a password step, a charge, a comparison, a commit.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 400)))
      server.child.kill('SIGKILL')
      await exited
      for (const outcome of await settled) {
        if (outcome.status === 'fulfilled' && outcome.value === 'answered') report.answered++
        else report.cutOff++
      }

      const db = new Database(file)
      const integrity = db.pragma('integrity_check', { simple: true })
      if (integrity !== 'ok') report.violations.push(`run ${run}: integrity_check ${String(integrity)}`)
      const foreign = db.pragma('foreign_key_check') as unknown[]
      if (foreign.length) report.violations.push(`run ${run}: foreign_key_check ${JSON.stringify(foreign.slice(0, 3))}`)
      for (const user of users) {
        const was = before.get(user.id)!
        const now = snapshot(db, user.id)
        const charged = now.failures - was.failures
        const audited = now.failedEvents - was.failedEvents
        if (!user.signsIn && charged !== audited) report.violations.push(`run ${run} ${user.username}: failures rose by ${charged}, failed events by ${audited}`)
        if (!user.signsIn && now.failures < was.failures) report.violations.push(`run ${run} ${user.username}: the count fell from ${was.failures} to ${now.failures}`)
        if (now.failures >= now.limit && !now.locked) report.violations.push(`run ${run} ${user.username}: ${now.failures} failures at limit ${now.limit}, not locked`)
        const sessions = now.sessions - was.sessions
        const completed = now.completedEvents - was.completedEvents
        report.charged += audited
        report.signedIn += completed
        if (sessions !== completed) report.violations.push(`run ${run} ${user.username}: ${sessions} new sessions, ${completed} sign_in.completed events`)
      }
      // The killed process leaves its password checks reserved on the per-name throttle; they lapse
      // after a minute (BF-12). Runs come every second, so the harness clears them: each run then
      // evaluates codes again instead of meeting 429s.
      db.prepare('DELETE FROM password_throttle').run()
      db.close()
      report.runs++
      server = await start()
      const ready = await call(server.base, 'GET', '/readyz')
      if (ready.status !== 200) report.violations.push(`run ${run}: /readyz ${ready.status} after the restart`)
      if ((run + 1) % 25 === 0) options.log?.(`crash runs: ${run + 1}/${options.runs}, violations ${report.violations.length}`)
    }
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM')
      await new Promise((resolve) => server.child.once('exit', resolve))
    }
    rmSync(dir, { recursive: true, force: true })
  }
  return report
}
