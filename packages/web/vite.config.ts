import { defineConfig } from 'vite'

/**
 * The web UI builds to static files that the server serves (`packages/web/dist`). Nothing inline:
 * the server's CSP allows scripts and styles from 'self' only, so assets are never inlined as
 * data URIs and the module-preload polyfill (an inline-free chunk) is kept.
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: true,
    target: 'es2022',
  },
})
