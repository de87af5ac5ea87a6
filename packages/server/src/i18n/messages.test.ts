import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { errorCodes } from '@countersign/protocol'
import { errorResponses, languageFrom, messages } from './messages.js'

describe('messages', () => {
  it('F-X-3: every message id has English and Dutch text, and no text is empty', () => {
    assert.deepEqual(Object.keys(messages.nl).sort(), Object.keys(messages.en).sort())
    for (const language of ['en', 'nl'] as const) {
      for (const [id, text] of Object.entries(messages[language])) assert.ok(text.trim().length > 0, `${language} ${id}`)
    }
  })

  it('every error code of the catalogue maps to the status API.md fixes', () => {
    const fixed: Record<string, number> = {
      INVALID_REQUEST: 400, CREDENTIALS_INVALID: 401, CODE_INVALID: 401, SESSION_REQUIRED: 401,
      REAUTHENTICATION_REQUIRED: 403, CSRF_REJECTED: 403, FORBIDDEN: 403, PUSH_DENIED: 403, NOT_FOUND: 404,
      PUSH_PENDING: 409, DEVICE_LIMIT_REACHED: 409, LAST_FACTOR_REQUIRED: 409, USERNAME_TAKEN: 409,
      FLOW_EXPIRED: 410, ACCOUNT_LOCKED: 423, RATE_LIMITED: 429, RESEND_TOO_SOON: 429, OVERLOADED: 503,
    }
    for (const code of errorCodes) assert.ok(errorResponses[code], code)
    for (const [code, status] of Object.entries(fixed)) assert.equal(errorResponses[code as keyof typeof errorResponses].status, status, code)
  })

  it('F-X-3: the language comes from Accept-Language, by quality', () => {
    assert.equal(languageFrom('nl-NL,nl;q=0.9,en;q=0.8'), 'nl')
    assert.equal(languageFrom('en-GB,nl;q=0.5'), 'en')
    assert.equal(languageFrom('de-DE,nl;q=0.4,en;q=0.3'), 'nl')
    assert.equal(languageFrom('fr'), 'en')
    assert.equal(languageFrom(undefined), 'en')
  })
})
