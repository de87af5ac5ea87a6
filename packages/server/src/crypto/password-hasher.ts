import { hash, verify, type Options } from '@node-rs/argon2'
import { availableParallelism } from 'node:os'
import { CountersignError } from '../domain/errors.js'

export interface Argon2Parameters {
  /** KiB; OWASP's minimum for argon2id is 19456 (19 MiB). */
  memoryKiB: number
  timeCost: number
}

/** OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1 (SR-06). */
export const OWASP_ARGON2: Argon2Parameters = { memoryKiB: 19456, timeCost: 2 }

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /** Verifies against a stored PHC string; an unknown user is verified against a dummy hash. */
  verify(storedHash: string | null, password: string): Promise<boolean>
  /** True when a stored hash was made with weaker parameters than the current ones. */
  needsRehash(storedHash: string): boolean
  /** False when a hash asked for now would be refused: callers refuse before doing any work. */
  hasCapacity(): boolean
  readonly stats: { running: number; waiting: number }
}

/**
 * argon2id off the event loop (libuv's thread pool) behind a bounded queue: at most
 * `concurrency` hashes run and at most `queueLimit` wait; past that the answer is an immediate
 * `503 OVERLOADED` with `Retry-After` rather than latency without bound (DESIGN.md §4, LD-03).
 * Passwords are NFKC-normalised first, so equivalent Unicode forms verify alike (IV-04).
 */
export function createPasswordHasher(options: {
  parameters: Argon2Parameters
  concurrency?: number
  queueLimit?: number
}): PasswordHasher {
  const concurrency = options.concurrency ?? Math.max(1, availableParallelism())
  const queueLimit = options.queueLimit ?? concurrency * 16
  const argonOptions = {
    algorithm: 2 as Options['algorithm'], // Algorithm.Argon2id (a const enum, not importable under verbatimModuleSyntax)
    memoryCost: options.parameters.memoryKiB,
    timeCost: options.parameters.timeCost,
    parallelism: 1,
  }
  const stats = { running: 0, waiting: 0 }
  const waiters: Array<() => void> = []

  async function withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (stats.running < concurrency) {
      stats.running++
    } else {
      if (stats.waiting >= queueLimit) throw new CountersignError('OVERLOADED', { retryAfterSeconds: 1 })
      stats.waiting++
      // The slot is handed over by release(), so `running` never exceeds `concurrency`.
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
    try {
      return await work()
    } finally {
      const next = waiters.shift()
      if (next) {
        stats.waiting--
        next()
      } else {
        stats.running--
      }
    }
  }

  // A real hash of a random password, so an unknown user costs what a known one costs (EN-02).
  const dummy = hash(`dummy-${Math.random()}-${Date.now()}`, argonOptions)

  return {
    stats,
    hasCapacity: () => stats.running < concurrency || stats.waiting < queueLimit,
    hash: (password) => withSlot(() => hash(password.normalize('NFKC'), argonOptions)),
    verify: (storedHash, password) =>
      withSlot(async () => {
        const target = storedHash ?? (await dummy)
        try {
          const ok = await verify(target, password.normalize('NFKC'))
          return ok && storedHash !== null
        } catch {
          return false
        }
      }),
    needsRehash(storedHash) {
      const match = /\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash)
      if (!match) return true
      return Number(match[1]) < argonOptions.memoryCost || Number(match[2]) < argonOptions.timeCost
    },
  }
}
