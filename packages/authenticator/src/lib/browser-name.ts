import type { Translate } from '../i18n'

/**
 * A short name for the browser that is signing in ("Chrome on Linux") from the user agent the
 * server recorded. Product names are not translated; the joining words come from the catalogue.
 * A value that is not a user agent (the server may send a short name already) is kept as it is.
 */
export function browserName(t: Translate, userAgent: string | null | undefined): string {
  if (!userAgent) return t('browser.unknown')
  if (!userAgent.includes('/')) return userAgent
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
  const system = platformName(userAgent)
  if (browser && system) return t('browser.onSystem', { browser, system })
  return browser ?? system ?? t('browser.unknown')
}

/** The operating system named by a user agent, or null. */
export function platformName(userAgent: string): string | null {
  return /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPod/.test(userAgent)
        ? 'iPhone'
        : /iPad/.test(userAgent)
          ? 'iPad'
          : /Mac OS X|Macintosh/.test(userAgent)
            ? 'macOS'
            : /CrOS/.test(userAgent)
              ? 'ChromeOS'
              : /Linux/.test(userAgent)
                ? 'Linux'
                : null
}
