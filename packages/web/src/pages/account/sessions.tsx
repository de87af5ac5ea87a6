import type { SessionList, SessionSummary } from '@countersign/protocol'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { Button, Card, ErrorNotice, Loading, Notice, useAction } from '../../components/ui'
import { formatDateTime, formatHours, formatMinutes, useLanguage, useT, type Translate } from '../../i18n'
import { useSession } from '../../session'
import { useReauthentication } from './reauthenticate'
import { browserName } from './user-agent'

/** The organisation's limits in words (SC-07): "A session ends after 60 minutes without use, and 24 hours after signing in." */
export function sessionLimitsText(t: Translate, list: Pick<SessionList, 'idleMinutes' | 'maxHours'>): string {
  return t('account.sessions.limits', { idle: formatMinutes(t, list.idleMinutes), max: formatHours(t, list.maxHours) })
}

function othersEndedText(t: Translate, ended: number): string {
  if (ended === 0) return t('account.sessions.othersEnded.none')
  if (ended === 1) return t('account.sessions.othersEnded.one')
  return t('account.sessions.othersEnded.many', { count: ended })
}

/**
 * Where the user is signed in (SC-12): each session's browser, IP address and times, this browser
 * marked; "Sign out" on any other, and "Sign out everywhere else". `version` changes when
 * something else ended sessions (a password change), so the list is asked for again.
 */
export function SessionsCard(props: { version: number }) {
  const t = useT()
  const { reload: reloadSession } = useSession()
  const { guard } = useReauthentication()
  const [list, setList] = useState<SessionList | null>(null)
  const [loadError, setLoadError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const others = useAction()
  const generation = useRef(0)

  async function load() {
    const mine = ++generation.current
    try {
      const answer = await api<SessionList>('GET', '/api/v1/account/sessions')
      if (mine !== generation.current) return
      setList(answer)
      setLoadError(null)
    } catch (error) {
      if (mine !== generation.current) return
      // This session ended (elsewhere, or timed out): the page's guard takes the user to sign-in.
      if (error instanceof ApiError && error.code === 'SESSION_REQUIRED') return void reloadSession()
      setLoadError(error)
    }
  }

  useEffect(() => {
    void load()
  }, [props.version])

  async function endOthers() {
    setDone(null)
    const answer = await others.run(() => guard(() => api<{ ended: number }>('POST', '/api/v1/account/sessions/end-others')))
    if (answer) {
      await load()
      setDone(othersEndedText(t, answer.ended))
    }
  }

  // This browser first, then the most recently active.
  const sessions = [...(list?.sessions ?? [])].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt))
  const otherCount = sessions.filter((s) => !s.current).length
  return (
    <Card title={t('account.sessions.title')} id="sessions">
      <p class="muted">{t('account.sessions.lead')}</p>
      {list ? <p class="session-limits">{sessionLimitsText(t, list)}</p> : null}
      {done ? <Notice kind="success">{done}</Notice> : null}
      <ErrorNotice error={others.error ?? loadError} />
      {list === null ? (
        loadError ? (
          <Button variant="secondary" onClick={() => void load()}>
            {t('common.retry')}
          </Button>
        ) : (
          <Loading />
        )
      ) : (
        <>
          <ul class="item-list" aria-label={t('account.sessions.title')}>
            {sessions.map((session) => (
              <SessionItem
                key={session.id}
                session={session}
                onEnded={async (name) => {
                  await load()
                  setDone(t('account.sessions.ended', { name }))
                }}
                onStart={() => setDone(null)}
              />
            ))}
          </ul>
          {otherCount > 0 ? (
            <div class="actions">
              <Button variant="secondary" busy={others.busy} onClick={() => void endOthers()}>
                {t('account.sessions.endOthers')}
              </Button>
            </div>
          ) : (
            <p class="empty">{t('account.sessions.onlyHere')}</p>
          )}
        </>
      )}
    </Card>
  )
}

function SessionItem(props: { session: SessionSummary; onEnded(name: string): Promise<void>; onStart(): void }) {
  const t = useT()
  const { language } = useLanguage()
  const { guard } = useReauthentication()
  const action = useAction()
  const { session } = props
  const name = browserName(t, session.userAgent)

  async function end() {
    props.onStart()
    const ok = await action.run(async () => {
      await guard(() => api('DELETE', `/api/v1/account/sessions/${encodeURIComponent(session.id)}`))
      return true
    })
    if (ok) await props.onEnded(name)
  }

  return (
    <li class={`item${session.current ? ' item-current' : ''}`}>
      <ErrorNotice error={action.error} />
      <div class="item-row">
        <div class="item-main">
          <p class="item-title">
            <strong title={session.userAgent ?? undefined}>{name}</strong>
            {session.current ? <span class="badge badge-success">{t('account.sessions.current')}</span> : null}
            {session.restrictedToEnrolment ? <span class="badge">{t('account.sessions.setup')}</span> : null}
          </p>
          <dl class="facts">
            <div>
              <dt>{t('account.sessions.ip')}</dt>
              <dd>{session.ip ?? t('account.unknown')}</dd>
            </div>
            <div>
              <dt>{t('account.sessions.signedInAt')}</dt>
              <dd>{formatDateTime(language, session.signedInAt)}</dd>
            </div>
            <div>
              <dt>{t('account.sessions.lastSeenAt')}</dt>
              <dd>{formatDateTime(language, session.lastSeenAt)}</dd>
            </div>
            <div>
              <dt>{t('account.sessions.expiresAt')}</dt>
              <dd>{formatDateTime(language, session.expiresAt)}</dd>
            </div>
          </dl>
        </div>
        {session.current ? null : (
          <div class="item-actions">
            <Button variant="secondary" busy={action.busy} aria-label={t('account.sessions.end.label', { name, time: formatDateTime(language, session.lastSeenAt) })} onClick={() => void end()}>
              {t('account.sessions.end')}
            </Button>
          </div>
        )}
      </div>
    </li>
  )
}
