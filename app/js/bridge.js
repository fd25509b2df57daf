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

// Attach one published file read-only as `alias` (its tables not yet exposed).
async function attachOnly(eng, file, alias) {
  const url = new URL('data/' + file.path, document.baseURI).href;
  const name = `${alias}.duckdb`;
  // `?read=range` / `?read=whole` in the page URL overrides the choice (diagnostics, tests).
  const forced = new URLSearchParams(location.search).get('read');
  const big = forced ? forced === 'range' : (file.bytes || 0) > WHOLE_FILE_LIMIT;
  if (big && (await supportsRange(url))) {
    await eng.db.registerFileURL(name, url, duckdb.DuckDBDataProtocol.HTTP, false);
    modes.push('range');
  } else {
    await eng.db.registerFileBuffer(name, await download(url, file.path));
    modes.push('whole');
  }
  try {
    await eng.conn.query(`ATTACH '${name}' AS ${alias} (READ_ONLY)`);
  } catch (err) {
    await eng.db.dropFile(name).catch(() => {});
    fail(`${file.path} is not a readable DuckDB file`, err);
  }
}

// Expose each table as one view in the default schema over the attached files that hold it
// (the monthly partitions and the current file: a row is in exactly one), so queries name
// tables without knowing which file (or which generation) holds them. `parts`: [file,
// alias, tables to expose from it].
async function expose(eng, parts) {
  const holders = new Map();
  for (const [file, alias, tables] of parts) {
    for (const table of tables) {
      // Table names come from our own manifest, but only plain identifiers are accepted.
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) fail(`${file.path}`, `unexpected table name ${JSON.stringify(table)}`);
      if (!holders.has(table)) holders.set(table, []);
      holders.get(table).push(alias);
    }
  }
  for (const [table, aliases] of holders) {
    const union = aliases.map((alias) => `SELECT * FROM ${alias}.${table}`).join(' UNION ALL ');
    await eng.conn.query(`CREATE OR REPLACE VIEW main.${table} AS ${union}`);
  }
}

// The data files attached now, by their path in the manifest. Every published name is
// immutable (a generation's files are named after it, a month's partition after its
// content), so a newer publish reuses the files it shares with the open one — the months
// already read — and detaches the rest. The snapshot is attached apart (`snapshotAlias`).
let attachedByPath = new Map();
let snapshotAlias = null;
// The open publish's files (manifest order) and the tables its snapshot serves.
let files = [];
let early = [];
let aliases = 0;

async function detach(eng, gone) {
  for (const alias of gone) {
    await eng.conn.query(`DETACH ${alias}`).catch(() => {});
    await eng.db.dropFile(`${alias}.duckdb`).catch(() => {});
  }
}

// Attaching and swapping files take turns (one at a time, in the order asked).
let turn = Promise.resolve();
function inTurn(work) {
  const next = turn.then(work);
  turn = next.catch(() => {});
  return next;
}

// Whether a file must be attached for a query over `span` ([from, to) in epoch ms; null:
// all the data). The current file always is; a monthly partition when the time its rows
// cover (`from`: its month's start, or the start of the earliest session in it; `to`: its
// month's end) meets the span. Files without times are always attached.
function needed(file, span) {
  if (!span || !file.month || !file.from || !file.to) return true;
  return Date.parse(file.from) < span[1] && Date.parse(file.to) > span[0];
}

// The views over the attached files, in manifest order (`extra`: the snapshot's part).
async function exposeAttached(eng, extra = []) {
  const parts = [...extra];
  for (const file of files) {
    const alias = attachedByPath.get(file.path);
    if (alias) parts.push([file, alias, file.tables.filter((t) => !early.includes(t))]);
  }
  await expose(eng, parts);
}

// Attach the files a query over `span` needs that are not attached yet, and point the
// views at everything attached. A 30-day view of years of data fetches the months it
// reads, not the years; a query over all the data (alerts, forecasts) attaches the rest.
function ensure(span) {
  return attachWhere((f) => needed(f, span));
}

// Attach the files not attached yet that `wanted` picks (at most `limit`, newest first).
function attachWhere(wanted, limit = Infinity) {
  return inTurn(async () => {
    const missing = files
      .filter((f) => !attachedByPath.has(f.path) && wanted(f))
      .sort((a, b) => (Date.parse(b.to) || 0) - (Date.parse(a.to) || 0))
      .slice(0, limit);
    if (!missing.length) return;
    const eng = await engine;
    const added = [];
    try {
      for (const file of missing) {
        const alias = `lm${++aliases}`;
        await attachOnly(eng, file, alias);
        added.push([file.path, alias]);
      }
    } catch (err) {
      await detach(eng, added.map(([, alias]) => alias));
      throw err;
    }
    for (const [path, alias] of added) attachedByPath.set(path, alias);
    await exposeAttached(eng);
    if (files.every((f) => attachedByPath.has(f.path))) performance.mark('lmscope:data-complete');
  });
}

// The last year of months, attached in the background while the page is idle: the longer
// presets (Quarter, Year) then find their months in place, while older months still wait
// until a view asks for them. One month at a time, newest first, each when no query is
// waiting, so a click never waits behind more than one month's attach.
const DAY_MS = 86_400_000;
let prefetch = null;

function prefetchLastYear() {
  // `?prefetch=0` in the page URL turns it off (diagnostics, tests).
  if (prefetch || new URLSearchParams(location.search).get('prefetch') === '0') return;
  prefetch = setTimeout(prefetchStep, 500);
}

async function prefetchStep() {
  if (pending > 0) {
    prefetch = null; // asked again when the queries are done
    return;
  }
  const ends = files.map((f) => Date.parse(f.to)).filter((t) => !Number.isNaN(t));
  if (!ends.length) return;
  const latest = Math.max(...ends);
  const span = [latest - 366 * DAY_MS, latest + DAY_MS];
  const left = files.some((f) => !attachedByPath.has(f.path) && needed(f, span));
  if (!left) return; // all in place: nothing more until a newer publish
  await attachWhere((f) => needed(f, span), 1).catch(() => {});
  prefetch = setTimeout(prefetchStep, 0);
}

// Open the published data: the snapshot (given only when there is no first-view file) or
// else the current file first, so the first view can be drawn; the months follow as
// queries need them. Queries asked for meanwhile wait.
let opening = null;

function open(dataJson) {
  opening = openData(dataJson);
  return opening;
}

async function openData(dataJson) {
  const data = JSON.parse(dataJson);
  let eng;
  try {
    eng = await engine;
  } catch (err) {
    fail('DuckDB-Wasm could not start', err);
  }
  files = data.files;
  early = data.snapshot ? data.snapshot.tables : [];
  if (data.snapshot) {
    await attachOnly(eng, data.snapshot, 'lm_now');
    snapshotAlias = 'lm_now';
    await expose(eng, [[data.snapshot, 'lm_now', early]]);
  } else {
    // No snapshot: the current file (the latest state, the org) serves the first queries.
    await attachWhere((f) => !f.month);
  }
  attached = eng;
  performance.mark('lmscope:data-attached');
}

// The generation of the published data open now (0: the one the page opened with).
let generation = 0;

// Replace the open data by a newer publish: the files of it attached now stay, its new
// current file and snapshot are attached, the views point at the new set, then the files
// it no longer lists are detached. Months not attached yet wait for a query to need them.
// Queries asked for meanwhile wait; a failure (a file that vanished mid-read) detaches
// what it attached and leaves the old data.
function reopen(dataJson) {
  const before = opening;
  const swap = reopenData(dataJson, before);
  opening = swap.catch(() => before);
  return swap;
}

async function reopenData(dataJson, before) {
  const data = JSON.parse(dataJson);
  await before;
  return inTurn(async () => {
    const eng = await engine;
    const gen = ++generation;
    const added = [];
    const next = new Map();
    let nextSnapshot = null;
    try {
      if (data.snapshot) {
        nextSnapshot = `lm${gen}_now`;
        await attachOnly(eng, data.snapshot, nextSnapshot);
        added.push(nextSnapshot);
      }
      for (const file of data.files) {
        let alias = attachedByPath.get(file.path);
        if (!alias && !file.month) {
          alias = `lm${++aliases}`;
          await attachOnly(eng, file, alias);
          added.push(alias);
        }
        if (alias) next.set(file.path, alias);
      }
    } catch (err) {
      await detach(eng, added);
      throw err;
    }
    const kept = new Set(next.values());
    const gone = [...attachedByPath.values()].filter((alias) => !kept.has(alias));
    if (snapshotAlias) gone.push(snapshotAlias);
    files = data.files;
    early = data.snapshot ? data.snapshot.tables : [];
    attachedByPath = next;
    snapshotAlias = nextSnapshot;
    prefetch = null;
    await exposeAttached(eng, nextSnapshot ? [[data.snapshot, nextSnapshot, early]] : []);
    await detach(eng, gone);
    performance.mark('lmscope:data-reopened');
  });
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
// `snapshotOnly`: the query reads only snapshot tables and need not wait for other files.
// Queries asked for and not yet answered; browser tests wait for none before reading a view.
let pending = 0;

// `span`: `[from, to)` in epoch ms when every row the query reads lies in that time (only
// the files that meet it are attached), or null for a query over all the data.
async function query(sql, paramsJson, snapshotOnly, span) {
  pending++;
  try {
    return await runQuery(sql, paramsJson, snapshotOnly, span ?? null);
  } finally {
    pending--;
    if (pending === 0 && !snapshotOnly) prefetchLastYear();
  }
}

async function runQuery(sql, paramsJson, snapshotOnly, span) {
  if (!opening) throw new Error('no data is open');
  await opening;
  if (!snapshotOnly) await ensure(span);
  const params = JSON.parse(paramsJson);
  const started = performance.now();
  const stmt = await attached.conn.prepare(sql);
  let table;
  try {
    table = await stmt.query(...params);
  } finally {
    await stmt.close();
  }
  const ran = performance.now();
  const columns = table.schema.fields.map((f) => f.name);
  const vectors = columns.map((_, i) => table.getChildAt(i));
  const rows = new Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    rows[r] = vectors.map((v) => plain(v.get(r)));
  }
  const text = JSON.stringify({ columns, rows });
  // For the perf harness: time in DuckDB-Wasm and time turning its Arrow rows into JSON.
  performance.measure('lmscope:query', { start: started, end: ran, detail: { rows: table.numRows } });
  performance.measure('lmscope:rows', { start: ran, end: performance.now() });
  return text;
}

// The manifest paths of the files attached now (tests, diagnostics).
const attachedFiles = () => [...attachedByPath.keys()];

globalThis.lmscopeBridge = { open, reopen, query, modes, attachedFiles, pending: () => pending };
