import { EventEmitter } from 'node:events'

/**
 * Wakes whoever waits for an answer, on every instance (DESIGN.md §1): a push approval reaching
 * instance A wakes the browser whose event stream is open on instance B. Best effort and at most
 * once: a listener re-reads the state from the store when woken, so a lost event costs a poll,
 * never a wrong answer.
 */
export interface Notifier {
  publish(channel: string, payload: string): Promise<void>
  /** Listens on one channel; the returned function stops listening. */
  subscribe(channel: string, listener: (payload: string) => void): Promise<() => void>
  close(): Promise<void>
}

/** One process (SQLite): an event emitter. */
export class InProcessNotifier implements Notifier {
  readonly #events = new EventEmitter().setMaxListeners(0)

  async publish(channel: string, payload: string): Promise<void> {
    this.#events.emit(channel, payload)
  }

  async subscribe(channel: string, listener: (payload: string) => void): Promise<() => void> {
    this.#events.on(channel, listener)
    return () => this.#events.off(channel, listener)
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners()
  }
}
