import { setTimeout as sleep } from 'node:timers/promises'
import { errorCode, type Answer, type Client } from './http.js'
import { measure, Recorder, type Outcome, type RunResult } from './load.js'
import { timeStep } from './totp.js'
import { useCode, type BenchUser, type UserGroup } from './users.js'

export interface PooledFlow {
  user: BenchUser
  flowId: string
}

interface RunInput {
  client: Client
  concurrency: number
  durationMs: number
  serverPid: number
}

const PASSWORD = '/api/v1/sign-in/password'
const SECOND_FACTOR = '/api/v1/sign-in/second-factor'

export function statusLabel(answer: Answer): string {
  const code = errorCode(answer)
  return code ? `${answer.status} ${code}` : String(answer.status)
}

function passwordStep(client: Client, user: BenchUser): Promise<Answer> {
  return client.request('POST', PASSWORD, { json: { username: user.username, password: user.password } })
}

function totpStep(client: Client, user: BenchUser, flowId: string): Promise<Answer> {
  return client.request('POST', SECOND_FACTOR, { json: { flowId, method: 'totp', code: useCode(user) } })
}

const awaitsSecondFactor = (answer: Answer) => answer.status === 200 && answer.text.includes('"awaiting_second_factor"')
const completed = (answer: Answer) => answer.status === 200 && answer.text.includes('"completed"')

function takeUser(group: UserGroup, freshStep: boolean): BenchUser {
  const user = group.take(freshStep)
  if (!user) throw new Error('no free user: the group is smaller than the concurrency')
  return user
}

/** Step one alone: password → awaiting_second_factor. Flows it opens are left to expire. */
export function runPasswordSteps(
  input: RunInput & { group: UserGroup; scenario?: string; recorder?: Recorder; onAnswer?: (user: BenchUser, answer: Answer) => void },
): Promise<RunResult> {
  const recorder = input.recorder ?? new Recorder()
  return measure({
    scenario: input.scenario ?? 'password step',
    concurrency: input.concurrency,
    durationMs: input.durationMs,
    serverPid: input.serverPid,
    recorder,
    async op(): Promise<Outcome> {
      const user = takeUser(input.group, false)
      try {
        const answer = await passwordStep(input.client, user)
        recorder.latency('op', answer.ms)
        recorder.status(statusLabel(answer))
        input.onAnswer?.(user, answer)
        if (answer.status === 503) recorder.latency('503 refusals', answer.ms)
        else if (answer.status === 200) recorder.latency('200 answers', answer.ms)
        return awaitsSecondFactor(answer) ? 'ok' : 'fail'
      } finally {
        input.group.release(user)
      }
    },
  })
}

/**
 * Step two alone, against flows opened before the clock started; the run also ends when the pool
 * is used up. A flow whose user already signed in during this time step is skipped, not sent:
 * its code would be a replay and count towards a lockout.
 */
export function runTotpSteps(input: RunInput & { pool: PooledFlow[] }): Promise<RunResult> {
  const recorder = new Recorder()
  let next = 0
  return measure({
    scenario: 'TOTP step',
    concurrency: input.concurrency,
    durationMs: input.durationMs,
    serverPid: input.serverPid,
    recorder,
    async op(): Promise<Outcome> {
      let entry: PooledFlow | undefined
      while ((entry = input.pool[next++])) {
        if (!entry.user.busy && !entry.user.retired && entry.user.lastStep < timeStep()) break
        recorder.status('skipped: step already used')
      }
      if (!entry) return 'done'
      entry.user.busy = true
      try {
        const answer = await totpStep(input.client, entry.user, entry.flowId)
        recorder.latency('op', answer.ms)
        recorder.status(statusLabel(answer))
        if (completed(answer)) return 'ok'
        entry.user.retired = true
        return 'fail'
      } finally {
        entry.user.busy = false
      }
    },
  })
}

/** Whole sign-ins: password, then a TOTP code, counted per completed flow. */
export function runFlows(input: RunInput & { group: UserGroup }): Promise<RunResult> {
  const recorder = new Recorder()
  return measure({
    scenario: 'whole flow',
    concurrency: input.concurrency,
    durationMs: input.durationMs,
    serverPid: input.serverPid,
    recorder,
    async op(): Promise<Outcome> {
      const user = await freshUser(input.group, recorder)
      try {
        const first = await passwordStep(input.client, user)
        recorder.latency('password', first.ms)
        recorder.status(`password ${statusLabel(first)}`)
        if (!awaitsSecondFactor(first)) {
          recorder.latency('op', first.ms)
          return 'fail'
        }
        const flowId = (JSON.parse(first.text) as { flowId: string }).flowId
        const second = await totpStep(input.client, user, flowId)
        recorder.latency('totp', second.ms)
        recorder.latency('op', first.ms + second.ms)
        recorder.status(`totp ${statusLabel(second)}`)
        if (completed(second)) return 'ok'
        user.retired = true
        return 'fail'
      } finally {
        input.group.release(user)
      }
    },
  })
}

/** A user who can still sign in during this time step; waiting for one is reported, since it idles the loop. */
async function freshUser(group: UserGroup, recorder: Recorder): Promise<BenchUser> {
  // Past one whole time step, waiting longer cannot help: every user is retired or in flight.
  const giveUpAt = performance.now() + 31_000
  for (let waited = false; ; waited = true) {
    const user = group.take(true)
    if (user) return user
    if (performance.now() > giveUpAt) throw new Error('no user left who can sign in')
    if (!waited) recorder.status('waited for a user with an unused time step')
    await sleep(10)
  }
}
