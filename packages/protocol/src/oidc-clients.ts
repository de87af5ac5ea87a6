import { z } from 'zod'
import { DisplayName } from './schemas.js'

/*
 * OpenID Connect clients (issue 7): what an organisation's admin registers.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/**
 * A redirect URI: absolute, https (http only on a loopback address, RFC 8252 §7.3), no fragment,
 * no user information; compared by the provider exactly as registered.
 */
export const RedirectUri = z
  .string()
  .max(2000)
  .refine((value) => {
    const url = URL.parse(value)
    if (!url || url.hash || url.username || url.password) return false
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  }, 'must be an absolute https URL (http only on 127.0.0.1 or localhost), without a fragment')

const RedirectUris = z
  .array(RedirectUri)
  .max(10)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a URI')

export const CreateOidcClientBody = z.strictObject({
  name: DisplayName,
  redirectUris: RedirectUris.min(1),
  postLogoutRedirectUris: RedirectUris.optional(),
  public: z.boolean().optional(),
})

export const UpdateOidcClientBody = z
  .strictObject({
    name: DisplayName.optional(),
    redirectUris: RedirectUris.min(1).optional(),
    postLogoutRedirectUris: RedirectUris.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field')

export const OidcClientSummary = z.object({
  id: z.string(),
  organisationId: z.string(),
  name: z.string(),
  public: z.boolean(),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  createdAt: z.string(),
  /** Only when the client is created or its secret rotated: shown once, stored sealed. */
  clientSecret: z.string().optional(),
})
export type OidcClientSummary = z.infer<typeof OidcClientSummary>
