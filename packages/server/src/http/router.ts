import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z, type ZodType } from 'zod'
import { CountersignError } from '../domain/errors.js'
import type { AdminActor, RequestMeta } from '../use-cases/context.js'
import type { Authenticated } from '../use-cases/sessions.js'

/**
 * Who may call a route:
 * - `none`: anyone (CSRF rule still applies to unsafe methods);
 * - `session`: a full session; a forced-enrolment session gets 403 ENROLMENT_REQUIRED, one whose
 *   account owes a new password 403 PASSWORD_CHANGE_REQUIRED;
 * - `password`: a full session, or one that owes a new password (changing it);
 * - `enrolment`: any session, including one restricted to enrolment (F-LOGIN-5);
 * - `admin`: an admin API token, or the full session of an organisation admin or a staff user.
 */
export type Access = 'none' | 'session' | 'password' | 'enrolment' | 'admin'

export interface RouteDefinition<B, Q, P> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  summary: string
  tag: string
  access: Access
  body?: ZodType<B>
  query?: ZodType<Q>
  params?: ZodType<P>
  /** Status → description, and a schema where the answer has a body. */
  responses: Record<number, { description: string; schema?: ZodType }>
}

export interface Call<B, Q, P> {
  body: B
  query: Q
  params: P
  meta: RequestMeta
  request: FastifyRequest
  reply: FastifyReply
  /** Set for `session` and `enrolment` routes. */
  auth: Authenticated
  /** Set for `admin` routes. */
  admin: AdminActor
}

export interface Guards {
  meta(request: FastifyRequest): RequestMeta
  session(request: FastifyRequest, access: 'session' | 'password' | 'enrolment'): Promise<Authenticated>
  admin(request: FastifyRequest): Promise<AdminActor>
}

/** Turns the first zod issue into a 400 that names the field (API.md §Conventions). */
export function parseOrThrow<T>(schema: ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : []
  const path = [...issue.path.map(String), ...keys.slice(0, 1)].join('.')
  const field = path || where
  const detail = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message
  throw new CountersignError('INVALID_REQUEST', { field, detail })
}

/**
 * Registers routes that parse with zod, check access, call one use-case and render; and keeps
 * their description for `GET /api/v1/openapi.json`, so the document cannot drift from the code.
 */
export class Router {
  readonly #documented: Array<RouteDefinition<unknown, unknown, unknown>> = []

  constructor(
    private readonly app: FastifyInstance,
    private readonly guards: Guards,
  ) {}

  route<B = undefined, Q = undefined, P = undefined>(
    definition: RouteDefinition<B, Q, P>,
    handler: (call: Call<B, Q, P>) => Promise<unknown>,
  ): void {
    this.#documented.push(definition as RouteDefinition<unknown, unknown, unknown>)
    const { guards } = this
    this.app.route({
      method: definition.method,
      url: definition.url,
      async handler(request, reply) {
        const meta = guards.meta(request)
        const params = definition.params ? parseOrThrow(definition.params, request.params, 'path') : (undefined as P)
        const query = definition.query ? parseOrThrow(definition.query, request.query ?? {}, 'query') : (undefined as Q)
        let auth = undefined as unknown as Authenticated
        let admin = undefined as unknown as AdminActor
        if (definition.access === 'session' || definition.access === 'password' || definition.access === 'enrolment') {
          auth = await guards.session(request, definition.access)
        } else if (definition.access === 'admin') {
          admin = await guards.admin(request)
        }
        const body = definition.body ? parseOrThrow(definition.body, request.body ?? {}, 'body') : (undefined as B)
        return handler({ body, query, params, meta, request, reply, auth, admin })
      },
    })
  }

  /** OpenAPI 3.1, generated from the same zod schemas the routes parse with. */
  openApi(info: { title: string; version: string; serverUrl: string }) {
    const paths: Record<string, Record<string, unknown>> = {}
    const toSchema = (schema: ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { io, unrepresentable: 'any' })
    for (const route of this.#documented) {
      const path = route.url.replace(/:(\w+)/g, '{$1}')
      const parameters: unknown[] = []
      for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
        if (!schema) continue
        const json = toSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] }
        for (const [name, property] of Object.entries(json.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: property })
        }
      }
      const operation: Record<string, unknown> = {
        summary: route.summary,
        tags: [route.tag],
        security: route.access === 'none' ? [] : route.access === 'admin' ? [{ bearer: [] }, { session: [] }] : [{ session: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } } : {}),
        responses: Object.fromEntries(
          Object.entries(route.responses).map(([status, response]) => [
            status,
            {
              description: response.description,
              ...(response.schema ? { content: { 'application/json': { schema: toSchema(response.schema, 'output') } } } : {}),
            },
          ]),
        ),
      }
      paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation }
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      servers: [{ url: info.serverUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'cs_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
        schemas: {
          Error: {
            type: 'object',
            properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } }, required: ['code', 'message'] } },
            required: ['error'],
          },
        },
      },
      paths,
    }
  }
}
