//! The site on a real static server: Debian's nginx with `deploy/nginx/lmscope.conf` and the
//! gzip copies of `scripts/precompress.sh`. Range requests on the published files, the
//! caching each kind of file gets (immutable generations, a revalidated manifest), the
//! engine sent compressed, and the overview in Chromium reading the data by ranges through
//! nginx. Prints the bytes a cold first view transfers.

use std::path::Path;
use std::process::Command;

use lmscope_e2e::{cells, repo_root, site_with_demo, StaticServer, TempDir, SUB_PATH};
use serde_json::Value;

/// The response headers (lower-case names) and body size of `curl URL` with `headers`.
fn fetch(url: &str, headers: &[&str]) -> (u16, Vec<(String, String)>, usize) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-D", "-", "-o", "-", url]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.output().expect("run curl");
    assert!(out.status.success(), "curl {url}: {out:?}");
    let end = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&out.stdout[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, out.stdout.len() - end - 4)
}

/// Body bytes nginx sent per path (query strings dropped), from its access log's lines
/// (`URI STATUS BYTES ...`).
fn sent_by_path(log: &str) -> std::collections::BTreeMap<String, usize> {
    let mut sent: std::collections::BTreeMap<String, usize> = Default::default();
    for line in log.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(uri), Some(bytes)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        let path = uri.split('?').next().unwrap_or(uri).to_owned();
        *sent.entry(path).or_default() += bytes.parse::<usize>().unwrap_or(0);
    }
    sent
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn size(path: &Path) -> usize {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len() as usize
}

#[test]
fn nginx_serves_ranges_caches_generations_and_sends_the_engine_compressed() {
    let tmp = TempDir::new("nginx");
    let site = site_with_demo(tmp.path());
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/precompress.sh"))
        .arg(&site)
        .output()
        .expect("run precompress.sh");
    assert!(out.status.success(), "precompress: {out:?}");
    let work = tmp.path().join("nginx");
    std::fs::create_dir_all(&work).expect("nginx dir");
    let server = StaticServer::start_nginx(&tmp.path().join("www"), &work);
    let url = |p: &str| server.url(&format!("{SUB_PATH}/{p}"));

    // The manifest: always revalidated.
    let (status, h, _) = fetch(&url("data/manifest.json"), &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).expect("manifest"))
            .expect("json");
    let files = manifest["files"].as_array().expect("files");
    assert!(
        files.iter().any(|f| f["month"].is_string()) && files.iter().any(|f| f["month"].is_null()),
        "the demo spans months: partitions and a current file"
    );

    // Every published file, partitions and the current generation: ranges, cached for good.
    let immutable = Some("public, max-age=31536000, immutable");
    for f in files {
        let file = f["path"].as_str().expect("path");
        let bytes = f["bytes"].as_u64().expect("bytes");
        let (status, h, body) = fetch(&url(&format!("data/{file}")), &["Range: bytes=4096-8191"]);
        assert_eq!(status, 206, "{file}: {h:?}");
        assert_eq!(body, 4096);
        assert_eq!(
            header(&h, "content-range").map(str::to_owned),
            Some(format!("bytes 4096-8191/{bytes}"))
        );
        assert_eq!(header(&h, "cache-control"), immutable, "{file}");
    }
    let (_, h, _) = fetch(&url("data/lmscope.sql"), &[]);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    let first = manifest["first_view"].as_str().expect("first view file");
    let (_, h, _) = fetch(&url(&format!("data/{first}")), &[]);
    assert_eq!(header(&h, "cache-control"), immutable);

    // The engine: gzip to browsers that take it, whole to those that do not; revalidated.
    let engine = site.join("vendor/duckdb-eh.wasm");
    let (status, h, body) = fetch(&url("vendor/duckdb-eh.wasm"), &["Accept-Encoding: gzip"]);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-encoding"), Some("gzip"));
    assert_eq!(header(&h, "content-type"), Some("application/wasm"));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert_eq!(body, size(&engine.with_extension("wasm.gz")));
    assert!(body * 3 < size(&engine), "gzip saves most of the engine");
    let (_, h, body) = fetch(&url("vendor/duckdb-eh.wasm"), &[]);
    assert_eq!(header(&h, "content-encoding"), None);
    assert_eq!(body, size(&engine));

    // The app's own files carry their content hash: immutable, and compressed.
    let app_wasm = std::fs::read_dir(&site)
        .expect("site")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("lmscope-app-") && n.ends_with("_bg.wasm"))
        .expect("the app's wasm");
    let (_, h, _) = fetch(&url(&app_wasm), &["Accept-Encoding: gzip"]);
    assert_eq!(header(&h, "cache-control"), immutable);
    assert_eq!(header(&h, "content-encoding"), Some("gzip"));
    let (_, h, _) = fetch(&url("index.html"), &[]);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));

    // The overview in Chromium through nginx, every data file read by ranges.
    let log = work.join("access.log");
    std::fs::write(&log, "").expect("clear the access log");
    let profile = tmp.path().join("browser-profile");
    let profile_env = profile.to_string_lossy().into_owned();
    let visit = |shot: &str| {
        lmscope_e2e::scrape_tables_with(
            &url("index.html?read=range"),
            shot,
            &[],
            &[("PROFILE", profile_env.as_str())],
        )
    };
    let page = visit("nginx-overview.png");
    assert!(page.get("error").is_none(), "page failed to load: {page}");
    assert_eq!(page["pageErrors"], Value::Array(vec![]), "page errors");
    assert_eq!(
        page["openModes"],
        serde_json::json!(vec!["range"; lmscope_e2e::files_opened(&site)])
    );
    let db = lmscope_e2e::published_db(&site);
    let want: i64 = db
        .query_row("SELECT count(*) FROM feature_now", [], |r| r.get(0))
        .expect("count");
    assert!(want > 10);
    assert_eq!(cells(&page["features"]).len() as i64, want);

    // What the cold first view cost on the wire, from nginx's own log: the engine went
    // compressed, and no published file was sent more than once over.
    let text = std::fs::read_to_string(&log).expect("access log");
    let sent = sent_by_path(&text);
    let total: usize = sent.values().sum();
    println!(
        "cold first view through nginx: {} requests, {total} bytes sent: {sent:?}",
        text.lines().count()
    );
    let engine_sent = sent
        .get(&format!("/{SUB_PATH}/vendor/duckdb-eh.wasm"))
        .copied()
        .unwrap_or(0);
    assert_eq!(
        engine_sent,
        size(&engine.with_extension("wasm.gz")),
        "the browser got the engine gzipped:\n{text}"
    );
    // The snapshot duplicates the current file's latest state: with a first-view file to
    // draw from, the site does not fetch it.
    let snapshot = manifest["snapshot"]["path"].as_str().expect("snapshot");
    assert_eq!(
        sent.get(&format!("/{SUB_PATH}/data/{snapshot}")),
        None,
        "the snapshot is not fetched:\n{text}"
    );
    for data in files.iter().map(|f| f["path"].as_str().expect("path")) {
        let got = sent
            .get(&format!("/{SUB_PATH}/data/{data}"))
            .copied()
            .unwrap_or(0);
        assert!(
            got <= size(&site.join("data").join(data)) + 1,
            "{data} sent at most once: {got} bytes\n{text}"
        );
    }

    // A revisit after one more poll and a publish, the site in the browser's cache: only
    // what the new publish wrote crosses the wire (its current file, first view and
    // manifest); the engine, the app and the months are not fetched again.
    let now = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let store = tmp
        .path()
        .join("store.duckdb")
        .to_string_lossy()
        .into_owned();
    let data = site.join("data").to_string_lossy().into_owned();
    lmscope_e2e::lmscope_ok(&[
        "--store",
        &store,
        "import",
        "lmstat",
        "--at",
        &now,
        &lmscope_e2e::fixture(
            "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt",
        )
        .to_string_lossy(),
    ]);
    lmscope_e2e::lmscope_ok(&["--store", &store, "publish", "--out", &data]);
    let after: Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).expect("manifest"))
            .expect("json");
    std::fs::write(&log, "").expect("clear the access log");
    let page = visit("nginx-revisit.png");
    assert!(page.get("error").is_none(), "revisit failed: {page}");
    let text = std::fs::read_to_string(&log).expect("access log");
    let sent = sent_by_path(&text);
    let total: usize = sent.values().sum();
    let new_files: Vec<&str> = [
        after["files"]
            .as_array()
            .and_then(|f| f.last())
            .and_then(|f| f["path"].as_str()),
        after["first_view"].as_str(),
        Some("manifest.json"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let new_bytes: usize = new_files
        .iter()
        .map(|f| size(&site.join("data").join(f)))
        .sum();
    println!(
        "revisit after one publish through nginx: {} requests, {total} bytes sent (the new \
         publish's current file, first view and manifest: {new_bytes} bytes): {sent:?}",
        text.lines().count()
    );
    assert!(
        total <= new_bytes + size(&site.join("index.html")),
        "a revisit fetches only the new publish's files:\n{text}"
    );
    for (path, bytes) in &sent {
        let new = new_files
            .iter()
            .any(|f| path.ends_with(&format!("/data/{f}")));
        assert!(
            new || *bytes == 0 || path.ends_with("/index.html"),
            "{path}: {bytes} bytes sent again on a revisit\n{text}"
        );
    }
}
