import { z } from 'zod'

/** base64url text (RFC 4648 §5, no padding) of `min` to `max` characters. */
export const base64url = (min: number, max: number) => z.string().min(min).max(max).regex(/^[A-Za-z0-9_-]*$/, 'must be base64url')
