import { accountKey, markRemoved } from './accounts'
import { emitAppEvent } from './app-events'
import { eventsUrl, isDeviceGone, listChallenges, type PairedAccount } from './server-api'

interface Channel {
  account: PairedAccount
  source: EventSource | null
  timer: ReturnType<typeof setTimeout> | null
  failures: number
}

/**
 * One signed event stream per paired account while the app is open (protocol §3, events), so an
 * answer never depends on push alone. EventSource would reconnect with the same URL, whose
 * signature is stale after two minutes, so every reconnect is ours: a fresh signature, after a
 * check of the pending list (which also catches up on what was missed, and tells a removed device).
 */
export class EventChannels {
  readonly #channels = new Map<string, Channel>()

  /** Opens streams for the given accounts and closes the others. */
  sync(accounts: PairedAccount[]): void {
    // Keyed by server and device: the same device id of two servers is two streams.
    const wanted = new Map(accounts.map((account) => [accountKey(account.pairing.server, account.pairing.deviceId), account]))
    for (const [key, channel] of this.#channels) {
      if (!wanted.has(key)) this.#stop(key, channel)
    }
    for (const [key, account] of wanted) {
      const channel = this.#channels.get(key)
      if (channel) channel.account = account
      else {
        const created: Channel = { account, source: null, timer: null, failures: 0 }
        this.#channels.set(key, created)
        void this.#open(created)
      }
    }
  }

  close(): void {
    for (const [key, channel] of this.#channels) this.#stop(key, channel)
  }

  #stop(key: string, channel: Channel) {
    channel.source?.close()
    if (channel.timer) clearTimeout(channel.timer)
    this.#channels.delete(key)
  }

  async #open(channel: Channel) {
    const { server, deviceId } = channel.account.pairing
    const key = accountKey(server, deviceId)
    let url: string
    try {
      url = await eventsUrl(channel.account)
    } catch {
      return this.#retry(channel)
    }
    if (this.#channels.get(key) !== channel) return
    const source = new EventSource(url)
    channel.source = source
    source.onopen = () => {
      channel.failures = 0
    }
    source.addEventListener('challenge', (event) => {
      const id = parse(event)?.id
      if (typeof id === 'string') emitAppEvent({ type: 'challenge', server, challengeId: id, deviceId })
    })
    source.addEventListener('closed', (event) => {
      const data = parse(event)
      if (typeof data?.id === 'string') emitAppEvent({ type: 'closed', server, challengeId: data.id, deviceId, status: String(data.status ?? '') })
    })
    source.addEventListener('removed', () => {
      this.#stop(key, channel)
      void markRemoved(server, deviceId).then(() => emitAppEvent({ type: 'removed', server, deviceId }))
    })
    source.onerror = () => {
      source.close()
      if (channel.source === source) channel.source = null
      this.#retry(channel)
    }
  }

  #retry(channel: Channel) {
    if (this.#channels.get(accountKey(channel.account.pairing.server, channel.account.pairing.deviceId)) !== channel) return
    channel.failures++
    const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(channel.failures - 1, 5))
    channel.timer = setTimeout(() => void this.#check(channel), delayMs)
  }

  /** Before reconnecting: is the device still paired, and did a challenge arrive meanwhile? */
  async #check(channel: Channel) {
    channel.timer = null
    const { server, deviceId } = channel.account.pairing
    const key = accountKey(server, deviceId)
    try {
      emitAppEvent({ type: 'pending', server, deviceId, challenges: await listChallenges(channel.account) })
    } catch (error) {
      if (isDeviceGone(error)) {
        this.#stop(key, channel)
        await markRemoved(server, deviceId)
        emitAppEvent({ type: 'removed', server, deviceId })
        return
      }
    }
    if (this.#channels.get(key) === channel) void this.#open(channel)
  }
}

function parse(event: Event): Record<string, unknown> | null {
  try {
    const data: unknown = JSON.parse((event as MessageEvent<string>).data)
    return data && typeof data === 'object' ? (data as Record<string, unknown>) : null
  } catch {
    return null
  }
}
