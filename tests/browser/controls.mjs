// Click the site's controls in Debian's headless Chromium and print, as JSON, for each: the
// view before, the view after, the view of a fresh load of the URL the click left, and the
// view after going back. A control works when the view changes, equals a fresh load of its
// URL (the URL is the whole state) and back restores the view before.
// Usage: node tests/browser/controls.mjs BASE_URL STEPS.json
// STEPS: [{ "query": "page=costs", "css": "[data-testid=charge-by] a", "text": "Team",
//           "fill": "optional text typed into the matched input, then Enter" }, ...]
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { followLink } from './navigate.mjs';

const [base, stepsFile] = process.argv.slice(2);
const steps = JSON.parse(readFileSync(stepsFile, 'utf8'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
const page = await context.newPage();
const result = { pageErrors: [], steps: [] };
page.on('pageerror', (e) => result.pageErrors.push(String(e)));

// What the view shows: tables (head and first rows), charts' plotted values, pressed
// toggles, the current page, filter inputs and errors.
const view = (page) => page.evaluate(() => {
  const text = (e) => e.textContent.trim();
  const tables = {};
  for (const t of document.querySelectorAll('table[data-testid]')) {
    tables[t.dataset.testid] = {
      head: [...t.querySelectorAll('thead th')].map(text),
      rows: [...t.querySelectorAll('tbody tr')].slice(0, 25).map((r) => [...r.children].map(text)),
    };
  }
  const charts = {};
  for (const c of document.querySelectorAll('canvas[data-testid]')) {
    charts[c.dataset.testid] = { labels: c.dataset.labels ?? null, values: c.dataset.values ?? null };
  }
  return {
    page: document.querySelector('nav.pages [aria-current=page]')?.textContent ?? null,
    on: [...document.querySelectorAll('a.toggle.on')].map(text),
    inputs: Object.fromEntries([...document.querySelectorAll('main input[name]')].map((i) => [i.name, i.value])),
    errors: [...document.querySelectorAll('main [role=alert]')].map(text),
    tables,
    charts,
  };
});

// Wait until the app has drawn a page, no query is in flight, nothing shows as loading and
// the view stayed the same over three samples.
const settled = async (page) => {
  let last = null;
  let same = 0;
  for (let i = 0; i < 300; i++) {
    await page.waitForTimeout(150);
    // (A page whose app has not drawn its navigation yet, after a reload, is not a view.)
    const busy = await page.evaluate(() => (globalThis.lmscopeBridge?.pending?.() ?? 0) > 0
      || document.querySelector('main [role=status]') !== null
      || document.querySelector('nav.pages [aria-current=page]') === null);
    if (busy) { last = null; same = 0; continue; }
    const now = JSON.stringify(await view(page));
    same = now === last ? same + 1 : 0;
    if (same >= 2) return JSON.parse(now);
    last = now;
  }
  throw new Error('the view never settled');
};

let previous = null;
for (const step of steps) {
  const out = { step };
  try {
    // Consecutive steps on the same view start from where going back left the last one.
    const start = `${base}?${step.query}`;
    if (previous && previous.url === start) {
      out.before = previous.view;
    } else if (page.url().startsWith(base)) {
      // Later steps reach their page by a link inside the site (a fresh load is checked
      // below, for the URL each click leaves).
      if ((await followLink(page, start)) !== 'in-page') throw new Error(`${start} reloaded the page`);
      out.before = await settled(page);
    } else {
      await page.goto(start, { waitUntil: 'domcontentloaded' });
      out.before = await settled(page);
    }
    const target = step.text
      ? page.locator(step.css).filter({ hasText: new RegExp(`^\\s*${step.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first()
      : page.locator(step.css).first();
    if (step.fill !== undefined) {
      await target.fill(step.fill);
      await target.press('Enter');
    } else {
      await target.click();
    }
    await page.waitForURL((u) => u.href !== `${base}?${step.query}`, { timeout: 10_000 }).catch(() => {});
    out.after = await settled(page);
    out.url = page.url();
    await page.goBack();
    out.back = await settled(page);
    previous = { url: page.url(), view: out.back };
    // A fresh load of the URL the click left behind, in a new page of the same browser.
    const fresh = await context.newPage();
    await fresh.goto(out.url, { waitUntil: 'domcontentloaded' });
    out.fresh = await settled(fresh);
    await fresh.close();
  } catch (e) {
    out.error = String(e);
    previous = null;
  }
  result.steps.push(out);
}
console.log(JSON.stringify(result));
await browser.close();
