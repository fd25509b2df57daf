// Screenshots of pages as a person sees them, for looking at by eye.
// Usage: node tests/browser/shots.mjs BASE_URL OUT_DIR QUERY...
// Each QUERY (`page=costs&by=department`) is loaded fresh and captured whole once its
// tables and charts are drawn.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, out, ...queries] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const [width, height] = (process.env.VIEWPORT || '1280x900').split('x').map(Number);
const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1,
  colorScheme: process.env.COLOR_SCHEME === 'dark' ? 'dark' : 'light' });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
for (const q of queries) {
  await page.goto(`${base}?${q}`, { waitUntil: 'domcontentloaded' });
  // Settled: nothing says it is loading, and the page stopped changing for a moment.
  await page.waitForFunction(() => !document.querySelector('main [role=status]') &&
    document.querySelector('nav.pages'), null, { timeout: 60_000 }).catch(() => {});
  await page.waitForTimeout(800);
  const file = join(out, `${q.replace(/[^a-z0-9=&-]/gi, '_').replace(/[=&]/g, '-') || 'overview'}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(file);
}
if (errors.length) console.log('page errors:', errors);
await browser.close();
