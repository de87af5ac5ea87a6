import { useState } from 'preact/hooks'
import { Scanner } from '../components/scanner'
import { Field, Layout, Notice } from '../components/ui'
import { useT } from '../i18n/context'
import type { Translate } from '../i18n'
import { newAccountId, saveAccount, type Account } from '../lib/accounts'
import { platformName } from '../lib/browser-name'
import { createDeviceKey, publicJwk } from '../lib/device-key'
import { errorText } from '../lib/error-text'
import { parseOtpauthUri, type OtpauthLink, type RefusedPairing } from '../lib/otpauth-uri'
import { pairAnswerMismatch } from '../lib/pair-answer'
import { askForNotifications, subscribeToPush } from '../lib/push'
import { fetchConfig, pairDevice, ServerError } from '../lib/server-api'
import { useApp } from '../state'

/** Add an account (F-PUSH-1): scan or paste the otpauth link, then confirm with "Login". */
/** The otpauth URI itself, or the `…/app/#/pair?uri=…` link that carries it. */
function otpauthFrom(text: string): string {
  const carried = /#\/pair\?(.*)$/.exec(text.trim())
  return carried ? (new URLSearchParams(carried[1]).get('uri') ?? '') : text
}

export function AddAccount(props: { initialUri?: string | null } = {}) {
  const t = useT()
  const { navigate, accounts } = useApp()
  const [scanning, setScanning] = useState(false)
  const [cameraError, setCameraError] = useState(false)
  const [pasted, setPasted] = useState('')
  const [invalid, setInvalid] = useState<string | null>(null)
  // `#/pair?uri=…` as the scanned or pasted link: the same parser, the same refusal of another server.
  const [link, setLink] = useState<OtpauthLink | null>(() => (props.initialUri ? parseOtpauthUri(props.initialUri, location.origin) : null))

  function take(text: string) {
    const parsed = parseOtpauthUri(otpauthFrom(text), location.origin)
    setScanning(false)
    if (!parsed) {
      setInvalid(t('add.invalid'))
      return
    }
    setInvalid(null)
    setLink(parsed)
  }

  const duplicate =
    link !== null &&
    (accounts ?? []).some((account) =>
      link.pairing ? account.pairing?.deviceId === link.pairing.deviceId && account.pairing.server === link.pairing.server : account.totp.secret === link.totp.secret,
    )

  return (
    <Layout title={t('add.title')} back={() => (link ? setLink(null) : navigate('/'))}>
      {link ? (
        duplicate ? (
          <section class="card">
            <Notice tone="info">{t('add.duplicate')}</Notice>
            <button type="button" class="button button-secondary" onClick={() => navigate('/')}>
              {t('challenge.done')}
            </button>
          </section>
        ) : (
          <Confirm link={link} onCancel={() => setLink(null)} />
        )
      ) : (
        <>
          <h1>{t('add.title')}</h1>
          <p class="lead">{t('add.lead')}</p>
          <section class="card">
            {scanning ? (
              <>
                <Scanner
                  onCode={take}
                  onError={() => {
                    setScanning(false)
                    setCameraError(true)
                  }}
                />
                <button type="button" class="button button-secondary" onClick={() => setScanning(false)}>
                  {t('add.scanStop')}
                </button>
              </>
            ) : (
              <button
                type="button"
                class="button button-primary button-wide"
                onClick={() => {
                  setCameraError(false)
                  setScanning(true)
                }}
              >
                <span aria-hidden="true" class="qr-icon" />
                {t('add.scan')}
              </button>
            )}
            {cameraError ? <Notice tone="warning">{t('add.cameraError')}</Notice> : null}
          </section>
          <form
            class="card"
            onSubmit={(event) => {
              event.preventDefault()
              take(pasted)
            }}
          >
            <Field label={t('add.pasteLabel')} hint={t('add.pasteHint')} value={pasted} onValue={setPasted} error={invalid} inputMode="url" />
            <button type="submit" class="button button-secondary">
              {t('add.pasteSubmit')}
            </button>
          </form>
        </>
      )}
    </Layout>
  )
}

/** The device's name on the server's device list. */
function deviceName(t: Translate): string {
  return t('device.name', { platform: platformName(navigator.userAgent) ?? t('device.platformUnknown') })
}

/**
 * "Link bob at Demo Clinic?" and the Login button: a new non-extractable key, a push subscription
 * if the phone allows one, and the signed pairing request (protocol §2, §3). Only ever with the
 * server this app is served from (the parser gives `pairing` for no other); a link of another
 * server is refused in words, and can still be added for its codes only.
 */
function Confirm(props: { link: OtpauthLink; onCancel(): void }) {
  const t = useT()
  const { navigate, setFlash } = useApp()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  /** The server answered for another device or server: its token is spent, Login again cannot help. */
  const [spent, setSpent] = useState(false)
  const { link } = props
  const pairing = link.pairing
  const title = link.issuer || link.username

  async function login() {
    if (!pairing || pairing.server !== location.origin) return
    // Within the tap, before anything that awaits (the browser's prompt needs the gesture).
    const asked = askForNotifications()
    setBusy(true)
    setError(null)
    try {
      const keyPair = await createDeviceKey()
      const { vapidPublicKey } = await fetchConfig(pairing.server)
      const pushSubscription = await subscribeToPush(vapidPublicKey, asked)
      const { answer, answeredBy } = await pairDevice({
        server: pairing.server,
        pairingToken: pairing.token,
        deviceId: pairing.deviceId,
        keyPair,
        publicKey: await publicJwk(keyPair),
        pushSubscription,
        name: deviceName(t),
      })
      // The device the server paired, and the server that answered, must be the link's: else the
      // account is not kept (nothing was stored yet; the new key is dropped with it).
      const mismatch = pairAnswerMismatch(pairing, answer, answeredBy)
      if (mismatch) {
        setError(t(mismatch === 'server' ? 'add.answerOtherServer' : 'add.answerOtherDevice', { server: new URL(pairing.server).host }))
        setSpent(true)
        setBusy(false)
        return
      }
      const organisation = answer.account.organisation?.name ?? (link.issuer || null)
      const account: Account = {
        id: newAccountId(),
        name: organisation ?? answer.account.username,
        issuer: link.issuer,
        username: answer.account.username,
        organisation,
        totp: link.totp,
        addedAt: new Date().toISOString(),
        pairing: {
          server: pairing.server,
          deviceId: pairing.deviceId,
          keyPair,
          pushEndpoint: pushSubscription?.endpoint ?? null,
          removedAt: null,
        },
      }
      await saveAccount(account)
      const values = { username: account.username, organisation: organisation ?? pairing.server }
      setFlash(pushSubscription ? { tone: 'success', text: t('add.linked', values) } : { tone: 'warning', text: t('add.linkedNoPush', values) })
      navigate('/')
    } catch (failure) {
      setError(pairingError(t, failure, pairing.server))
      setBusy(false)
    }
  }

  async function addCodesOnly() {
    const account: Account = {
      id: newAccountId(),
      name: title,
      issuer: link.issuer,
      username: link.username,
      organisation: null,
      totp: link.totp,
      addedAt: new Date().toISOString(),
      pairing: null,
    }
    await saveAccount(account)
    setFlash({ tone: 'success', text: t('add.added', { username: link.username, issuer: title }) })
    navigate('/')
  }

  if (link.refused) return <Refused link={link} refused={link.refused} title={title} onAdd={() => void addCodesOnly()} onCancel={props.onCancel} />

  return (
    <section class="card confirm">
      <h1>{pairing ? t('add.confirmTitle', { username: link.username, issuer: title }) : t('add.codesTitle', { username: link.username, issuer: title })}</h1>
      <p>{pairing ? t('add.confirmBody', { username: link.username }) : t('add.codesBody')}</p>
      <dl class="details">
        <dt>{t('add.confirmAccount')}</dt>
        <dd>{link.username}</dd>
        <dt>{t('add.confirmOrganisation')}</dt>
        <dd>{title}</dd>
        {pairing ? (
          <>
            <dt>{t('add.confirmServer')}</dt>
            <dd>{new URL(pairing.server).host}</dd>
          </>
        ) : null}
      </dl>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div class="actions actions-stacked">
        {pairing ? (
          <button type="button" class="button button-primary button-wide" disabled={busy || spent} onClick={() => void login()}>
            {busy ? t('add.linking') : t('add.login')}
          </button>
        ) : (
          <button type="button" class="button button-primary button-wide" onClick={() => void addCodesOnly()}>
            {t('add.addCodes')}
          </button>
        )}
        <button type="button" class="button button-secondary button-wide" disabled={busy} onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </section>
  )
}

/**
 * A pairing link this app will not pair from (F-PUSH-1, issue 22): it names another server than
 * the one the app is served from, or none it can read. Said in words, with no Login button: the
 * app sends that server nothing. Its TOTP secret can still become a codes-only account, as in any
 * authenticator app (the computer then finishes linking with a typed code).
 */
function Refused(props: { link: OtpauthLink; refused: RefusedPairing; title: string; onAdd(): void; onCancel(): void }) {
  const t = useT()
  const { link, refused, title } = props
  const own = location.host
  return (
    <section class="card confirm">
      <h1>{t('add.refusedTitle')}</h1>
      <Notice tone="warning">
        {refused.reason === 'other-server' ? t('add.refusedOtherServer', { server: new URL(refused.server).host, own }) : t('add.refusedIncomplete', { own })}
      </Notice>
      <dl class="details">
        <dt>{t('add.confirmAccount')}</dt>
        <dd>{link.username}</dd>
        <dt>{t('add.confirmOrganisation')}</dt>
        <dd>{title}</dd>
      </dl>
      <p class="hint">{t('add.refusedCodesOnly')}</p>
      <div class="actions actions-stacked">
        <button type="button" class="button button-secondary button-wide" onClick={props.onAdd}>
          {t('add.codesInstead')}
        </button>
        <button type="button" class="button button-primary button-wide" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </section>
  )
}

function pairingError(t: Translate, error: unknown, server: string): string {
  if (error instanceof ServerError) {
    if (error.status === 404) return t('add.expired')
    if (error.code === 'DEVICE_LIMIT_REACHED') return t('add.deviceLimit')
    if (error.code === 'NETWORK') return t('add.unreachable', { server: new URL(server).host })
  }
  return t('add.failed', { message: errorText(t, error) })
}
