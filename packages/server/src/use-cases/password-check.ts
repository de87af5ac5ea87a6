import { CountersignError } from '../domain/errors.js'
import { usernameKey } from '../domain/username.js'
import type { Context } from './context.js'

/**
 * A password verification behind the per-name throttle (BF-12) and the hashing queue (LD-03),
 * shared by sign-in and re-authentication. Past the hashing capacity it refuses before any
 * database write; a throttled name gets `throttled` without a hash; otherwise the attempt is
 * reserved, verified (a dummy hash when `storedHash` is null) and settled.
 */
export async function checkPassword(
  ctx: Context,
  input: { username: string; storedHash: string | null; password: string },
): Promise<{ throttled: true; retryAfterSeconds: number } | { throttled: false; ok: boolean }> {
  if (!ctx.hasher.hasCapacity()) throw new CountersignError('OVERLOADED', { retryAfterSeconds: 1 })
  const key = usernameKey(input.username)
  const charged = await ctx.store.passwordThrottle.charge(key, ctx.clock.now())
  if (!charged.ok) {
    // While a delay runs, Retry-After says how long; with only too many in flight, a second.
    const seconds = Math.max(1, Math.ceil((charged.blockedUntil.getTime() - ctx.clock.now().getTime()) / 1000))
    return { throttled: true, retryAfterSeconds: seconds }
  }
  let ok = false
  try {
    ok = await ctx.hasher.verify(input.storedHash, input.password)
  } catch (error) {
    // Overloaded after all: never evaluated, so the reservation is freed without counting.
    await ctx.store.passwordThrottle.settle(key, 'released', ctx.clock.now()).catch(() => {})
    throw error
  }
  await ctx.store.passwordThrottle.settle(key, ok && input.storedHash !== null ? 'success' : 'failure', ctx.clock.now())
  return { throttled: false, ok: ok && input.storedHash !== null }
}
