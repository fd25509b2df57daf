import { chromium } from 'playwright-core';
const [base, q, ...ids] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
await page.goto(base + q);
await page.waitForTimeout(7000);
for (const id of ids) {
  const el = await page.$(`section:has([data-testid="${id}"])`) || await page.$(`[data-testid="${id}"]`);
  if (!el) { console.log('missing', id); continue; }
  await el.screenshot({ path: `/tmp/shots/${id}.png` });
  console.log('shot', id);
}
await browser.close();
