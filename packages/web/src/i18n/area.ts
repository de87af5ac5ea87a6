/** A catalogue area: English is the reference, Dutch must have exactly the same keys (F-X-3). */
export function area<const E extends Record<string, string>>(en: E, nl: { [K in keyof E]: string }) {
  return { en, nl }
}
