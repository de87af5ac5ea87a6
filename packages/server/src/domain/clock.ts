import { hash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

/** Where time comes from. Domain code takes `now` as an argument; use-cases ask the clock. */
export interface Clock {
  now(): Date
}

/** Where randomness comes from: a CSPRNG in production, the same one in tests. */
export interface Random {
  bytes(length: number): Buffer
  /** A uniform integer in [min, max). */
  int(min: number, max: number): number
}

export const systemClock: Clock = { now: () => new Date() }

export const cryptoRandom: Random = {
  bytes: (length) => randomBytes(length),
  int: (min, max) => randomInt(min, max),
}

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  #ms: number
  constructor(start: Date | string = '2026-11-25T10:00:00Z') {
    this.#ms = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.#ms)
  }
  set(at: Date | string): void {
    this.#ms = new Date(at).getTime()
  }
  advance(ms: number): void {
    this.#ms += ms
  }
}

export function sha256(data: string | Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

/** Constant-time equality of two byte strings; unequal lengths are unequal without a timing hint. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still spend the comparison so the length mismatch is not visibly faster.
    timingSafeEqual(a, a)
    return false
  }
  return timingSafeEqual(a, b)
}

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS
