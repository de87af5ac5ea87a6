import type { MethodKind } from '@countersign/protocol'
import { useLocation } from 'preact-iso'
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { AuthenticatorSetup } from '../components/authenticator-setup'
import { PasskeySetup } from '../components/passkey-setup'
import { Layout, useSignOut } from '../components/layout'
import { PhoneSetup } from '../components/phone-setup'
import { TotpSetup } from '../components/totp-setup'
import { Button, Dialog, Loading, Notice } from '../components/ui'
import { methodLabel, useT } from '../i18n'
import { passkeysSupported } from '../passkey'
import { useSession } from '../session'

/**
 * Methods a user can set up from this dialog; `push` is the Countersign Authenticator (F-PUSH-1),
 * `passkey` a passkey or security key (F-X-1), only in a browser that can make one.
 */
const ENROLABLE: MethodKind[] = ['push', 'totp', ...(passkeysSupported() ? (['passkey'] as const) : [])]

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
  // `sms` here means registering and verifying a mobile number (F-SET-2, F-OTP-4).
  const [method, setMethod] = useState<MethodKind | null>(props.reason === 'phone_required' ? 'sms' : null)
  const [phone, setPhone] = useState<'required' | 'offered' | null>(props.reason === 'phone_required' ? 'required' : null)
  // The address codes and notices go to; only an admin changes it here (a password alone must not).
  const [email, setEmail] = useState<string | null>(null)

  useEffect(() => {
    api<{ allowedMethods: MethodKind[]; method: MethodKind | null; phoneVerified: boolean; email: string }>('GET', '/api/v1/account/security')
      .then((overview) => {
        setEmail(overview.email)
        const usable = ENROLABLE.filter((m) => overview.allowedMethods.length === 0 || overview.allowedMethods.includes(m))
        setAllowed(usable)
        // F-OTP-4: after sign-in the answer says `phone_required`; after a reload the account tells
        // (SMS chosen, no verified number), and otherwise SMS is one of the choices where allowed.
        const phoneRequired = props.reason === 'phone_required' || (props.reason === undefined && overview.method === 'sms' && !overview.phoneVerified)
        const smsAllowed = overview.allowedMethods.length === 0 || overview.allowedMethods.includes('sms')
        const offered = phoneRequired ? 'required' : props.reason === undefined && smsAllowed ? 'offered' : null
        setPhone(offered)
        if (offered === 'required') setMethod('sms')
        else if (usable.length === 1 && !offered) setMethod(usable[0]!)
        else if (usable.length === 0 && offered) setMethod('sms')
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
        <p class="lead">{props.reason === 'one_time_bypass' ? t('enrolment.bypassLead') : phone === 'required' ? t('phone.enrolment.lead') : t('enrolment.lead')}</p>
        {allowed === null ? (
          <Loading />
        ) : method === null ? (
          <fieldset class="choices">
            <legend>{t('enrolment.choose')}</legend>
            {allowed.map((m) => (
              <button key={m} type="button" class="choice" onClick={() => setMethod(m)}>
                {m === 'push' ? t('authenticator.choice') : m === 'passkey' ? t('passkey.choice') : t(methodLabel(m))}
              </button>
            ))}
            {phone ? (
              <button type="button" class="choice" onClick={() => setMethod('sms')}>
                {t('phone.enrolment.choice')}
              </button>
            ) : null}
          </fieldset>
        ) : method === 'sms' ? (
          <>
            <h3>{t('phone.enrolment.choice')}</h3>
            <PhoneSetup onVerified={() => done()} />
          </>
        ) : method === 'push' ? (
          <>
            <h3>{t('authenticator.title')}</h3>
            <AuthenticatorSetup confirmPairing onLinked={() => void done()} />
          </>
        ) : method === 'passkey' ? (
          <>
            <h3>{t('passkey.choice')}</h3>
            <PasskeySetup onLinked={() => void done()} />
          </>
        ) : (
          <>
            <h3>{t('totp.title')}</h3>
            <TotpSetup onLinked={() => void done()} />
          </>
        )}
        {allowed !== null && allowed.length === 0 && !phone ? <Notice kind="warning">{t('error.ENROLMENT_REQUIRED')}</Notice> : null}
        {email ? <p class="hint">{t('enrolment.email', { email })}</p> : null}
        <div class="actions actions-secondary">
          {method !== null && phone !== 'required' && (allowed?.length ?? 0) + (phone ? 1 : 0) > 1 ? (
            <Button variant="link" onClick={() => setMethod(null)}>
              {t('enrolment.chooseAnother')}
            </Button>
          ) : null}
          <Button variant="link" onClick={() => void signOut()}>
            {t('enrolment.signOut')}
          </Button>
        </div>
      </Dialog>
    </Layout>
  )
}
