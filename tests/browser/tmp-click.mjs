import { chromium } from 'playwright-core';
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const settle = () => page.waitForTimeout(5000);
const rows = (id) => page.$$eval(`[data-testid=${id}] tbody tr`, (rs) => rs.length).catch(() => -1);
await page.goto(base + '?page=clusters');
await settle();
console.log('clusters url', page.url(), 'idle rows', await rows('idle-checkouts'));
console.log('idle title', await page.$eval('section:has([data-testid=idle-checkouts]) h2, section:has([data-testid=idle-checkouts]) h3', e => e.textContent).catch(e => String(e)));
// Click "8 h"
await page.locator('[data-testid=idle-choice] a', { hasText: /^\s*8 h\s*$/ }).first().click();
await settle();
console.log('after 8 h:', page.url(), 'idle rows', await rows('idle-checkouts'));
console.log('on:', await page.$$eval('a.toggle.on', es => es.map(e => e.textContent)));
await page.screenshot({ path: '/tmp/shots/click-8h.png' });
// Click a cluster link in the compute table
await page.locator('[data-testid=cluster-compute] tbody th a', { hasText: 'hpc-b' }).first().click();
await settle();
console.log('after hpc-b:', page.url());
console.log(await page.$eval('[data-testid=cluster-compute]', e => e.innerText));
await page.screenshot({ path: '/tmp/shots/click-hpcb.png', fullPage: false });
// users page: click 4 h then a user
await page.goto(base + '?page=users');
await settle();
await page.locator('[data-testid=idle-choice] a', { hasText: /^\s*4 h\s*$/ }).first().click();
await settle();
console.log('users 4h:', page.url(), await page.$eval('[data-testid=user-efficiency] thead', e => e.innerText));
await page.locator('[data-testid=user-efficiency] tbody th a').first().click();
await settle();
console.log('user link ->', page.url());
await page.screenshot({ path: '/tmp/shots/click-me.png' });
// alerts page: idle checkout firing evidence link
await page.goto(base + '?page=alerts');
await settle();
const txt = await page.$eval('main', e => e.innerText);
console.log('alerts mentions idle:', (txt.match(/Idle checkout[^\n]*/g) || []).slice(0, 4));
const ev = await page.$$eval('a', as => as.map(a => a.getAttribute('href')).filter(h => h && h.includes('page=clusters')).slice(0, 3));
console.log('evidence links', ev);
if (ev.length) { await page.locator(`a[href="${ev[0]}"]`).first().click(); await settle(); console.log('evidence ->', page.url()); await page.screenshot({ path: '/tmp/shots/click-evidence.png', fullPage: true }); }
// recommendations release idle link
await page.goto(base + '?page=recommendations');
await settle();
const rec = await page.$$eval('[data-testid=recommendations] tbody tr', rs => rs.filter(r => r.innerText.includes('Release idle')).map(r => r.querySelector('th a')?.getAttribute('href')));
console.log('release idle links', rec.slice(0, 2));
if (rec[0]) { await page.locator(`a[href="${rec[0]}"]`).first().click(); await settle(); console.log('rec ->', page.url()); }
console.log('errors', errors);
await browser.close();
