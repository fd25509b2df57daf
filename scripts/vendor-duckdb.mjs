// Trunk post-build hook: put DuckDB-Wasm (from node_modules, pinned by package-lock.json)
// and the esbuild-bundled bridge into the site, plus public/data if it exists.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
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
const data = join(root, 'public', 'data');
if (existsSync(data)) cpSync(data, join(staging, 'data'), { recursive: true });
