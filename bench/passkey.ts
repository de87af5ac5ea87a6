/**
 * Passkey assertion verifications per second on one core (issue 16): what the server does for
 * each passkey sign-in step besides the database — `verifyAuthenticationResponse` of
 * @simplewebauthn/server (client data, RP ID hash, flags, counter, ES256 signature) over
 * assertions made beforehand by the tests' WebAuthn authenticator. Bounded: `--seconds` (default 5).
 *
 *   npm run bench:passkey [-- --seconds 10]
 */
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { verifyAuthenticationResponse } from '@simplewebauthn/server'
import { SoftAuthenticator } from '../packages/server/src/test-support/webauthn-authenticator.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } })
const seconds = Number(values.seconds)
if (!(seconds > 0 && seconds <= 120)) throw new Error('--seconds must be 1 to 120')

// One core: the figure is per core, as npm run bench's.
try {
  execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })
} catch {
  console.error('[bench] taskset not available: running unpinned')
}

const ORIGIN = 'https://signin.example.org'
const key = new SoftAuthenticator()
const registration = key.register({ challenge: 'cmVnaXN0ZXItY2hhbGxlbmdl', rp: { id: 'signin.example.org' }, user: { id: 'dXNlcg' } }, ORIGIN)
// The public key as the server keeps it: from the registration, through the library.
const { verifyRegistrationResponse } = await import('@simplewebauthn/server')
const registered = await verifyRegistrationResponse({ response: registration, expectedChallenge: 'cmVnaXN0ZXItY2hhbGxlbmdl', expectedOrigin: ORIGIN, expectedRPID: 'signin.example.org', supportedAlgorithmIDs: [-8, -7, -257] })
if (!registered.verified) throw new Error('registration did not verify')
const credential = registered.registrationInfo.credential

const POOL = 2000
const assertions = Array.from({ length: POOL }, (_, i) => {
  const challenge = Buffer.from(`challenge-${i}-${'x'.repeat(20)}`).toString('base64url')
  return { challenge, counter: key.counter + 1, response: key.assert({ challenge, rpId: 'signin.example.org' }, ORIGIN) }
})

let done = 0
const latencies: number[] = []
const started = performance.now()
const cpuStart = process.cpuUsage()
while (performance.now() - started < seconds * 1000) {
  const a = assertions[done % POOL]!
  const t0 = performance.now()
  const result = await verifyAuthenticationResponse({ response: a.response, expectedChallenge: a.challenge, expectedOrigin: ORIGIN, expectedRPID: 'signin.example.org', credential: { ...credential, counter: a.counter - 1 } })
  latencies.push(performance.now() - t0)
  if (!result.verified) throw new Error('an assertion did not verify')
  done++
}
const elapsed = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuStart)
latencies.sort((x, y) => x - y)
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!.toFixed(3)
console.log(`Node ${process.version}; ${new Date().toISOString()}`)
console.log(`passkey assertion verifications (ES256, @simplewebauthn/server): ${(done / elapsed).toFixed(0)}/s on one core; p50 ${pct(50)} ms, p99 ${pct(99)} ms; CPU ${((cpu.user + cpu.system) / 1000 / done).toFixed(3)} ms each; ${done} in ${elapsed.toFixed(1)} s`)
