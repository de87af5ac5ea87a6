import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `packages/authenticator/dist`, from `packages/server/{src,dist}/http/routes/`. */
export const APP_DIST = fileURLToPath(new URL('../../../../authenticator/dist/', import.meta.url))

/** Where the app lives; the service worker at `/app/sw.js` gets `/app/` as its scope by default. */
const PREFIX = '/app/'

/**
 * Serves the Countersign Authenticator (issue 9, F-PUSH-1), a progressive web app built by
 * `npm run build`, at `/app/`: `index.html` never cached (no-store), hashed assets for a year,
 * the service worker and the manifest revalidated on every load (no-cache) so a new build
 * reaches phones at once. Without a build, `/app/` says how to make one.
 */
export async function authenticatorApp(app: FastifyInstance, appDir: string = APP_DIST): Promise<boolean> {
  const appDist = resolve(appDir)
  const indexFile = join(appDist, 'index.html')
  app.get('/app', async (_request, reply) => reply.redirect(PREFIX, 308))
  if (!existsSync(indexFile)) {
    app.get(PREFIX, async (_request, reply) =>
      reply.status(404).type('text/plain; charset=utf-8').send('The Countersign Authenticator is not built: run npm run build.\n'),
    )
    return false
  }
  const index = readFileSync(indexFile, 'utf8')
  // Its own encapsulated context: a second @fastify/static (no reply decorators) and hooks that
  // touch only these routes.
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: appDist,
      prefix: PREFIX,
      decorateReply: false,
      index: false,
      wildcard: false,
      serveDotFiles: false,
      cacheControl: false,
      // Source maps and the build manifest stay on disk; the page is served below.
      allowedPath: (path) => !path.endsWith('.map') && path !== '/index.html' && !path.startsWith('/.vite/'),
    })
    scope.addHook('onSend', async (request, reply) => {
      if (reply.statusCode !== 200 || request.method !== 'GET') return
      const path = request.url.split('?')[0]!
      if (path.startsWith(`${PREFIX}assets/`)) reply.header('Cache-Control', 'public, max-age=31536000, immutable')
      else if (path === `${PREFIX}sw.js` || path === `${PREFIX}manifest.webmanifest`) reply.header('Cache-Control', 'no-cache')
      else if (path.startsWith(`${PREFIX}icons/`)) reply.header('Cache-Control', 'public, max-age=3600')
    })
    scope.get(PREFIX, async (_request, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(index))
  })
  return true
}
