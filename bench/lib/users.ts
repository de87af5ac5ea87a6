import { randomBytes } from 'node:crypto'
import { cookieValue, parseJson, type Client } from './http.js'
import { base32Decode, hotp, timeStep } from './totp.js'

export interface BenchUser {
  username: string
  password: string
  key: Buffer
  /** The last TOTP time step this user's device accepted (linking counts): the server refuses it again. */
  lastStep: number
  busy: boolean
  /** Set after any unexpected answer, so a user is never pushed towards a lockout. */
  retired: boolean
}

/**
 * A set of users handed out round-robin, one request at a time each: concurrent password steps
 * for one name would trip the per-name password throttle, and concurrent codes would be replays.
 */
export class UserGroup {
  #cursor = 0
  constructor(readonly users: BenchUser[]) {}

  /** A user not in flight; with `freshStep`, also one whose device has not been used in this time step. */
  take(freshStep: boolean): BenchUser | undefined {
    const step = timeStep()
    for (let scanned = 0; scanned < this.users.length; scanned++) {
      const user = this.users[this.#cursor]!
      this.#cursor = (this.#cursor + 1) % this.users.length
      if (user.busy || user.retired || (freshStep && user.lastStep >= step)) continue
      user.busy = true
      return user
    }
    return undefined
  }

  release(user: BenchUser): void {
    user.busy = false
  }
}

/** The code for the current step, recorded as used before it is sent (a second use would be a replay). */
export function useCode(user: BenchUser): string {
  const step = timeStep()
  user.lastStep = step
  return hotp(user.key, step)
}

export async function createOrganisation(client: Client, adminToken: string): Promise<string> {
  const answer = await client.request('POST', '/api/v1/admin/organisations', {
    headers: { authorization: `Bearer ${adminToken}` },
    json: { slug: `bench-${randomBytes(4).toString('hex')}`, name: 'Benchmark', policy: 'required' },
  })
  if (answer.status !== 201) throw new Error(`create organisation: ${answer.status} ${answer.text}`)
  return parseJson<{ id: string }>(answer).id
}

/**
 * Creates a user through the admin API and links a TOTP device the way a person does: first
 * password step (forced enrolment, restricted session), start linking, confirm with a code.
 */
export async function provisionUser(client: Client, input: { adminToken: string; organisationId: string; origin: string; index: number }): Promise<BenchUser> {
  const username = `bench-${input.index}`
  const password = `bench-password-${input.index}-${randomBytes(6).toString('hex')}`
  const created = await client.request('POST', `/api/v1/admin/organisations/${input.organisationId}/users`, {
    headers: { authorization: `Bearer ${input.adminToken}` },
    json: { username, email: `${username}@example.com`, password, role: 'user' },
  })
  expectStatus(created, 201, 'create user')

  const first = await client.request('POST', '/api/v1/sign-in/password', { json: { username, password } })
  expectStatus(first, 200, 'first password step')
  const state = parseJson<{ state: string }>(first).state
  const session = cookieValue(first, 'cs_session')
  if (state !== 'awaiting_enrolment' || !session) throw new Error(`first password step: expected awaiting_enrolment with a session, got ${first.text}`)

  const headers = { cookie: `cs_session=${session}`, origin: input.origin }
  const started = await client.request('POST', '/api/v1/account/devices/totp', { headers, json: { name: 'Phone' } })
  expectStatus(started, 201, 'start linking')
  const { deviceId, secret } = parseJson<{ deviceId: string; secret: string }>(started)

  const user: BenchUser = { username, password, key: base32Decode(secret), lastStep: 0, busy: false, retired: false }
  const confirmed = await client.request('POST', `/api/v1/account/devices/${encodeURIComponent(deviceId)}/confirm`, { headers, json: { code: useCode(user) } })
  expectStatus(confirmed, 200, 'confirm device')
  return user
}

/** Step one for a linked user: the flow id that step two needs. */
export async function mintFlow(client: Client, user: BenchUser): Promise<string> {
  const answer = await client.request('POST', '/api/v1/sign-in/password', { json: { username: user.username, password: user.password } })
  expectStatus(answer, 200, 'password step')
  const body = parseJson<{ state: string; flowId?: string }>(answer)
  if (body.state !== 'awaiting_second_factor' || !body.flowId) throw new Error(`password step: expected awaiting_second_factor, got ${answer.text}`)
  return body.flowId
}

function expectStatus(answer: { status: number; text: string }, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 300)}`)
}
