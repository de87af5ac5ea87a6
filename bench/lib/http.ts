import http from 'node:http'

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  /** Wall time from sending the request to the last byte of the answer. */
  ms: number
}

export interface RequestOptions {
  json?: unknown
  headers?: Record<string, string>
}

const TIMEOUT_MS = 30_000

/**
 * A keep-alive HTTP/1.1 client for one loopback origin (node:http: no dependency, and cheaper
 * per request than fetch, so the load generator is not what limits a run).
 */
export class Client {
  readonly #agent: http.Agent
  readonly #host: string
  readonly #port: number

  constructor(origin: string, maxSockets = 256) {
    const url = new URL(origin)
    if (url.hostname !== '127.0.0.1') throw new Error(`loopback targets only, not ${url.hostname}`)
    this.#host = url.hostname
    this.#port = Number(url.port)
    this.#agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json))
    const headers: Record<string, string | number> = { ...options.headers }
    if (body) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = body.length
    }
    const started = performance.now()
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.#host, port: this.#port, path, method, agent: this.#agent, headers, timeout: TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
          )
        },
      )
      req.on('timeout', () => req.destroy(new Error(`timeout after ${TIMEOUT_MS} ms: ${method} ${path}`)))
      req.on('error', reject)
      req.end(body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}

export function parseJson<T>(answer: Answer): T {
  try {
    return JSON.parse(answer.text) as T
  } catch {
    throw new Error(`expected JSON, got ${answer.status}: ${answer.text.slice(0, 200)}`)
  }
}

/** The value of one cookie from the answer's Set-Cookie headers. */
export function cookieValue(answer: Answer, name: string): string | undefined {
  for (const line of answer.headers['set-cookie'] ?? []) {
    const [pair] = line.split(';')
    const eq = pair?.indexOf('=') ?? -1
    if (pair && eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim()
  }
  return undefined
}

/** Error code from the server's `{"error":{"code":…}}` answers, for status counts. */
export function errorCode(answer: Answer): string | undefined {
  if (answer.status < 400) return undefined
  try {
    return (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}
