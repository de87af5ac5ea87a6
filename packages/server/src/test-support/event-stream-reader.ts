/** One server-sent event as a test sees it. */
export interface ReceivedEvent {
  event: string
  data: any
}

/**
 * Opens a server-sent event stream the way a browser's EventSource would and collects its events
 * until `until` says enough (bounded by `ms`). `opened` resolves once the server has answered with
 * the stream, so a test can act only when nobody could miss the event it causes.
 */
export function readEventStream(url: string, headers: Record<string, string>, until: (events: ReceivedEvent[]) => boolean, ms = 8000) {
  const abort = new AbortController()
  let markOpened!: () => void
  const opened = new Promise<void>((resolve) => (markOpened = resolve))
  const events = (async (): Promise<ReceivedEvent[]> => {
    const timer = setTimeout(() => abort.abort(), ms)
    const seen: ReceivedEvent[] = []
    try {
      const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
      if (response.status !== 200) throw new Error(`event stream: status ${response.status}`)
      if (!/^text\/event-stream/.test(response.headers.get('content-type') ?? '')) throw new Error('event stream: not text/event-stream')
      const reader = response.body!.getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return seen
        buffer += Buffer.from(value).toString('utf8')
        // The first bytes (`retry:`) say the stream is open.
        markOpened()
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.+)$/m.exec(block)?.[1]
          const data = /^data: (.+)$/m.exec(block)?.[1]
          if (event) seen.push({ event, data: data ? JSON.parse(data) : null })
        }
        if (until(seen)) {
          await reader.cancel()
          return seen
        }
      }
    } catch (error) {
      if (abort.signal.aborted) throw new Error(`no matching event in ${ms} ms: ${JSON.stringify(seen)}`)
      throw error
    } finally {
      clearTimeout(timer)
      markOpened()
    }
  })()
  return { opened, events }
}
