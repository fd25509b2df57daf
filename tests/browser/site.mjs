// Open the lmscope site in Debian's headless Chromium and print, as JSON, what it shows:
// the tables' cells, the chart's plotted figures and ink, timing marks, errors.
// Usage: node tests/browser/site.mjs URL SCREENSHOT.png [TABLES]
// Without TABLES it reads the overview; with TABLES (comma-separated data-testid names) it
// waits for those tables and returns their header and body cells.
// Or: node tests/browser/site.mjs --serve, then one view a line on stdin, {url, screenshot,
// tables}: the first URL is loaded, each later one is reached by following a link inside the
// page (the site navigates without reloading, as when a person clicks through it), and each
// view's result is printed as one JSON line. The browser closes when stdin does.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { followLink } from './navigate.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const serve = process.argv[2] === '--serve';
const lines = serve ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : null;
const next = async () => {
  const line = await lines.next();
  return line.done ? null : JSON.parse(line.value);
};
const first = serve
  ? await next()
  : { url: process.argv[2], screenshot: process.argv[3], tables: process.argv[4]?.split(',') };
if (!first) process.exit(0);
const { url, screenshot } = first;
const tableList = first.tables?.length ? first.tables : null;
// A fresh profile each run: nothing cached from an earlier run (PROFILE=dir keeps one
// across runs instead: a revisit, with what was fetched before in the browser's cache).
const profile = process.env.PROFILE || mkdtempSync(join(tmpdir(), 'lmscope-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // VIEWPORT=390x844 checks the phone layout; COLOR_SCHEME=dark the dark theme.
  viewport: (() => {
    const [width, height] = (process.env.VIEWPORT || '1280x1400').split('x').map(Number);
    return { width, height };
  })(),
  colorScheme: process.env.COLOR_SCHEME === 'dark' ? 'dark' : 'light',
  deviceScaleFactor: 2,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
// Wait for the tables `names` (or an error), read them, the charts and the marked figures
// into `result`, and take the screenshot.
async function readView(page, names, screenshot, result) {
  const ready = names.map((n) => `[data-testid=${n}] tbody`).join(', ');
  const errors = '[data-testid=load-error], [data-testid=filter-error], [data-testid=query-error]';
  await page.waitForSelector(`${ready}, ${errors}`, { state: "attached", timeout: 60_000 });
  const failed = await page.$(errors);
  if (failed) result.error = (await failed.innerText()).trim();
  else for (const n of names) await page.waitForSelector(`[data-testid=${n}] tbody`, { state: 'attached', timeout: 60_000 });
  // The tables on the page (after an error, those that did render).
  result.tables = {};
  for (const n of names) {
    if (!(await page.$(`[data-testid=${n}] tbody`))) continue;
    // Long tables draw their first rows; read them all (the rows drawn at first are kept).
    const firstRows = await page.$$eval(`[data-testid=${n}] tbody tr`, (rows) => rows.length);
    const all = await page.$(`[data-testid=${n}-all]`);
    if (all) {
      await all.click();
      await page.waitForSelector(`[data-testid=${n}-all]`, { state: 'detached', timeout: 30_000 });
    }
    result.tables[n] = await page.$eval(`[data-testid=${n}]`, (t) => ({
      head: Array.from(t.querySelectorAll('thead th')).map((c) => c.textContent.trim()),
      // A number cell's figure (data-value) as computed; the text as a person reads it.
      rows: Array.from(t.querySelectorAll('tbody tr')).map((r) =>
        Array.from(r.querySelectorAll('th, td')).map((c) => c.dataset.value ?? c.textContent.trim())),
      shown: Array.from(t.querySelectorAll('tbody tr')).map((r) =>
        Array.from(r.querySelectorAll('th, td')).map((c) => c.textContent.trim())),
      // Each row's first-cell link (drill down, evidence), if it has one.
      links: Array.from(t.querySelectorAll('tbody tr')).map((r) =>
        r.querySelector('th a')?.getAttribute('href') ?? null),
    }));
    result.tables[n].firstRows = firstRows;
  }
  // The published files the page has attached so far (it attaches the months a view needs).
  result.attachedFiles = await page.evaluate(() => globalThis.lmscopeBridge?.attachedFiles?.() ?? null);
  // Charts on the page: their data attributes once drawn, size and share of inked pixels.
  result.canvases = {};
  for (const c of await page.$$('canvas[data-testid]')) {
    const id = await c.getAttribute('data-testid');
    // A chart is drawn once its figures are set; after an error it may never be.
    if (!result.error) {
      await page.waitForFunction(([el, errs]) => Object.keys(el.dataset).length > 1 || document.querySelector(errs),
        [c, errors], { timeout: 30_000 }).catch(() => {});
    }
    result.canvases[id] = await c.evaluate((el) => {
      const { data } = el.getContext('2d').getImageData(0, 0, el.width, el.height);
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) ink++;
      const at = (2 * el.width + 2) * 4; // the background, just inside the top left corner
      return { data: { ...el.dataset }, width: el.width, height: el.height, ink: ink / (data.length / 4),
               corner: [data[at], data[at + 1], data[at + 2]] };
    });
  }
  // How the page is laid out: wider than the window (a phone scrolling sideways)?
  result.layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    background: getComputedStyle(document.body).backgroundColor,
    color: getComputedStyle(document.body).color,
  }));
  // Every other marked element's figure (data-value) or text (figures shown outside
  // tables), and the text as a person reads it.
  result.texts = await page.$$eval('[data-testid]', (els) => Object.fromEntries(
    els.filter((e) => e.tagName !== 'TABLE').map((e) => [e.dataset.testid, e.dataset.value ?? e.textContent.trim()])));
  result.shown = await page.$$eval('[data-testid]', (els) => Object.fromEntries(
    els.filter((e) => e.tagName !== 'TABLE').map((e) => [e.dataset.testid, e.textContent.trim()])));
  // The pages the navigation offers, by their URL names.
  result.nav = await page.$$eval('nav.pages a', (links) => links.map((a) =>
    new URL(a.href, location.href).searchParams.get('page') ?? 'overview'));
  // Set by hostile names' markup if it ever ran.
  result.pwned = await page.evaluate(() => globalThis.__pwned ?? null);
  // The policy in force: what it refused so far, then whether an injected inline script runs.
  result.csp = await page.evaluate(async () => {
    const before = [...window.__cspViolations];
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.appendChild(s);
    await new Promise((r) => setTimeout(r, 50));
    const seen = { violations: before, inlineRan: window.__inlineRan === true, after: window.__cspViolations.length };
    // The next view of a visit reports only what it caused.
    window.__cspViolations = [];
    return seen;
  });
  // As printed: which of the page's chrome is still shown.
  await page.emulateMedia({ media: 'print' });
  result.print = await page.evaluate(() => Object.fromEntries(
    ['nav.pages', 'form.filters', 'main button', '[data-testid=executive-summary]'].map((sel) => {
      const el = document.querySelector(sel);
      return [sel, el ? getComputedStyle(el).display !== 'none' : null];
    })));
  await page.emulateMedia({ media: 'screen' });
  // LMSCOPE_SHOTS=0 (scripts/test.sh's default) skips the screenshot: 1-2 s a page.
  if (screenshot && process.env.LMSCOPE_SHOTS !== '0') await page.screenshot({ path: screenshot, fullPage: true });
}

// Follow a link to `href` from inside the page and wait until the view it leads to has
// settled: no query in flight, nothing loading, the same text over three samples. Returns
// 'in-page' (the site routed it without a reload, as it must) or 'reload'.
async function follow(page, href) {
  const navigation = await followLink(page, href);
  let last = null;
  let same = 0;
  for (let i = 0; i < 600; i++) {
    await page.waitForTimeout(100);
    const now = await page.evaluate(() => {
      const busy = (globalThis.lmscopeBridge?.pending?.() ?? 0) > 0
        || document.querySelector('main [role=status]') !== null;
      return busy ? null : document.querySelector('main')?.innerText ?? '';
    }).catch(() => null);
    if (now === null) { last = null; same = 0; continue; }
    same = now === last ? same + 1 : 0;
    if (same >= 2) break;
    last = now;
  }
  return navigation;
}

const result = { console: [], pageErrors: [] };
// Where the page's console errors go: the view being read.
let sink = result;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') sink.console.push(m.text()); });
  page.on('pageerror', (e) => sink.pageErrors.push(String(e)));
  // Content security policy violations, as the page sees them.
  await context.addInitScript(() => {
    // Did the page ever say it was loading (a progress indicator)?
    window.__sawStatus = false;
    new MutationObserver((_, observer) => {
      if (document.querySelector('[role=status]')) {
        window.__sawStatus = true;
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  // THROTTLE=1: a slow network (400 ms latency, 4 MB/s down), as Chromium's DevTools do it.
  if (process.env.THROTTLE) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 400, downloadThroughput: 4 * 1024 * 1024, uploadThroughput: 512 * 1024,
    });
  }
  // BLOCK=regex: requests whose URL matches fail (a data file or the engine unreachable).
  if (process.env.BLOCK) await context.route(new RegExp(process.env.BLOCK), (route) => route.abort());
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (tableList) {
    await readView(page, first.tables, first.screenshot, sink);
    result.sawLoading = await page.evaluate(() => window.__sawStatus);
    console.log(JSON.stringify(sink));
    // Each later view reports the errors seen while it was the one shown.
    for (let view = serve ? await next() : null; view; view = await next()) {
      sink = { console: [], pageErrors: [] };
      sink.navigation = await follow(page, view.url);
      await readView(page, view.tables, view.screenshot, sink);
      console.log(JSON.stringify(sink));
    }
    await context.close();
    if (!process.env.PROFILE) rmSync(profile, { recursive: true, force: true });
    process.exit(0);
  }
  // Either the data loads (features table, then the engine draws the chart) or the page
  // explains why not (the first view may be drawn from its JSON before the engine fails).
  await page.waitForSelector('[data-testid=features] tbody tr, [data-testid=load-error]', { timeout: 60_000 });
  result.firstViewMs = await page.evaluate(() => performance.getEntriesByName('lmscope:first-table')[0]?.startTime ?? null);
  await page.waitForSelector('[data-testid=usage-chart][data-points], [data-testid=load-error]', { timeout: 60_000 });
  const failed = await page.$('[data-testid=load-error]');
  const cells = (selector) => page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((r) => Array.from(r.querySelectorAll('th, td')).map((c) => c.dataset.value ?? c.textContent.trim())));
  if (failed) {
    result.error = (await failed.innerText()).trim();
    // What was drawn before the failure (the first view, from its JSON file).
    result.features = await cells('[data-testid=features]');
  } else {
    await page.waitForSelector('[data-testid=usage-chart][data-points]', { timeout: 60_000 });
    await page.waitForSelector('[data-testid=usage-daily] tbody tr', { state: 'attached', timeout: 60_000 });
    result.features = await cells('[data-testid=features]');
    result.servers = await cells('[data-testid=servers]');
    result.daily = await cells('[data-testid=usage-daily]');
    result.dataAsOf = (await page.textContent('[data-testid=data-as-of]')).trim();
    const stale = await page.$('[data-testid=stale]');
    result.stale = stale ? (await stale.innerText()).trim() : null;
    result.chartTitle = (await page.textContent('#usage-h')).trim();
    result.chart = await page.$eval('[data-testid=usage-chart]', (c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) ink++;
      return {
        points: Number(c.dataset.points), peak: Number(c.dataset.peak), lastIssued: Number(c.dataset.lastIssued),
        width: c.width, height: c.height, cssWidth: c.clientWidth, ink: ink / (data.length / 4),
      };
    });
    result.openModes = await page.evaluate(() => globalThis.lmscopeBridge.modes);
    result.duckdbVersion = await page.evaluate(async () =>
      JSON.parse(await globalThis.lmscopeBridge.query('SELECT version()', '[]')).rows[0][0]);
  }
  result.sawLoading = await page.evaluate(() => window.__sawStatus);
  result.timing = await page.evaluate(() => {
    const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
    return { firstTable: at('lmscope:first-table'), engineReady: at('lmscope:engine-ready'), dataAttached: at('lmscope:data-attached') };
  });
  if (screenshot && process.env.LMSCOPE_SHOTS !== '0') await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await context.close();
  if (!process.env.PROFILE) rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
