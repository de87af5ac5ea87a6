import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { matchOrigin, parseAbsoluteUrl, protectedUrlFrom } from './return-url.js'

const none = { originalUrl: [], forwardedProto: [], forwardedHost: [], forwardedUri: [] }

describe('return URLs and the protected URL (F-INT-2, RB-09, RB-10)', () => {
  it('RB-10: only a plain absolute http(s) URL without user information parses', () => {
    assert.equal(parseAbsoluteUrl('https://app.example.com/a?b=1#c')?.href, 'https://app.example.com/a?b=1#c')
    assert.equal(parseAbsoluteUrl('HTTP://App.Example.com:80/')?.href, 'http://app.example.com/')
    for (const bad of ['', '/relative', '//evil.com', '/\\evil.com', 'https:evil.com', 'https:/evil.com', 'javascript:alert(1)', 'https://a@evil.com', 'https://evil.com\\@a', 'https://a/\r\n', 'https://a/ b', 'https://é.com/', `https://a.com/${'x'.repeat(4100)}`, 'ftp://a.com/']) {
      assert.equal(parseAbsoluteUrl(bad), null, JSON.stringify(bad))
    }
  })

  it('RB-09: each style reads only its own headers, each exactly once', () => {
    const original = { ...none, originalUrl: ['https://app.example.com/x'] }
    const forwarded = { ...none, forwardedProto: ['https'], forwardedHost: ['app.example.com:8443'], forwardedUri: ['/x?y=1'] }
    assert.equal(protectedUrlFrom('original', original)?.href, 'https://app.example.com/x')
    assert.equal(protectedUrlFrom('forwarded', forwarded)?.href, 'https://app.example.com:8443/x?y=1')
    assert.equal(protectedUrlFrom('original', forwarded), null)
    assert.equal(protectedUrlFrom('forwarded', original), null)
    assert.equal(protectedUrlFrom('original', { ...none, originalUrl: ['https://a/', 'https://a/'] }), null)
    assert.equal(protectedUrlFrom('forwarded', { ...forwarded, forwardedHost: ['a', 'b'] }), null)
    for (const host of ['evil.com@app', 'app/x', 'app?x', 'app#x', 'app\\x', 'app, evil', '', '-app', 'app:port']) {
      assert.equal(protectedUrlFrom('forwarded', { ...forwarded, forwardedHost: [host] }), null, host)
    }
    for (const uri of ['', 'x', '@evil.com/', '\\x']) assert.equal(protectedUrlFrom('forwarded', { ...forwarded, forwardedUri: [uri] }), null, uri)
    assert.equal(protectedUrlFrom('forwarded', { ...forwarded, forwardedProto: ['HTTPS'] }), null)
  })

  it('origins compare as browsers compare them: scheme, host and port', () => {
    const allowed = [{ origin: 'https://app.example.com', requireSecondFactor: false }]
    assert.ok(matchOrigin(new URL('https://APP.example.com:443/x'), allowed))
    for (const other of ['http://app.example.com/', 'https://app.example.com:444/', 'https://app.example.com.evil.com/', 'https://app.example.com./']) {
      assert.equal(matchOrigin(new URL(other), allowed), undefined, other)
    }
  })
})
