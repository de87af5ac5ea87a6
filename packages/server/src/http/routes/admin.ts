import {
  AuditQuery,
  BypassBody,
  CreateOrganisationBody,
  CreateStaffBody,
  CreateUserBody,
  OrganisationSettings,
  UpdateOrganisationBody,
  UpdateUserBody,
  UserSummary,
} from '@countersign/protocol'
import { z } from 'zod'
import {
  adminRemoveDevice,
  createOrganisation,
  createStaff,
  createUser,
  getOrganisation,
  getUser,
  grantBypass,
  listAudit,
  listOrganisations,
  listStaff,
  listUsers,
  unlockUser,
  updateOrganisation,
  updateUser,
} from '../../use-cases/administration.js'
import type { Context } from '../../use-cases/context.js'
import type { Router } from '../router.js'

const Id = z.string().min(1).max(64)
const OrgParams = z.strictObject({ id: Id })
const UserParams = z.strictObject({ id: Id })
const UserDeviceParams = z.strictObject({ id: Id, deviceId: Id })
const denied = { 401: { description: 'SESSION_REQUIRED: no valid token or session' }, 403: { description: 'FORBIDDEN: another organisation, or not an admin' } }

export function adminRoutes(router: Router, ctx: Context) {
  router.route(
    { method: 'GET', url: '/api/v1/admin/organisations', summary: 'Organisations the caller administers', tag: 'admin', access: 'admin', responses: { 200: { description: 'organisations', schema: z.array(OrganisationSettings) }, ...denied } },
    async ({ admin }) => listOrganisations(ctx, admin),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/organisations', summary: 'Create an organisation (staff only)', tag: 'admin', access: 'admin', body: CreateOrganisationBody, responses: { 201: { description: 'organisation', schema: OrganisationSettings }, 409: { description: 'SLUG_TAKEN' }, ...denied } },
    async ({ admin, body, meta, reply }) => reply.status(201).send(await createOrganisation(ctx, admin, body, meta)),
  )
  router.route(
    { method: 'GET', url: '/api/v1/admin/organisations/:id', summary: 'An organisation’s settings (by id or slug)', tag: 'admin', access: 'admin', params: OrgParams, responses: { 200: { description: 'organisation', schema: OrganisationSettings }, 404: { description: 'NOT_FOUND' }, ...denied } },
    async ({ admin, params }) => getOrganisation(ctx, admin, params.id),
  )
  router.route(
    { method: 'PATCH', url: '/api/v1/admin/organisations/:id', summary: 'Change policy and settings (F-POL-1)', tag: 'admin', access: 'admin', params: OrgParams, body: UpdateOrganisationBody, responses: { 200: { description: 'organisation', schema: OrganisationSettings }, ...denied } },
    async ({ admin, params, body, meta }) => updateOrganisation(ctx, admin, params.id, body, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/organisations/:id/users', summary: 'Create a user (argon2id password)', tag: 'admin', access: 'admin', params: OrgParams, body: CreateUserBody, responses: { 201: { description: 'user', schema: UserSummary }, 409: { description: 'USERNAME_TAKEN' }, ...denied } },
    async ({ admin, params, body, meta, reply }) => reply.status(201).send(await createUser(ctx, admin, params.id, body, meta)),
  )
  router.route(
    { method: 'GET', url: '/api/v1/admin/organisations/:id/users', summary: 'Users with their 2FA state (F-POL-5)', tag: 'admin', access: 'admin', params: OrgParams, responses: { 200: { description: 'users', schema: z.array(UserSummary) }, ...denied } },
    async ({ admin, params }) => listUsers(ctx, admin, params.id),
  )
  router.route(
    { method: 'GET', url: '/api/v1/admin/users/:id', summary: 'A user’s 2FA state', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'user', schema: UserSummary }, 404: { description: 'NOT_FOUND' }, ...denied } },
    async ({ admin, params }) => getUser(ctx, admin, params.id),
  )
  router.route(
    { method: 'PATCH', url: '/api/v1/admin/users/:id', summary: 'Override (F-POL-2), staff switch (F-POL-3), role, e-mail, password', tag: 'admin', access: 'admin', params: UserParams, body: UpdateUserBody, responses: { 200: { description: 'user', schema: UserSummary }, ...denied } },
    async ({ admin, params, body, meta }) => updateUser(ctx, admin, params.id, body, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/unlock', summary: 'Unlock a locked account (F-POL-5)', tag: 'admin', access: 'admin', params: UserParams, responses: { 200: { description: 'user', schema: UserSummary }, ...denied } },
    async ({ admin, params, meta }) => unlockUser(ctx, admin, params.id, meta),
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/users/:id/bypass', summary: 'One-time sign-in without 2FA, 24 h (F-POL-4)', tag: 'admin', access: 'admin', params: UserParams, body: BypassBody.optional(), responses: { 201: { description: '{"expiresAt"}' }, ...denied } },
    async ({ admin, params, body, meta, reply }) => reply.status(201).send(await grantBypass(ctx, admin, params.id, body ?? {}, meta)),
  )
  router.route(
    { method: 'DELETE', url: '/api/v1/admin/users/:id/devices/:deviceId', summary: 'Remove a user’s device (F-POL-5)', tag: 'admin', access: 'admin', params: UserDeviceParams, responses: { 204: { description: 'removed' }, 404: { description: 'NOT_FOUND' }, ...denied } },
    async ({ admin, params, meta, reply }) => {
      await adminRemoveDevice(ctx, admin, params.id, params.deviceId, meta)
      return reply.status(204).send()
    },
  )
  router.route(
    { method: 'POST', url: '/api/v1/admin/staff', summary: 'Create a staff user with the 2FA switch (F-POL-3)', tag: 'admin', access: 'admin', body: CreateStaffBody, responses: { 201: { description: 'staff user', schema: UserSummary }, 409: { description: 'USERNAME_TAKEN' }, ...denied } },
    async ({ admin, body, meta, reply }) => reply.status(201).send(await createStaff(ctx, admin, body, meta)),
  )
  router.route(
    { method: 'GET', url: '/api/v1/admin/staff', summary: 'Staff users', tag: 'admin', access: 'admin', responses: { 200: { description: 'staff', schema: z.array(UserSummary) }, ...denied } },
    async ({ admin }) => listStaff(ctx, admin),
  )
  router.route(
    { method: 'GET', url: '/api/v1/admin/audit', summary: 'The audit log, newest first (F-POL-6)', tag: 'admin', access: 'admin', query: AuditQuery, responses: { 200: { description: 'events' }, ...denied } },
    async ({ admin, query }) => listAudit(ctx, admin, query),
  )
}
