import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api'
import { Layout } from '../components/layout'
import { Button, Card, ErrorNotice, Field, Notice } from '../components/ui'
import { useT } from '../i18n'

interface OutboxEntry {
  channel: 'sms' | 'email'
  to: string
  subject: string | null
  text: string
  sentAt: string
}

/** The development outbox (F-OTP-5): messages kept instead of sent, newest first, by recipient. */
export function DevOutbox() {
  const t = useT()
  const [to, setTo] = useState(() => new URLSearchParams(location.search).get('to') ?? '')
  const [entries, setEntries] = useState<OutboxEntry[] | null>(null)
  const [unused, setUnused] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function load(filter: string) {
    try {
      const query = filter.trim() ? `?to=${encodeURIComponent(filter.trim())}` : ''
      setEntries(await api<OutboxEntry[]>('GET', `/api/v1/dev/outbox${query}`))
      setError(null)
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 404) setUnused(true)
      else setError(caught)
    }
  }
  useEffect(() => {
    void load(to)
  }, [])

  return (
    <Layout title={t('outbox.title')} wide>
      <h1>{t('outbox.title')}</h1>
      <p>{t('outbox.intro')}</p>
      {unused ? (
        <Notice kind="info">{t('outbox.unused')}</Notice>
      ) : (
        <>
          <form
            class="stack"
            onSubmit={(event) => {
              event.preventDefault()
              void load(to)
            }}
          >
            <Field label={t('outbox.filter')} value={to} onValue={setTo} name="to" autocomplete="off" />
            <Button type="submit" variant="primary">
              {t('outbox.show')}
            </Button>
          </form>
          {error ? <ErrorNotice error={error} /> : null}
          {entries && entries.length === 0 ? <p>{t('outbox.empty')}</p> : null}
          {entries?.map((entry) => (
            <Card title={entry.subject ?? t(`outbox.channel.${entry.channel}`)}>
              <dl class="facts">
                <div>
                  <dt>{t('outbox.to')}</dt>
                  <dd class="outbox-to">{entry.to}</dd>
                </div>
                <div>
                  <dt>{t('outbox.sentAt')}</dt>
                  <dd>
                    <time dateTime={entry.sentAt}>{new Date(entry.sentAt).toLocaleString()}</time>
                  </dd>
                </div>
              </dl>
              <pre class="outbox-text">{entry.text}</pre>
            </Card>
          ))}
        </>
      )}
    </Layout>
  )
}
