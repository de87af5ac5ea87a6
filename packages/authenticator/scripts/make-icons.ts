/**
 * Renders the app's PNG icons from public/icons/icon.svg with Debian's Chromium, so the PNGs
 * (192 and 512 for the manifest and the home screen, a maskable 512 with the glyph in the safe
 * zone) are the SVG exactly. Run after changing the SVG: `npm run icons -w @countersign/authenticator`;
 * the PNGs are committed, so a build needs no browser.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const ICONS = fileURLToPath(new URL('../public/icons/', import.meta.url))
const svg = readFileSync(`${ICONS}icon.svg`, 'utf8')
// Maskable: the background fills the square (the launcher cuts its own shape), the glyph sits
// inside the central 80 % safe zone.
const maskable = svg
  .replace('<rect width="64" height="64" rx="14" fill="#1f4e79"/>', '<rect width="64" height="64" fill="#1f4e79"/><g transform="translate(6.4 6.4) scale(0.8)">')
  .replace('</svg>', '</g></svg>')

const browser = await chromium.launch({ executablePath: process.env.COUNTERSIGN_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
try {
  for (const [name, source, size] of [
    ['icon-192.png', svg, 192],
    ['icon-512.png', svg, 512],
    ['icon-maskable-512.png', maskable, 512],
  ] as const) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    await page.setContent(`<html><body style="margin:0;background:transparent">${source.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`)
    await page.screenshot({ path: `${ICONS}${name}`, omitBackground: true })
    await page.close()
  }
} finally {
  await browser.close()
}
