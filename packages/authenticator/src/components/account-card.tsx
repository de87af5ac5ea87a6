import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { useT } from '../i18n/context'
import { forgetAccount, renameAccount, type Account } from '../lib/accounts'
import { errorText } from '../lib/error-text'
import { appRegistration } from '../lib/push'
import { isDeviceGone, unpairDevice } from '../lib/server-api'
import { secondsLeft, totpCode } from '../lib/totp'
import { isActive, useApp } from '../state'
import { Dialog, Field } from './ui'

/** Ticks once a second, on the second. */
function useNow(): Date {
  const [now, setNow] = useState(() => new Date())
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>
    const tick = () => {
      setNow(new Date())
      timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5)
    }
    timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5)
    return () => clearTimeout(timer)
  }, [])
  return now
}

/** "123456" → "123 456", easier to read and type. */
function grouped(code: string): string {
  return code.length === 6 ? `${code.slice(0, 3)} ${code.slice(3)}` : code.length === 8 ? `${code.slice(0, 4)} ${code.slice(4)}` : code
}

/** One account: its current code and countdown (works offline, F-PUSH-3), and its menu. */
export function AccountCard(props: { account: Account }) {
  const t = useT()
  const { account } = props
  const now = useNow()
  const [code, setCode] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)
  const [menuOpen, setMenuOpen] = useState(false)
  const [dialog, setDialog] = useState<'rename' | 'unpair' | 'remove' | null>(null)
  const menuId = useId()
  const card = useRef<HTMLLIElement>(null)
  const step = Math.floor(now.getTime() / 1000 / account.totp.periodSeconds)
  const left = secondsLeft(account.totp.periodSeconds, now)
  const removed = account.pairing?.removedAt != null

  useEffect(() => {
    let current = true
    void totpCode(account.totp, now).then((value) => current && setCode(value))
    return () => {
      current = false
    }
  }, [step, account.totp.secret])

  // The menu closes on a tap elsewhere and on Escape, as menus do.
  useEffect(() => {
    if (!menuOpen) return
    const outside = (event: Event) => {
      if (!card.current?.contains(event.target as Node)) setMenuOpen(false)
    }
    const escape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setMenuOpen(false)
    }
    document.addEventListener('pointerdown', outside)
    document.addEventListener('keydown', escape)
    return () => {
      document.removeEventListener('pointerdown', outside)
      document.removeEventListener('keydown', escape)
    }
  }, [menuOpen])

  async function copy() {
    if (!code) return
    try {
      await navigator.clipboard.writeText(code)
      setCopied(true)
      setTimeout(() => setCopied(false), 1500)
    } catch {
      // the code stays readable on screen
    }
  }

  const kind = account.pairing ? t('account.kind.push') : t('account.kind.codes')
  return (
    <li ref={card} class={`card account${removed ? ' account-removed' : ''}`}>
      <div class="account-head">
        <div class="account-names">
          <strong class="account-name">{account.name}</strong>
          <span class="muted">{account.username}</span>
        </div>
        <button
          type="button"
          class="icon-button"
          aria-label={t('account.menu', { name: account.name })}
          aria-expanded={menuOpen ? 'true' : 'false'}
          aria-controls={menuId}
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span aria-hidden="true" class="dots" />
        </button>
      </div>
      {menuOpen ? (
        <div class="menu" id={menuId}>
          <button type="button" class="menu-item" onClick={() => (setMenuOpen(false), setDialog('rename'))}>
            {t('account.rename')}
          </button>
          {isActive(account) ? (
            <button type="button" class="menu-item menu-item-danger" onClick={() => (setMenuOpen(false), setDialog('unpair'))}>
              {t('account.unpair')}
            </button>
          ) : (
            <button type="button" class="menu-item menu-item-danger" onClick={() => (setMenuOpen(false), setDialog('remove'))}>
              {t('account.remove')}
            </button>
          )}
        </div>
      ) : null}
      {removed ? null : (
        <div class="code-row">
          <button type="button" class="code" aria-label={t('account.code', { name: account.name })} onClick={() => void copy()} data-code={code ?? ''}>
            {code ? grouped(code) : '––– –––'}
          </button>
          <div class="countdown" role="timer" aria-label={t('account.secondsLeftLong', { seconds: left })}>
            <progress max={account.totp.periodSeconds} value={left} aria-hidden="true" class={left <= 5 ? 'ending' : undefined} />
            <span aria-hidden="true">{t('account.secondsLeft', { seconds: left })}</span>
          </div>
        </div>
      )}
      <p class="account-meta">
        {copied ? <span class="badge badge-success">{t('account.copied')}</span> : null}
        {removed ? (
          <span class="badge badge-danger">{t('account.removed')}</span>
        ) : (
          <span class="badge">{kind}</span>
        )}
        {isActive(account) && account.pairing.pushEndpoint === null ? <span class="badge">{t('account.pushOff')}</span> : null}
      </p>
      {removed ? <p class="hint">{t('account.removedHint')}</p> : null}
      {dialog === 'rename' ? <RenameDialog account={account} onClose={() => setDialog(null)} /> : null}
      {dialog === 'unpair' || dialog === 'remove' ? <RemoveDialog account={account} unpair={dialog === 'unpair'} onClose={() => setDialog(null)} /> : null}
    </li>
  )
}

function RenameDialog(props: { account: Account; onClose(): void }) {
  const t = useT()
  const [name, setName] = useState(props.account.name)
  const [error, setError] = useState<string | null>(null)
  async function submit(event: Event) {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return setError(t('account.nameRequired'))
    await renameAccount(props.account.id, trimmed.slice(0, 60))
    props.onClose()
  }
  return (
    <Dialog title={t('account.renameTitle')} onClose={props.onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <Field label={t('account.renameLabel')} value={name} onValue={setName} error={error} maxLength={60} autoFocus />
        <div class="actions">
          <button type="submit" class="button button-primary">
            {t('common.save')}
          </button>
          <button type="button" class="button button-secondary" onClick={props.onClose}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

/** Unpair (signed DELETE, F-PUSH-4) or, for codes-only and removed accounts, forget locally. */
function RemoveDialog(props: { account: Account; unpair: boolean; onClose(): void }) {
  const t = useT()
  const { setFlash, accounts } = useApp()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const { account } = props

  async function confirm() {
    setBusy(true)
    setError(null)
    try {
      if (props.unpair && isActive(account)) {
        try {
          await unpairDevice(account)
        } catch (failure) {
          // Gone already (removed on the server): forget it here too.
          if (!isDeviceGone(failure)) throw failure
        }
        await dropSubscriptionIfUnused(account.id)
      }
      await forgetAccount(account.id)
      setFlash({ tone: 'success', text: props.unpair ? t('account.unpaired', { name: account.name }) : t('account.removedLocally', { name: account.name }) })
      props.onClose()
    } catch (failure) {
      setError(errorText(t, failure))
      setBusy(false)
    }
  }

  /** The last account of this server that used push: the browser's subscription has no other use. */
  async function dropSubscriptionIfUnused(leaving: string) {
    const others = (accounts ?? []).filter((other) => other.id !== leaving && isActive(other) && other.pairing.server === location.origin)
    if (others.length > 0) return
    try {
      const subscription = await (await appRegistration(1000))?.pushManager.getSubscription()
      await subscription?.unsubscribe()
    } catch {
      // nothing to drop
    }
  }

  return (
    <Dialog title={t(props.unpair ? 'account.unpairTitle' : 'account.removeTitle', { name: account.name })} onClose={props.onClose}>
      <p>{props.unpair ? t('account.unpairBody', { username: account.username }) : t('account.removeBody')}</p>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="actions">
        <button type="button" class="button button-danger" disabled={busy} onClick={() => void confirm()}>
          {props.unpair ? t('account.unpairConfirm') : t('account.removeConfirm')}
        </button>
        <button type="button" class="button button-secondary" onClick={props.onClose}>
          {t('common.cancel')}
        </button>
      </div>
    </Dialog>
  )
}
