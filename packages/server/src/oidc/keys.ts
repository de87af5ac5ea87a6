import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import type { Context } from '../use-cases/context.js'

/** The first key's id is fixed, so instances starting together on an empty database agree on it. */
const FIRST_KID = 'countersign-1'

const binding = (kid: string) => `oidc-key|${kid}`

async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }
}

async function storeKey(ctx: Context, jwk: JWK): Promise<void> {
  const sealedJwk = ctx.sealer.seal(Buffer.from(JSON.stringify(jwk)), binding(jwk.kid!))
  await ctx.store.oidc.addKey({ kid: jwk.kid!, sealedJwk, createdAt: ctx.clock.now() })
}

/**
 * The provider's signing keys (private JWKs, sealed at rest), newest first: the first signs, the
 * rest are still published in the JWKS so tokens they signed keep verifying until removed. On an
 * empty database the first key is made here; a second instance racing to insert it loses on the
 * primary key and reads the winner's.
 */
export async function loadSigningKeys(ctx: Context): Promise<JWK[]> {
  let keys = await ctx.store.oidc.listKeys()
  if (keys.length === 0) {
    try {
      await storeKey(ctx, await newSigningKey(FIRST_KID))
    } catch {
      // Another instance stored the first key at the same moment: use theirs.
    }
    keys = await ctx.store.oidc.listKeys()
  }
  return keys.map((key) => {
    const opened = ctx.sealer.open(key.sealedJwk, binding(key.kid))
    if (!opened) throw new Error(`OIDC signing key ${key.kid} cannot be opened with COUNTERSIGN_SECRETS_KEY`)
    return JSON.parse(opened.toString('utf8')) as JWK
  })
}

/** `countersign oidc rotate-key`: a new key signs from the next start; the old ones keep verifying. */
export async function rotateSigningKey(ctx: Context): Promise<string> {
  const kid = `countersign-${ctx.clock.now().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`
  await storeKey(ctx, await newSigningKey(kid))
  return kid
}

/** `countersign oidc retire-key KID`: tokens it signed stop verifying; the newest key cannot go. */
export async function retireSigningKey(ctx: Context, kid: string): Promise<boolean> {
  const keys = await ctx.store.oidc.listKeys()
  if (keys[0]?.kid === kid) throw new Error(`${kid} is the key that signs now; rotate first`)
  return ctx.store.oidc.removeKey(kid)
}
