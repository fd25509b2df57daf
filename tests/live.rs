//! A live site: while the overview is open, a new poll is published; the overview shows it
//! in place (the new server, the new "last updated") without a reload, keeping the page's
//! state and scroll, and "updated N ago" ticks meanwhile.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use lmscope_e2e::{fixture, repo_root, site_with_demo, StaticServer, StoreDir, SUB_PATH};
use serde_json::Value;

const APP2: &str = "lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app2.txt";

#[test]
fn the_overview_follows_a_new_publish_in_place() {
    let tmp = StoreDir::new("live");
    let site = site_with_demo(tmp.path());
    // Published just now, so "updated N ago" counts seconds while the test watches.
    tmp.ok(&["publish", "--out", &site.join("data").to_string_lossy()]);
    // A site polled every 30 s: the page reads the manifest again at that pace.
    let manifest_path = site.join("data/manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    manifest["poll_interval_seconds"] = Value::from(30);
    std::fs::write(&manifest_path, manifest.to_string()).expect("write manifest");
    let server = StaticServer::start(&tmp.path().join("www"));

    let mut browser = Command::new("node")
        .arg(repo_root().join("tests/browser/live.mjs"))
        .arg(server.url(&format!("{SUB_PATH}/index.html")))
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run node");
    let mut out = BufReader::new(browser.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    assert_eq!(line.trim(), "READY", "the page did not load: {line}");

    // One more poll, from a server the demo does not have, then a publish.
    tmp.ok(&[
        "import",
        "lmstat",
        &fixture(APP2).to_string_lossy(),
        "--at",
        "2026-11-20T12:10",
    ]);
    tmp.ok(&["publish", "--out", &site.join("data").to_string_lossy()]);
    let paths = |m: &Value| -> Vec<String> {
        m["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["path"].as_str().expect("path").to_owned())
            .collect()
    };
    let old_files = paths(&manifest);
    let new_files = paths(
        &serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json"),
    );
    let mut stdin = browser.stdin.take().expect("stdin");
    writeln!(stdin, "PUBLISHED").expect("tell the browser");
    drop(stdin);

    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("read result");
    assert!(browser.wait().expect("node").success());
    let result: Value = serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest}"));
    assert!(result.get("error").is_none(), "{result}");
    assert_eq!(result["pageErrors"], Value::Array(vec![]), "{result}");

    // The new publish is shown...
    assert_ne!(result["after"], result["before"], "{result}");
    let before = strings(&result["serversBefore"]);
    let after = strings(&result["serversAfter"]);
    assert_eq!(after.len(), before.len() + 1, "{result}");
    assert!(after.iter().any(|s| s.starts_with("28000@")), "{result}");
    assert!(before.iter().all(|s| after.contains(s)), "{result}");
    // ...in place: no reload, the scroll kept, no error.
    assert_eq!(result["kept"], Value::Bool(true), "{result}");
    assert_eq!(result["scrollAfter"], result["scrollBefore"], "{result}");
    assert_eq!(result["errorShown"], Value::Bool(false), "{result}");
    // Only what is new was fetched: the months both publishes share stay attached.
    let fetched = strings(&result["fetchedAfter"]);
    let shared: Vec<&String> = new_files.iter().filter(|f| old_files.contains(f)).collect();
    assert!(
        !shared.is_empty(),
        "a month both publishes share: {old_files:?} {new_files:?}"
    );
    for f in &shared {
        assert!(
            !fetched.contains(&f.as_str()),
            "{f} fetched again: {fetched:?}"
        );
    }
    let current = new_files.last().expect("current file");
    assert!(
        fetched.contains(&current.as_str()),
        "{current} not fetched: {fetched:?}"
    );
    // "updated N ago" ticked while the page sat open.
    let ago = |k: &str| result[k].as_str().unwrap_or_default().to_owned();
    assert!(ago("agoFirst").contains("ago"), "{result}");
    assert_ne!(ago("agoFirst"), ago("agoLater"), "{result}");
    // Within two checks of the 30 s interval.
    assert!(
        result["secondsToUpdate"].as_u64().is_some_and(|s| s <= 70),
        "{result}"
    );
}

/// The strings of a JSON array the browser script printed.
fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("an array")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}
