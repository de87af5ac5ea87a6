import type { Context } from '../../use-cases/context.js'
import type { Router } from '../router.js'

export function healthRoutes(router: Router, ctx: Context) {
  router.route(
    { method: 'GET', url: '/healthz', summary: 'The process runs', tag: 'health', access: 'none', responses: { 200: { description: '{"status":"ok"}' } } },
    async () => ({ status: 'ok' }),
  )
  router.route(
    { method: 'GET', url: '/readyz', summary: 'The database answers', tag: 'health', access: 'none', responses: { 200: { description: 'ready' }, 503: { description: 'the database does not answer' } } },
    async ({ reply }) => {
      if (await ctx.store.ping()) return { status: 'ready' }
      return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'database unavailable' } })
    },
  )
}
