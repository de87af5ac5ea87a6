import type { Generated } from 'kysely'

/** Kysely's view of the tables (see migrations.ts). Times are epoch milliseconds. */
export interface Tables {
  organisations: {
    id: string
    slug: string
    name: string
    policy: string
    allowed_methods: string
    device_limit: number
    remember_browser_days: number
    code_ttl_minutes: number
    auto_unlock_minutes: number | null
    link_with_sms: number
    /** Migration 0005-push. */
    push_number_digits: number
    /** JSON `[{"origin","requireSecondFactor"}]` (migration 0004-forward-auth). */
    allowed_origins: string
    /** Migration 0010-account-lifecycle. */
    min_password_length: number
    self_service_reset: number
    notify_admins_of_reset: number
    session_idle_minutes: number
    session_max_hours: number
    created_at: number
  }
  accounts: {
    id: string
    organisation_id: string | null
    username: string
    username_key: string
    email: string
    phone: string | null
    phone_verified: number
    role: string
    two_factor_override: string
    two_factor_enabled: number
    staff_two_factor: number
    preferred_method: string | null
    password_hash: string
    language: string | null
    factors_changed_at: number
    password_changed_at: number
    last_sign_in_at: number | null
    /** Migration 0010-account-lifecycle. */
    deactivated_at: number | null
    must_change_password: number
    created_at: number
  }
  lockouts: {
    account_id: string
    failures: number
    attempt_limit: number
    locked_at: number | null
    locked_until: number | null
    lifetime_failures: number
  }
  password_throttle: { key: string; failures: number; pending: number; blocked_until: number; updated_at: number }
  devices: {
    id: string
    account_id: string
    kind: string
    name: string
    sealed_secret: string | null
    last_used_step: number | null
    status: string
    created_at: number
    linked_at: number | null
    last_used_at: number | null
    expires_at: number | null
  }
  sign_in_flows: {
    id: string
    secret_hash: Buffer
    account_id: string
    state: string
    methods: string
    preferred_method: string | null
    reason: string
    created_at: number
    expires_at: number
  }
  sessions: {
    id: string
    secret_hash: Buffer
    account_id: string
    amr: string
    authenticated_at: number
    created_at: number
    last_seen_at: number
    expires_at: number
    restricted: number
    user_agent: string | null
    ip: string | null
  }
  remembered_browsers: {
    id: string
    secret_hash: Buffer
    account_id: string
    created_at: number
    expires_at: number
    last_used_at: number | null
    factors_changed_at: number
    password_changed_at: number
    user_agent: string | null
    ip: string | null
  }
  bypass_grants: {
    id: string
    account_id: string
    granted_by: string
    reason: string | null
    created_at: number
    expires_at: number
    used_at: number | null
  }
  audit_events: {
    seq: Generated<number>
    at: number
    organisation_id: string | null
    actor: string | null
    account_id: string | null
    event: string
    reason: string | null
    ip: string | null
    user_agent: string | null
    details: string
  }
  api_tokens: {
    id: string
    secret_hash: Buffer
    name: string
    organisation_id: string | null
    created_by: string
    created_at: number
    last_used_at: number | null
  }
  rate_limits: { key: string; window_start: number; count: number }
  one_time_codes: {
    id: string
    account_id: string
    purpose: string
    channel: string
    destination: string
    flow_id: string | null
    code_hmac: Buffer
    created_at: number
    expires_at: number
  }
  send_budgets: { key: string; window_start: number; count: number }
  outbox: { seq: Generated<number>; channel: string; recipient: string; subject: string | null; text: string; sent_at: number }
}
