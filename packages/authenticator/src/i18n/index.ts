import { en, type MessageId } from './en'
import { nl } from './nl'

export type { MessageId }
export type Language = 'en' | 'nl'
export const languages: Language[] = ['en', 'nl']

/** Both catalogues, for the catalogue test. */
export const catalogue: Record<Language, Record<string, string>> = { en, nl }

export type Translate = (id: MessageId, values?: Record<string, string | number>) => string

/** The text of a message with its {placeholders} filled in; the values are plain text (Preact escapes them). */
export function translate(language: Language, id: MessageId, values: Record<string, string | number> = {}): string {
  const text = catalogue[language][id] ?? en[id]
  return text.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''))
}

export function translator(language: Language): Translate {
  return (id, values) => translate(language, id, values)
}

/** The first of the browser's languages that we speak, else English (works in the service worker too). */
export function languageFromNavigator(tags: readonly string[]): Language {
  for (const tag of tags) {
    const base = tag.toLowerCase().split('-')[0]
    if (base === 'nl' || base === 'en') return base
  }
  return 'en'
}

export function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'nl'
}

const locales: Record<Language, string> = { en: 'en-GB', nl: 'nl-NL' }

export function formatDateTime(language: Language, iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return new Intl.DateTimeFormat(locales[language], { dateStyle: 'medium', timeStyle: 'medium' }).format(date)
}
