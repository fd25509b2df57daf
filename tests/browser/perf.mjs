// Performance harness: first meaningful view of the overview with the DuckDB-Wasm bundle
// cached, and the time a filter change takes to re-render, in headless Chromium.
// Usage: node tests/browser/perf.mjs BASE_URL [LOADS] [CHANGES] [PAGES]
// BASE_URL is the site's index.html; PAGES (comma-separated, default
// departments,users,clusters) are the pages whose filter changes are timed, CHANGES each.
// Prints one JSON object with every sample and medians (overall and per page).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, loadsArg, changesArg, pagesArg] = process.argv.slice(2);
const loads = Number(loadsArg || 5);
const changes = Number(changesArg || 12);
const pages = (pagesArg || 'departments,users,clusters').split(',');
const launch = (profile) => chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const result = { coldFirstView: [], firstView: [], filterChange: [], queryMs: [], rowsMs: [], byPreset: {}, pages: {}, errors: [] };
// The date presets a filter change clicks, in turn (the 2nd to 5th preset links).
const PRESETS = ['7 days', '30 days', 'Quarter', 'Year'];
// Cold first views: a fresh profile (nothing cached) each time, navigation to the first
// feature table drawn.
for (let i = 0; i < loads; i++) {
  const cold = mkdtempSync(join(tmpdir(), 'lmscope-cold-'));
  const ctx = await launch(cold);
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(base, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-testid=features] tbody tr', { timeout: 120_000 });
    result.coldFirstView.push(await page.evaluate(() => performance.getEntriesByName('lmscope:first-table')[0].startTime));
  } finally {
    await ctx.close();
    rmSync(cold, { recursive: true, force: true });
  }
}
const profile = mkdtempSync(join(tmpdir(), 'lmscope-perf-'));
const context = await launch(profile);
const marks = (page) => page.evaluate(() => performance.getEntriesByName('lmscope:view-ready').length);
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
  const sep = base.includes('?') ? '&' : '?';
  for (const name of pages) {
    // How many views the page marks ready when it loads: a filter change waits for as many.
    await page.goto(`${base}${sep}page=${name}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('main section table tbody', { state: 'attached', timeout: 120_000 });
    let views = await marks(page);
    for (;;) {
      await page.waitForTimeout(1000);
      const now = await marks(page);
      const loading = await page.$('[role=status].loading');
      if (now === views && !loading) break;
      views = now;
    }
    const samples = { filterChange: [], queryMs: [], byPreset: {} };
    // Filter changes: cycle through the date presets.
    for (let i = 0; i < changes; i++) {
      const k = (i % 4) + 2; // 7 d, 30 d, Quarter, Year
      const ms = await page.evaluate(async ([k, views]) => {
        const before = performance.getEntriesByName('lmscope:view-ready').length;
        const start = performance.now();
        document.querySelectorAll('.presets a.preset')[k - 1].click();
        while (performance.getEntriesByName('lmscope:view-ready').length < before + views) {
          await new Promise((r) => setTimeout(r, 2));
        }
        const end = performance.now();
        // Where the time went: DuckDB-Wasm busy with the queries (the union of their
        // intervals: they queue for one worker), and their rows turned into JSON.
        const entries = (name) => performance.getEntriesByName(name)
          .filter((e) => e.startTime >= start && e.startTime <= end)
          .map((e) => [e.startTime, e.startTime + e.duration])
          .sort((a, b) => a[0] - b[0]);
        const union = (spans) => {
          let total = 0;
          let reach = -Infinity;
          for (const [a, b] of spans) {
            if (b > reach) { total += b - Math.max(a, reach); reach = b; }
          }
          return total;
        };
        return { total: end - start, query: union(entries('lmscope:query')), rows: union(entries('lmscope:rows')) };
      }, [k, views]);
      result.filterChange.push(ms.total);
      result.queryMs.push(ms.query);
      result.rowsMs.push(ms.rows);
      samples.filterChange.push(ms.total);
      samples.queryMs.push(ms.query);
      const preset = PRESETS[k - 2];
      (samples.byPreset[preset] ??= []).push(ms.total);
      (result.byPreset[preset] ??= []).push(ms.total);
    }
    result.pages[name] = {
      views,
      filterChange: samples.filterChange.map(Math.round),
      queryMs: samples.queryMs.map(Math.round),
      medianFilterChangeMs: Math.round(median(samples.filterChange)),
      medianByPresetMs: Object.fromEntries(Object.entries(samples.byPreset).map(([p, xs]) => [p, Math.round(median(xs))])),
    };
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
result.medianFirstViewMs = Math.round(median(result.firstView));
result.medianColdFirstViewMs = Math.round(median(result.coldFirstView));
result.medianFilterChangeMs = Math.round(median(result.filterChange));
result.medianByPresetMs = Object.fromEntries(Object.entries(result.byPreset).map(([p, xs]) => [p, Math.round(median(xs))]));
console.log(JSON.stringify(result));
