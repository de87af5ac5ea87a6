import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { createPostgresDatabase } from '../test-support/harness.js'
import { InProcessNotifier, type Notifier } from './notifier.js'
import { PostgresNotifier } from './postgres-notifier.js'

function next(notifier: Notifier, channel: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing on ${channel} in ${timeoutMs} ms`)), timeoutMs)
    void notifier.subscribe(channel, (payload) => {
      clearTimeout(timer)
      resolve(payload)
    })
  })
}

describe('notifier', () => {
  it('in one process: a subscriber hears what is published on its channel only', async () => {
    const notifier = new InProcessNotifier()
    const heard: string[] = []
    const stop = await notifier.subscribe('challenge:1', (p) => heard.push(p))
    await notifier.publish('challenge:1', 'approved')
    await notifier.publish('challenge:2', 'denied')
    stop()
    await notifier.publish('challenge:1', 'late')
    assert.deepEqual(heard, ['approved'])
  })

  describe('over PostgreSQL LISTEN/NOTIFY', () => {
    let database: { url: string; drop(): Promise<void> }
    let a: PostgresNotifier
    let b: PostgresNotifier
    const lost: Error[] = []
    before(async () => {
      database = await createPostgresDatabase()
      a = new PostgresNotifier(database.url)
      b = new PostgresNotifier(database.url, { onError: (error) => lost.push(error) })
    })
    after(async () => {
      await a?.close()
      await b?.close()
      await database?.drop()
    })

    it('F-X-4: an event published by one instance wakes the listener on the other', async () => {
      const heard = next(b, 'flow:abc')
      await new Promise((resolve) => setTimeout(resolve, 50))
      await a.publish('flow:abc', JSON.stringify({ event: 'approved' }))
      assert.equal(await heard, '{"event":"approved"}')
    })

    it('the listener reconnects by itself after its connection is killed', async () => {
      ;(await b.subscribe('noop', () => {}))() // resolves once b listens
      const admin = new pg.Client({ connectionString: database.url })
      await admin.connect()
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
      await admin.end()
      for (let i = 0; i < 100 && !(lost.length > 0 && b.listening); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      assert.ok(lost.length > 0, 'the listener noticed it lost its connection')
      assert.equal(b.listening, true)
      const heard = next(b, 'flow:after')
      await new Promise((resolve) => setTimeout(resolve, 50))
      await a.publish('flow:after', 'denied')
      assert.equal(await heard, 'denied')
    })

    it('refuses a payload PostgreSQL would refuse', async () => {
      await assert.rejects(a.publish('x', 'y'.repeat(8000)), /too large/)
    })
  })
})
