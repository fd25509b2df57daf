//! Helpers for the end-to-end tests in `tests/`: where things are, running the `lmscope`
//! binary, serving a directory over HTTP (with Range support) and driving Chromium.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real FlexLM outputs the tests run on.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// The `lmscope` binary of this build (`cargo build -p lmscope` must have run; the test
/// command does that), or `$LMSCOPE_BIN`.
pub fn lmscope_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LMSCOPE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/lmscope
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let bin = profile_dir.join("lmscope");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p lmscope` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Run `lmscope` with `args`; returns its output whatever the exit status.
pub fn lmscope(args: &[&str]) -> Output {
    Command::new(lmscope_bin())
        .args(args)
        .output()
        .expect("run lmscope")
}

/// Run `lmscope` and insist on success.
pub fn lmscope_ok(args: &[&str]) -> String {
    let out = lmscope(args);
    assert!(
        out.status.success(),
        "lmscope {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary directory under the target directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("lmscope-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new store in its own temporary directory, and `lmscope --store STORE …` run on it: the
/// setup most command tests share.
pub struct StoreDir {
    tmp: TempDir,
    store: PathBuf,
}

impl StoreDir {
    /// An empty directory (removed on drop) whose `store.duckdb` does not exist yet.
    pub fn new(tag: &str) -> Self {
        let tmp = TempDir::new(tag);
        let store = tmp.path().join("store.duckdb");
        Self { tmp, store }
    }

    /// The temporary directory, for the test's other files.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The store file.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// `lmscope --store STORE`, ready for more arguments, environment or a timeout.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(lmscope_bin());
        cmd.arg("--store").arg(&self.store);
        cmd
    }

    /// Run `lmscope --store STORE args…`; its output whatever the exit status.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        self.command().args(args).output().expect("run lmscope")
    }

    /// Run `lmscope --store STORE args…`, insist on success, return its standard output.
    pub fn ok<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
        assert!(
            out.status.success(),
            "lmscope --store {} {shown:?} failed ({}):\nstdout: {}\nstderr: {}",
            self.store.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Copy a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// `http-server` (npm, supports HTTP Range) serving a directory on a free loopback port.
pub struct StaticServer {
    child: Child,
    pub port: u16,
}

impl StaticServer {
    pub fn start(dir: &Path) -> Self {
        let bin = repo_root().join("node_modules/.bin/http-server");
        assert!(bin.exists(), "{} missing: run `npm ci`", bin.display());
        Self::spawn(|port| {
            let mut cmd = Command::new(&bin);
            cmd.arg(dir)
                .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-c-1", "-s"]);
            cmd
        })
    }

    /// Debian's nginx serving `root` with the project's configuration
    /// (`deploy/nginx/lmscope.conf`), one process, its logs and temporary files in `work`.
    /// The access log (`work/access.log`) has one line per request: URI, status, body bytes
    /// sent, the Range asked for and the Content-Encoding sent.
    pub fn start_nginx(root: &Path, work: &Path) -> Self {
        let include = repo_root().join("deploy/nginx/lmscope.conf");
        Self::spawn(|port| {
            let w = work.display();
            let conf = format!(
                "daemon off;\nmaster_process off;\npid {w}/nginx.pid;\nerror_log {w}/error.log;\n\
                 events {{}}\n\
                 http {{\n  include /etc/nginx/mime.types;\n\
                   log_format lm '$request_uri $status $body_bytes_sent \"$http_range\" \"$sent_http_content_encoding\"';\n\
                   access_log {w}/access.log lm;\n\
                   client_body_temp_path {w}/body;\n  proxy_temp_path {w}/proxy;\n\
                   fastcgi_temp_path {w}/fastcgi;\n  uwsgi_temp_path {w}/uwsgi;\n  scgi_temp_path {w}/scgi;\n\
                   server {{\n    listen 127.0.0.1:{port};\n    root {};\n    include {};\n  }}\n}}\n",
                root.display(),
                include.display()
            );
            let path = work.join("nginx.conf");
            std::fs::write(&path, conf).expect("write nginx.conf");
            // Debian puts nginx in /usr/sbin, which a user's PATH often lacks.
            let on_path = std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("nginx").is_file()));
            let mut cmd = Command::new(if on_path { "nginx" } else { "/usr/sbin/nginx" });
            cmd.arg("-c").arg(&path).arg("-p").arg(work);
            cmd
        })
    }

    /// A static host without HTTP Range support (Python's `http.server` answers every
    /// request with the whole file).
    pub fn start_without_range(dir: &Path) -> Self {
        Self::spawn(|port| {
            let mut cmd = Command::new("python3");
            cmd.args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir);
            cmd
        })
    }

    fn spawn(command: impl FnOnce(u16) -> Command) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = command(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the static server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the static server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Directory for test artifacts (screenshots), kept after the run.
pub fn artifacts_dir() -> PathBuf {
    let dir = repo_root().join("tests/artifacts");
    std::fs::create_dir_all(&dir).expect("create artifacts dir");
    dir
}

/// Open `url` in headless Chromium (tests/browser/site.mjs) and return what the page shows,
/// as JSON. `screenshot` names the PNG saved under tests/artifacts.
pub fn scrape(url: &str, screenshot: &str) -> serde_json::Value {
    scrape_tables(url, screenshot, &[])
}

/// Open `url` and return the header and body cells of the tables with these `data-testid`s
/// (`tables.NAME.head`, `tables.NAME.rows`), or `error` when the page reports one.
pub fn scrape_tables(url: &str, screenshot: &str, tables: &[&str]) -> serde_json::Value {
    scrape_tables_with(url, screenshot, tables, &[])
}

/// [`scrape_tables`] with environment settings for the browser script (`VIEWPORT=390x844`,
/// `COLOR_SCHEME=dark`).
pub fn scrape_tables_with(
    url: &str,
    screenshot: &str,
    tables: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let script = repo_root().join("tests/browser/site.mjs");
    let mut cmd = Command::new("node");
    cmd.envs(env.iter().copied());
    cmd.arg(script)
        .arg(url)
        .arg(artifacts_dir().join(screenshot));
    if !tables.is_empty() {
        cmd.arg(tables.join(","));
    }
    let out = cmd.current_dir(repo_root()).output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser script failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bad JSON from browser ({e}): {stdout}"))
}

/// One visit to the site in one Chromium page (tests/browser/site.mjs --serve): the first
/// view is loaded, each later one reached by following a link inside the page, as a person
/// clicking through (the site routes it without a reload; a reload fails the test, as it
/// would hide a routing bug). Each view is read as [`scrape_tables`] reads one, so a test
/// can check one view before asking for the next. The browser closes on drop.
pub struct Visit {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    views: usize,
}

impl Visit {
    /// Start the browser on `url` and return the visit and its first view.
    pub fn open(url: &str, screenshot: &str, tables: &[&str]) -> (Self, serde_json::Value) {
        let mut child = Command::new("node")
            .arg(repo_root().join("tests/browser/site.mjs"))
            .arg("--serve")
            .current_dir(repo_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take();
        let stdout = std::io::BufReader::new(child.stdout.take().expect("node stdout"));
        let mut visit = Self {
            child,
            stdin,
            stdout,
            views: 0,
        };
        let first = visit.view(url, screenshot, tables);
        (visit, first)
    }

    /// Follow a link to `url` and read the view it leads to.
    pub fn follow(&mut self, url: &str, screenshot: &str, tables: &[&str]) -> serde_json::Value {
        let view = self.view(url, screenshot, tables);
        assert_eq!(
            view["navigation"], "in-page",
            "{url} was not routed inside the page: {view}"
        );
        view
    }

    /// The first view of a visit not yet begun (`visit` is `None`), or the next one.
    pub fn open_or_follow(
        visit: &mut Option<Self>,
        url: &str,
        screenshot: &str,
        tables: &[&str],
    ) -> serde_json::Value {
        match visit {
            Some(v) => v.follow(url, screenshot, tables),
            None => {
                let (v, first) = Self::open(url, screenshot, tables);
                *visit = Some(v);
                first
            }
        }
    }

    fn view(&mut self, url: &str, screenshot: &str, tables: &[&str]) -> serde_json::Value {
        use std::io::{BufRead, Read, Write};
        let line = serde_json::json!({
            "url": url,
            "screenshot": artifacts_dir().join(screenshot),
            "tables": tables,
        });
        let stdin = self.stdin.as_mut().expect("the visit is open");
        writeln!(stdin, "{line}").expect("ask the browser for a view");
        stdin.flush().expect("flush the view request");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("read the browser's answer");
        if answer.trim().is_empty() {
            self.stdin = None;
            let mut err = String::new();
            if let Some(mut e) = self.child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let status = self.child.wait();
            panic!(
                "browser script ended at view {} ({url}, {status:?}):\n{err}",
                self.views + 1
            );
        }
        self.views += 1;
        serde_json::from_str(answer.trim())
            .unwrap_or_else(|e| panic!("bad JSON from browser ({e}): {answer}"))
    }
}

impl Drop for Visit {
    fn drop(&mut self) {
        // Closing stdin ends the script, which closes the browser.
        self.stdin = None;
        let _ = self.child.wait();
    }
}

/// The built site (`scripts/build-site.sh`).
pub fn dist() -> PathBuf {
    let dist = repo_root().join("dist");
    assert!(
        dist.join("index.html").exists() && dist.join("vendor/bridge.js").exists(),
        "dist/ is not built: run `bash scripts/build-site.sh` (scripts/test.sh does)"
    );
    dist
}

/// Where the site sits under the served root: a sub-path, as on GitHub Pages.
pub const SUB_PATH: &str = "org/lmscope";

/// A copy of the built site, under `www/org/lmscope/`, with demo data published into its
/// data/ folder and the demo's store at `tmp/store.duckdb`. Serve `tmp/www`.
pub fn site_with_demo(tmp: &Path) -> PathBuf {
    let site = tmp.join("www").join(SUB_PATH);
    copy_dir(&dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    demo_in(
        tmp,
        &site.join("data"),
        &["--weeks", "3", "--end", "2026-11-20T12:00"],
    );
    site
}

/// What `lmscope --store TMP/store.duckdb demo --out OUT ARGS` makes, copied from the
/// [`shared_demo`] of those arguments (built once per run, not once per test).
pub fn demo_in(tmp: &Path, out: &Path, args: &[&str]) {
    let demo = shared_demo(args);
    copy_dir(&demo.join("data"), out);
    std::fs::copy(demo.join("store.duckdb"), tmp.join("store.duckdb")).expect("copy demo store");
}

/// A demo (`lmscope demo ARGS`) published once per build of `lmscope` and shared by every
/// test that asks for the same arguments, in any test process: `DIR/store.duckdb` and
/// `DIR/data/`. Read-only: copy it before changing anything. The first caller builds it
/// under a file lock while the others wait; the folder appears whole (renamed into place).
pub fn shared_demo(args: &[&str]) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let bin = lmscope_bin();
    let meta = std::fs::metadata(&bin).expect("lmscope binary metadata");
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (meta.len(), meta.modified().ok(), args).hash(&mut hasher);
    let root = std::env::temp_dir().join("lmscope-e2e-demos");
    std::fs::create_dir_all(&root).expect("create the shared demo folder");
    let dir = root.join(format!("{:016x}", hasher.finish()));
    let lock = std::fs::File::create(root.join(".lock")).expect("create the demo lock");
    lock.lock().expect("lock the shared demos");
    if !dir.join("data/manifest.json").exists() {
        prune_stale_demos(&root);
        let building = root.join(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).expect("create the demo build folder");
        let mut full = vec![
            "--store".to_owned(),
            building.join("store.duckdb").to_string_lossy().into_owned(),
            "demo".to_owned(),
            "--out".to_owned(),
            building.join("data").to_string_lossy().into_owned(),
        ];
        full.extend(args.iter().map(|a| (*a).to_owned()));
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        lmscope_ok(&full);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&building, &dir).expect("move the demo into place");
    }
    let _ = lock.unlock();
    dir
}

/// Demos of earlier builds are never asked for again: those a day old are removed, so the
/// shared folder does not grow by a demo with every build.
fn prune_stale_demos(root: &Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if stale && entry.path().is_dir() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// How many files the overview opens for the data of `site` (of up to a year): every file
/// of the manifest (the monthly partitions and the current file), and the snapshot when
/// there is no first-view file to draw the first view from.
pub fn files_opened(site: &Path) -> usize {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.join("data/manifest.json")).expect("manifest written"),
    )
    .expect("manifest is JSON");
    usize::from(manifest["first_view"].is_null()) + manifest["files"].as_array().map_or(0, Vec::len)
}

/// The site's published data as native DuckDB reads it: every file of the manifest
/// (monthly partitions and the current file) opened as one database of views.
pub fn published_db(site: &Path) -> duckdb::Connection {
    published_dir_db(&site.join("data"))
}

/// [`published_db`] for a publish directory.
pub fn published_dir_db(dir: &Path) -> duckdb::Connection {
    lmscope::publish::files::open(dir)
        .unwrap_or_else(|e| panic!("open the published data: {e}"))
        .0
}

pub fn cells(v: &serde_json::Value) -> Vec<Vec<String>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("cells")
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect()
}

/// Every row of `sql` over the published file, `n` columns each, as DuckDB gives them (the
/// independent side of a test reads raw rows and aggregates in Rust).
pub fn raw(db: &duckdb::Connection, sql: &str, n: usize) -> Vec<Vec<duckdb::types::Value>> {
    let mut s = db.prepare(sql).expect("query");
    s.query_map([], |r| {
        (0..n).map(|i| r.get(i)).collect::<Result<Vec<_>, _>>()
    })
    .expect("rows")
    .map(|r| r.expect("row"))
    .collect()
}

/// Rows of a query of `lmscope::analytics` (SQL and its JSON parameters) over the published
/// files, its parameters bound as the site binds them (text), each cell as JSON.
pub fn query_rows(
    db: &duckdb::Connection,
    (sql, params): (String, Vec<serde_json::Value>),
) -> Vec<Vec<serde_json::Value>> {
    let params: Vec<String> = params
        .iter()
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let refs: Vec<&dyn duckdb::ToSql> = params.iter().map(|p| p as &dyn duckdb::ToSql).collect();
    lmscope::publish::files::rows(db, &sql, &refs).unwrap_or_else(|e| panic!("{e}: {sql}"))
}

/// A raw value as text (empty for NULL).
pub fn text(v: &duckdb::types::Value) -> String {
    match v {
        duckdb::types::Value::Text(s) => s.clone(),
        duckdb::types::Value::Null => String::new(),
        other => format!("{other:?}"),
    }
}

/// A raw value as a number (zero for NULL and text).
pub fn number(v: &duckdb::types::Value) -> f64 {
    use duckdb::types::Value as V;
    match v {
        V::Double(x) => *x,
        V::Float(x) => f64::from(*x),
        V::TinyInt(x) => f64::from(*x),
        V::SmallInt(x) => f64::from(*x),
        V::Int(x) => f64::from(*x),
        V::BigInt(x) => *x as f64,
        V::HugeInt(x) => *x as f64,
        V::UBigInt(x) => *x as f64,
        V::UInt(x) => f64::from(*x),
        _ => 0.0,
    }
}

/// The bar chart drawn beside table `testid` of a scraped page plots the table's column
/// `column` for its leading rows that have a number there, labelled as the first cells read
/// (a weekday without its ordinal). The table's figures are checked against raw rows elsewhere; this ties the
/// picture to them.
pub fn assert_chart_of_table(page: &serde_json::Value, testid: &str, column: usize) {
    let chart = &page["canvases"][format!("{testid}-chart")]["data"];
    let list = |key: &str| -> Vec<serde_json::Value> {
        let text = chart[key]
            .as_str()
            .unwrap_or_else(|| panic!("{testid}-chart has no data-{key}: {chart}"));
        serde_json::from_str(text).expect("chart data is JSON")
    };
    let (labels, values) = (list("labels"), list("values"));
    let table = &page["tables"][testid];
    let rows = table["rows"].as_array().expect("table rows");
    let shown = table["shown"].as_array().expect("table text");
    assert!(!values.is_empty(), "{testid}-chart plots nothing");
    assert_eq!(labels.len(), values.len(), "{testid}-chart");
    // The chart plots the rows that have a number in `column` (`—` has none), in order.
    let plotted_rows: Vec<(&str, f64)> = rows
        .iter()
        .zip(shown)
        .filter_map(|(row, text)| {
            let cell = match &row[column] {
                serde_json::Value::String(t) => t.parse::<f64>().ok(),
                other => other.as_f64(),
            }?;
            Some((text[0].as_str().unwrap_or_default(), cell))
        })
        .collect();
    assert!(
        values.len() <= plotted_rows.len(),
        "{testid}-chart has more bars than rows with a number"
    );
    for (i, (label, value)) in labels.iter().zip(&values).enumerate() {
        let (first, cell) = plotted_rows[i];
        let label = label.as_str().unwrap_or_default();
        assert!(
            first == label || first.ends_with(&format!(" {label}")),
            "{testid}-chart bar {i}: label {label:?}, table {first:?}"
        );
        let plotted = value.as_f64().expect("plotted number");
        assert!(
            (plotted - cell).abs() <= 0.006 * cell.abs().max(1.0),
            "{testid}-chart bar {i} ({label}): plotted {plotted}, table {cell}"
        );
    }
}

/// An HTTP listener on loopback that answers 200 to every POST and hands over each
/// request's path and JSON body: a stand-in endpoint for Slack, Teams and ticket webhooks
/// (real HTTP, parsed by hand, no mock of the client).
pub struct HookListener {
    pub base: String,
    rx: std::sync::mpsc::Receiver<(String, serde_json::Value)>,
}

impl HookListener {
    pub fn start() -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                if tx.send((path, json)).is_err() {
                    break;
                }
            }
        });
        HookListener { base, rx }
    }

    /// Every request received until none arrives for `quiet`.
    pub fn drain(&self, quiet: Duration) -> Vec<(String, serde_json::Value)> {
        let mut got = Vec::new();
        while let Ok(r) = self.rx.recv_timeout(quiet) {
            got.push(r);
        }
        got
    }
}

/// A real SMTP server on loopback (aiosmtpd in the tests' Python environment), with
/// STARTTLS required under a self-signed certificate for 127.0.0.1 (made with openssl) and
/// a login required after it; every message it accepts is parsed into a JSON file.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub ca_file: PathBuf,
    out: PathBuf,
}

impl SmtpServer {
    pub fn start(dir: &Path, user: &str, password: &str) -> Self {
        let out = dir.join("mail");
        std::fs::create_dir_all(&out).expect("mail folder");
        // A test CA and a server certificate it signs for 127.0.0.1 (TLS clients refuse a
        // CA certificate as the server's own).
        let ca = dir.join("smtp-ca.pem");
        let ca_key = dir.join("smtp-ca-key.pem");
        let cert = dir.join("smtp-cert.pem");
        let key = dir.join("smtp-key.pem");
        let csr = dir.join("smtp.csr");
        let ext = dir.join("smtp-ext.cnf");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .expect("extensions");
        let openssl = |args: &[&std::ffi::OsStr]| {
            let out = Command::new("openssl")
                .args(args)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        openssl(&[
            os("req"),
            os("-x509"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-days"),
            os("2"),
            os("-subj"),
            os("/CN=lmscope test CA"),
            os("-keyout"),
            ca_key.as_os_str(),
            os("-out"),
            ca.as_os_str(),
        ]);
        openssl(&[
            os("req"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-subj"),
            os("/CN=127.0.0.1"),
            os("-keyout"),
            key.as_os_str(),
            os("-out"),
            csr.as_os_str(),
        ]);
        openssl(&[
            os("x509"),
            os("-req"),
            os("-in"),
            csr.as_os_str(),
            os("-CA"),
            ca.as_os_str(),
            os("-CAkey"),
            ca_key.as_os_str(),
            os("-CAcreateserial"),
            os("-days"),
            os("2"),
            os("-extfile"),
            ext.as_os_str(),
            os("-out"),
            cert.as_os_str(),
        ]);
        let venv = std::env::var("LMSCOPE_VENV").expect("LMSCOPE_VENV (source scripts/env.sh)");
        let mut child = Command::new(Path::new(&venv).join("bin/python"))
            .arg(repo_root().join("tests/support/smtp_server.py"))
            .args([&out, &cert, &key])
            .args([user, password])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut line,
        )
        .expect("the SMTP server's port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("port: {line:?}"));
        SmtpServer {
            child,
            port,
            ca_file: ca,
            out,
        }
    }

    /// The messages received so far, in order, taking them (each a parsed JSON record).
    pub fn take(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .expect("mail folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let v = serde_json::from_slice(&std::fs::read(p).expect("mail")).expect("JSON");
                std::fs::rename(p, p.with_extension("seen")).expect("mark seen");
                v
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
