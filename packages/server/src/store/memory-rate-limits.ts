import type { RateLimitStore } from './store.js'

/**
 * Fixed-window counters in memory. The SQLite store serves exactly one server process (F-X-4), so
 * per-IP counters need not cost a committed row (and an fsync) per request; they restart empty
 * with the process. A store shared by several instances (PostgreSQL) keeps them in its table.
 */
export class MemoryRateLimits implements RateLimitStore {
  readonly #windows = new Map<string, { start: number; count: number }>()

  async hit(key: string, windowStart: Date): Promise<number> {
    const start = windowStart.getTime()
    const window = this.#windows.get(key)
    if (window && window.start === start) return ++window.count
    this.#windows.set(key, { start, count: 1 })
    return 1
  }

  async deleteBefore(windowStart: Date): Promise<number> {
    let deleted = 0
    for (const [key, window] of this.#windows) {
      if (window.start < windowStart.getTime()) {
        this.#windows.delete(key)
        deleted++
      }
    }
    return deleted
  }
}
