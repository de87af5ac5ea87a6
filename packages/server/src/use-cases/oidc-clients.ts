import { CountersignError } from '../domain/errors.js'
import { newId } from '../domain/tokens.js'
import { clientSecretBinding } from '../oidc/adapter.js'
import type { OidcClient } from '../store/oidc-store.js'
import { organisationOrNotFound } from './administration.js'
import { recordEvent } from './audit.js'
import { inTransaction, type AdminActor, type Context, type RequestMeta } from './context.js'

export interface ClientInput {
  name: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[] | undefined
  /** A public client (a single-page or native app) has no secret and relies on PKCE alone. */
  public?: boolean | undefined
}

export function describeClient(client: OidcClient) {
  return {
    id: client.id,
    organisationId: client.organisationId,
    name: client.name,
    public: client.sealedSecret === null,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    createdAt: client.createdAt.toISOString(),
  }
}

function newSecret(ctx: Context): string {
  return Buffer.from(ctx.random.bytes(32)).toString('base64url')
}

async function clientOrNotFound(ctx: Context, actor: AdminActor, clientId: string) {
  const client = await ctx.store.oidc.getClient(clientId)
  if (!client) throw new CountersignError('NOT_FOUND')
  await organisationOrNotFound(ctx, actor, client.organisationId)
  return client
}

/** Registers an application of an organisation (F-INT-1); a confidential one gets its secret once, here. */
export async function createClient(ctx: Context, actor: AdminActor, organisationId: string, input: ClientInput, meta: RequestMeta) {
  const org = await organisationOrNotFound(ctx, actor, organisationId)
  const id = `cs-${newId(ctx.random)}`
  const secret = input.public ? null : newSecret(ctx)
  const client: OidcClient = {
    id,
    organisationId: org.id,
    name: input.name,
    sealedSecret: secret ? ctx.sealer.seal(Buffer.from(secret), clientSecretBinding(id, org.id)) : null,
    redirectUris: input.redirectUris,
    postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
    createdAt: ctx.clock.now(),
  }
  await inTransaction(ctx, async (tx) => {
    await tx.store.oidc.createClient(client)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'oidc_client.created', organisationId: org.id, actor: actor.actor, details: { clientId: id, name: input.name, public: secret === null } })
  })
  return { ...describeClient(client), ...(secret ? { clientSecret: secret } : {}) }
}

export async function listClients(ctx: Context, actor: AdminActor, organisationId: string) {
  const org = await organisationOrNotFound(ctx, actor, organisationId)
  return (await ctx.store.oidc.listClients(org.id)).map(describeClient)
}

export async function updateClient(ctx: Context, actor: AdminActor, clientId: string, patch: Partial<Pick<ClientInput, 'name' | 'redirectUris' | 'postLogoutRedirectUris'>>, meta: RequestMeta) {
  const client = await clientOrNotFound(ctx, actor, clientId)
  await inTransaction(ctx, async (tx) => {
    await tx.store.oidc.updateClient(client.id, patch)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'oidc_client.updated', organisationId: client.organisationId, actor: actor.actor, details: { clientId, changes: patch } })
  })
  return describeClient((await ctx.store.oidc.getClient(client.id))!)
}

/** A new secret for a confidential client; the old one stops working at once. */
export async function rotateClientSecret(ctx: Context, actor: AdminActor, clientId: string, meta: RequestMeta) {
  const client = await clientOrNotFound(ctx, actor, clientId)
  if (client.sealedSecret === null) throw new CountersignError('INVALID_REQUEST', { field: 'clientId', detail: 'a public client has no secret' })
  const secret = newSecret(ctx)
  await inTransaction(ctx, async (tx) => {
    await tx.store.oidc.updateClient(client.id, { sealedSecret: tx.sealer.seal(Buffer.from(secret), clientSecretBinding(client.id, client.organisationId)) })
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'oidc_client.secret_rotated', organisationId: client.organisationId, actor: actor.actor, details: { clientId } })
  })
  return { ...describeClient(client), clientSecret: secret }
}

export async function removeClient(ctx: Context, actor: AdminActor, clientId: string, meta: RequestMeta) {
  const client = await clientOrNotFound(ctx, actor, clientId)
  await inTransaction(ctx, async (tx) => {
    await tx.store.oidc.removeClient(client.id)
    await recordEvent(tx.store, tx.clock.now(), meta, { event: 'oidc_client.removed', organisationId: client.organisationId, actor: actor.actor, details: { clientId } })
  })
}
