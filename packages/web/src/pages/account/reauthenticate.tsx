import type { MethodKind } from '@countersign/protocol'
import { createContext, type ComponentChildren } from 'preact'
import { useContext, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../../api'
import { Button, Dialog, ErrorNotice, Field, useAction } from '../../components/ui'
import { useT } from '../../i18n'

export function needsReauthentication(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'REAUTHENTICATION_REQUIRED'
}

export interface Reauthentication {
  /**
   * Runs `action`; when the server answers 403 REAUTHENTICATION_REQUIRED, asks for the password
   * (and a code) and runs it once more. Cancelling re-throws the original error.
   */
  guard<T>(action: () => Promise<T>): Promise<T>
  /** For `TotpSetup`'s `onError`: `true` when the error was a re-authentication, which then retries. */
  handle(error: unknown, retry: () => void): boolean
}

const ReauthenticationContext = createContext<Reauthentication>({
  guard: (action) => action(),
  handle: () => false,
})

export function useReauthentication() {
  return useContext(ReauthenticationContext)
}

/**
 * Provides re-authentication to the page (SC-14): one dialog at a time; every action that was
 * refused waits for it and is retried after a successful confirmation.
 */
export function ReauthenticationProvider(props: { username: string; method: MethodKind | null; children: ComponentChildren }) {
  const [waiting, setWaiting] = useState<Array<(ok: boolean) => void>>([])
  const waitingRef = useRef(waiting)
  waitingRef.current = waiting

  function ask(): Promise<boolean> {
    return new Promise((resolve) => setWaiting((list) => [...list, resolve]))
  }
  function settle(ok: boolean) {
    const list = waitingRef.current
    setWaiting([])
    for (const resolve of list) resolve(ok)
  }

  const value: Reauthentication = {
    async guard(action) {
      try {
        return await action()
      } catch (error) {
        if (!needsReauthentication(error)) throw error
        if (!(await ask())) throw error
        return action()
      }
    },
    handle(error, retry) {
      if (!needsReauthentication(error)) return false
      void ask().then((ok) => {
        if (ok) retry()
      })
      return true
    },
  }

  return (
    <ReauthenticationContext.Provider value={value}>
      {props.children}
      {waiting.length > 0 ? <ReauthenticateDialog username={props.username} method={props.method} onDone={() => settle(true)} onCancel={() => settle(false)} /> : null}
    </ReauthenticationContext.Provider>
  )
}

/** "Confirm it is you": the password, and the app's code when the account has one (reauthenticate.ts). */
function ReauthenticateDialog(props: { username: string; method: MethodKind | null; onDone(): void; onCancel(): void }) {
  const t = useT()
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const action = useAction()
  const form = useRef<HTMLFormElement>(null)

  function submit(event: Event) {
    event.preventDefault()
    void action.run(
      async () => {
        await api('POST', '/api/v1/account/reauthenticate', {
          password,
          ...(props.method ? { method: props.method, code: code.replace(/\s/g, '') } : {}),
        })
        props.onDone()
      },
      (caught) => {
        if (caught instanceof ApiError && caught.code === 'CREDENTIALS_INVALID') {
          setPassword('')
          form.current?.querySelector<HTMLInputElement>('input[type=password]')?.focus()
          return t('account.reauth.wrongPassword')
        }
        if (caught instanceof ApiError && caught.code === 'CODE_INVALID') {
          setCode('')
          form.current?.querySelector<HTMLInputElement>('input[inputmode=numeric]')?.focus()
          return t('account.reauth.wrongCode')
        }
        // Network, 5xx, throttling, a lock: say so and keep what was typed.
        return caught
      },
    )
  }

  return (
    <Dialog title={t('account.reauth.title')} onClose={props.onCancel}>
      <form ref={form} onSubmit={submit}>
        <p>{props.method ? t('account.reauth.leadWithCode') : t('account.reauth.lead')}</p>
        <ErrorNotice error={action.error} />
        <input type="text" name="username" autocomplete="username" value={props.username} hidden readOnly aria-hidden="true" tabIndex={-1} />
        <Field label={t('account.reauth.password')} name="password" type="password" autocomplete="current-password" required maxLength={1024} autoFocus value={password} onValue={setPassword} />
        {props.method ? (
          <Field label={t('account.reauth.code')} hint={t('account.reauth.code.hint')} name="code" autocomplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*" maxLength={8} required value={code} onValue={setCode} />
        ) : null}
        <div class="actions">
          <Button type="submit" busy={action.busy}>
            {t('account.reauth.submit')}
          </Button>
          <Button variant="secondary" onClick={props.onCancel} disabled={action.busy}>
            {t('common.cancel')}
          </Button>
        </div>
      </form>
    </Dialog>
  )
}
