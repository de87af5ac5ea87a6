import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { translator, type Language, type Translate } from './index'

export const LanguageContext = createContext<{ language: Language; setLanguage(language: Language): void }>({
  language: 'en',
  setLanguage() {},
})

export function useLanguage() {
  return useContext(LanguageContext)
}

export function useT(): Translate {
  return translator(useContext(LanguageContext).language)
}
