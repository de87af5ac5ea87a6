import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sourceFiles, wordsOutsideCatalogues } from '../../server/src/test-support/catalogue-check.js'
import { catalogue } from '../src/i18n/index.js'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** F-X-3: English and Dutch everywhere, and no words outside the catalogues. */
describe('Message catalogues (F-X-3)', () => {
  test('Dutch has every English message and no other, each with the same {placeholders}', () => {
    assert.deepEqual(Object.keys(catalogue.nl).sort(), Object.keys(catalogue.en).sort())
    for (const [key, english] of Object.entries(catalogue.en)) {
      const dutch = catalogue.nl[key]!
      assert.ok(dutch.trim().length > 0, `${key} is empty in Dutch`)
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      assert.deepEqual(names(dutch), names(english), `${key}: placeholders`)
    }
  })

  test('the components hold no visible words of their own (every text comes from a catalogue), and no inline styles (the CSP forbids them)', () => {
    assert.deepEqual(wordsOutsideCatalogues(sourceFiles(SRC), { styles: true }), [])
  })

  test('the pages take only types from the protocol package, so zod stays out of the browser bundle', () => {
    const offenders = sourceFiles(SRC, /\.tsx?$/).filter((file) => /^import (?!type )[^\n]*from '@countersign\/protocol'/m.test(readFileSync(file, 'utf8')))
    assert.deepEqual(offenders, [])
  })
})
