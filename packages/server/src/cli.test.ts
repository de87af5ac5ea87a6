import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fromBase32, hotp, timeStep } from './domain/methods/totp.js'

const cli = new URL('./cli.ts', import.meta.url).pathname

describe('countersign command line', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'countersign-cli-'))
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COUNTERSIGN_')))
    env = { ...clean, COUNTERSIGN_DATABASE_URL: `sqlite:${join(dir, 'cs.db')}`, COUNTERSIGN_DATA_DIR: dir, COUNTERSIGN_LOG_LEVEL: 'warn', COUNTERSIGN_ARGON2_MEMORY_KIB: '4096', COUNTERSIGN_ARGON2_TIME_COST: '1' }
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 })

  it('a bad setting stops the start with one line naming it', () => {
    const result = run(['migrate'], { COUNTERSIGN_PORT: 'abc' })
    assert.equal(result.status, 1)
    assert.match(result.stderr.trim(), /^countersign: COUNTERSIGN_PORT: .+$/)
  })

  it('production without a secrets key refuses to start', () => {
    const result = run(['migrate'], { COUNTERSIGN_ENV: 'production' })
    assert.equal(result.status, 1)
    assert.match(result.stderr, /COUNTERSIGN_SECRETS_KEY: required in production/)
  })

  it('npm start: serve creates the demo organisation, prints how to sign in, and Bob signs in with a code', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], { env: { ...env, COUNTERSIGN_PORT: '0' } })
    let out = ''
    let err = ''
    server.stdout.on('data', (chunk) => (out += chunk))
    server.stderr.on('data', (chunk) => (err += chunk))
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out} ${err}`)), 30_000)
        server.stdout.on('data', () => {
          const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
          if (match) {
            clearTimeout(timer)
            resolve(Number(match[1]))
          }
        })
      })
      assert.match(err, /^attention: no COUNTERSIGN_SECRETS_KEY/m)
      assert.equal(statSync(join(dir, 'secrets.key')).mode & 0o777, 0o600, 'SR-09: the generated key file is private')
      const bob = /^ {2}bob +password (\S+) .*authenticator secret ([A-Z2-7]{32})$/m.exec(out)
      assert.ok(bob, out)
      assert.match(out, /demo-admin +password \S+ +\(admin\)/)
      const base = `http://127.0.0.1:${port}`
      const first = await fetch(`${base}/api/v1/sign-in/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: bob[1] }) })
      const flow = (await first.json()) as { state: string; flowId: string }
      assert.equal(flow.state, 'awaiting_second_factor')
      const code = hotp(fromBase32(bob[2]!), timeStep(new Date()))
      const second = await fetch(`${base}/api/v1/sign-in/second-factor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flowId: flow.flowId, method: 'totp', code }) })
      const done = (await second.json()) as { state: string; session: { amr: string[] } }
      assert.equal(done.state, 'completed')
      assert.deepEqual(done.session.amr, ['pwd', 'otp', 'mfa'])
      const home = await (await fetch(`${base}/`)).text()
      // `npm test` builds the web UI first: `/` is its page, which loads the script from /assets/.
      assert.match(home, /<div id="app"><\/div>/)
      assert.match(home, /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/)
      assert.equal((await fetch(`${base}/readyz`)).status, 200)
    } finally {
      server.kill('SIGTERM')
      await new Promise((resolve) => server.once('exit', resolve))
    }
  })

  it('token create prints a token once; create-staff and unlock work on the same database', () => {
    const token = run(['token', 'create', '--name', 'provisioning', '--organisation', 'demo-clinic'])
    assert.equal(token.status, 0, token.stderr)
    assert.match(token.stdout.trim(), /^cs_[\w-]{16}\.[\w-]{43}$/)
    const staff = run(['create-staff', '--username', 'ops', '--email', 'ops@example.test'], { COUNTERSIGN_STAFF_PASSWORD: 'a long operator password' })
    assert.equal(staff.status, 0, staff.stderr)
    assert.match(staff.stdout, /created staff user ops .*two-factor on/)
    const weak = run(['create-staff', '--username', 'ops2', '--email', 'ops2@example.test'], { COUNTERSIGN_STAFF_PASSWORD: 'short' })
    assert.equal(weak.status, 1)
    assert.match(weak.stderr, /password/)
    assert.equal(run(['unlock', 'alice']).status, 0)
    assert.equal(run(['unlock', 'nobody']).status, 1)
    assert.equal(run(['migrate']).stdout.trim(), 'database is up to date')
  })
})
