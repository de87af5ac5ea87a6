import type { ButtonHTMLAttributes, ComponentChildren } from 'preact'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { errorText } from '../api'
import { useT } from '../i18n'

/** The input attributes the forms use (kept explicit: every field is labelled by `Field`). */
interface InputProps {
  name?: string
  type?: 'text' | 'password' | 'email' | 'tel' | 'number' | 'search' | 'datetime-local'
  autocomplete?: string
  autocapitalize?: 'none' | 'off' | 'on' | 'sentences' | 'words' | 'characters'
  spellcheck?: boolean
  inputMode?: 'numeric' | 'text' | 'email' | 'tel'
  pattern?: string | undefined
  maxLength?: number
  minLength?: number
  min?: number
  max?: number
  required?: boolean
  autoFocus?: boolean
  disabled?: boolean
  placeholder?: string
}

/** A labelled input with an optional hint and error, wired with aria-describedby. */
export function Field(props: InputProps & { label: string; value: string; onValue(value: string): void; hint?: ComponentChildren; error?: string | null }) {
  const { label, value, onValue, hint, error, ...input } = props
  const id = useId()
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint ? <p class="hint" id={`${id}-hint`}>{hint}</p> : null}
      <input
        {...(input as Record<string, unknown>)}
        id={id}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => onValue((event.currentTarget as HTMLInputElement).value)}
      />
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  )
}

/**
 * A password field. `reveal` adds a "Show password" button for a new password: the user sees what
 * they typed, so no second "confirm" field is needed. Shown, it is a text field that neither
 * corrects nor capitalises.
 */
export function PasswordField(props: {
  label: string
  value: string
  onValue(value: string): void
  autocomplete: 'current-password' | 'new-password'
  name?: string
  hint?: ComponentChildren
  error?: string | null
  reveal?: boolean
  required?: boolean
  autoFocus?: boolean
}) {
  const t = useT()
  const id = useId()
  const [shown, setShown] = useState(false)
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      <div class="password-input">
        <input
          // The typings tie some attributes to one `type`; this field switches between two.
          {...({ type: shown ? 'text' : 'password' } as Record<string, unknown>)}
          id={id}
          name={props.name}
          autocomplete={props.autocomplete}
          autocapitalize="none"
          spellcheck={false}
          maxLength={1024}
          required={props.required}
          autoFocus={props.autoFocus}
          value={props.value}
          aria-invalid={props.error ? 'true' : undefined}
          aria-describedby={described || undefined}
          onInput={(event) => props.onValue((event.currentTarget as HTMLInputElement).value)}
        />
        {props.reveal ? (
          <button type="button" class="button button-secondary password-toggle" aria-controls={id} onClick={() => setShown((now) => !now)}>
            {shown ? t('password.hide') : t('password.show')}
          </button>
        ) : null}
      </div>
      {props.error ? <p class="field-error" id={`${id}-error`} role="alert">{props.error}</p> : null}
    </div>
  )
}

/** A labelled multi-line text field (for lists, one item per line). */
export function TextAreaField(props: { label: string; value: string; onValue(value: string): void; hint?: string; error?: string | null; name?: string; rows?: number; required?: boolean }) {
  const id = useId()
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      <textarea
        id={id}
        name={props.name}
        rows={props.rows ?? 3}
        required={props.required}
        spellcheck={false}
        value={props.value}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(event) => props.onValue((event.currentTarget as HTMLTextAreaElement).value)}
      />
      {props.error ? <p class="field-error" id={`${id}-error`}>{props.error}</p> : null}
    </div>
  )
}

/** A labelled select. */
export function SelectField<V extends string>(props: { label: string; value: V; options: { value: V; label: string }[]; onValue(value: V): void; hint?: string; disabled?: boolean }) {
  const id = useId()
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      <select id={id} value={props.value} disabled={props.disabled} aria-describedby={props.hint ? `${id}-hint` : undefined} onChange={(event) => props.onValue((event.currentTarget as HTMLSelectElement).value as V)}>
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  )
}

/** A checkbox with its label after it; `role="switch"` where ticking it takes effect at once. */
export function Checkbox(props: { label: ComponentChildren; checked: boolean; onChecked(checked: boolean): void; disabled?: boolean; name?: string; hint?: string; role?: 'switch' }) {
  const id = useId()
  return (
    <div class="checkbox">
      <input id={id} type="checkbox" role={props.role} name={props.name} checked={props.checked} disabled={props.disabled} aria-describedby={props.hint ? `${id}-hint` : undefined} onChange={(event) => props.onChecked((event.currentTarget as HTMLInputElement).checked)} />
      <div>
        <label for={id}>{props.label}</label>
        {props.hint ? <p class="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      </div>
    </div>
  )
}

/** An error (role=alert) or a confirmation (role=status). */
export function Notice(props: { kind: 'error' | 'success' | 'info' | 'warning'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  )
}

/** Shows an error: an API error in the user's words, or a text a form already put in words. */
export function ErrorNotice(props: { error: unknown }) {
  const t = useT()
  if (!props.error) return null
  return <Notice kind="error">{typeof props.error === 'string' ? props.error : errorText(t, props.error)}</Notice>
}

/**
 * Runs one action at a time: a second click while the first is in flight does nothing, so a
 * double-submit never sends two requests (issue "Bad input"). A failure becomes `error`, or what
 * `explain` makes of it (a text in the form's own words, or `null` to show nothing); what the
 * user typed stays unless `explain` clears it.
 */
export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const running = useRef(false)
  async function run<T>(action: () => Promise<T>, explain?: (caught: unknown) => unknown): Promise<T | undefined> {
    if (running.current) return undefined
    running.current = true
    setBusy(true)
    setError(null)
    try {
      return await action()
    } catch (caught) {
      setError(explain ? explain(caught) : caught)
      return undefined
    } finally {
      running.current = false
      setBusy(false)
    }
  }
  return { busy, error, setError, run }
}

/**
 * A modal dialog (native `<dialog>`: focus is trapped and restored by the browser). Without
 * `onClose`, Escape does nothing: a dialog the user cannot skip (forced enrolment, new recovery
 * codes before they are saved).
 */
export function Dialog(props: { title: string; onClose?: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  const mounted = useRef(false)
  const titleId = useId()
  useEffect(() => {
    const dialog = ref.current
    mounted.current = true
    if (dialog && !dialog.open) dialog.showModal()
    return () => {
      mounted.current = false
      dialog?.close()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      class={`dialog${props.wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        props.onClose?.()
      }}
      onClose={() => {
        // The browser may close a modal by itself: Chromium does on a second Escape without a click
        // in between, past the prevented `cancel`. The page follows; a dialog without `onClose` opens again.
        const dialog = ref.current
        if (!mounted.current || !dialog || dialog.open) return
        if (props.onClose) props.onClose()
        else if (dialog.isConnected) dialog.showModal()
      }}
    >
      <div class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        {props.onClose ? <CloseButton label={useT()('common.close')} onClick={props.onClose} /> : null}
      </div>
      {props.children}
    </dialog>
  )
}

/** The X icon button, with a text label for screen readers. */
/**
 * "Are you sure?": what will happen, the action (red when it removes or turns something off), and
 * Cancel; while the action runs both wait, and its error shows in the dialog.
 */
export function ConfirmDialog(props: { title: string; children: ComponentChildren; confirm: string; danger?: boolean; action: { busy: boolean; error: unknown }; onConfirm(): void; onCancel(): void }) {
  const t = useT()
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      {props.children}
      <ErrorNotice error={props.action.error} />
      <div class="actions">
        <Button {...(props.danger ? { variant: 'danger' as const } : {})} busy={props.action.busy} onClick={props.onConfirm}>
          {props.confirm}
        </Button>
        <Button variant="secondary" disabled={props.action.busy} onClick={props.onCancel}>
          {t('common.cancel')}
        </Button>
      </div>
    </Dialog>
  )
}

export function CloseButton(props: { label: string; onClick(): void; disabled?: boolean }) {
  return (
    <button type="button" class="icon-button" aria-label={props.label} title={props.label} onClick={props.onClick} disabled={props.disabled}>
      <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
        <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      </svg>
    </button>
  )
}

export function Button(props: ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; variant?: 'primary' | 'secondary' | 'danger' | 'link' }) {
  const { busy, variant = 'primary', children, disabled, type = 'button', ...rest } = props
  return (
    <button {...rest} type={type} class={`button button-${variant}`} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined}>
      {children}
    </button>
  )
}

export function Card(props: { title?: string; children: ComponentChildren; id?: string; actions?: ComponentChildren }) {
  const id = useId()
  return (
    <section class="card" id={props.id} aria-labelledby={props.title ? id : undefined}>
      {props.title ? (
        <div class="card-head">
          <h2 id={id}>{props.title}</h2>
          {props.actions}
        </div>
      ) : null}
      {props.children}
    </section>
  )
}

export function Loading() {
  return <p class="loading" role="status">{useT()('common.loading')}</p>
}
