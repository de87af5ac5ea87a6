import { sql, type Kysely } from 'kysely'
import type { Migration, MigrationProvider } from 'kysely/migration'
import { oidcMigration } from '../oidc-store.js'
import { pushMigration } from '../push-store.js'
import { deliveryQueueMigration } from '../delivery-queue-store.js'
import { recoveryCodeMigration } from '../recovery-code-store.js'
import { passkeyMigration } from '../passkey-store.js'
import { accountLifecycleMigration } from '../password-reset-store.js'

/**
 * PostgreSQL schema: the same tables and columns as SQLite's (store/sqlite/migrations.ts), so one
 * KyselyStore serves both. Times are BIGINT milliseconds, flags INTEGER 0/1, secrets BYTEA.
 */
const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `CREATE TABLE organisations (
        id TEXT PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        policy TEXT NOT NULL CHECK (policy IN ('required','optional','off')),
        allowed_methods TEXT NOT NULL,
        device_limit INTEGER NOT NULL DEFAULT 5,
        remember_browser_days INTEGER NOT NULL DEFAULT 30,
        code_ttl_minutes INTEGER NOT NULL DEFAULT 20,
        auto_unlock_minutes INTEGER,
        link_with_sms INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        organisation_id TEXT REFERENCES organisations(id) ON DELETE CASCADE,
        username TEXT NOT NULL,
        username_key TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        phone TEXT,
        phone_verified INTEGER NOT NULL DEFAULT 0,
        role TEXT NOT NULL CHECK (role IN ('user','admin','staff')),
        two_factor_override TEXT NOT NULL DEFAULT 'default' CHECK (two_factor_override IN ('default','required','exempt')),
        two_factor_enabled INTEGER NOT NULL DEFAULT 0,
        staff_two_factor INTEGER NOT NULL DEFAULT 1,
        preferred_method TEXT,
        password_hash TEXT NOT NULL,
        language TEXT,
        factors_changed_at BIGINT NOT NULL,
        password_changed_at BIGINT NOT NULL,
        last_sign_in_at BIGINT,
        created_at BIGINT NOT NULL
      )`,
      `CREATE INDEX accounts_organisation ON accounts(organisation_id)`,
      `CREATE TABLE lockouts (
        account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        failures INTEGER NOT NULL DEFAULT 0,
        attempt_limit INTEGER NOT NULL DEFAULT 5,
        locked_at BIGINT,
        locked_until BIGINT,
        lifetime_failures INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE password_throttle (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0,
        blocked_until BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('totp','authenticator','passkey')),
        name TEXT NOT NULL,
        sealed_secret TEXT,
        last_used_step BIGINT,
        status TEXT NOT NULL CHECK (status IN ('pending','active')),
        created_at BIGINT NOT NULL,
        linked_at BIGINT,
        last_used_at BIGINT,
        expires_at BIGINT
      )`,
      `CREATE INDEX devices_account ON devices(account_id, status)`,
      `CREATE TABLE sign_in_flows (
        id TEXT PRIMARY KEY,
        secret_hash BYTEA NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        methods TEXT NOT NULL,
        preferred_method TEXT,
        reason TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE INDEX sign_in_flows_expiry ON sign_in_flows(expires_at)`,
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        secret_hash BYTEA NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        amr TEXT NOT NULL,
        authenticated_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        restricted INTEGER NOT NULL DEFAULT 0,
        user_agent TEXT,
        ip TEXT
      )`,
      `CREATE INDEX sessions_account ON sessions(account_id)`,
      `CREATE INDEX sessions_expiry ON sessions(expires_at)`,
      `CREATE TABLE remembered_browsers (
        id TEXT PRIMARY KEY,
        secret_hash BYTEA NOT NULL,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        last_used_at BIGINT,
        factors_changed_at BIGINT NOT NULL,
        password_changed_at BIGINT NOT NULL,
        user_agent TEXT,
        ip TEXT
      )`,
      `CREATE INDEX remembered_browsers_account ON remembered_browsers(account_id)`,
      `CREATE TABLE bypass_grants (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        granted_by TEXT NOT NULL,
        reason TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      )`,
      `CREATE INDEX bypass_grants_account ON bypass_grants(account_id)`,
      `CREATE TABLE audit_events (
        seq BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        organisation_id TEXT,
        actor TEXT,
        account_id TEXT,
        event TEXT NOT NULL,
        reason TEXT,
        ip TEXT,
        user_agent TEXT,
        details TEXT NOT NULL
      )`,
      `CREATE INDEX audit_events_organisation ON audit_events(organisation_id, seq)`,
      `CREATE INDEX audit_events_account ON audit_events(account_id, seq)`,
      `CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        secret_hash BYTEA NOT NULL,
        name TEXT NOT NULL,
        organisation_id TEXT REFERENCES organisations(id) ON DELETE CASCADE,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      )`,
      `CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY,
        window_start BIGINT NOT NULL,
        count INTEGER NOT NULL
      )`,
    ]
    for (const statement of statements) await sql.raw(statement).execute(db)
  },
}

/**
 * Issue 5: one-time codes by SMS and e-mail (only their HMAC, at most one per account and purpose),
 * fixed-window send budgets (BF-11), and the development outbox (F-OTP-5).
 */
const codes: Migration = {
  async up(db: Kysely<unknown>) {
    const statements = [
      `CREATE TABLE one_time_codes (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        purpose TEXT NOT NULL CHECK (purpose IN ('sign_in','phone_verify','email_change','link_confirm')),
        channel TEXT NOT NULL CHECK (channel IN ('sms','email')),
        destination TEXT NOT NULL,
        flow_id TEXT,
        code_hmac BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        UNIQUE (account_id, purpose)
      )`,
      `CREATE INDEX one_time_codes_expiry ON one_time_codes(expires_at)`,
      `CREATE TABLE send_budgets (
        key TEXT PRIMARY KEY,
        window_start BIGINT NOT NULL,
        count INTEGER NOT NULL
      )`,
      `CREATE TABLE outbox (
        seq BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL CHECK (channel IN ('sms','email')),
        recipient TEXT NOT NULL,
        subject TEXT,
        text TEXT NOT NULL,
        sent_at BIGINT NOT NULL
      )`,
      `CREATE INDEX outbox_recipient ON outbox(recipient, seq)`,
    ]
    for (const statement of statements) await sql.raw(statement).execute(db)
  },
}

/** Forward auth (issue 7): each organisation's protected origins, JSON `[{"origin","requireSecondFactor"}]`. */
const forwardAuth: Migration = {
  async up(db: Kysely<unknown>) {
    await sql.raw(`ALTER TABLE organisations ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]'`).execute(db)
  },
}

/** Re-authentication by SMS or e-mail code (issue 5): the purpose `reauth`. */
const reauthCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql.raw(`ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check`).execute(db)
    await sql.raw(`ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN ('sign_in','phone_verify','email_change','link_confirm','reauth'))`).execute(db)
  },
}

export const postgresMigrations: MigrationProvider = {
  async getMigrations() {
    return { '0001-initial': initial, '0002-codes': codes, '0003-oidc': oidcMigration('postgres'), '0004-forward-auth': forwardAuth, '0005-push': pushMigration('postgres'), '0006-delivery-queue': deliveryQueueMigration('postgres'), '0007-reauth-codes': reauthCodes, '0008-recovery-codes': recoveryCodeMigration('postgres'), '0009-passkeys': passkeyMigration('postgres'), '0010-account-lifecycle': accountLifecycleMigration('postgres') }
  },
}
