import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CountersignError } from '../domain/errors.js'

/**
 * Server-sent events (`text/event-stream`) for whoever waits on an answer: the browser waiting for
 * a push approval, the page showing a pairing QR code, an open Countersign Authenticator. The
 * stream only says "look again"; every event is derived from the store, so a stream that breaks
 * loses nothing (the browser's EventSource reconnects after `retry`).
 */
export interface EventStream {
  send(event: string, data: unknown): void
  /** Runs `check` now, on every `wake()`, and every `everyMs` (a lost notification costs one period). */
  watch(check: () => Promise<void>, everyMs: number): void
  wake(): void
  /** Runs when the stream ends, whoever ends it. */
  onClose(cleanup: () => void): void
  close(): void
  readonly closed: boolean
}

const HEARTBEAT_MS = 15_000

/** One set of open streams per server, closed with a reconnect hint when the server shuts down (F-X-4). */
const openStreams = new WeakMap<FastifyInstance, Set<EventStream>>()

export function trackEventStreams(app: FastifyInstance): void {
  const streams = new Set<EventStream>()
  openStreams.set(app, streams)
  // Before the server waits for its connections to end: tell each client to come back (to
  // another instance) in a second, then end the stream.
  app.addHook('preClose', async () => {
    for (const stream of [...streams]) {
      stream.send('shutdown', { retryMs: 1000 })
      stream.close()
    }
  })
}

export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  const streams = openStreams.get(request.server) ?? new Set<EventStream>()
  // The headers the hooks put on the reply (CSP, no-store, nosniff…) go out with the stream too.
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value)
  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  })
  if (request.method !== 'HEAD') raw.write('retry: 3000\n\n')
  const cleanups: Array<() => void> = []
  let closed = false
  let checking: Promise<void> | null = null
  let again = false
  let check: (() => Promise<void>) | null = null
  const timers: NodeJS.Timeout[] = [setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS)]

  const stream: EventStream = {
    get closed() {
      return closed
    },
    send(event, data) {
      if (closed) return
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    watch(run, everyMs) {
      if (closed) return
      check = run
      timers.push(setInterval(() => stream.wake(), everyMs))
      stream.wake()
    },
    wake() {
      if (closed || !check) return
      // One check at a time; a wake during a check runs one more afterwards.
      if (checking) {
        again = true
        return
      }
      const run = check
      checking = run()
        .catch(() => {})
        .finally(() => {
          checking = null
          if (again) {
            again = false
            stream.wake()
          }
        })
    },
    onClose(cleanup) {
      if (closed) cleanup()
      else cleanups.push(cleanup)
    },
    close() {
      if (closed) return
      closed = true
      for (const timer of timers) clearInterval(timer)
      streams.delete(stream)
      for (const cleanup of cleanups.splice(0)) {
        try {
          cleanup()
        } catch {
          // a cleanup that fails must not keep the others from running
        }
      }
      raw.end()
    },
  }
  // HEAD: the headers a GET would get, and the end: a stream held open for a HEAD would be a free
  // way to tie up connections (the fuzz of issue 22 found it).
  if (request.method === 'HEAD') {
    stream.close()
    return stream
  }
  streams.add(stream)
  // The response's `close` (not the request's: that fires once the request is read) = the client left.
  raw.on('close', () => stream.close())
  return stream
}

/** Open streams one flow or one device may hold on one instance: a page or two, and an app. */
export const MAX_STREAMS_PER_OWNER = 4

const ownerStreams = new WeakMap<FastifyInstance, Map<string, EventStream[]>>()
const ownerOpening = new WeakMap<FastifyInstance, Map<string, number>>()

/**
 * Opens a stream that belongs to `owner` (`flow:…`, `device:…`), at most `MAX_STREAMS_PER_OWNER`
 * at once on this instance (issue 22: without a cap, one flow's cookie could hold any number of
 * connections). When they are all open, `whenFull` decides: `refuse` answers `429 RATE_LIMITED`
 * with `Retry-After`; `replaceOldest` ends the oldest (told to come back) and opens this one — for
 * an app's stream, whose signed URL someone could replay for two minutes: the app's own reconnect
 * then always wins back its place. `listen` subscribes before the stream opens, so nothing that
 * happens once the client sees it is missed; its unsubscribe runs when the stream ends.
 */
export async function openOwnedEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  owner: string,
  listen: () => Promise<() => unknown>,
  whenFull: 'refuse' | 'replaceOldest' = 'refuse',
): Promise<EventStream> {
  let byOwner = ownerStreams.get(request.server)
  if (!byOwner) ownerStreams.set(request.server, (byOwner = new Map()))
  let opening = ownerOpening.get(request.server)
  if (!opening) ownerOpening.set(request.server, (opening = new Map()))
  const held = byOwner.get(owner) ?? []
  // Streams still subscribing count too, so parallel requests cannot all slip past the cap.
  if (held.length + (opening.get(owner) ?? 0) >= MAX_STREAMS_PER_OWNER) {
    const oldest = held[0]
    if (whenFull === 'refuse' || !oldest) throw new CountersignError('RATE_LIMITED', { retryAfterSeconds: 5 })
    oldest.send('shutdown', { retryMs: 3000 })
    oldest.close()
  }
  opening.set(owner, (opening.get(owner) ?? 0) + 1)
  let unsubscribe: () => unknown
  try {
    unsubscribe = await listen()
  } finally {
    const left = (opening.get(owner) ?? 1) - 1
    if (left > 0) opening.set(owner, left)
    else opening.delete(owner)
  }
  const stream = openEventStream(request, reply)
  if (stream.closed) {
    void unsubscribe()
    return stream
  }
  const list = byOwner.get(owner) ?? []
  list.push(stream)
  byOwner.set(owner, list)
  stream.onClose(() => {
    const left = (byOwner.get(owner) ?? []).filter((s) => s !== stream)
    if (left.length > 0) byOwner.set(owner, left)
    else byOwner.delete(owner)
    void unsubscribe()
  })
  return stream
}
