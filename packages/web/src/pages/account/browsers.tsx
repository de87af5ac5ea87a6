import { useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, ErrorNotice, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT } from '../../i18n'
import { useReauthentication } from './reauthenticate'
import type { RememberedBrowser, SecurityOverview } from './types'
import { browserName } from './user-agent'

/** Browsers that skip the second factor, and "forget" (F-SET-3, F-LOGIN-3). */
export function BrowsersCard(props: { overview: SecurityOverview; onChanged(): Promise<void> }) {
  const t = useT()
  const { overview } = props
  const [done, setDone] = useState<string | null>(null)
  const browsers = overview.rememberedBrowsers
  return (
    <Card title={t('account.browsers.title')}>
      <p class="muted">
        {overview.rememberBrowserDays > 0 ? t('account.browsers.lead', { days: overview.rememberBrowserDays }) : t('account.browsers.notOffered')}
      </p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {browsers.length === 0 ? (
        overview.rememberBrowserDays > 0 ? <p class="empty">{t('account.browsers.none')}</p> : null
      ) : (
        <ul class="item-list" aria-label={t('account.browsers.title')}>
          {browsers.map((browser) => (
            <BrowserItem
              key={browser.id}
              browser={browser}
              onForgotten={async (name) => {
                await props.onChanged()
                setDone(t('account.browsers.forgotten', { name }))
              }}
            />
          ))}
        </ul>
      )}
    </Card>
  )
}

function BrowserItem(props: { browser: RememberedBrowser; onForgotten(name: string): Promise<void> }) {
  const t = useT()
  const { language } = useLanguage()
  const { guard } = useReauthentication()
  const action = useAction()
  const { browser } = props
  const name = browserName(t, browser.userAgent)

  async function forget() {
    const ok = await action.run(async () => {
      await guard(() => api('DELETE', `/api/v1/account/remembered-browsers/${encodeURIComponent(browser.id)}`))
      return true
    })
    if (ok) await props.onForgotten(name)
  }

  return (
    <li class="item">
      <ErrorNotice error={action.error} />
      <div class="item-row">
        <div class="item-main">
          <p class="item-title">
            <strong title={browser.userAgent ?? undefined}>{name}</strong>
          </p>
          <dl class="facts">
            <div>
              <dt>{t('account.browsers.ip')}</dt>
              <dd>{browser.ip ?? t('account.unknown')}</dd>
            </div>
            <div>
              <dt>{t('account.browsers.createdAt')}</dt>
              <dd>{formatDateTime(language, browser.createdAt)}</dd>
            </div>
            <div>
              <dt>{t('account.browsers.lastUsedAt')}</dt>
              <dd>{browser.lastUsedAt ? formatDateTime(language, browser.lastUsedAt) : t('common.never')}</dd>
            </div>
            <div>
              <dt>{t('account.browsers.expiresAt')}</dt>
              <dd>{formatDateTime(language, browser.expiresAt)}</dd>
            </div>
          </dl>
        </div>
        <div class="item-actions">
          <Button variant="secondary" busy={action.busy} aria-label={t('account.browsers.forget.label', { name })} onClick={() => void forget()}>
            {t('account.browsers.forget')}
          </Button>
        </div>
      </div>
    </li>
  )
}
