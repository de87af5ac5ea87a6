import { z } from 'zod'
import { base64url } from './encoding.js'

// ---- Passkeys (F-X-1): the WebAuthn JSON the browser sends (WebAuthn L3 toJSON, @simplewebauthn/browser)

const ClientExtensionResults = z.record(z.string(), z.unknown()).refine((value) => JSON.stringify(value).length <= 2048, 'too large')

/** What every credential answer carries besides its `response`. */
const CredentialFields = {
  id: base64url(1, 1400),
  rawId: base64url(1, 1400),
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: ClientExtensionResults,
}

export const PasskeyRegistrationResponse = z.object({
  ...CredentialFields,
  response: z.object({
    clientDataJSON: base64url(1, 4096),
    attestationObject: base64url(1, 12000),
    transports: z.array(z.string().max(32)).max(10).optional(),
    authenticatorData: base64url(0, 12000).optional(),
    publicKey: base64url(0, 2000).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
})

export const PasskeyAuthenticationResponse = z.object({
  ...CredentialFields,
  response: z.object({
    clientDataJSON: base64url(1, 4096),
    authenticatorData: base64url(1, 4096),
    signature: base64url(1, 1400),
    userHandle: base64url(0, 128).optional(),
  }),
})
