import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { readFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { BlockList, isIP } from 'node:net'
import type webpushModule from 'web-push'
import type { Config } from '../config/config.js'

/**
 * Web Push (RFC 8030) to the Countersign Authenticator: the payload encrypted for the phone
 * (RFC 8291, `aes128gcm`) and the request signed with the server's VAPID key (RFC 8292). The
 * `web-push` library does both; this file is the only one that imports it.
 */
export interface PushSubscription {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

export interface VapidKeys {
  publicKey: string
  privateKey: string
}

/** `sent`: the push service accepted it; `gone`: the subscription no longer exists (drop it). */
export type PushOutcome = { result: 'sent' } | { result: 'gone' } | { result: 'failed'; detail: string }

export interface PushSender {
  send(subscription: PushSubscription, payload: string, vapid: VapidKeys): Promise<PushOutcome>
}

/** `web-push` is loaded at the first push, not at start: a server nobody pairs a phone with never needs it. */
let loaded: Promise<typeof webpushModule> | null = null
const webpush = () => (loaded ??= import('web-push').then((module) => module.default))

export async function generateVapidKeys(): Promise<VapidKeys> {
  return (await webpush()).generateVAPIDKeys()
}

/**
 * Addresses a push may never go to: this host, private networks, link-local, carrier-grade NAT,
 * multicast and reserved ranges, IPv4 inside IPv6. A paired phone names the endpoint, so it must
 * not be able to aim the server at an internal service (SSRF).
 */
const internal4 = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) internal4.addSubnet(net, bits, 'ipv4')
const internal6 = new BlockList()
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) internal6.addSubnet(net, bits, 'ipv6')

/** The eight 16-bit groups of an IPv6 address. */
function groups(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address)
  const text = dotted ? address.slice(0, dotted.index) + (((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16) + ':' + ((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)) : address
  const [head, tail] = text.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0')
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16))
}

export function internalAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  if (family === 4) return internal4.check(address, 'ipv4')
  // IPv4 inside IPv6 (mapped ::ffff:a.b.c.d, or the old compatible ::a.b.c.d) is judged as IPv4.
  const g = groups(address)
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return internal4.check(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`, 'ipv4')
  }
  return internal6.check(address, 'ipv6')
}

/**
 * Where pushes may go: https only, and (outside tests, whose push service listens on 127.0.0.1)
 * never to an internal address — checked here for an IP in the URL and again, for a name, on the
 * addresses it resolves to when the connection is made (see `guardedLookup`).
 */
export function pushEndpointAllowed(endpoint: string, env: Config['env']): boolean {
  const url = URL.parse(endpoint)
  if (!url) return false
  if (url.protocol !== 'https:' || url.username || url.password) return false
  if (env === 'test') return true
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.') && isIP(host) === 0) return false
  return isIP(host) === 0 || !internalAddress(host)
}

/** DNS for push connections: a name that resolves to an internal address is refused, and the connection uses the checked address. */
function guardedLookup(hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '')
    const list = addresses as LookupAddress[]
    if (list.length === 0 || list.some((a) => internalAddress(a.address))) {
      return callback(Object.assign(new Error('push endpoint resolves to an internal address'), { code: 'EPUSHADDRESS' }), '')
    }
    if (options.all) return callback(null, list)
    callback(null, list[0]!.address, list[0]!.family)
  })
}

export function createPushSender(config: Config): PushSender {
  // A push service with a private CA (a test's local one, or an organisation's relay).
  const agent = new Agent({
    keepAlive: true,
    ...(config.pushCaFile ? { ca: readFileSync(config.pushCaFile) } : {}),
    ...(config.env === 'test' ? {} : { lookup: guardedLookup as never }),
  })
  const subject = config.pushSubject ?? (config.publicUrl.startsWith('https://') ? config.publicUrl : 'mailto:push@countersign.invalid')
  return {
    async send(subscription, payload, vapid) {
      if (!pushEndpointAllowed(subscription.endpoint, config.env)) return { result: 'failed', detail: 'endpoint not allowed' }
      try {
        await (await webpush()).sendNotification(subscription, payload, {
          vapidDetails: { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
          TTL: 120,
          urgency: 'high',
          timeout: config.deliveryTimeoutMs,
          contentEncoding: 'aes128gcm',
          agent,
        })
        return { result: 'sent' }
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode
        if (status === 404 || status === 410) return { result: 'gone' }
        // Never the endpoint or the body in the detail: the endpoint is a bearer address.
        return { result: 'failed', detail: status ? `HTTP ${status}` : ((error as { code?: string }).code ?? 'error') }
      }
    },
  }
}
