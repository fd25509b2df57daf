// Build the site into dist/ as `trunk build --release` does with Trunk.toml, without Trunk:
// compiling Trunk from source costs ~12 minutes on a fresh 2-core machine, and the build it
// runs is four steps — cargo, wasm-bindgen, wasm-opt, and the DuckDB-Wasm vendoring hook
// (scripts/vendor-duckdb.mjs) — plus content-hashed names in index.html. Trunk stays the
// tool for `trunk serve` while working on the app; both produce the same layout.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
const dist = join(root, 'dist');
const staging = join(root, 'dist.staging');
const name = 'lmscope-app';

function run(cmd, args, env = {}) {
  console.log(`build-site: ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** The first 16 hex digits of a SHA-256: a name that changes only with the content. */
const shortHash = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
};
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

// 1. The app's wasm, exactly as Trunk asks cargo for it.
run('cargo', ['build', '--target=wasm32-unknown-unknown', '--manifest-path', 'app/Cargo.toml',
  '--release', '--bin', name]);
const wasm = join(targetDir, 'wasm32-unknown-unknown', 'release', `${name}.wasm`);

// 2. wasm-bindgen (the version pinned in Trunk.toml, installed by scripts/setup.sh).
const bindgenOut = join(staging, '.bindgen');
run('wasm-bindgen', ['--target=web', `--out-dir=${bindgenOut}`, `--out-name=${name}`, '--no-typescript', wasm]);

// 3. wasm-opt -Oz (binaryen from npm, as Trunk.toml's data-wasm-opt="z").
const optimized = join(bindgenOut, `${name}_opt.wasm`);
run(join(root, 'node_modules', '.bin', 'wasm-opt'), [`--output=${optimized}`, '-Oz', join(bindgenOut, `${name}_bg.wasm`)]);

const wasmBytes = readFileSync(optimized);
const jsBytes = readFileSync(join(bindgenOut, `${name}.js`));
const base = `${name}-${shortHash(wasmBytes, jsBytes)}`;
writeFileSync(join(staging, `${base}_bg.wasm`), wasmBytes);
writeFileSync(join(staging, `${base}.js`), jsBytes);
rmSync(bindgenOut, { recursive: true, force: true });

// 4. The style sheet under a content-hashed name, with its integrity.
const css = readFileSync(join(root, 'public', 'style.css'));
const cssName = `style-${shortHash(css)}.css`;
copyFileSync(join(root, 'public', 'style.css'), join(staging, cssName));

// 5. index.html: Trunk's two directives replaced by what Trunk writes for them.
let html = readFileSync(join(root, 'public', 'index.html'), 'utf8');
const cssLink = /<link data-trunk rel="css" href="style\.css" \/>/;
const rustLink = /<link data-trunk rel="rust"[^>]*\/>/;
if (!cssLink.test(html) || !rustLink.test(html)) {
  console.error('build-site: public/index.html lacks the data-trunk css or rust link this build replaces');
  process.exit(1);
}
html = html.replace(cssLink, `<link rel="stylesheet" href="./${cssName}" integrity="${sri(css)}"/>`);
const loader = `
<script type="module">
import init, * as bindings from './${base}.js';
const wasm = await init({ module_or_path: './${base}_bg.wasm' });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}}));
</script>`;
html = html.replace(rustLink, () => loader);
const preloads =
  `<link rel="modulepreload" href="./${base}.js" crossorigin="anonymous" integrity="${sri(jsBytes)}">` +
  `<link rel="preload" href="./${base}_bg.wasm" crossorigin="anonymous" integrity="${sri(wasmBytes)}" as="fetch" type="application/wasm">`;
html = html.replace('</head>', () => `  ${preloads}</head>`);
writeFileSync(join(staging, 'index.html'), html);

// 6. Trunk's post-build hook: DuckDB-Wasm, the bridge and the CSP (the published data is
// copied by scripts/build-site.sh, apart from the build).
run('node', [join(root, 'scripts', 'vendor-duckdb.mjs')], { TRUNK_STAGING_DIR: staging, LMSCOPE_SITE_NO_DATA: '1' });

// 7. Swap the finished site in whole: dist/ is never half built. The data folder stays.
if (!existsSync(join(staging, 'vendor', 'bridge.js'))) {
  console.error('build-site: the vendoring step left no vendor/bridge.js');
  process.exit(1);
}
if (existsSync(join(dist, 'data'))) renameSync(join(dist, 'data'), join(staging, 'data'));
rmSync(dist, { recursive: true, force: true });
renameSync(staging, dist);
console.log(`build-site: dist/ built (${base})`);
