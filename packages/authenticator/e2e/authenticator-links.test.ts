import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { accountKey, isDevice, type Account } from '../src/lib/accounts.js'
import { parseOtpauthUri } from '../src/lib/otpauth-uri.js'
import { pairAnswerMismatch } from '../src/lib/pair-answer.js'

/**
 * The app's pure rules for pairing links and the pairing answer (issue 22), without a browser:
 * the app pairs only with the server it is served from, and knows a paired account by that
 * server and its device id together.
 */
const OWN = 'https://sign-in.example.org'
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
const link = (server: string | null, extra = '&cs_pair=tok_1&cs_device=dev_1') =>
  `otpauth://totp/Demo%20Clinic:bob?secret=${SECRET}&issuer=Demo%20Clinic${extra}${server === null ? '' : `&cs_server=${encodeURIComponent(server)}`}`

describe('Countersign Authenticator: pairing links and answers (F-PUSH-1, issue 22)', () => {
  test('F-PUSH-1: a pairing link naming the app\'s own origin pairs with it (a trailing path or slash is still that origin)', () => {
    for (const server of [OWN, `${OWN}/`, `${OWN}/countersign`, 'https://SIGN-IN.example.org:443']) {
      const parsed = parseOtpauthUri(link(server), OWN)
      assert.deepEqual(parsed?.pairing, { token: 'tok_1', server: OWN, deviceId: 'dev_1' }, server)
      assert.equal(parsed?.refused, null, server)
    }
    // Plain http is fine where the app itself runs on it (a test server on loopback).
    assert.deepEqual(parseOtpauthUri(link('http://127.0.0.1:8080'), 'http://127.0.0.1:8080')?.pairing?.server, 'http://127.0.0.1:8080')
  })

  test('F-PUSH-1: a pairing link naming any other origin is refused, with that origin, and keeps its TOTP secret for codes only', () => {
    const others = {
      'https://evil.example': 'https://evil.example',
      'https://sign-in.example.org.evil.example': 'https://sign-in.example.org.evil.example',
      'https://sign-in.example.org@evil.example/': 'https://evil.example',
      'https://sign-in.example.org:8443': 'https://sign-in.example.org:8443',
      'http://sign-in.example.org': 'http://sign-in.example.org',
      'https://example.org': 'https://example.org',
      'http://127.0.0.1:9': 'http://127.0.0.1:9',
    }
    for (const [server, origin] of Object.entries(others)) {
      const parsed = parseOtpauthUri(link(server), OWN)
      assert.ok(parsed, server)
      assert.equal(parsed.pairing, null, server)
      assert.deepEqual(parsed.refused, { reason: 'other-server', server: origin }, server)
      assert.equal(parsed.totp.secret, SECRET)
      assert.equal(parsed.username, 'bob')
    }
    // Another server is refused even when the rest of the link is missing.
    assert.deepEqual(parseOtpauthUri(link('https://evil.example', ''), OWN)?.refused, { reason: 'other-server', server: 'https://evil.example' })
  })

  test('F-PUSH-1: a pairing link without a usable server, token or device is refused as incomplete, never paired', () => {
    const cases = [
      link(null),
      link('javascript:alert(1)'),
      link('data:text/plain,x'),
      link('not a url'),
      link(''),
      link(OWN, '&cs_device=dev_1'),
      link(OWN, '&cs_pair=tok_1'),
      link(OWN, '&cs_pair=&cs_device=dev_1'),
    ]
    for (const text of cases) {
      const parsed = parseOtpauthUri(text, OWN)
      assert.equal(parsed?.pairing, null, text)
      assert.deepEqual(parsed?.refused, { reason: 'incomplete' }, text)
    }
  })

  test('F-PUSH-3: a plain otpauth link (no cs_ parameters) is a codes-only link, as before', () => {
    const parsed = parseOtpauthUri(`otpauth://totp/Example%20Co:alice?secret=${SECRET}&issuer=Example%20Co`, OWN)
    assert.deepEqual(parsed, {
      issuer: 'Example Co',
      username: 'alice',
      totp: { secret: SECRET, algorithm: 'SHA-1', digits: 6, periodSeconds: 30 },
      pairing: null,
      refused: null,
    })
  })

  test('F-PUSH-1: an app origin that is no http(s) origin pairs with nothing', () => {
    assert.equal(parseOtpauthUri(link(OWN), 'null')?.pairing, null)
    assert.equal(parseOtpauthUri(link(OWN), '')?.pairing, null)
  })

  test('F-PUSH-1: the pairing answer must come from the link\'s server, name it, and name the link\'s device', () => {
    const pairing = { token: 'tok_1', server: OWN, deviceId: 'dev_1' }
    const url = `${OWN}/api/v1/authenticator/pair`
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1', server: OWN }, url), null)
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1', server: `${OWN}/` }, url), null, 'the public URL may end in a slash')
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_2', server: OWN }, url), 'device')
    assert.equal(pairAnswerMismatch(pairing, { server: OWN }, url), 'device', 'no device id is not the link\'s')
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1', server: 'https://evil.example' }, url), 'server')
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1' }, url), 'server', 'an answer that names no server')
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1', server: OWN }, 'https://evil.example/api/v1/authenticator/pair'), 'server', 'answered after a redirect elsewhere')
    assert.equal(pairAnswerMismatch(pairing, { deviceId: 'dev_1', server: OWN }, ''), 'server', 'an answer from nowhere known')
  })

  test('F-PUSH-6: a paired account is keyed by server and device together: the same device id of two servers never collides', () => {
    assert.notEqual(accountKey('https://a.example', 'dev_1'), accountKey('https://b.example', 'dev_1'))
    assert.equal(accountKey('https://a.example', 'dev_1'), accountKey('https://a.example', 'dev_1'))
    // No separator trick makes two different pairs one key.
    assert.notEqual(accountKey('https://a.example', 'x","y'), accountKey('https://a.example","x', 'y'))
    const paired = (server: string): Account => ({
      id: server,
      name: 'n',
      issuer: 'i',
      username: 'u',
      organisation: null,
      totp: { secret: SECRET, algorithm: 'SHA-1', digits: 6, periodSeconds: 30 },
      addedAt: '2026-01-01T00:00:00.000Z',
      pairing: { server, deviceId: 'dev_1', keyPair: {} as CryptoKeyPair, pushEndpoint: null, removedAt: null },
    })
    assert.ok(isDevice(paired(OWN), OWN, 'dev_1'))
    assert.ok(!isDevice(paired('https://evil.example'), OWN, 'dev_1'))
    assert.ok(!isDevice({ ...paired(OWN), pairing: null }, OWN, 'dev_1'))
  })
})
