import { chromium } from 'playwright-core';
const base = process.argv[2];
const pages = process.argv.slice(3);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
for (const [i, q] of pages.entries()) {
  await page.goto(base + q);
  await page.waitForTimeout(6000);
  await page.screenshot({ path: `/tmp/shots/${i}.png`, fullPage: true });
  const text = await page.evaluate(() => [...document.querySelectorAll('[data-testid]')].filter(e => ['cluster-compute','idle-checkouts','slurm-drift','slurm-pending','idle-now','user-efficiency','team-efficiency','query-error','param-error','idle-choice'].includes(e.dataset.testid)).map(e => e.dataset.testid + ': ' + e.innerText.slice(0, 600)).join('\n---\n'));
  console.log(`== ${q}\n${text}`);
}
console.log('errors:', errors);
await browser.close();
