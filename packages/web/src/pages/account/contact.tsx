import { useState } from 'preact/hooks'
import { EmailChange, PhoneSetup } from '../../components/phone-setup'
import { Button, Card, Dialog, Notice } from '../../components/ui'
import { useT } from '../../i18n'
import { useReauthentication } from './reauthenticate'
import type { SecurityOverview } from './types'

/**
 * Where codes and notices go (F-SET-2): the e-mail address and the mobile number (masked, as the
 * server gives it, with whether it is verified). Either changes with a code sent to the new one;
 * an old sign-in asks for the password first and then carries on.
 */
export function ContactCard(props: { overview: SecurityOverview; onChanged(): Promise<void> }) {
  const t = useT()
  const { guard } = useReauthentication()
  const { overview } = props
  const [editing, setEditing] = useState<'phone' | 'email' | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const phoneAction = overview.phone ? t('account.contact.phone.change') : t('account.contact.phone.register')

  function open(which: 'phone' | 'email') {
    setDone(null)
    setEditing(which)
  }

  return (
    <Card title={t('account.contact.title')} id="contact">
      <p class="lead">{t('account.contact.lead')}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
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
      <div class="actions">
        <Button variant="secondary" onClick={() => open('phone')}>
          {phoneAction}
        </Button>
        <Button variant="secondary" onClick={() => open('email')}>
          {t('account.contact.email.change')}
        </Button>
      </div>

      {editing === 'phone' ? (
        <Dialog title={phoneAction} onClose={() => setEditing(null)}>
          <PhoneSetup
            guard={guard}
            onCancel={() => setEditing(null)}
            onVerified={async (answer) => {
              setEditing(null)
              await props.onChanged()
              setDone(t('account.contact.phone.done', { phone: answer.phone }))
            }}
          />
        </Dialog>
      ) : null}
      {editing === 'email' ? (
        <Dialog title={t('account.contact.email.change')} onClose={() => setEditing(null)}>
          <EmailChange
            guard={guard}
            onCancel={() => setEditing(null)}
            onVerified={async (answer) => {
              setEditing(null)
              await props.onChanged()
              setDone(t('account.contact.email.done', { email: answer.email }))
            }}
          />
        </Dialog>
      ) : null}
    </Card>
  )
}
