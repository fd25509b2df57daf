// The one module that talks to DuckDB-Wasm. The Rust app calls `globalThis.lmscopeBridge`;
// nothing else in the site touches DuckDB or Arrow.
//
// It starts the engine as soon as the page loads it, in parallel with the app's own wasm.
import * as duckdb from '@duckdb/duckdb-wasm';

const vendor = new URL('vendor/', document.baseURI).href;

async function startEngine() {
  const bundle = await duckdb.selectBundle({
    mvp: { mainModule: vendor + 'duckdb-mvp.wasm', mainWorker: vendor + 'duckdb-browser-mvp.worker.js' },
    eh: { mainModule: vendor + 'duckdb-eh.wasm', mainWorker: vendor + 'duckdb-browser-eh.worker.js' },
  });
  const worker = new Worker(bundle.mainWorker);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  const conn = await db.connect();
  performance.mark('lmscope:engine-ready');
  return { db, conn };
}

const engine = startEngine();
engine.catch(() => {}); // reported when the app asks for it

let attached = null;

function fail(what, err) {
  const message = err && err.message ? err.message : String(err);
  throw new Error(`${what}: ${message}`);
}

// Files up to this size are downloaded whole (one request; every later query is local).
// Larger ones are read on demand with HTTP Range requests when the host supports them, so a
// year of data does not have to cross the network before the first view.
const WHOLE_FILE_LIMIT = 32 * 1024 * 1024;

// How each file was opened: 'whole' or 'range' (shown to tests and the about box).
const modes = [];

async function supportsRange(url) {
  try {
    const probe = await fetch(url, { headers: { Range: 'bytes=0-0' } });
    if (probe.body) await probe.body.cancel();
    return probe.status === 206;
  } catch (err) {
    return false;
  }
}

async function download(url, path) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    fail(`cannot fetch ${path}`, err);
  }
  if (!response.ok) fail(`cannot fetch ${path}`, `HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// Open the published DuckDB files and attach them read-only as schema `lm`.
async function open(filesJson) {
  const files = JSON.parse(filesJson);
  let eng;
  try {
    eng = await engine;
  } catch (err) {
    fail('DuckDB-Wasm could not start', err);
  }
  for (const [i, file] of files.entries()) {
    const url = new URL('data/' + file.path, document.baseURI).href;
    const name = `lmscope_${i}.duckdb`;
    // `?read=range` / `?read=whole` in the page URL overrides the choice (diagnostics, tests).
    const forced = new URLSearchParams(location.search).get('read');
    const big = forced ? forced === 'range' : (file.bytes || 0) > WHOLE_FILE_LIMIT;
    if (big && (await supportsRange(url))) {
      await eng.db.registerFileURL(name, url, duckdb.DuckDBDataProtocol.HTTP, false);
      modes[i] = 'range';
    } else {
      await eng.db.registerFileBuffer(name, await download(url, file.path));
      modes[i] = 'whole';
    }
    try {
      await eng.conn.query(`ATTACH '${name}' AS lm (READ_ONLY)`);
      await eng.conn.query('USE lm');
    } catch (err) {
      fail(`${file.path} is not a readable DuckDB file`, err);
    }
  }
  attached = eng;
  performance.mark('lmscope:data-attached');
}

function plain(value) {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (value !== null && typeof value === 'object') {
    if (typeof value.valueOf === 'function' && typeof value.valueOf() !== 'object') return plain(value.valueOf());
    return String(value);
  }
  return value;
}

// Run `sql` with positional `?` parameters (a JSON array); resolves to a JSON string
// `{"columns":[...],"rows":[[...],...]}` with BIGINTs as numbers and timestamps as epoch ms.
async function query(sql, paramsJson) {
  if (!attached) throw new Error('no data is open');
  const params = JSON.parse(paramsJson);
  const stmt = await attached.conn.prepare(sql);
  let table;
  try {
    table = await stmt.query(...params);
  } finally {
    await stmt.close();
  }
  const columns = table.schema.fields.map((f) => f.name);
  const vectors = columns.map((_, i) => table.getChildAt(i));
  const rows = new Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    rows[r] = vectors.map((v) => plain(v.get(r)));
  }
  return JSON.stringify({ columns, rows });
}

globalThis.lmscopeBridge = { open, query, modes };
