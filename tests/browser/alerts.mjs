// Drive the alerts page in Debian's headless Chromium and print, as JSON, what it shows and
// what its rule editor does: the timeline and firing tables, an invalid and a valid new rule,
// the rule set kept across a reload, switched off, exported as TOML, reset, shared by link,
// a malformed shared link, and an edit and a delete.
// Usage: node tests/browser/alerts.mjs URL
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'lmscope-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 1400 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const result = { pageErrors: [] };
const TIMEOUT = 60_000;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => result.pageErrors.push(String(e)));
  const ready = async () => {
    await page.waitForSelector('[data-testid=alerts-timeline] tbody, [data-testid=query-error]', { timeout: TIMEOUT });
    const failed = await page.$('[data-testid=query-error]');
    if (failed) throw new Error(`the page failed: ${await failed.innerText()}`);
    await page.waitForSelector('[data-testid=alert-rules] tbody', { timeout: TIMEOUT });
  };
  // Every row of a table (long tables draw their first rows until asked for all).
  const rows = async (testid) => {
    const all = await page.$(`[data-testid=${testid}-all]`);
    if (all) {
      await all.click();
      await page.waitForSelector(`[data-testid=${testid}-all]`, { state: 'detached', timeout: TIMEOUT });
    }
    return page.$$eval(`[data-testid=${testid}] tbody tr`, (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.dataset.value ?? c.textContent.trim())));
  };
  const state = async () => {
    const timeline = await rows('alerts-timeline');
    return {
      rules: await page.$$eval('[data-testid=alert-rules] tbody tr', (trs) => trs.length),
      source: await page.$eval('[data-testid=alert-rules] h2', (h) => h.textContent),
      anyDenialSubjects: new Set(timeline.filter((r) => r[0] === 'Any denial').map((r) => r[1])).size,
      shortageRows: timeline.filter((r) => r[0] === 'Shortage').length,
    };
  };
  const untilRules = (n) => page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=alert-rules] tbody tr').length === n, n, { timeout: TIMEOUT });

  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await ready();
  result.timeline = await rows('alerts-timeline');
  result.firing = await page.$$eval('[data-testid=alerts-firing] tbody tr', (trs) => trs.map((tr) => ({
    subject: tr.children[0].textContent.trim(),
    rule: tr.children[1].textContent.trim(),
    href: tr.querySelector('a')?.getAttribute('href') ?? null,
  })));
  const before = await state();
  result.rules = before.rules;
  // Who each rule notifies.
  const delivery = () => page.$$eval('[data-testid=alert-rules] tbody tr', (trs) => Object.fromEntries(
    trs.map((tr) => [tr.children[1].textContent.trim(), tr.querySelector('[data-testid=rule-delivery]').textContent.trim()])));
  result.delivery = await delivery();

  // "E-mail me this view": the org file's snippet for this URL, with an address and a schedule.
  await page.click('[data-testid=subscribe] summary');
  await page.fill('input[name=subscribe-email]', 'me@example.com');
  await page.selectOption('select[name=subscribe-schedule]', 'weekly on friday at 16:00');
  await page.waitForFunction(() => document.querySelector('[data-testid=subscription-snippet]').textContent.includes('me@example.com'), null, { timeout: TIMEOUT });
  result.snippet = await page.$eval('[data-testid=subscription-snippet]', (p) => p.textContent);
  if (process.env.LMSCOPE_SHOTS) {
    await (await page.$('[data-testid=subscribe]')).screenshot({ path: `${process.env.LMSCOPE_SHOTS}/subscribe.png` });
    await (await page.$('[data-testid=alert-rules]')).screenshot({ path: `${process.env.LMSCOPE_SHOTS}/rules.png` });
  }

  // A new rule without its threshold: refused, with the reason.
  await page.click('[data-testid=add-rule]');
  await page.fill('[data-testid=rule-editor] input[name=name]', 'Any denial');
  await page.selectOption('[data-testid=rule-editor] select[name=kind]', 'denials');
  await page.fill('[data-testid=rule-editor] input[name=window]', '1d');
  await page.click('[data-testid=rule-editor] button[type=submit]');
  result.editorError = await page.textContent('[data-testid=editor-error]', { timeout: TIMEOUT });
  // With it: added, and evaluated at once.
  await page.fill('[data-testid=rule-editor] input[name=threshold]', '1');
  await page.click('[data-testid=rule-editor] button[type=submit]');
  await untilRules(before.rules + 1);
  result.afterAdd = await state();
  result.toml = await page.$eval('[data-testid=rules-toml]', (p) => p.textContent);
  const share = await page.$eval('[data-testid=share-rules]', (a) => a.href);

  // Kept in this browser across a reload.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await ready();
  result.afterReload = await state();

  // Switched off: its firings leave the timeline.
  await page.click('[data-testid=alert-rules] tbody tr:first-child input[type=checkbox]');
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid=alerts-timeline] tbody tr')]
    .some((tr) => tr.children[0].textContent.trim() === 'Shortage'), null, { timeout: TIMEOUT });
  result.afterToggle = await state();

  // Reset to the org file's rules.
  await page.click('[data-testid=reset-rules]');
  await untilRules(before.rules);
  result.afterReset = await state();

  // The shared link carries the rule set by itself.
  await page.goto(share, { waitUntil: 'domcontentloaded' });
  await ready();
  result.shared = await state();

  // A malformed shared link: a message, and the page still works.
  await page.goto(`${url}&rules=%7Bnot-json`, { waitUntil: 'domcontentloaded' });
  await ready();
  result.badLink = await page.textContent('[data-testid=rule-errors]', { timeout: TIMEOUT });

  // Edit the first rule (Shortage): a non-number is refused; an unreachable threshold clears
  // its firings; then delete it.
  await page.click('[data-testid=alert-rules] tbody tr:first-child button:has-text("Edit")');
  await page.fill('[data-testid=rule-editor] input[name=threshold]', 'lots');
  await page.click('[data-testid=rule-editor] button[type=submit]');
  result.editError = await page.textContent('[data-testid=editor-error]', { timeout: TIMEOUT });
  await page.fill('[data-testid=rule-editor] input[name=threshold]', '1000');
  await page.click('[data-testid=rule-editor] button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=rule-editor]'), null, { timeout: TIMEOUT });
  result.afterEdit = await state();
  result.afterEditDelivery = await delivery();
  await page.click('[data-testid=alert-rules] tbody tr:first-child button:has-text("Delete")');
  await untilRules(result.afterEdit.rules - 1);
  result.afterDelete = await state();
} catch (e) {
  result.error = String(e);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
