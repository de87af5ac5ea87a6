import { Card } from '../../components/ui'
import { useT } from '../../i18n'
import type { SecurityOverview } from './types'

/** Where codes and notices go (F-SET-2); read-only here for now. */
export function ContactCard(props: { overview: SecurityOverview }) {
  const t = useT()
  const { overview } = props
  return (
    <Card title={t('account.contact.title')}>
      <dl class="facts facts-block">
        <div>
          <dt>{t('account.contact.email')}</dt>
          <dd>{overview.email}</dd>
        </div>
        <div>
          <dt>{t('account.contact.phone')}</dt>
          <dd>
            {overview.phone ? (
              <>
                <span class="phone">{overview.phone}</span>{' '}
                <span class={`badge ${overview.phoneVerified ? 'badge-success' : 'badge-off'}`}>
                  {overview.phoneVerified ? t('account.contact.verified') : t('account.contact.notVerified')}
                </span>
              </>
            ) : (
              t('account.contact.noPhone')
            )}
          </dd>
        </div>
      </dl>
      <p class="hint">{t('account.contact.readOnly')}</p>
    </Card>
  )
}
