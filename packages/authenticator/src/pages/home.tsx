import { useState } from 'preact/hooks'
import { AccountCard } from '../components/account-card'
import { Layout, Notice } from '../components/ui'
import { useT } from '../i18n/context'
import { setPushEndpoint } from '../lib/accounts'
import { errorText } from '../lib/error-text'
import { askForNotifications, notificationState, subscribeToPush } from '../lib/push'
import { fetchConfig, updateSubscription } from '../lib/server-api'
import { challengePath, isActive, useApp } from '../state'

/** The accounts with their codes (F-PUSH-3), pending sign-in requests, and the way to add one. */
export function Home() {
  const t = useT()
  const { accounts, pending, flash, setFlash, navigate, online } = useApp()
  const [pushError, setPushError] = useState<string | null>(null)
  const [turningOn, setTurningOn] = useState(false)

  const active = (accounts ?? []).filter(isActive)
  const ownServer = active.filter((account) => account.pairing.server === location.origin)
  const withoutPush = ownServer.filter((account) => account.pairing.pushEndpoint === null)
  const otherServers = active.some((account) => account.pairing.server !== location.origin)
  const permission = notificationState()

  async function turnOnNotifications() {
    const asked = askForNotifications()
    setTurningOn(true)
    setPushError(null)
    try {
      const { vapidPublicKey } = await fetchConfig(location.origin)
      const subscription = await subscribeToPush(vapidPublicKey, asked)
      if (!subscription) {
        setPushError(notificationState() === 'denied' ? t('home.pushDenied') : t('home.pushOff'))
        return
      }
      for (const account of withoutPush) {
        await updateSubscription(account, subscription)
        await setPushEndpoint(account.pairing.server, account.pairing.deviceId, subscription.endpoint ?? null)
      }
    } catch (error) {
      setPushError(errorText(t, error))
    } finally {
      setTurningOn(false)
    }
  }

  return (
    <Layout title={t('home.title')}>
      {flash ? (
        <Notice tone={flash.tone}>
          <p>{flash.text}</p>
          <button type="button" class="button-link" onClick={() => setFlash(null)}>
            {t('common.close')}
          </button>
        </Notice>
      ) : null}
      {!online ? <Notice tone="warning">{t('common.offline')}</Notice> : null}

      {pending.length > 0 ? (
        <section class="card card-attention" aria-labelledby="pending-title">
          <h2 id="pending-title">{t('home.pending.title')}</h2>
          <ul class="plain-list">
            {pending.map(({ account, challenge }) => (
              <li key={challenge.id} class="pending-item">
                <span>{t('home.pending.item', { username: challenge.username, organisation: challenge.organisation?.name ?? account.name })}</span>
                <button
                  type="button"
                  class="button button-primary"
                  onClick={() => navigate(challengePath(challenge.id, account.pairing.server, account.pairing.deviceId))}
                >
                  {t('home.pending.open')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <div class="heading-row">
        <h1>{t('home.title')}</h1>
        <button type="button" class="button button-primary" onClick={() => navigate('/add')}>
          <span aria-hidden="true" class="plus" />
          {t('home.add')}
        </button>
      </div>

      {withoutPush.length > 0 ? (
        <Notice tone="info" live={false}>
          <p>{permission === 'denied' ? t('home.pushDenied') : t('home.pushOff')}</p>
          {permission !== 'denied' && permission !== 'unsupported' ? (
            <button type="button" class="button button-secondary" disabled={turningOn} onClick={() => void turnOnNotifications()}>
              {t('home.pushEnable')}
            </button>
          ) : null}
          {pushError ? <p class="field-error">{pushError}</p> : null}
        </Notice>
      ) : null}

      {accounts === null ? (
        <p class="muted">{t('common.loading')}</p>
      ) : accounts.length === 0 ? (
        <section class="card empty">
          <h2>{t('home.empty.title')}</h2>
          <p class="muted">{t('home.empty.body')}</p>
        </section>
      ) : (
        <ul class="accounts" aria-label={t('home.title')}>
          {accounts.map((account) => (
            <AccountCard key={account.id} account={account} />
          ))}
        </ul>
      )}

      {otherServers ? <p class="hint">{t('home.otherServerHint', { server: location.host })}</p> : null}
    </Layout>
  )
}
