import { chromium } from 'playwright-core';
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
for (const [q, ids] of [['?page=clusters', ['cluster-compute', 'idle-checkouts', 'slurm-drift']], ['?page=users', ['user-efficiency']], ['?page=departments', ['team-efficiency']], ['?page=overview', ['idle-now']]]) {
  for (const run of [1, 2]) {
    const t = Date.now();
    await page.goto(base + q);
    for (const id of ids) await page.waitForSelector(`[data-testid=${id}] tbody`, { timeout: 60000 });
    console.log(q, 'run', run, Date.now() - t, 'ms');
  }
}
// filter change inside the page: clusters 30 days -> idle 8
const t = Date.now();
await page.goto(base + '?page=clusters');
await page.waitForSelector('[data-testid=idle-checkouts] tbody');
const t2 = Date.now();
await page.locator('[data-testid=idle-choice] a', { hasText: /^\s*8 h\s*$/ }).first().click();
await page.waitForFunction(() => location.search.includes('idle=8') && document.querySelector('[data-testid=idle-checkouts] tbody') && !document.querySelector('main [role=status]'));
console.log('idle 8 h change', Date.now() - t2, 'ms');
await browser.close();
