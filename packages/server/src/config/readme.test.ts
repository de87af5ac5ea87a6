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

describe('how the server is started', () => {
  it('npm start, npm run countersign, the countersign command and the benchmark all give Node the same memory flag', () => {
    const root = new URL('../../../../', import.meta.url)
    const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts
    const flag = '--max-semi-space-size=2'
    assert.ok(scripts.start!.includes(`node ${flag} packages/server/bin/countersign.js serve`))
    assert.ok(scripts.countersign!.includes(`node ${flag} packages/server/bin/countersign.js`))
    assert.equal(readFileSync(new URL('packages/server/bin/countersign.js', root), 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${flag}`)
    assert.ok(readFileSync(new URL('bench/lib/server.ts', root), 'utf8').includes(`SERVER_NODE_FLAGS = ['${flag}']`))
    assert.ok(readFileSync(new URL('README.md', root), 'utf8').includes(`node ${flag}`), 'the README tells operators')
  })
})
