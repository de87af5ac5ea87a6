import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sourceFiles, wordsOutsideCatalogues } from '../../server/src/test-support/catalogue-check.js'
import { catalogue } from '../src/i18n/index.js'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** F-X-3 for the Countersign Authenticator: English and Dutch everywhere, no words outside the catalogues. */
describe('Countersign Authenticator: message catalogues (F-X-3)', () => {
  test('Dutch has every English message and no other, each with the same {placeholders}', () => {
    assert.deepEqual(Object.keys(catalogue.nl).sort(), Object.keys(catalogue.en).sort())
    for (const [key, english] of Object.entries(catalogue.en)) {
      const dutch = catalogue.nl[key]!
      assert.ok(dutch.trim().length > 0, `${key} is empty in Dutch`)
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      assert.deepEqual(names(dutch), names(english), `${key}: placeholders`)
    }
  })

  test('the components hold no visible words of their own, and no inline styles (the CSP forbids them)', () => {
    assert.deepEqual(wordsOutsideCatalogues(sourceFiles(SRC), { styles: true }), [])
  })

  test('the built page has no inline script or style, so it runs under script-src and style-src \'self\'', { skip: !existsBuild() && 'build the app first (npm run build:app)' }, () => {
    const html = readFileSync(fileURLToPath(new URL('../dist/index.html', import.meta.url)), 'utf8')
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every script has a src')
    assert.doesNotMatch(html, /<style|\sstyle=/i)
  })
})

function existsBuild(): boolean {
  try {
    return statSync(fileURLToPath(new URL('../dist/index.html', import.meta.url))).isFile()
  } catch {
    return false
  }
}
