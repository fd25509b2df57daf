// The overview of a live site: open it, note what it shows, scroll and mark the page, then
// print READY and wait for a line on stdin (the test publishes meanwhile); then wait for the
// overview to show the new publish and print, as JSON, what changed and what was kept, and
// which data files it fetched for the new publish.
// Usage: node tests/browser/live.mjs URL
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [url] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lmscope-live-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 700 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const result = { pageErrors: [], console: [] };
const page = context.pages()[0] ?? (await context.newPage());
page.on('pageerror', (e) => result.pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') result.console.push(m.text()); });
const lines = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));
const text = (sel) => page.$eval(sel, (e) => e.textContent.trim()).catch(() => null);
// The publish time to the second (the page shows it to the minute).
const published = () => page.$eval('[data-testid=generated-at]', (e) => e.dataset.value).catch(() => null);
const servers = () => page.$$eval('[data-testid=servers] tbody tr', (rows) =>
  rows.map((r) => r.querySelector('th, td').textContent.trim())).catch(() => []);
try {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid=features] tbody', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=feed] tbody', { timeout: 60_000 });
  result.before = await published();
  result.serversBefore = await servers();
  // "updated N ago" ticks: read it twice, eleven seconds apart.
  result.agoFirst = await text('[data-testid=updated-ago]');
  await page.waitForTimeout(11_000);
  result.agoLater = await text('[data-testid=updated-ago]');
  // What a reload would lose: a mark on the page, the scroll position.
  await page.evaluate(() => { window.__lmscopeKept = true; window.scrollTo(0, 400); });
  result.scrollBefore = await page.evaluate(() => window.scrollY);
  console.log('READY');
  await nextLine();
  // Which data files the page fetches for the new publish.
  result.fetchedAfter = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.includes('/data/')) result.fetchedAfter.push(path.split('/data/')[1]);
  });
  const started = Date.now();
  await page.waitForFunction((before) => {
    const t = document.querySelector('[data-testid=generated-at]');
    return t && t.dataset.value !== before;
  }, result.before, { timeout: 120_000, polling: 500 });
  await page.waitForSelector('[data-testid=features] tbody', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=feed] tbody', { timeout: 60_000 });
  result.secondsToUpdate = Math.round((Date.now() - started) / 1000);
  result.after = await published();
  result.serversAfter = await servers();
  result.kept = await page.evaluate(() => window.__lmscopeKept === true);
  result.scrollAfter = await page.evaluate(() => window.scrollY);
  result.errorShown = (await page.$('[data-testid=load-error], [data-testid=query-error]')) !== null;
} catch (err) {
  result.error = String(err);
} finally {
  await context.close();
}
console.log(JSON.stringify(result));
process.exit(0);
