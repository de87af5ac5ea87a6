import { CreateOidcClientBody, OidcClientSummary, UpdateOidcClientBody } from '@countersign/protocol'
import { z } from 'zod'
import type { Context } from '../../use-cases/context.js'
import { createClient, listClients, removeClient, rotateClientSecret, updateClient } from '../../use-cases/oidc-clients.js'
import type { Router } from '../router.js'

const Id = z.string().min(1).max(64)
const OrgParams = z.strictObject({ id: Id })
const ClientParams = z.strictObject({ clientId: Id })
const denied = { 401: { description: 'SESSION_REQUIRED: no valid token or session' }, 403: { description: 'FORBIDDEN: another organisation, or not an admin' } }

/** The applications of an organisation that sign in with OpenID Connect (F-INT-1, issue 7). */
export function oidcClientRoutes(router: Router, ctx: Context) {
  router.route(
    { method: 'GET', url: '/api/v1/admin/organisations/:id/oidc-clients', summary: 'Applications of an organisation (OpenID Connect clients)', tag: 'admin', access: 'admin', params: OrgParams, responses: { 200: { description: 'clients', schema: z.array(OidcClientSummary) }, ...denied } },
    ({ admin, params }) => listClients(ctx, admin, params.id),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/organisations/:id/oidc-clients', summary: 'Register an application; a confidential one gets its secret once, in this answer', tag: 'admin', access: 'admin', params: OrgParams, body: CreateOidcClientBody, responses: { 201: { description: 'client with clientSecret', schema: OidcClientSummary }, ...denied } },
    async ({ admin, params, body, meta, reply }) => reply.status(201).send(await createClient(ctx, admin, params.id, body, meta)),
  )
  router.route(
    { method: 'PATCH', url: '/api/v1/admin/oidc-clients/:clientId', summary: 'Rename an application or change its redirect URIs', tag: 'admin', access: 'admin', params: ClientParams, body: UpdateOidcClientBody, responses: { 200: { description: 'client', schema: OidcClientSummary }, 404: { description: 'NOT_FOUND' }, ...denied } },
    ({ admin, params, body, meta }) => updateClient(ctx, admin, params.clientId, body, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/oidc-clients/:clientId/secret', summary: 'A new client secret, shown once; the old one stops working', tag: 'admin', access: 'admin', params: ClientParams, responses: { 200: { description: 'client with clientSecret', schema: OidcClientSummary }, 404: { description: 'NOT_FOUND' }, ...denied } },
    ({ admin, params, meta }) => rotateClientSecret(ctx, admin, params.clientId, meta),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/admin/oidc-clients/:clientId', summary: 'Remove an application', tag: 'admin', access: 'admin', params: ClientParams, responses: { 204: { description: 'removed' }, 404: { description: 'NOT_FOUND' }, ...denied } },
    async ({ admin, params, meta, reply }) => {
      await removeClient(ctx, admin, params.clientId, meta)
      return reply.status(204).send()
    },
  )
}
