import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'
import { sqlMigration } from './sql-migration.js'

/*
 * Passkeys (F-X-1): each passkey is a device of kind `passkey` (listed, renamed, removed and
 * counted like every device) with its WebAuthn credential here; and the challenges of the
 * ceremonies, each used once.
 */

export interface PasskeyCredential {
  deviceId: string
  accountId: string
  /** The credential id as the browser gives it (base64url), unique across all accounts. */
  credentialId: string
  /** The COSE public key, sealed to its device and account: a database writer cannot swap in a key of their own. */
  sealedPublicKey: string
  /** The authenticator's signature counter as last seen (0: the authenticator keeps none). */
  counter: number
  transports: string[]
  /** Found by the browser without a user name (a resident key with user verification): usable for passwordless sign-in. */
  discoverable: boolean
  backedUp: boolean
  createdAt: Date
}

export type ChallengePurpose = 'register' | 'second_factor' | 'discoverable'

export interface PasskeyStore {
  addCredential(credential: PasskeyCredential): Promise<void>
  /** The credential of an active passkey device, by its id; a removed device's credential finds nothing. */
  findByCredentialId(credentialId: string): Promise<PasskeyCredential | undefined>
  /** The account's credentials whose devices are active. */
  listForAccount(accountId: string): Promise<PasskeyCredential[]>
  /** True when any account has this credential id (the same authenticator may not register twice). */
  credentialIdTaken(credentialId: string): Promise<boolean>
  /**
   * Moves the signature counter forward only: one guarded UPDATE, so a counter that went backwards
   * (a cloned authenticator, or a replay) changes nothing. A counter of 0 on both sides is an
   * authenticator that keeps none, and passes.
   */
  advanceCounter(deviceId: string, counter: number): Promise<boolean>

  /** Remembers a ceremony's challenge, for `owner` (a session or flow id; `null`: nobody yet). */
  addChallenge(challenge: { challenge: string; purpose: ChallengePurpose; owner: string | null; expiresAt: Date }): Promise<void>
  /** Uses a challenge once: only an unexpired one of this purpose and owner, deleted as it is read. */
  consumeChallenge(challenge: string, purpose: ChallengePurpose, owner: string | null, now: Date): Promise<boolean>
  deleteExpiredChallenges(now: Date): Promise<number>
}

export interface PasskeyTables {
  passkey_credentials: {
    device_id: string
    account_id: string
    credential_id: string
    sealed_public_key: string
    counter: number | bigint
    transports: string
    discoverable: number
    backed_up: number
    created_at: number | bigint
  }
  webauthn_challenges: {
    challenge: string
    purpose: string
    owner: string | null
    expires_at: number | bigint
  }
  devices: { id: string; status: string }
}

function toCredential(row: PasskeyTables['passkey_credentials']): PasskeyCredential {
  return {
    deviceId: row.device_id,
    accountId: row.account_id,
    credentialId: row.credential_id,
    sealedPublicKey: row.sealed_public_key,
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    discoverable: Boolean(row.discoverable),
    backedUp: Boolean(row.backed_up),
    createdAt: new Date(Number(row.created_at)),
  }
}

export class KyselyPasskeyStore implements PasskeyStore {
  constructor(private readonly db: Kysely<PasskeyTables>) {}

  async addCredential(credential: PasskeyCredential) {
    await this.db
      .insertInto('passkey_credentials')
      .values({
        device_id: credential.deviceId,
        account_id: credential.accountId,
        credential_id: credential.credentialId,
        sealed_public_key: credential.sealedPublicKey,
        counter: credential.counter,
        transports: JSON.stringify(credential.transports),
        discoverable: credential.discoverable ? 1 : 0,
        backed_up: credential.backedUp ? 1 : 0,
        created_at: credential.createdAt.getTime(),
      })
      .execute()
  }

  private active() {
    return this.db
      .selectFrom('passkey_credentials')
      .innerJoin('devices', 'devices.id', 'passkey_credentials.device_id')
      .selectAll('passkey_credentials')
      .where('devices.status', '=', 'active')
  }

  async findByCredentialId(credentialId: string) {
    const row = await this.active().where('passkey_credentials.credential_id', '=', credentialId).executeTakeFirst()
    return row ? toCredential(row) : undefined
  }

  async listForAccount(accountId: string) {
    const rows = await this.active().where('passkey_credentials.account_id', '=', accountId).orderBy('passkey_credentials.created_at').execute()
    return rows.map(toCredential)
  }

  async credentialIdTaken(credentialId: string) {
    const row = await this.db.selectFrom('passkey_credentials').select('device_id').where('credential_id', '=', credentialId).executeTakeFirst()
    return row !== undefined
  }

  async advanceCounter(deviceId: string, counter: number) {
    const result = await this.db
      .updateTable('passkey_credentials')
      .set({ counter })
      .where('device_id', '=', deviceId)
      .where((eb) => eb.or([eb('counter', '<', counter), ...(counter === 0 ? [eb('counter', '=', 0)] : [])]))
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async addChallenge(challenge: { challenge: string; purpose: ChallengePurpose; owner: string | null; expiresAt: Date }) {
    await this.db.insertInto('webauthn_challenges').values({ challenge: challenge.challenge, purpose: challenge.purpose, owner: challenge.owner, expires_at: challenge.expiresAt.getTime() }).execute()
  }

  async consumeChallenge(challenge: string, purpose: ChallengePurpose, owner: string | null, now: Date) {
    const result = await this.db
      .deleteFrom('webauthn_challenges')
      .where('challenge', '=', challenge)
      .where('purpose', '=', purpose)
      .where((eb) => (owner === null ? eb('owner', 'is', null) : eb('owner', '=', owner)))
      .where('expires_at', '>', now.getTime())
      .executeTakeFirst()
    return Number(result.numDeletedRows) === 1
  }

  async deleteExpiredChallenges(now: Date) {
    const result = await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now.getTime()).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

/** Migration `0009-passkeys`, in each dialect's types. */
export function passkeyMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return sqlMigration(dialect, ({ big, strict }) => [
    `CREATE TABLE passkey_credentials (
      device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
      account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      credential_id TEXT NOT NULL UNIQUE,
      sealed_public_key TEXT NOT NULL,
      counter ${big} NOT NULL,
      transports TEXT NOT NULL,
      discoverable INTEGER NOT NULL,
      backed_up INTEGER NOT NULL,
      created_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX passkey_credentials_account ON passkey_credentials(account_id)`,
    `CREATE TABLE webauthn_challenges (
      challenge TEXT PRIMARY KEY,
      purpose TEXT NOT NULL CHECK (purpose IN ('register','second_factor','discoverable')),
      owner TEXT,
      expires_at ${big} NOT NULL
    )${strict}`,
    `CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at)`,
  ])
}
