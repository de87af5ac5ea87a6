import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef } from 'preact/hooks'
import { languages, type MessageId } from '../i18n'
import { useLanguage, useT } from '../i18n/context'

/** The frame of every screen: the app's name, an optional way back, the language switch. */
export function Layout(props: { title: string; back?: () => void; children: ComponentChildren }) {
  const t = useT()
  useEffect(() => {
    document.title = `${props.title} · ${t('app.name')}`
  }, [props.title, t('app.name')])
  return (
    <div class="page">
      <header class="top">
        {props.back ? (
          <button type="button" class="top-back" onClick={props.back}>
            <span aria-hidden="true" class="chevron" />
            {t('common.back')}
          </button>
        ) : (
          <span class="brand">
            <img src={`${import.meta.env.BASE_URL}icons/icon.svg`} alt="" width="28" height="28" />
            <span>{t('app.name')}</span>
          </span>
        )}
      </header>
      <main id="main" class="main">
        {props.children}
      </main>
      <footer class="bottom">
        <LanguageSwitch />
      </footer>
    </div>
  )
}

export function LanguageSwitch() {
  const t = useT()
  const { language, setLanguage } = useLanguage()
  return (
    <nav class="language-switch" aria-label={t('nav.language')}>
      {languages.map((code) => (
        <button key={code} type="button" lang={code} class="button-link" aria-pressed={code === language ? 'true' : 'false'} onClick={() => setLanguage(code)}>
          {t(`language.${code}` as MessageId)}
        </button>
      ))}
    </nav>
  )
}

export type Tone = 'info' | 'success' | 'error' | 'warning'

export function Notice(props: { tone: Tone; children: ComponentChildren; live?: boolean }) {
  return (
    <div class={`notice notice-${props.tone}`} role={props.live === false ? undefined : props.tone === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  )
}

/** A modal dialog (the native element: focus is kept inside, Escape closes). */
export function Dialog(props: { title: string; onClose(): void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId()
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    return () => dialog?.close()
  }, [])
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault()
        props.onClose()
      }}
    >
      <h2 id={`${id}-title`}>{props.title}</h2>
      {props.children}
    </dialog>
  )
}

/** A labelled text input with an optional hint and error, wired with aria-describedby. */
export function Field(props: {
  label: string
  value: string
  onValue(value: string): void
  hint?: string
  error?: string | null
  inputMode?: 'numeric' | 'text' | 'url'
  autoFocus?: boolean
  maxLength?: number
  pattern?: string
  autocomplete?: string
  big?: boolean
}) {
  const id = useId()
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}${props.big ? ' field-big' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <input
        id={id}
        type="text"
        value={props.value}
        inputMode={props.inputMode}
        autoFocus={props.autoFocus}
        maxLength={props.maxLength}
        pattern={props.pattern}
        autocomplete={props.autocomplete ?? 'off'}
        autocapitalize="off"
        spellcheck={false}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => props.onValue((event.currentTarget as HTMLInputElement).value)}
      />
      {props.error ? (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      ) : null}
    </div>
  )
}
