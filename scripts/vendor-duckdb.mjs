// Trunk post-build hook: put DuckDB-Wasm (from node_modules, pinned by package-lock.json)
// and the esbuild-bundled bridge into the site, plus public/data if it exists.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const staging = process.env.TRUNK_STAGING_DIR || join(root, 'dist');
const dist = join(root, 'node_modules', '@duckdb', 'duckdb-wasm', 'dist');
if (!existsSync(dist)) {
  console.error('vendor-duckdb: node_modules/@duckdb/duckdb-wasm is missing; run `npm ci` (scripts/setup.sh does)');
  process.exit(1);
}
const vendor = join(staging, 'vendor');
mkdirSync(vendor, { recursive: true });
for (const file of ['duckdb-eh.wasm', 'duckdb-browser-eh.worker.js', 'duckdb-mvp.wasm', 'duckdb-browser-mvp.worker.js']) {
  cpSync(join(dist, file), join(vendor, file));
}
await build({
  entryPoints: [join(root, 'app', 'js', 'bridge.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  outfile: join(vendor, 'bridge.js'),
  logLevel: 'warning',
});
// (scripts/build-site.mjs leaves the data to scripts/build-site.sh, which copies it apart.)
const data = join(root, 'public', 'data');
if (existsSync(data) && !process.env.LMSCOPE_SITE_NO_DATA) cpSync(data, join(staging, 'data'), { recursive: true });

// Content security policy: only the site's own files. Trunk's inline loader script is
// allowed by its hash; wasm needs 'wasm-unsafe-eval'; Leptos sets style attributes (chart
// and heatmap shading), hence style-src-attr. Anything else inline, or from elsewhere, is
// refused by the browser.
const index = join(staging, 'index.html');
let html = readFileSync(index, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)]
  .map((m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
const csp = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`.trim(),
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/g, '');
html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`);
if (!html.includes('Content-Security-Policy')) {
  console.error('vendor-duckdb: could not add the content security policy to index.html');
  process.exit(1);
}
writeFileSync(index, html);
