import type { Translate } from '../i18n'
import { browserName } from '../lib/browser-name'

/** The decrypted push payload (protocol §4). */
export interface PushPayload {
  type: 'challenge'
  challengeId: string
  deviceId: string
  server: string | null
  organisation: string | null
  username: string
  browser: string | null
  ip: string | null
  createdAt: string | null
  expiresAt: string | null
}

const text = (value: unknown, max = 200): string | null => (typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null)

/** The payload if it is a challenge push, else null (a push must still show something: userVisibleOnly). */
export function parsePushPayload(data: unknown): PushPayload | null {
  if (!data || typeof data !== 'object') return null
  const value = data as Record<string, unknown>
  const challengeId = text(value.challengeId)
  const deviceId = text(value.deviceId)
  if (value.type !== 'challenge' || !challengeId || !deviceId) return null
  return {
    type: 'challenge',
    challengeId,
    deviceId,
    server: text(value.server),
    organisation: text(value.organisation),
    username: text(value.username) ?? '',
    // PU-07: the user agent is the attacker's to choose; notifications show plain text, cut short.
    browser: text(value.browser, 100),
    ip: text(value.ip, 64),
    createdAt: text(value.createdAt),
    expiresAt: text(value.expiresAt),
  }
}

/** "Sign-in request for bob at Demo Clinic", with the browser and IP; tapping opens the challenge. */
export function notificationFor(t: Translate, payload: PushPayload | null, scope: string): { title: string; options: NotificationOptions & Record<string, unknown> } {
  const icon = `${scope}icons/icon-192.png`
  if (!payload) return { title: t('challenge.title'), options: { icon, data: { url: scope } } }
  const url = `${scope}#/challenge/${encodeURIComponent(payload.challengeId)}?device=${encodeURIComponent(payload.deviceId)}`
  const createdAt = payload.createdAt ? Date.parse(payload.createdAt) : NaN
  return {
    title: payload.organisation
      ? t('notification.title', { username: payload.username, organisation: payload.organisation })
      : t('notification.titleNoOrganisation', { username: payload.username }),
    options: {
      body: t('notification.body', { browser: browserName(t, payload.browser), ip: payload.ip ?? '–' }),
      tag: payload.challengeId,
      requireInteraction: true,
      icon,
      badge: icon,
      ...(Number.isFinite(createdAt) ? { timestamp: createdAt } : {}),
      data: { url, challengeId: payload.challengeId, deviceId: payload.deviceId },
    },
  }
}
