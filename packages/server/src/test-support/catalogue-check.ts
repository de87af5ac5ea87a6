import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSync, Visitor } from 'oxc-parser'

/** The attributes people read or hear: their words belong in a catalogue too. */
const READ_ATTRIBUTES = /^(aria-label|title|alt|placeholder|label)$/

/** The files under a folder whose names match (by default the components, `.tsx`). */
export function sourceFiles(dir: string, pattern = /\.tsx$/): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(dir, name))
    .sort()
}

/**
 * F-X-3: what a component shows that does not come from a message catalogue — words between
 * tags (`<h1>Sign in</h1>`) and words in the attributes people read or hear — and, with
 * `styles`, every `style` attribute (the CSP's `style-src 'self'` forbids inline styles).
 * Each offender is `file: source text`.
 */
export function wordsOutsideCatalogues(files: string[], options: { styles?: boolean } = {}): string[] {
  const offenders: string[] = []
  for (const file of files) {
    const source = readFileSync(file, 'utf8')
    const { program, errors } = parseSync(file, source, { lang: 'tsx' })
    if (errors.length > 0) throw new Error(`${file}: ${errors[0]!.message}`)
    new Visitor({
      JSXText(node) {
        if (/\p{L}{2,}/u.test(node.value)) offenders.push(`${file}: ${node.value.trim()}`)
      },
      JSXAttribute(node) {
        const name = node.name.type === 'JSXIdentifier' ? node.name.name : ''
        const text = `${file}: ${source.slice(node.start, node.end)}`
        if (READ_ATTRIBUTES.test(name) && node.value?.type === 'Literal' && /\p{L}/u.test(String(node.value.value))) offenders.push(text)
        if (options.styles && name === 'style') offenders.push(text)
      },
    }).visit(program)
  }
  return offenders
}
