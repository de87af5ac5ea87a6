// A tiny web application that signs its users in with Countersign over OpenID Connect
// (authorization code + PKCE, openid-client). Run it with:
//
//   COUNTERSIGN_ISSUER=http://127.0.0.1:3000/oidc CLIENT_ID=cs-… CLIENT_SECRET=… node examples/oidc-app/app.mjs
//
// then open http://127.0.0.1:4000/. See docs/oidc.md.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import * as client from 'openid-client'

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example app</title></head><body><main>${body}</main></body></html>`
}

/** Starts the app; resolves to `{ url, close() }`. */
export async function startApp({ issuer, clientId, clientSecret, port = 4000, host = '127.0.0.1', acrValues }) {
  const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined)
  const base = `http://${host}:${port}`
  const redirectUri = `${base}/callback`
  /** Sign-ins in progress (state → PKCE verifier) and signed-in visitors (cookie → claims). */
  const pending = new Map()
  const sessions = new Map()

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, base)
      const sid = /(?:^|;\s*)app_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1]
      const session = sid ? sessions.get(sid) : undefined
      if (url.pathname === '/') {
        res.setHeader('content-type', 'text/html; charset=utf-8')
        return res.end(
          page(
            session
              ? `<h1>Signed in as ${escape(session.claims.preferred_username)}</h1>
<p id="amr">amr: ${escape(session.claims.amr.join(' '))}</p><p id="acr">acr: ${escape(session.claims.acr)}</p><p id="organisation">organisation: ${escape(session.claims.organisation ?? '')}</p>
<p><a href="/logout">Sign out</a></p>`
              : `<h1>Example app</h1><p><a href="/login">Sign in with Countersign</a></p>`,
          ),
        )
      }
      if (url.pathname === '/login') {
        const verifier = client.randomPKCECodeVerifier()
        const state = client.randomState()
        pending.set(state, verifier)
        const target = client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid profile email organisation',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          ...(acrValues ? { acr_values: acrValues } : {}),
        })
        res.writeHead(302, { location: target.href })
        return res.end()
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? ''
        const verifier = pending.get(state)
        pending.delete(state)
        if (!verifier) {
          res.writeHead(400, { 'content-type': 'text/plain' })
          return res.end(url.searchParams.get('error') ?? 'unknown sign-in')
        }
        const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: verifier, expectedState: state })
        const id = randomBytes(16).toString('base64url')
        // The ID token says how the user signed in (sub, amr, acr); who they are comes from userinfo.
        const claims = tokens.claims()
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
        sessions.set(id, { claims: { ...info, ...claims }, idToken: tokens.id_token })
        res.writeHead(302, { location: '/', 'set-cookie': `app_session=${id}; Path=/; HttpOnly; SameSite=Lax` })
        return res.end()
      }
      if (url.pathname === '/logout') {
        if (sid) sessions.delete(sid)
        const target = session ? client.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/` }) : new URL(`${base}/`)
        res.writeHead(302, { location: target.href, 'set-cookie': 'app_session=; Path=/; Max-Age=0' })
        return res.end()
      }
      res.writeHead(404).end()
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(error?.message ?? error))
    }
  })
  await new Promise((resolve) => server.listen(port, host, resolve))
  const actualPort = server.address().port
  return { url: `http://${host}:${actualPort}`, close: () => new Promise((resolve) => server.close(resolve)) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = await startApp({
    issuer: process.env.COUNTERSIGN_ISSUER ?? 'http://127.0.0.1:3000/oidc',
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    port: Number(process.env.PORT ?? 4000),
    acrValues: process.env.ACR_VALUES,
  })
  console.log(`example app on ${app.url}`)
}
