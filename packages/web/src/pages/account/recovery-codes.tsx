import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { Button, Card, Checkbox, ConfirmDialog, Dialog, ErrorNotice, Notice, useAction } from '../../components/ui'
import { formatDateTime, useLanguage, useT, type Translate } from '../../i18n'
import { useSession } from '../../session'
import { useReauthentication } from './reauthenticate'
import { FEW_RECOVERY_CODES, RECOVERY_CODE_COUNT, type SecurityOverview } from './types'

/** `POST /api/v1/account/recovery-codes`: the new codes, shown this once. */
interface NewRecoveryCodes {
  codes: string[]
  createdAt: string
  remaining: number
}

/**
 * Recovery codes (F-X-2): how many unused codes are left, a warning when few are, "Make recovery
 * codes" (again: a confirmation that the old ones stop working) and "Remove codes". Both need a
 * recent sign-in, so they go through the page's re-authentication. New codes are shown once, in a
 * dialog that closes only after the user says they saved them.
 */
export function RecoveryCodesCard(props: { overview: SecurityOverview; onChanged(): Promise<void> }) {
  const t = useT()
  const { guard } = useReauthentication()
  const left = props.overview.recoveryCodesLeft
  const [confirming, setConfirming] = useState<'renew' | 'remove' | null>(null)
  const [made, setMade] = useState<NewRecoveryCodes | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const action = useAction()
  const few = left > 0 && left <= FEW_RECOVERY_CODES

  /** The refusals the section is normally hidden for, in words (the page may be out of date). */
  function explain(caught: unknown): unknown {
    if (caught instanceof ApiError && caught.code === 'INVALID_REQUEST') return t('account.recovery.needMethod')
    if (caught instanceof ApiError && caught.code === 'FORBIDDEN') return t('account.recovery.notAllowed')
    return caught
  }

  async function make() {
    setDone(null)
    const answer = await action.run(() => guard(() => api<NewRecoveryCodes>('POST', '/api/v1/account/recovery-codes')), explain)
    if (!answer) return
    setConfirming(null)
    setMade(answer)
    await props.onChanged()
  }

  async function remove() {
    setDone(null)
    const ok = await action.run(async () => {
      await guard(() => api('DELETE', '/api/v1/account/recovery-codes'))
      return true
    }, explain)
    if (!ok) return
    setConfirming(null)
    await props.onChanged()
    setDone(t('account.recovery.removed'))
  }

  function open(which: 'renew' | 'remove') {
    action.setError(null)
    setDone(null)
    setConfirming(which)
  }

  return (
    <Card title={t('account.recovery.title')} id="recovery-codes">
      <p class="muted">{t('account.recovery.lead')}</p>
      <p class="status-line recovery-status">
        {left > 0 ? (
          <span class={`badge ${few ? 'badge-warning' : 'badge-success'}`}>{t('account.recovery.left', { count: left, total: RECOVERY_CODE_COUNT })}</span>
        ) : (
          <span class="badge badge-off">{t('account.recovery.none')}</span>
        )}
        <span>{left > 0 ? t('account.recovery.leftLead') : t('account.recovery.noneLead')}</span>
      </p>
      {few ? <Notice kind="warning">{t('account.recovery.few', { count: left })}</Notice> : null}
      {done ? <Notice kind="success">{done}</Notice> : null}
      {confirming ? null : <ErrorNotice error={action.error} />}
      <div class="actions">
        {left > 0 ? (
          <>
            <Button variant={few ? 'primary' : 'secondary'} onClick={() => open('renew')}>
              {t('account.recovery.renew')}
            </Button>
            <Button variant="secondary" onClick={() => open('remove')}>
              {t('account.recovery.remove')}
            </Button>
          </>
        ) : (
          <Button busy={action.busy} onClick={() => void make()}>
            {t('account.recovery.make')}
          </Button>
        )}
      </div>

      {confirming === 'renew' ? (
        <ConfirmDialog title={t('account.recovery.renew.title')} confirm={t('account.recovery.renew')} action={action} onConfirm={() => void make()} onCancel={() => setConfirming(null)}>
          <p>{t('account.recovery.renew.body', { count: left })}</p>
        </ConfirmDialog>
      ) : null}

      {confirming === 'remove' ? (
        <ConfirmDialog title={t('account.recovery.remove.title')} confirm={t('account.recovery.remove')} danger action={action} onConfirm={() => void remove()} onCancel={() => setConfirming(null)}>
          <p>{t('account.recovery.remove.body', { count: left })}</p>
        </ConfirmDialog>
      ) : null}

      {made ? (
        <NewCodesDialog
          made={made}
          onClose={() => {
            setMade(null)
            setDone(t('account.recovery.saved'))
          }}
        />
      ) : null}
    </Card>
  )
}

/** What the codes are for and whose they are: the top of the downloaded file and of the printed sheet. */
function sheetLines(t: Translate, whose: string, made: string): string[] {
  return [t('account.recovery.sheet.title'), whose, t('account.recovery.sheet.made', { time: made }), '', t('account.recovery.sheet.note')]
}

/** `countersign-recovery-codes-<organisation>-<user>.txt`, in characters every file system takes. */
function fileName(organisation: string | null, username: string): string {
  const part = (text: string) => text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '')
  return `${['countersign-recovery-codes', organisation ? part(organisation) : '', part(username)].filter(Boolean).join('-')}.txt`
}

/**
 * The new codes, this once (F-X-2): a monospace grid with Copy, Download (a .txt made here, from a
 * Blob) and Print (a sheet of its own; the page is hidden when printing). Neither Escape nor a close
 * button ends it before "I have saved them" is ticked: the codes cannot be shown again.
 */
function NewCodesDialog(props: { made: NewRecoveryCodes; onClose(): void }) {
  const t = useT()
  const { language } = useLanguage()
  const { session } = useSession()
  const [saved, setSaved] = useState(false)
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const { codes } = props.made
  const username = session?.account.username ?? ''
  const organisation = session?.account.organisation ?? null
  const whose = organisation ? t('account.recovery.sheet.whose', { username, organisation: organisation.name }) : username
  const header = sheetLines(t, whose, formatDateTime(language, props.made.createdAt))

  const download = useMemo(() => {
    const text = [...header, '', ...codes, ''].join('\n')
    return { href: URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' })), name: fileName(organisation?.slug ?? null, username) }
  }, [codes, language])
  useEffect(() => () => URL.revokeObjectURL(download.href), [download])
  usePrintSheet(header, codes, t('account.recovery.codes'))

  async function copy() {
    try {
      await navigator.clipboard.writeText(codes.join('\n'))
      setCopied('yes')
    } catch {
      setCopied('failed')
    }
  }

  return (
    <Dialog title={t('account.recovery.dialog.title')} wide {...(saved ? { onClose: props.onClose } : {})}>
      <Notice kind="warning">{t('account.recovery.dialog.once')}</Notice>
      <p>{t('account.recovery.dialog.lead')}</p>
      <ol class="recovery-codes" aria-label={t('account.recovery.codes')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div class="actions recovery-tools">
        <Button variant="secondary" onClick={() => void copy()}>
          {t('account.recovery.copy')}
        </Button>
        <a class="button button-secondary" href={download.href} download={download.name}>
          {t('account.recovery.download')}
        </a>
        <Button variant="secondary" onClick={() => window.print()}>
          {t('account.recovery.print')}
        </Button>
      </div>
      {copied === 'yes' ? <Notice kind="success">{t('account.recovery.copied')}</Notice> : null}
      {copied === 'failed' ? <Notice kind="error">{t('account.recovery.copyFailed')}</Notice> : null}
      <Checkbox label={t('account.recovery.dialog.saved')} name="saved" checked={saved} onChecked={setSaved} />
      <div class="actions">
        <Button disabled={!saved} onClick={props.onClose}>
          {t('account.recovery.dialog.done')}
        </Button>
        {saved ? null : <span class="hint">{t('account.recovery.dialog.tickFirst')}</span>}
      </div>
    </Dialog>
  )
}

/**
 * The printed sheet: a block of its own beside the app (the CSS shows only it on paper, never on
 * screen), so that printing the page while the dialog is open gives the codes and nothing else.
 */
function usePrintSheet(header: string[], codes: string[], label: string) {
  useEffect(() => {
    const host = document.createElement('div')
    host.className = 'recovery-print'
    document.body.append(host)
    const [title, ...rest] = header
    render(
      <>
        <h1>{title}</h1>
        {rest.map((line, i) => (line ? <p key={i}>{line}</p> : null))}
        <ol class="recovery-codes" aria-label={label}>
          {codes.map((code) => (
            <li key={code}>
              <code>{code}</code>
            </li>
          ))}
        </ol>
      </>,
      host,
    )
    return () => {
      host.remove()
      // Unmounted after this render is done: Preact does not render into another root mid-render.
      queueMicrotask(() => render(null, host))
    }
  }, [header.join('\n'), codes])
}
