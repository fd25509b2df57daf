// Performance harness: first meaningful view of the overview with the DuckDB-Wasm bundle
// cached, and the time a filter change takes to re-render, in headless Chromium.
// Usage: node tests/browser/perf.mjs BASE_URL [LOADS] [CHANGES]
// BASE_URL is the site's index.html. Prints one JSON object with every sample and medians.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, loadsArg, changesArg] = process.argv.slice(2);
const loads = Number(loadsArg || 5);
const changes = Number(changesArg || 12);
const profile = mkdtempSync(join(tmpdir(), 'lmscope-perf-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const result = { firstView: [], filterChange: [], errors: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => result.errors.push(String(e)));
  // Warm-up load: the browser caches the site's wasm and DuckDB-Wasm.
  await page.goto(base, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid=features] tbody tr', { timeout: 120_000 });
  for (let i = 0; i < loads; i++) {
    await page.goto(base, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-testid=features] tbody tr', { timeout: 120_000 });
    result.firstView.push(await page.evaluate(() => performance.getEntriesByName('lmscope:first-table')[0].startTime));
  }
  // Filter changes on the departments page: cycle through the date presets.
  const sep = base.includes('?') ? '&' : '?';
  await page.goto(`${base}${sep}page=departments`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-testid=departments] tbody tr', { timeout: 120_000 });
  for (let i = 0; i < changes; i++) {
    const n = (i % 4) + 2; // 7 d, 30 d, Quarter, Year
    const ms = await page.evaluate(async (k) => {
      const before = performance.getEntriesByName('lmscope:view-ready').length;
      const start = performance.now();
      document.querySelectorAll('.presets a.preset')[k - 1].click();
      // Three tables re-render on this page: wait for all.
      while (performance.getEntriesByName('lmscope:view-ready').length < before + 3) {
        await new Promise((r) => setTimeout(r, 2));
      }
      return performance.now() - start;
    }, n);
    result.filterChange.push(ms);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
result.medianFirstViewMs = Math.round(median(result.firstView));
result.medianFilterChangeMs = Math.round(median(result.filterChange));
console.log(JSON.stringify(result));
