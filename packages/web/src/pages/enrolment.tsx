import type { MethodKind } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { Layout, useSignOut } from '../components/layout'
import { TotpSetup } from '../components/totp-setup'
import { Button, Dialog, Loading, Notice } from '../components/ui'
import { methodLabel, useT } from '../i18n'
import { useSession } from '../session'

/** Methods a user can set up from this dialog today. */
const ENROLABLE: MethodKind[] = ['totp']

/**
 * Forced enrolment (F-LOGIN-5, F-POL-4): a modal the user cannot dismiss; the only ways out are
 * linking a method (which turns the restricted session into a full one) or signing out.
 */
export function EnrolmentDialog(props: { returnTo?: string; reason?: string | undefined; onDone?: () => void }) {
  const t = useT()
  const { route } = useLocation()
  const { reload } = useSession()
  const signOut = useSignOut()
  const [allowed, setAllowed] = useState<MethodKind[] | null>(null)
  const [method, setMethod] = useState<MethodKind | null>(null)

  useEffect(() => {
    api<{ allowedMethods: MethodKind[] }>('GET', '/api/v1/account/security')
      .then((overview) => {
        const usable = ENROLABLE.filter((m) => overview.allowedMethods.length === 0 || overview.allowedMethods.includes(m))
        setAllowed(usable)
        if (usable.length === 1) setMethod(usable[0]!)
      })
      .catch(() => setAllowed(ENROLABLE))
  }, [])

  async function done() {
    if (props.onDone) return props.onDone()
    await reload()
    route(props.returnTo ?? '/account/security', true)
  }


  return (
    <Layout title={t('enrolment.title')}>
      <Dialog title={t('enrolment.title')} wide>
        <p class="lead">{props.reason === 'one_time_bypass' ? t('enrolment.bypassLead') : t('enrolment.lead')}</p>
        {allowed === null ? (
          <Loading />
        ) : method === null ? (
          <fieldset class="choices">
            <legend>{t('enrolment.choose')}</legend>
            {allowed.map((m) => (
              <button key={m} type="button" class="choice" onClick={() => setMethod(m)}>
                {t(methodLabel(m))}
              </button>
            ))}
          </fieldset>
        ) : (
          <>
            <h3>{t('totp.title')}</h3>
            <TotpSetup onLinked={() => void done()} />
          </>
        )}
        {allowed !== null && allowed.length === 0 ? <Notice kind="warning">{t('error.ENROLMENT_REQUIRED')}</Notice> : null}
        <div class="actions actions-secondary">
          <Button variant="link" onClick={() => void signOut()}>
            {t('enrolment.signOut')}
          </Button>
        </div>
      </Dialog>
    </Layout>
  )
}
