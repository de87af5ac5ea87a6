/** http_ece (RFC 8188 / RFC 8291) ships no types; the part the fake push service uses. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto'
  export function decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: Buffer }): Buffer
  const ece: { decrypt: typeof decrypt }
  export default ece
}
