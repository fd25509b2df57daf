//! Alert rules end to end: `lmscope check` on the demo year (every kind fires on its planted
//! cause, checked against the published rows), its exit codes and errors, notifications to a
//! webhook on loopback sent once per firing; and the alerts page in Chromium, which runs the
//! same engine and must list exactly what the CLI lists, with a working rule editor.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDateTime;
use lmscope_e2e::{
    lmscope_bin, published_db, repo_root, site_with_demo, StaticServer, StoreDir, SUB_PATH,
};
use serde_json::Value;

/// The demo year ends here, so every figure below is reproducible.
const END: &str = "2026-11-20T12:00";

fn demo_year(tmp: &StoreDir) -> std::path::PathBuf {
    let out = tmp.path().join("data");
    tmp.ok(&["demo", "--out", &out.to_string_lossy(), "--end", END]);
    out
}

/// Every firing `lmscope check --json` reports for the published rules over the given days.
fn check_json(tmp: &StoreDir, data: &Path, from: &str, to: &str) -> Vec<Value> {
    let out = tmp.run(&[
        "check",
        "--data",
        &data.to_string_lossy(),
        "--from",
        from,
        "--to",
        to,
        "--json",
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("JSON alerts")
}

fn of<'a>(alerts: &'a [Value], rule: &str) -> Vec<&'a Value> {
    alerts.iter().filter(|a| a["rule"] == rule).collect()
}

fn time(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("time text"), "%Y-%m-%dT%H:%M:%S")
        .expect("ISO time")
}

#[test]
fn check_fires_every_planted_cause_with_the_right_times() {
    let tmp = StoreDir::new("alerts-year");
    let data = demo_year(&tmp);
    let alerts = check_json(&tmp, &data, "2025-11-01", "2026-11-30");
    let db = published_db(data.parent().expect("site dir"));
    let q = |sql: &str| -> Vec<(String, String)> {
        let mut s = db.prepare(sql).expect("query");
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };

    // Server down: the failed poll run of the published `polls` table, to the next answer.
    let down = q("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'),
                         strftime((SELECT min(ts) FROM polls p WHERE p.server = f.server AND p.ts > f.ts AND p.ok), '%Y-%m-%dT%H:%M:%S')
                  FROM polls f WHERE NOT ok");
    assert_eq!(down.len(), 1, "the demo plants one outage");
    let fired = of(&alerts, "License server down");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["subject"], "28000@lic-plm01");
    assert_eq!(fired[0]["since"], down[0].0);
    assert_eq!(fired[0]["until"], down[0].1);

    // Vendor daemon down: the first change to down and the next change to up.
    let daemon = q("SELECT strftime(min(ts), '%Y-%m-%dT%H:%M:%S'),
                           strftime((SELECT min(ts) FROM vendor_status u WHERE u.up AND u.vendor = 'snpslmd'
                                     AND u.ts > (SELECT min(ts) FROM vendor_status WHERE NOT up)), '%Y-%m-%dT%H:%M:%S')
                    FROM vendor_status WHERE NOT up AND vendor = 'snpslmd'");
    let fired = of(&alerts, "Vendor daemon down");
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(fired[0]["subject"]
        .as_str()
        .is_some_and(|s| s.starts_with("snpslmd on ")));
    assert_eq!(fired[0]["since"], daemon[0].0);
    assert_eq!(fired[0]["until"], daemon[0].1);

    // Shortage and denials: SIMULINK (the demo's short feature) among them; every shortage
    // firing is a span in which the published rows show the feature full.
    for rule in ["Shortage", "Denials"] {
        assert!(
            of(&alerts, rule)
                .iter()
                .any(|a| a["subject"] == "SIMULINK on 1055@lic-mw01"),
            "{rule} does not fire for SIMULINK"
        );
    }
    for a in of(&alerts, "Shortage").iter().take(20) {
        let (server, feature) = (&a["filters"][0][1], &a["filters"][1][1]);
        let since = time(&a["since"]);
        let mut s = db
            .prepare(
                "SELECT in_use, issued FROM feature_usage WHERE server = ? AND feature = ?
                 AND ts <= ?::TIMESTAMP ORDER BY ts DESC LIMIT 1",
            )
            .expect("query");
        let (in_use, issued): (i64, i64) = s
            .query_row(
                duckdb::params![
                    server.as_str(),
                    feature.as_str(),
                    since.format("%Y-%m-%d %H:%M:%S").to_string()
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("a row at the start of the shortage");
        assert!(in_use >= issued && issued > 0, "{a}: {in_use}/{issued}");
    }

    // Likely to run out: every feature whose forecast, fitted here to daily peaks rebuilt
    // from the raw usage_daily rows of the days before the last poll, gives a chance of 50 %
    // or more within 30 days; SIMULINK and ansys (the planted shortages) among them.
    let mut peaks: Vec<Vec<Value>> = Vec::new();
    let mut s = db
        .prepare(
            "SELECT server, feature, strftime(day, '%Y-%m-%d'), peak_in_use, issued FROM usage_daily
             WHERE day < DATE '2026-11-20' ORDER BY server, feature, day",
        )
        .expect("query");
    let mut rows = s.query([]).expect("rows");
    let mut by_day: std::collections::BTreeMap<(String, String, String), (f64, f64)> =
        Default::default();
    while let Some(r) = rows.next().expect("row") {
        let key = (
            r.get(0).expect("server"),
            r.get(1).expect("feature"),
            r.get(2).expect("day"),
        );
        let (peak, issued): (i64, i64) = (r.get(3).expect("peak"), r.get(4).expect("issued"));
        let e = by_day.entry(key).or_default();
        e.0 = e.0.max(peak as f64);
        e.1 = e.1.max(issued as f64);
    }
    for ((server, feature, day), (peak, issued)) in by_day {
        peaks.push(vec![
            server.into(),
            feature.into(),
            day.into(),
            peak.into(),
            issued.into(),
        ]);
    }
    let expected: std::collections::BTreeSet<String> =
        lmscope::analytics::forecast::outlooks(&peaks)
            .iter()
            .filter(|o| match &o.outlook {
                lmscope::analytics::forecast::Outlook::Ready { risk, .. } => risk.within(30) >= 0.5,
                _ => false,
            })
            .map(|o| format!("{} on {}", o.feature, o.server))
            .collect();
    let fired: std::collections::BTreeSet<String> = of(&alerts, "Likely to run out")
        .iter()
        .map(|a| a["subject"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(fired, expected);
    for planted in ["SIMULINK on 1055@lic-mw01", "ansys on 27000@lic-ansys01"] {
        assert!(
            fired.contains(planted),
            "{planted} not likely short: {fired:?}"
        );
    }
    for a in of(&alerts, "Likely to run out") {
        assert_eq!(a["since"], "2026-11-20T12:00:00", "{a}");
        assert!(a["until"].is_null(), "{a}");
        let evidence = a["evidence"].as_str().unwrap_or_default();
        assert!(
            evidence.contains("chance of running out within 30 days"),
            "{evidence}"
        );
    }

    // Expiry: the entitlement the demo makes expire three weeks after the last poll.
    let expiring = q(
        "SELECT feature, strftime(expires, '%Y-%m-%d') FROM entitlements
                      WHERE expires <= DATE '2026-11-20' + 30",
    );
    let fired = of(&alerts, "License expiring");
    assert_eq!(fired.len(), expiring.len());
    assert!(fired[0]["subject"]
        .as_str()
        .is_some_and(|s| s.starts_with(&format!("{} on ", expiring[0].0))));
    assert!(fired[0]["evidence"]
        .as_str()
        .is_some_and(|e| e.contains(&expiring[0].1)));

    // Idle: the demo's idle feature, still idle at the end.
    assert!(of(&alerts, "Idle capacity").iter().any(|a| {
        a["subject"] == "Simulink_Control_Design on 1055@lic-mw01" && a["until"].is_null()
    }));

    // Unusual: the tape-out surge (chip design tools up 40 % in the last five weeks) shows as
    // demand above the usual for one of the chip tools, starting in those weeks.
    let surge_from = time(&Value::from("2026-10-16T12:00:00"));
    let chip_tools = [
        "Virtuoso",
        "Spectre",
        "Xcelium",
        "Innovus",
        "Design-Compiler",
        "PrimeTime",
        "VCSRuntime",
    ];
    let surge: Vec<&Value> = of(&alerts, "Unusual demand")
        .into_iter()
        .filter(|a| {
            let s = a["subject"].as_str().unwrap_or_default();
            chip_tools.iter().any(|t| s.starts_with(t))
                && time(&a["since"]) >= surge_from - chrono::TimeDelta::days(7)
                && a["evidence"].as_str().is_some_and(|e| e.contains("(+"))
        })
        .collect();
    assert!(
        surge.len() >= 3,
        "the tape-out surge is not unusual: {surge:?}"
    );

    // Budget: chip design's spend at the org's prices, recomputed here from user_daily rows,
    // runs past its budget (projected) by the end of the data.
    let spend: f64 = db
        .query_row(
            "SELECT sum(u.license_hours * p.per_seat_year / 8760.0) FROM user_daily u
             JOIN org_people o ON o.user_name = u.user_name AND o.department = 'chip'
             JOIN org_prices p ON p.feature = u.feature AND p.vendor = u.vendor
             WHERE u.day >= DATE '2026-01-01'",
            [],
            |r| r.get(0),
        )
        .expect("spend");
    let budget: f64 = db
        .query_row(
            "SELECT budget FROM org_departments WHERE department = 'chip'",
            [],
            |r| r.get(0),
        )
        .expect("budget");
    let elapsed = 324.0; // 2026-01-01 to 2026-11-20, inclusive
    assert!(
        spend * 365.0 / elapsed >= budget,
        "the demo's cause is gone"
    );
    let fired = of(&alerts, "Budget overrun");
    let last = fired.first().expect("budget fires");
    assert_eq!(last["subject"], "department Chip Design");
    assert!(last["until"].is_null());
    let evidence = last["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.starts_with(&format!("spent {spend:.0} of its {budget:.0} budget")),
        "{evidence} vs {spend:.0}"
    );

    // Stale: the data ends on 2026-11-20, before today.
    let stale = of(&alerts, "Data stale");
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["since"], "2026-11-20T12:00:00");
}

#[test]
fn check_exit_codes_errors_and_notifications() {
    let tmp = StoreDir::new("alerts-cli");
    let site = site_with_demo(tmp.path());
    let data = site.join("data");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        tmp.command()
            .args(["check", "--data", &data.to_string_lossy()])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run lmscope")
    };
    // Something at warning or above fires at the end (the expiring license, the stale data).
    let out = run(&["--fail-on", "warning"], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FIRING warning  License expiring: Innovus_Impl_System"),
        "{text}"
    );
    // A rules file with one rule that cannot fire: success.
    let quiet = tmp.path().join("quiet.toml");
    std::fs::write(
        &quiet,
        "[[alert]]\nname = \"Never\"\nkind = \"utilization\"\nthreshold = 1000\nwindow = \"5m\"\n",
    )
    .expect("write");
    let out = run(
        &["--rules", &quiet.to_string_lossy(), "--fail-on", "info"],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Invalid rules: exit 2, naming the file and the rule.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[alert]]\nname = \"Slow\"\nkind = \"denials\"\nthreshold = 3\nwindow = \"soon\"\n",
    )
    .expect("write");
    let out = run(&["--rules", &bad.to_string_lossy()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml") && err.contains("`Slow`") && err.contains("`soon`"),
        "{err}"
    );
    let typo = tmp.path().join("typo.toml");
    std::fs::write(
        &typo,
        "[[alert]]\nname = \"x\"\nkind = \"stale\"\nwindo = \"1h\"\n",
    )
    .expect("write");
    let out = run(&["--rules", &typo.to_string_lossy()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("typo.toml") && err.contains("windo") && err.contains("line 4"),
        "{err}"
    );
    // No published data there: exit 2 with the path.
    let out = Command::new(lmscope_bin())
        .args([
            "check",
            "--data",
            &tmp.path().join("nowhere").to_string_lossy(),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));

    // Notifications: a Slack-compatible POST to a listener on loopback, once per firing.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/hooks/T000/B000/secret",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = mpsc::channel::<(String, Value)>();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().expect("length");
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .expect("answer");
            let json = serde_json::from_slice(&body).expect("JSON body");
            tx.send((request_line.trim().to_owned(), json))
                .expect("send");
        }
    });
    let env = [("LMSCOPE_WEBHOOK_URL", url.as_str())];
    let firing: Vec<Value> = {
        let out = run(&["--json"], &[]);
        serde_json::from_slice::<Vec<Value>>(&out.stdout)
            .expect("json")
            .into_iter()
            .filter(|a| a["until"].is_null())
            .collect()
    };
    assert!(!firing.is_empty());
    let out = run(&["--webhook"], &env);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (line, body) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a notification");
    assert_eq!(line, "POST /hooks/T000/B000/secret HTTP/1.1");
    assert_eq!(
        body["text"],
        format!("lmscope: {} alert(s) firing", firing.len())
    );
    let titles: Vec<&str> = body["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    for a in &firing {
        let title = format!(
            "[{}] {}: {}",
            a["severity"].as_str().unwrap_or_default(),
            a["rule"].as_str().unwrap_or_default(),
            a["subject"].as_str().unwrap_or_default()
        );
        assert!(
            titles.contains(&title.as_str()),
            "{title} not in {titles:?}"
        );
    }
    // The state is kept beside the store, without the secret URL.
    let state =
        std::fs::read_to_string(tmp.store().with_extension("alerts.json")).expect("state file");
    assert!(!state.contains("secret") && !state.contains("127.0.0.1"));
    // Still firing: not again; unless asked.
    run(&["--webhook"], &env);
    assert!(
        rx.recv_timeout(Duration::from_secs(2)).is_err(),
        "notified twice"
    );
    run(&["--webhook", "--renotify"], &env);
    let (_, again) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("renotified");
    assert_eq!(again["text"], body["text"]);
    // The variable unset: a clear error, exit 2.
    let out = run(&["--webhook", "LMSCOPE_NO_SUCH_VAR"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LMSCOPE_NO_SUCH_VAR"));
}

#[test]
fn alerts_page_lists_what_the_cli_lists_and_edits_rules() {
    let tmp = StoreDir::new("alerts-site");
    let site = site_with_demo(tmp.path());
    let server = StaticServer::start(&tmp.path().join("www"));
    let (from, to) = ("2026-11-01", "2026-11-20");
    let cli = check_json(&tmp, &site.join("data"), from, to);
    let url = server.url(&format!("{SUB_PATH}/?page=alerts&from={from}&to={to}"));
    let script = repo_root().join("tests/browser/alerts.mjs");
    let shots = lmscope_e2e::artifacts_dir();
    let out = Command::new("node")
        .arg(script)
        .arg(&url)
        .env("LMSCOPE_SHOTS", &shots)
        .current_dir(repo_root())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: Value = serde_json::from_str(stdout.trim()).expect("JSON from the browser");
    assert!(page["error"].is_null(), "{}", page["error"]);

    // The timeline lists exactly the CLI's firings: rule, subject, fired, cleared.
    let minute = |v: &Value| {
        v.as_str()
            .map_or("still firing".to_owned(), |t| t[..16].replace('T', " "))
    };
    let mut expected: Vec<Vec<String>> = cli
        .iter()
        .map(|a| {
            vec![
                a["rule"].as_str().unwrap_or_default().to_owned(),
                a["subject"].as_str().unwrap_or_default().to_owned(),
                a["severity"].as_str().unwrap_or_default().to_owned(),
                minute(&a["since"]),
                minute(&a["until"]),
            ]
        })
        .collect();
    let mut shown: Vec<Vec<String>> = page["timeline"]
        .as_array()
        .expect("timeline rows")
        .iter()
        .map(|r| {
            r.as_array().expect("cells")[..5]
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect();
    expected.sort();
    shown.sort();
    assert!(expected.len() > 10, "too little to compare: {expected:?}");
    assert_eq!(shown, expected);
    // Firing now: the CLI's firings without an end, each linking to its evidence.
    let firing: Vec<&Value> = cli.iter().filter(|a| a["until"].is_null()).collect();
    let links = page["firing"].as_array().expect("firing rows");
    assert_eq!(links.len(), firing.len());
    let expiry = links
        .iter()
        .find(|l| l["rule"] == "License expiring")
        .expect("the expiring license fires");
    let href = expiry["href"].as_str().unwrap_or_default();
    assert!(
        href.contains("page=features") && href.contains("feature=Innovus_Impl_System"),
        "{href}"
    );

    // The editor: an invalid rule is refused with a message; a valid one is added, kept
    // across a reload, exported as TOML, switched off, shared by link and reset.
    let rules = page["rules"].as_u64().expect("rule count");
    assert_eq!(rules, 11, "the demo publishes eleven rules");
    assert!(
        page["editorError"]
            .as_str()
            .is_some_and(|e| e.contains("needs `threshold`")),
        "{page}"
    );
    assert_eq!(page["afterAdd"]["rules"], rules + 1);
    assert_eq!(page["afterReload"]["rules"], rules + 1);
    assert!(page["afterReload"]["source"]
        .as_str()
        .is_some_and(|s| s.contains("kept in this browser")));
    let toml = page["toml"].as_str().unwrap_or_default();
    assert!(
        toml.contains("name = \"Any denial\"") && toml.contains("kind = \"denials\""),
        "{toml}"
    );
    // The new rule fires on every denial in the range; the count matches the published rows.
    let denials: i64 = published_db(&site)
        .query_row(
            "SELECT count(DISTINCT (server, feature)) FROM events
             WHERE kind = 'DENIED' AND ts BETWEEN DATE '2026-11-01' AND DATE '2026-11-21'",
            [],
            |r| r.get(0),
        )
        .expect("denials");
    let any = page["afterAdd"]["anyDenialSubjects"]
        .as_u64()
        .expect("subjects");
    assert_eq!(any as i64, denials);
    assert!(page["afterReload"]["shortageRows"].as_u64() > Some(0));
    assert_eq!(page["afterToggle"]["shortageRows"], 0);
    assert_eq!(page["afterToggle"]["rules"], rules + 1);
    assert_eq!(page["shared"]["rules"], rules + 1);
    assert!(page["shared"]["source"]
        .as_str()
        .is_some_and(|s| s.contains("shared in this link")));
    assert_eq!(page["afterReset"]["rules"], rules);
    assert!(
        page["badLink"]
            .as_str()
            .is_some_and(|e| e.contains("URL parameter `rules`")),
        "{page}"
    );
    assert!(
        page["editError"]
            .as_str()
            .is_some_and(|e| e.contains("`lots` is not a number")),
        "{page}"
    );
    assert_eq!(page["afterEdit"]["rules"], rules);
    assert_eq!(page["afterEdit"]["shortageRows"], 0);
    assert_eq!(page["afterDelete"]["rules"], rules - 1);
    // Each rule shows whom it notifies, as the org file says; an edit keeps it.
    let down = "license-admins, it-ops; after 1h: eng-leads, tickets";
    assert_eq!(page["delivery"]["License server down"], down);
    assert_eq!(page["delivery"]["Idle capacity"], "—");
    let shortage = "license-admins; after 2h: eng-leads; every 1d again";
    assert_eq!(page["delivery"]["Shortage"], shortage);
    assert_eq!(page["afterEditDelivery"]["Shortage"], shortage);
    // The subscription snippet for this view: the page, a rolling range, the schedule.
    let snippet = page["snippet"].as_str().unwrap_or_default();
    for line in [
        "[[subscription]]",
        "view = \"?page=alerts\"",
        "schedule = \"weekly on friday at 16:00\"",
        "to = [\"me@example.com\"]",
        "range = \"30d\"",
    ] {
        assert!(snippet.contains(line), "{line} not in {snippet}");
    }
    assert_eq!(page["pageErrors"], serde_json::json!([]));
}
