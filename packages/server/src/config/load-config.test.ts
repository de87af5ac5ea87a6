import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { attentionLines, loadConfig } from './load-config.js'

describe('configuration', () => {
  it('defaults match API.md and the result is frozen', () => {
    const config = loadConfig({})
    assert.equal(config.publicUrl, 'http://127.0.0.1:3000')
    assert.equal(config.port, 3000)
    assert.equal(config.databaseUrl, 'sqlite:./data/countersign.db')
    assert.equal(config.argon2MemoryKib, 19456)
    assert.ok(Object.isFrozen(config))
  })

  it('a bad value stops the start with one line naming the variable', () => {
    assert.throws(() => loadConfig({ COUNTERSIGN_PORT: 'eighty' }), (e: Error) => e.message.startsWith('COUNTERSIGN_PORT:') && !e.message.includes('\n'))
    assert.throws(() => loadConfig({ COUNTERSIGN_PUBLIC_URL: 'ftp://x' }), { message: /^COUNTERSIGN_PUBLIC_URL:/ })
    assert.throws(() => loadConfig({ COUNTERSIGN_DATABASE_URL: 'mysql://x' }), { message: /^COUNTERSIGN_DATABASE_URL:/ })
    assert.throws(() => loadConfig({ COUNTERSIGN_ADMIN_TOKEN: 'short' }), { message: /^COUNTERSIGN_ADMIN_TOKEN:/ })
    assert.throws(() => loadConfig({ COUNTERSIGN_PROT: '80' }), { message: /^COUNTERSIGN_PROT: unknown setting/ })
  })

  it('development defaults that production must change are announced with attention: lines', () => {
    const lines = attentionLines(loadConfig({}), '/data/secrets.key')
    assert.ok(lines.length >= 3)
    for (const line of lines) assert.match(line, /^attention: /)
    assert.ok(lines.some((l) => l.includes('COUNTERSIGN_SECRETS_KEY')))
  })
})
