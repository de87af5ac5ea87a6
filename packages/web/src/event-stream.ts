/**
 * Listens to a same-origin `text/event-stream` (the page's cookies go with it). On the first
 * failure the stream is closed and `onFailure` runs once, so the caller can poll instead: the
 * browser would otherwise reconnect on its own, for ever, to a stream that may be gone. The
 * returned function closes the stream; handlers never run after it.
 */
export function listen(
  url: string,
  handlers: Record<string, (data: unknown) => void>,
  callbacks: { onOpen?: () => void; onFailure(): void },
): () => void {
  let closed = false
  const close = () => {
    closed = true
    source?.close()
  }
  let source: EventSource | undefined
  try {
    source = new EventSource(url)
  } catch {
    queueMicrotask(() => {
      if (!closed) callbacks.onFailure()
    })
    return close
  }
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => {
      if (!closed) handle(parse((event as MessageEvent<string>).data))
    })
  }
  source.onopen = () => {
    if (!closed) callbacks.onOpen?.()
  }
  source.onerror = () => {
    if (closed) return
    close()
    callbacks.onFailure()
  }
  return close
}

function parse(data: string | undefined): unknown {
  if (!data) return undefined
  try {
    return JSON.parse(data)
  } catch {
    return data
  }
}
