import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { fetchTransport, TestAuthenticator } from '../test-support/authenticator-device.js'
import { CookieJar, freePort, startTestApp, type TestApp } from '../test-support/harness.js'

/*
 * Issue 22: connections and guesses a client cannot multiply. Event streams are held open by
 * design, so each flow or device may hold only a few; the OpenID Connect token endpoint takes
 * codes, refresh tokens and client secrets, so it is bounded per IP like the sign-in steps.
 */

let t: TestApp
let base: string

before(async () => {
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  t = await startTestApp({ COUNTERSIGN_PUBLIC_URL: base, COUNTERSIGN_RATE_LIMIT_OIDC_TOKEN_PER_MINUTE: '3' })
  await t.app.listen({ host: '127.0.0.1', port })
})
after(() => t.close())

/** Opens a stream and resolves with its response once the headers are in (the body stays open). */
function openStream(path: string, cookie: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { cookie, accept: 'text/event-stream' } }, resolve)
    req.on('error', reject)
    req.end()
  })
}

async function bodyOf(response: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

describe('caps on held connections and token guesses (issue 22)', () => {
  it('a sign-in flow holds at most 4 event streams at once; the fifth is 429 with Retry-After, and a closed one frees its place', async () => {
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.enrolledUser(org.id)
    const jar = new CookieJar()
    assert.equal((await t.browser(jar, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })).json().state, 'awaiting_second_factor')
    const cookie = jar.header()
    const open: IncomingMessage[] = []
    for (let i = 0; i < 4; i++) {
      const stream = await openStream('/api/v1/sign-in/events', cookie)
      assert.equal(stream.statusCode, 200)
      assert.match(String(stream.headers['content-type']), /text\/event-stream/)
      open.push(stream)
    }
    const fifth = await openStream('/api/v1/sign-in/events', cookie)
    assert.equal(fifth.statusCode, 429)
    assert.ok(Number(fifth.headers['retry-after']) > 0)
    assert.equal((await bodyOf(fifth)).error.code, 'RATE_LIMITED')

    // Another flow is not affected.
    const other = new CookieJar()
    await t.browser(other, 'POST', '/api/v1/sign-in/password', { username: user.username, password: user.password })
    const elsewhere = await openStream('/api/v1/sign-in/events', other.header())
    assert.equal(elsewhere.statusCode, 200)
    elsewhere.destroy()

    open.pop()!.destroy()
    let again: IncomingMessage | undefined
    for (let i = 0; i < 50 && again?.statusCode !== 200; i++) {
      again?.destroy()
      await new Promise((resolve) => setTimeout(resolve, 20))
      again = await openStream('/api/v1/sign-in/events', cookie)
    }
    assert.equal(again?.statusCode, 200, 'the closed stream’s place is free again')
    again?.destroy()
    for (const stream of open) stream.destroy()
  })

  it('a paired app’s stream: a fifth takes the oldest’s place (told to come back), so a replayed signed URL cannot keep the app out', async () => {
    const org = await t.createOrganisation({ policy: 'required' })
    const user = await t.enrolledUser(org.id)
    const { jar } = await t.signIn(user.username, user.password, user.secret)
    const started = (await t.browser(jar, 'POST', '/api/v1/account/devices/authenticator', { name: 'Phone' })).json()
    const app = new TestAuthenticator(fetchTransport(base), () => t.clock.now())
    assert.equal((await app.pair(started.pairingUri)).status, 200)
    const replayed = app.eventsUrl()
    const held: IncomingMessage[] = []
    for (let i = 0; i < 4; i++) {
      const stream = await openStream(replayed, '')
      assert.equal(stream.statusCode, 200)
      held.push(stream)
    }
    const oldestText = (async () => {
      let text = ''
      for await (const chunk of held[0]!) text += String(chunk)
      return text
    })()
    const own = await openStream(app.eventsUrl(), '')
    assert.equal(own.statusCode, 200, 'the app’s own reconnect gets in')
    const said = await oldestText
    assert.match(said, /event: shutdown/, 'the oldest was told to come back, then ended')
    own.destroy()
    for (const stream of held) stream.destroy()
  })

  it('the OpenID Connect token endpoint answers 429 with Retry-After past its per-IP limit, in the catalogue’s shape', async () => {
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${base}/oidc/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=guess&client_id=nobody' })
      statuses.push(last.status)
    }
    assert.ok(statuses.slice(0, 3).every((s) => s >= 400 && s < 500 && s !== 429), `first three refused by the provider: ${statuses}`)
    assert.equal(statuses[3], 429)
    assert.ok(Number(last!.headers.get('retry-after')) > 0)
    assert.equal(((await last!.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED')
  })
})
