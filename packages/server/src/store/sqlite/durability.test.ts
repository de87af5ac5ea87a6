import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fromBase32, hotp, timeStep } from '../../domain/methods/totp.js'
import { cleanEnvironment, startServerProcess } from '../../test-support/server-process.js'

const ADMIN = 'durability-bootstrap-token-0123456789abcdef'

const serve = startServerProcess

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  return { status: response.status, json: (await response.json().catch(() => null)) as any, cookie: response.headers.get('set-cookie') }
}

describe('durability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-durability-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const clean = cleanEnvironment()
  const env = { ...clean, COUNTERSIGN_DATABASE_URL: `sqlite:${join(dir, 'cs.db')}`, COUNTERSIGN_DATA_DIR: dir, COUNTERSIGN_DEMO: '0', COUNTERSIGN_LOG_LEVEL: 'error', COUNTERSIGN_ADMIN_TOKEN: ADMIN, COUNTERSIGN_ARGON2_MEMORY_KIB: '4096', COUNTERSIGN_ARGON2_TIME_COST: '1' }

  it('DD-02 F-TOTP-1: a device answered as linked survives SIGKILL right after the answer, and its seed still decrypts', async () => {
    let { child, base } = await serve(env)
    const auth = { authorization: `Bearer ${ADMIN}` }
    const org = (await call(base, 'POST', '/api/v1/admin/organisations', { slug: 'durable', name: 'Durable', policy: 'required' }, auth)).json
    for (let run = 0; run < 5; run++) {
      const username = `user${run}`
      await call(base, 'POST', `/api/v1/admin/organisations/${org.id}/users`, { username, email: `${username}@example.test`, password: 'durable copper passphrase' }, auth)
      const first = await call(base, 'POST', '/api/v1/sign-in/password', { username, password: 'durable copper passphrase' })
      const cookie = { cookie: first.cookie!.split(/,(?=\s*cs_)/).map((c) => c.split(';')[0]!.trim()).join('; '), origin: 'http://127.0.0.1:3000' }
      const started = (await call(base, 'POST', '/api/v1/account/devices/totp', { name: 'Phone' }, cookie)).json
      const now = new Date()
      const confirmed = await call(base, 'POST', `/api/v1/account/devices/${started.deviceId}/confirm`, { code: hotp(fromBase32(started.secret), timeStep(now)) }, cookie)
      assert.equal(confirmed.status, 200)
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      ;({ child, base } = await serve(env))
      const user = (await call(base, 'GET', `/api/v1/admin/organisations/${org.id}/users`, undefined, auth)).json.find((u: { username: string }) => u.username === username)
      assert.equal(user.devices.length, 1, `run ${run}: the device is there after the crash`)
      const again = await call(base, 'POST', '/api/v1/sign-in/password', { username, password: 'durable copper passphrase' })
      assert.equal(again.json.state, 'awaiting_second_factor')
      const code = hotp(fromBase32(started.secret), timeStep(new Date(Date.now() + 30_000)))
      const signedIn = await call(base, 'POST', '/api/v1/sign-in/second-factor', { flowId: again.json.flowId, method: 'totp', code })
      assert.equal(signedIn.status, 200, `run ${run}: the seed decrypts and the next code signs in`)
    }
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  })
})
