import type { Kysely, Transaction } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'

/**
 * What the OpenID Connect provider keeps (issue 7): clients registered per organisation, the
 * provider's own records (sessions, codes, tokens, grants, interactions) and its signing keys.
 * Record ids, grant ids, uids and user codes are stored as SHA-256 hashes: most of them are bearer
 * values (an opaque access token *is* its id), so a copy of the database holds none that works.
 */
export interface OidcClient {
  id: string
  organisationId: string
  name: string
  /** Sealed client secret; `null` for a public client (PKCE only). */
  sealedSecret: string | null
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  createdAt: Date
}

export interface OidcKey {
  kid: string
  /** The private JWK, sealed. */
  sealedJwk: string
  createdAt: Date
}

export interface OidcRecord {
  payload: Record<string, unknown>
  expiresAt: Date | null
  consumedAt: Date | null
}

export interface OidcStore {
  createClient(client: OidcClient): Promise<void>
  getClient(id: string): Promise<OidcClient | undefined>
  listClients(organisationId: string): Promise<OidcClient[]>
  updateClient(id: string, patch: Partial<Pick<OidcClient, 'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'sealedSecret'>>): Promise<void>
  removeClient(id: string): Promise<boolean>

  /** Keys, newest first: the first one signs, the others still verify. */
  listKeys(): Promise<OidcKey[]>
  addKey(key: OidcKey): Promise<void>
  removeKey(kid: string): Promise<boolean>

  upsert(model: string, idHash: string, record: { payload: Record<string, unknown>; expiresAt: Date | null; grantIdHash: string | null; uidHash: string | null; userCodeHash: string | null }): Promise<void>
  find(model: string, idHash: string): Promise<OidcRecord | undefined>
  findBy(model: string, column: 'uid' | 'user_code', hash: string): Promise<OidcRecord | undefined>
  consume(model: string, idHash: string, at: Date): Promise<void>
  destroy(model: string, idHash: string): Promise<void>
  revokeByGrantId(grantIdHash: string): Promise<void>
  /** Every grant, token, code and provider session of an account (SC-12: ending sessions ends tokens). */
  revokeByAccount(accountId: string): Promise<number>
  deleteExpired(now: Date): Promise<number>
}

export interface OidcTables {
  oidc_clients: {
    id: string
    organisation_id: string
    name: string
    sealed_secret: string | null
    redirect_uris: string
    post_logout_redirect_uris: string
    created_at: number
  }
  oidc_keys: { kid: string; sealed_jwk: string; created_at: number }
  oidc_records: {
    model: string
    id_hash: string
    payload: string
    grant_id_hash: string | null
    uid_hash: string | null
    user_code_hash: string | null
    expires_at: number | null
    consumed_at: number | null
    /** Migration 0010-account-lifecycle. */
    account_id: string | null
  }
}

type Db = Kysely<OidcTables> | Transaction<OidcTables>

const time = (value: number | null) => (value === null ? null : new Date(Number(value)))

function toClient(row: OidcTables['oidc_clients']): OidcClient {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    sealedSecret: row.sealed_secret,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    createdAt: new Date(Number(row.created_at)),
  }
}

function toRecord(row: OidcTables['oidc_records']): OidcRecord {
  return { payload: JSON.parse(row.payload) as Record<string, unknown>, expiresAt: time(row.expires_at), consumedAt: time(row.consumed_at) }
}

/** The one implementation, for SQLite and PostgreSQL alike (Kysely). */
export class KyselyOidcStore implements OidcStore {
  constructor(private readonly db: Db) {}

  async createClient(client: OidcClient) {
    await this.db
      .insertInto('oidc_clients')
      .values({
        id: client.id,
        organisation_id: client.organisationId,
        name: client.name,
        sealed_secret: client.sealedSecret,
        redirect_uris: JSON.stringify(client.redirectUris),
        post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
        created_at: client.createdAt.getTime(),
      })
      .execute()
  }

  async getClient(id: string) {
    const row = await this.db.selectFrom('oidc_clients').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? toClient(row) : undefined
  }

  async listClients(organisationId: string) {
    const rows = await this.db.selectFrom('oidc_clients').selectAll().where('organisation_id', '=', organisationId).orderBy('created_at').orderBy('id').execute()
    return rows.map(toClient)
  }

  async updateClient(id: string, patch: Partial<Pick<OidcClient, 'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'sealedSecret'>>) {
    const values: Partial<OidcTables['oidc_clients']> = {}
    if (patch.name !== undefined) values.name = patch.name
    if (patch.redirectUris !== undefined) values.redirect_uris = JSON.stringify(patch.redirectUris)
    if (patch.postLogoutRedirectUris !== undefined) values.post_logout_redirect_uris = JSON.stringify(patch.postLogoutRedirectUris)
    if (patch.sealedSecret !== undefined) values.sealed_secret = patch.sealedSecret
    if (Object.keys(values).length === 0) return
    await this.db.updateTable('oidc_clients').set(values).where('id', '=', id).execute()
  }

  async removeClient(id: string) {
    const result = await this.db.deleteFrom('oidc_clients').where('id', '=', id).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async listKeys() {
    const rows = await this.db.selectFrom('oidc_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute()
    return rows.map((row) => ({ kid: row.kid, sealedJwk: row.sealed_jwk, createdAt: new Date(Number(row.created_at)) }))
  }

  async addKey(key: OidcKey) {
    await this.db.insertInto('oidc_keys').values({ kid: key.kid, sealed_jwk: key.sealedJwk, created_at: key.createdAt.getTime() }).execute()
  }

  async removeKey(kid: string) {
    const result = await this.db.deleteFrom('oidc_keys').where('kid', '=', kid).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async upsert(model: string, idHash: string, record: { payload: Record<string, unknown>; expiresAt: Date | null; grantIdHash: string | null; uidHash: string | null; userCodeHash: string | null }) {
    const values = {
      payload: JSON.stringify(record.payload),
      grant_id_hash: record.grantIdHash,
      uid_hash: record.uidHash,
      user_code_hash: record.userCodeHash,
      expires_at: record.expiresAt?.getTime() ?? null,
      // Whose record it is (grants, tokens, codes, sessions), so a user's can all be revoked at once.
      account_id: typeof record.payload.accountId === 'string' ? record.payload.accountId : null,
    }
    await this.db
      .insertInto('oidc_records')
      .values({ model, id_hash: idHash, consumed_at: null, ...values })
      .onConflict((conflict) => conflict.columns(['model', 'id_hash']).doUpdateSet(values))
      .execute()
  }

  async find(model: string, idHash: string) {
    const row = await this.db.selectFrom('oidc_records').selectAll().where('model', '=', model).where('id_hash', '=', idHash).executeTakeFirst()
    return row ? toRecord(row) : undefined
  }

  async findBy(model: string, column: 'uid' | 'user_code', hash: string) {
    const row = await this.db
      .selectFrom('oidc_records')
      .selectAll()
      .where('model', '=', model)
      .where(column === 'uid' ? 'uid_hash' : 'user_code_hash', '=', hash)
      .executeTakeFirst()
    return row ? toRecord(row) : undefined
  }

  async consume(model: string, idHash: string, at: Date) {
    await this.db.updateTable('oidc_records').set({ consumed_at: at.getTime() }).where('model', '=', model).where('id_hash', '=', idHash).execute()
  }

  async destroy(model: string, idHash: string) {
    await this.db.deleteFrom('oidc_records').where('model', '=', model).where('id_hash', '=', idHash).execute()
  }

  async revokeByAccount(accountId: string) {
    const result = await this.db.deleteFrom('oidc_records').where('account_id', '=', accountId).executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  async revokeByGrantId(grantIdHash: string) {
    await this.db.deleteFrom('oidc_records').where('grant_id_hash', '=', grantIdHash).execute()
  }

  async deleteExpired(now: Date) {
    const result = await this.db.deleteFrom('oidc_records').where('expires_at', '<', now.getTime()).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

/** Migration `0003-oidc`, in each dialect's types. */
export function oidcMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict }) => [
    `CREATE TABLE oidc_clients (
      id TEXT PRIMARY KEY,
      organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      sealed_secret TEXT,
      redirect_uris TEXT NOT NULL,
      post_logout_redirect_uris TEXT NOT NULL,
      created_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX oidc_clients_organisation ON oidc_clients(organisation_id)`,
    `CREATE TABLE oidc_keys (
      kid TEXT PRIMARY KEY,
      sealed_jwk TEXT NOT NULL,
      created_at ${big} NOT NULL
    )${strict}`,
    `CREATE TABLE oidc_records (
      model TEXT NOT NULL,
      id_hash TEXT NOT NULL,
      payload TEXT NOT NULL,
      grant_id_hash TEXT,
      uid_hash TEXT,
      user_code_hash TEXT,
      expires_at ${big},
      consumed_at ${big},
      PRIMARY KEY (model, id_hash)
    )${strict}`,
    `CREATE INDEX oidc_records_grant ON oidc_records(grant_id_hash)`,
    `CREATE INDEX oidc_records_uid ON oidc_records(model, uid_hash)`,
    `CREATE INDEX oidc_records_expires ON oidc_records(expires_at)`,
  ])
}
