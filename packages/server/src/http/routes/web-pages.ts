import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { homePage } from './home-page.js'

/** `packages/web/dist`, from `packages/server/{src,dist}/http/routes/`. */
export const WEB_DIST = fileURLToPath(new URL('../../../../web/dist/', import.meta.url))

/** The pages of the single-page UI; each answers with its `index.html`, the script routes. */
const PAGES = ['/', '/sign-in', '/forgot-password', '/password-reset', '/account/security', '/account/password', '/admin', '/admin/*', '/dev/outbox']

/**
 * Serves the web UI (issue 4) built by `npm run build`: hashed assets under `/assets/` cached for a
 * year, `index.html` never cached (no-store, so the back button after sign-in asks again). Without
 * a build, `/` explains how to make one and the JSON API works as before.
 */
export async function webPages(app: FastifyInstance, webDir: string = WEB_DIST): Promise<string | null> {
  const webDist = resolve(webDir)
  const indexFile = join(webDist, 'index.html')
  if (!existsSync(indexFile)) {
    app.get('/', async (request, reply) => reply.type('text/html; charset=utf-8').send(homePage(request.language)))
    return null
  }
  const index = readFileSync(indexFile, 'utf8')
  await app.register(fastifyStatic, {
    root: webDist,
    prefix: '/',
    index: false,
    wildcard: false,
    serveDotFiles: false,
    // Our own Cache-Control, below (the plugin's would be `max-age=0`).
    cacheControl: false,
    // Source maps stay on disk for whoever builds; the server does not publish them.
    allowedPath: (path) => !path.endsWith('.map') && path !== '/index.html',
  })
  // Every answer is no-store (app.ts) except the UI's files: hashed assets never change, the icon rarely.
  const files = new Set(['/favicon.svg'])
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode !== 200 || request.method !== 'GET') return
    const path = request.url.split('?')[0]!
    if (path.startsWith('/assets/')) reply.header('Cache-Control', 'public, max-age=31536000, immutable')
    else if (files.has(path)) reply.header('Cache-Control', 'public, max-age=3600')
  })
  const page = async (_request: FastifyRequest, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(index)
  for (const url of PAGES) app.get(url, page)
  return index
}

/** A browser asking for an unknown page gets the UI's "page not found" with a 404. */
export function wantsPage(request: FastifyRequest): boolean {
  return request.method === 'GET' && !request.url.startsWith('/api/') && (request.headers.accept ?? '').includes('text/html')
}
