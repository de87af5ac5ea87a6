import type { Translate } from '../../i18n'

/**
 * A short, readable name for a browser from its user agent ("Chrome on Linux"). Product names
 * are not translated; the joining words come from the catalogue.
 */
export function browserName(t: Translate, userAgent: string | null): string {
  if (!userAgent) return t('account.browser.unknown')
  const browser = /Edg(e|A|iOS)?\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\/|FxiOS\//.test(userAgent)
        ? 'Firefox'
        : /Chrom(e|ium)\/|CriOS\//.test(userAgent)
          ? 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : null
  const os = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad|iPod/.test(userAgent)
        ? 'iOS'
        : /Mac OS X|Macintosh/.test(userAgent)
          ? 'macOS'
          : /CrOS/.test(userAgent)
            ? 'ChromeOS'
            : /Linux/.test(userAgent)
              ? 'Linux'
              : null
  if (browser && os) return t('account.browser.onSystem', { browser, system: os })
  return browser ?? os ?? t('account.browser.other')
}
