import { randomBytes } from 'node:crypto'
import { newTotpSecret, otpauthUri, toBase32, timeStep } from './domain/methods/totp.js'
import { newId } from './domain/tokens.js'
import { ORGANISATION_DEFAULTS } from './use-cases/administration.js'
import type { Context } from './use-cases/context.js'
import { seedBinding } from './use-cases/second-factor.js'

/**
 * On an empty database: the "Demo Clinic" organisation (policy Required), an admin and two users,
 * each with a freshly generated password printed once. Bob has an authenticator app linked whose
 * secret is printed, so a newcomer can sign in with a code right away (`oathtool --totp -b …`);
 * Alice has none, so her first sign-in shows forced enrolment (F-LOGIN-5).
 */
export async function createDemo(ctx: Context): Promise<string[] | null> {
  if ((await ctx.store.organisations.count()) > 0) return null
  const now = ctx.clock.now()
  const orgId = newId(ctx.random)
  await ctx.store.organisations.create({
    id: orgId,
    slug: 'demo-clinic',
    name: 'Demo Clinic',
    policy: 'required',
    ...ORGANISATION_DEFAULTS,
    createdAt: now,
  })
  const lines = [`Demo organisation "Demo Clinic" (policy: Required). Sign in at ${ctx.config.publicUrl}/sign-in (demo-admin also reaches ${ctx.config.publicUrl}/admin):`]
  const people = [
    { username: 'demo-admin', email: 'admin@demo-clinic.example', role: 'admin' as const },
    { username: 'alice', email: 'alice@demo-clinic.example', role: 'user' as const },
    { username: 'bob', email: 'bob@demo-clinic.example', role: 'user' as const },
  ]
  for (const person of people) {
    const password = randomBytes(9).toString('base64url')
    const id = newId(ctx.random)
    await ctx.store.accounts.create({
      id,
      organisationId: orgId,
      username: person.username,
      email: person.email,
      phone: null,
      phoneVerified: false,
      role: person.role,
      twoFactorOverride: 'default',
      twoFactorEnabled: false,
      staffTwoFactor: true,
      preferredMethod: null,
      passwordHash: await ctx.hasher.hash(password),
      language: null,
      factorsChangedAt: now,
      passwordChangedAt: now,
      lastSignInAt: null,
      deactivatedAt: null,
      mustChangePassword: false,
      createdAt: now,
    })
    let extra = person.username === 'bob' ? '' : '  (no factor yet: first sign-in asks to set one up)'
    if (person.username === 'bob') {
      const secret = newTotpSecret(ctx.random)
      const deviceId = newId(ctx.random)
      await ctx.store.devices.create({
        id: deviceId,
        accountId: id,
        kind: 'totp',
        name: 'Demo phone',
        sealedSecret: ctx.sealer.seal(secret, seedBinding({ id: deviceId, accountId: id }, orgId)),
        lastUsedStep: timeStep(now) - 2,
        status: 'active',
        createdAt: now,
        linkedAt: now,
        lastUsedAt: null,
        expiresAt: null,
      })
      await ctx.store.accounts.update(id, { preferredMethod: 'totp', twoFactorEnabled: true })
      extra = `  authenticator secret ${toBase32(secret)}\n      ${otpauthUri({ issuer: 'Demo Clinic', accountName: 'bob', secret })}`
    }
    lines.push(`  ${person.username.padEnd(11)} password ${password}  (${person.role})${extra}`)
  }
  lines.push('These passwords are shown once. Keep them, or delete ./data to start again.')
  return lines
}
