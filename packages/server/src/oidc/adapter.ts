import { sha256 } from '../domain/clock.js'
import type { Context } from '../use-cases/context.js'

/** A record id as stored: SHA-256, so the table holds no usable token, code or session id. */
export function hashId(value: string): string {
  return sha256(Buffer.from(value, 'utf8')).toString('base64url')
}

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string }

/**
 * oidc-provider's storage contract over our Store (both dialects). `Client` is answered from the
 * clients an admin registered for an organisation (secrets unsealed only here); every other model
 * is one row in `oidc_records`.
 */
export function storeAdapter(ctx: Context) {
  return class StoreAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn: number | undefined) {
      if (this.model === 'Client') throw new Error('clients are registered through the admin API')
      await ctx.store.oidc.upsert(this.model, hashId(id), {
        payload,
        expiresAt: expiresIn ? new Date(ctx.clock.now().getTime() + expiresIn * 1000) : null,
        grantIdHash: payload.grantId ? hashId(payload.grantId) : null,
        uidHash: payload.uid ? hashId(payload.uid) : null,
        userCodeHash: payload.userCode ? hashId(payload.userCode) : null,
      })
    }

    async find(id: string) {
      if (this.model === 'Client') return clientMetadata(ctx, id)
      return live(ctx, await ctx.store.oidc.find(this.model, hashId(id)))
    }

    async findByUid(uid: string) {
      return live(ctx, await ctx.store.oidc.findBy(this.model, 'uid', hashId(uid)))
    }

    async findByUserCode(userCode: string) {
      return live(ctx, await ctx.store.oidc.findBy(this.model, 'user_code', hashId(userCode)))
    }

    async consume(id: string) {
      await ctx.store.oidc.consume(this.model, hashId(id), ctx.clock.now())
    }

    async destroy(id: string) {
      await ctx.store.oidc.destroy(this.model, hashId(id))
    }

    async revokeByGrantId(grantId: string) {
      await ctx.store.oidc.revokeByGrantId(hashId(grantId))
    }
  }
}

function live(ctx: Context, record: Awaited<ReturnType<Context['store']['oidc']['find']>>) {
  if (!record) return undefined
  if (record.expiresAt && record.expiresAt <= ctx.clock.now()) return undefined
  return record.consumedAt ? { ...record.payload, consumed: Math.floor(record.consumedAt.getTime() / 1000) } : record.payload
}

/** The associated data a client secret is sealed with: it cannot be moved to another client. */
export function clientSecretBinding(clientId: string, organisationId: string): string {
  return `oidc-client|${clientId}|${organisationId}`
}

async function clientMetadata(ctx: Context, clientId: string) {
  const client = await ctx.store.oidc.getClient(clientId)
  if (!client) return undefined
  const secret = client.sealedSecret ? ctx.sealer.open(client.sealedSecret, clientSecretBinding(client.id, client.organisationId)) : null
  if (client.sealedSecret && !secret) return undefined
  return {
    client_id: client.id,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(secret ? { client_secret: secret.toString('utf8'), token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
    // Read back by the interaction: a client signs in only its own organisation's users.
    organisation_id: client.organisationId,
  }
}
