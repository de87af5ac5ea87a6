import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { account } from './account'
import { admin } from './admin'
import { applications } from './applications'
import { common } from './common'
import { devOutbox } from './dev-outbox'
import { lifecycle } from './lifecycle'
import { push } from './push'
import { signIn } from './sign-in'

export type Language = 'en' | 'nl'
export const languages: Language[] = ['en', 'nl']

const areas = [common, signIn, account, admin, applications, devOutbox, push, lifecycle] as const
export type MessageId =
  | keyof typeof common.en
  | keyof typeof signIn.en
  | keyof typeof account.en
  | keyof typeof admin.en
  | keyof typeof applications.en
  | keyof typeof devOutbox.en
  | keyof typeof push.en
  | keyof typeof lifecycle.en

const messages: Record<Language, Record<string, string>> = {
  en: Object.assign({}, ...areas.map((a) => a.en)),
  nl: Object.assign({}, ...areas.map((a) => a.nl)),
}

/** Every key once per language, across all areas (checked by the catalogue test). */
export const catalogue = messages

export function translate(language: Language, id: MessageId, values: Record<string, string | number> = {}): string {
  const text = messages[language][id] ?? messages.en[id] ?? id
  return text.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''))
}

export function hasMessage(id: string): id is MessageId {
  return id in messages.en
}

/** Catalogue keys for a sign-in method's long and short names. */
export function methodLabel(method: string, short = false): MessageId {
  return `${short ? 'methodShort' : 'method'}.${method}` as MessageId
}

export type Translate = (id: MessageId, values?: Record<string, string | number>) => string

export const LanguageContext = createContext<{ language: Language; setLanguage(language: Language): void }>({
  language: 'en',
  setLanguage() {},
})

export function useLanguage() {
  return useContext(LanguageContext)
}

export function useT(): Translate {
  const { language } = useContext(LanguageContext)
  return (id, values) => translate(language, id, values)
}

/** The choice made with the switch (cookie `cs_lang`, which the server reads too), else the browser's languages. */
export function initialLanguage(): Language {
  const chosen = /(?:^|;\s*)cs_lang=(en|nl)(?:;|$)/.exec(document.cookie)?.[1]
  if (chosen === 'en' || chosen === 'nl') return chosen
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0]
    if (base === 'nl' || base === 'en') return base
  }
  return 'en'
}

export function rememberLanguage(language: Language) {
  const secure = location.protocol === 'https:' ? '; Secure' : ''
  document.cookie = `cs_lang=${language}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`
}

const locales: Record<Language, string> = { en: 'en-GB', nl: 'nl-NL' }

export function formatDateTime(language: Language, iso: string | null | undefined): string {
  if (!iso) return ''
  return new Intl.DateTimeFormat(locales[language], { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
}

export function formatDate(language: Language, iso: string | null | undefined): string {
  if (!iso) return ''
  return new Intl.DateTimeFormat(locales[language], { dateStyle: 'medium' }).format(new Date(iso))
}

/** The time alone ("10:15") when it falls on today, else the date and the time. */
export function formatTimeOrDateTime(language: Language, iso: string | null | undefined): string {
  if (!iso) return ''
  const at = new Date(iso)
  const today = new Date().toDateString() === at.toDateString()
  return new Intl.DateTimeFormat(locales[language], today ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' }).format(at)
}

/** Minutes in words: "60 minutes". */
export function formatMinutes(t: Translate, minutes: number): string {
  return t('duration.minutes', { count: minutes })
}

/** Hours in words: "1 hour", "24 hours". */
export function formatHours(t: Translate, hours: number): string {
  return hours === 1 ? t('duration.hour') : t('duration.hours', { count: hours })
}
