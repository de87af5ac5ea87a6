import { defineConfig } from 'vite'

/**
 * The Countersign Authenticator builds to static files under `/app/` that the server serves
 * (`packages/authenticator/dist`). As for the web UI, nothing is inlined: the server's CSP
 * allows scripts and styles from 'self' only. The service worker is a second build
 * (vite.sw.config.ts) so that it keeps the fixed name `sw.js`.
 */
export default defineConfig({
  base: '/app/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
})
