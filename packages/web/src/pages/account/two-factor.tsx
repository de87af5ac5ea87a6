import type { MethodKind } from '@countersign/protocol'
import { useState } from 'preact/hooks'
import { api } from '../../api'
import { Button, Card, ConfirmDialog, ErrorNotice, Notice, SelectField, useAction } from '../../components/ui'
import { hasMessage, methodLabel, useT, type MessageId } from '../../i18n'
import { useReauthentication } from './reauthenticate'
import { choosableMethods, userDecides, type SecurityOverview } from './types'

/** The policy's reason in the user's words (second-factor-requirement.ts). */
function reasonText(reason: string): MessageId {
  const id = `account.reason.${reason}`
  return hasMessage(id) ? id : 'account.reason.other'
}

/**
 * Two-step verification: whether it is on, which rule decides and why, and the switch where the
 * organisation leaves it to the user (F-SET-4).
 */
export function TwoFactorCard(props: { overview: SecurityOverview; onChanged(): Promise<void>; onLinkApp(): void }) {
  const t = useT()
  const { guard } = useReauthentication()
  const { overview } = props
  const on = overview.policy.required
  const decides = userDecides(overview)
  const [confirmOff, setConfirmOff] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  const action = useAction()

  async function set(enabled: boolean) {
    setDone(null)
    const ok = await action.run(async () => {
      await guard(() => api('PUT', '/api/v1/account/two-factor', { enabled }))
      await props.onChanged()
      return true
    })
    if (ok) {
      setConfirmOff(false)
      setDone(enabled ? t('account.twoFactor.turnedOn') : t('account.twoFactor.turnedOff'))
    }
  }

  return (
    <Card title={t('account.twoFactor.title')}>
      <p class="status-line">
        <span class={`badge ${on ? 'badge-success' : 'badge-off'}`}>{on ? t('account.twoFactor.on') : t('account.twoFactor.off')}</span>
        <span>{on ? t('account.twoFactor.onLead') : t('account.twoFactor.offLead')}</span>
      </p>
      <p class="policy-reason">{t(reasonText(overview.policy.reason))}</p>
      {done ? <Notice kind="success">{done}</Notice> : null}
      {!confirmOff ? <ErrorNotice error={action.error} /> : null}
      {decides ? (
        <div class="actions">
          {on ? (
            <Button variant="secondary" busy={action.busy} onClick={() => setConfirmOff(true)}>
              {t('account.twoFactor.turnOff')}
            </Button>
          ) : overview.devices.length > 0 ? (
            <Button busy={action.busy} onClick={() => void set(true)}>
              {t('account.twoFactor.turnOn')}
            </Button>
          ) : (
            <>
              <p class="hint">{t('account.twoFactor.linkFirst')}</p>
              <Button onClick={props.onLinkApp}>{t('account.twoFactor.linkApp')}</Button>
            </>
          )}
        </div>
      ) : null}
      {confirmOff ? (
        <ConfirmDialog title={t('account.twoFactor.confirmOff.title')} confirm={t('account.twoFactor.confirmOff.submit')} danger action={action} onConfirm={() => void set(false)} onCancel={() => setConfirmOff(false)}>
          <p>{t('account.twoFactor.confirmOff.body')}</p>
        </ConfirmDialog>
      ) : null}
      <FirstMethod overview={overview} onChanged={props.onChanged} />
    </Card>
  )
}

/** The method offered first at sign-in, among those set up and allowed (F-SET-1, F-LOGIN-2). */
function FirstMethod(props: { overview: SecurityOverview; onChanged(): Promise<void> }) {
  const t = useT()
  const { guard } = useReauthentication()
  const choices = choosableMethods(props.overview)
  const current = props.overview.method && choices.includes(props.overview.method) ? props.overview.method : (choices[0] ?? null)
  const [chosen, setChosen] = useState<MethodKind | null>(current)
  const [saved, setSaved] = useState(false)
  const action = useAction()

  async function save(event: Event) {
    event.preventDefault()
    if (!chosen) return
    setSaved(false)
    const ok = await action.run(async () => {
      await guard(() => api('PUT', '/api/v1/account/method', { method: chosen }))
      await props.onChanged()
      return true
    })
    if (ok) setSaved(true)
  }

  return (
    <div class="first-method">
      <h3>{t('account.method.title')}</h3>
      {choices.length === 0 ? (
        <p class="muted">{t('account.method.none')}</p>
      ) : choices.length === 1 ? (
        <p>
          {t('account.method.only')} <strong>{t(methodLabel(choices[0]!))}</strong>
        </p>
      ) : (
        <form onSubmit={save}>
          {saved ? <Notice kind="success">{t('common.saved')}</Notice> : null}
          <ErrorNotice error={action.error} />
          <SelectField
            label={t('account.method.label')}
            hint={t('account.method.hint')}
            value={chosen ?? choices[0]!}
            options={choices.map((m) => ({ value: m, label: t(methodLabel(m)) }))}
            onValue={(value) => {
              setChosen(value)
              setSaved(false)
            }}
          />
          <Button type="submit" busy={action.busy} disabled={chosen === current}>
            {t('common.save')}
          </Button>
        </form>
      )}
    </div>
  )
}
