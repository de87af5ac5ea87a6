import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { configKeys, envName } from './config.js'

describe('README', () => {
  it('documents every configuration variable, and only those', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')
    const documented = new Set([...readme.matchAll(/^\| `(COUNTERSIGN_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]))
    assert.deepEqual([...documented].sort(), configKeys.map(envName).sort())
  })

  it('says how to start and how to test', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')
    assert.ok(readme.includes('npm ci && npm start'))
    assert.ok(readme.includes('npm ci && npm test'))
  })
})
