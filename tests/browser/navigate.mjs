// Following a link inside the site, as a person clicking through it: the site routes the new
// URL itself, without a reload (the engine and open data stay).

// Click a link to `href` from inside `page` and wait for the URL. Returns 'in-page' when the
// site routed it without a reload, 'reload' otherwise.
export async function followLink(page, href) {
  await page.evaluate((to) => {
    window.__sameDocument = true;
    const a = document.createElement('a');
    a.href = to;
    a.textContent = 'next view';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }, href);
  await page.waitForURL(href, { timeout: 10_000 });
  return (await page.evaluate(() => window.__sameDocument === true)) ? 'in-page' : 'reload';
}
