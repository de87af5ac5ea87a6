import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isStoreUnavailable } from './store.js'

describe('isStoreUnavailable', () => {
  it('DD-09: a database that is down, restarting, busy or timing out is "unavailable" (503), not a bug (500)', () => {
    for (const code of ['ECONNREFUSED', '57P01', '57P03', '08006', '57014', 'SQLITE_BUSY', 'SQLITE_IOERR_WRITE']) {
      assert.equal(isStoreUnavailable(Object.assign(new Error('x'), { code })), true, code)
    }
    assert.equal(isStoreUnavailable(new Error('Connection terminated unexpectedly')), true)
  })

  it('a constraint violation or a programming error stays a 500', () => {
    for (const code of ['23505', '42P01', 'SQLITE_CONSTRAINT_UNIQUE', undefined]) {
      assert.equal(isStoreUnavailable(Object.assign(new Error('x'), { code })), false, String(code))
    }
    assert.equal(isStoreUnavailable(null), false)
    assert.equal(isStoreUnavailable(new TypeError('undefined is not a function')), false)
  })
})
