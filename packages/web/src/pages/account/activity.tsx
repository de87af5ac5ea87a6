import { Card, ErrorNotice } from '../../components/ui'
import { formatDateTime, hasMessage, useLanguage, useT, type MessageId, type Translate } from '../../i18n'
import type { ActivityEvent } from './types'
import { browserName } from './user-agent'

/** Steps inside a sign-in or a linking that the user's list leaves out: the outcome is listed. */
const HIDDEN = new Set(['sign_in.password_succeeded', 'sign_in.second_factor_succeeded', 'device.link_started'])

/** Sign-ins that needed no second factor, by the reason the policy gave (second-factor-requirement.ts). */
const PASSWORD_ONLY = new Set(['staff_switch_off', 'one_time_bypass', 'user_override_exempt', 'organisation_off', 'user_not_enabled'])

/** What happened, in words. */
export function describeEvent(t: Translate, event: ActivityEvent): string {
  if (event.event === 'sign_in.completed') {
    if (event.reason === 'browser_remembered') return t('account.event.sign_in.remembered')
    if (event.reason && PASSWORD_ONLY.has(event.reason)) return t('account.event.sign_in.passwordOnly')
    return t('account.event.sign_in.completed')
  }
  const id = `account.event.${event.event}`
  return hasMessage(id) ? t(id as MessageId) : t('account.event.other')
}

/** Recent sign-in activity: when, what, from where (F-SET-3, F-POL-6). */
export function ActivityCard(props: { events: ActivityEvent[] | null; error: unknown }) {
  const t = useT()
  const { language } = useLanguage()
  const events = (props.events ?? []).filter((e) => !HIDDEN.has(e.event))
  return (
    <Card title={t('account.activity.title')}>
      <p class="muted">{t('account.activity.lead')}</p>
      <ErrorNotice error={props.error} />
      {props.events === null ? null : events.length === 0 ? (
        <p class="empty">{t('account.activity.none')}</p>
      ) : (
        <ol class="activity" aria-label={t('account.activity.title')}>
          {events.map((event) => (
            <li key={event.id}>
              <span class="activity-what">{describeEvent(t, event)}</span>
              <time class="activity-when" dateTime={event.at}>
                {formatDateTime(language, event.at)}
              </time>
              <span class="activity-where muted">
                {t('account.activity.from', { ip: event.ip ?? t('account.unknown'), browser: browserName(t, event.userAgent) })}
              </span>
            </li>
          ))}
        </ol>
      )}
    </Card>
  )
}
