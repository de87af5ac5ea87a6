import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const DIST = fileURLToPath(new URL('./dist/', import.meta.url))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}

/**
 * The service worker, built after the app (`vite build && vite build -c vite.sw.config.ts`) into
 * the same `dist` as one classic script, `sw.js`: it precaches every file of the app build (the
 * offline shell, F-PUSH-3) and is named after their hash, so a new build installs a new worker.
 */
export default defineConfig(() => {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('build the app first: vite build')
  const shell = files(DIST)
    .map((path) => relative(DIST, path).split('\\').join('/'))
    .filter((path) => !path.endsWith('.map') && !path.startsWith('.vite/') && path !== 'sw.js' && path !== 'index.html')
    .sort()
  const hash = createHash('sha256')
  for (const path of [...shell, 'index.html']) hash.update(path).update(readFileSync(join(DIST, path)))
  return {
    base: '/app/',
    publicDir: false,
    define: {
      __SHELL_FILES__: JSON.stringify(shell),
      __SHELL_VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)),
    },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: false,
      target: 'es2022',
      copyPublicDir: false,
      lib: {
        entry: fileURLToPath(new URL('./src/sw/service-worker.ts', import.meta.url)),
        formats: ['iife'],
        name: 'countersignServiceWorker',
        fileName: () => 'sw.js',
      },
    },
  }
})
