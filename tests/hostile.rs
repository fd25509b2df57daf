//! Hostile names from a license server (HTML, script, SQL, quotes, a spreadsheet formula,
//! very long unicode) go through import, publish and the site as plain text: shown exactly,
//! never run, never breaking a query; and the site's content security policy holds on
//! every page visited.

use lmscope_e2e::{cells, copy_dir, dist, fixture, StaticServer, StoreDir, Visit, SUB_PATH};
use serde_json::Value;

const SCRIPT_USER: &str = "<script>window.__pwned=2</script>";
const SQL_USER: &str = "x');DROP/**/TABLE/**/sessions;--";
const FORMULA_USER: &str = "=HYPERLINK(\"http://evil\")";
const IMG_FEATURE: &str = "<img/src=x/onerror=window.__pwned=1>";

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn column(page: &Value, table: &str, i: usize) -> Vec<String> {
    cells(&page["tables"][table]["rows"])
        .into_iter()
        .map(|r| r[i].clone())
        .collect()
}

/// Nothing from a name ran, nothing failed, and the content security policy (from
/// `scripts/vendor-duckdb.mjs`) let the site work while refusing an injected inline script.
fn assert_inert(page: &Value) {
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(page["pwned"], Value::Null, "markup from a name ran: {page}");
    assert_eq!(page["pageErrors"], Value::Array(vec![]), "{page}");
    let csp = &page["csp"];
    assert_eq!(
        csp["violations"],
        Value::Array(vec![]),
        "the site broke its own policy: {csp}"
    );
    assert_eq!(
        csp["inlineRan"],
        Value::Bool(false),
        "an injected inline script ran: {csp}"
    );
    assert!(
        csp["after"].as_u64() > Some(0),
        "the injected script was refused: {csp}"
    );
}

#[test]
fn hostile_names_are_shown_as_text_and_nothing_runs() {
    let tmp = StoreDir::new("hostile");
    let site = tmp.path().join("www").join(SUB_PATH);
    copy_dir(&dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    let input = fixture("hostile/lmstat_hostile_names.txt");
    let input = input.to_string_lossy();
    tmp.ok(&["import", "lmstat", &input]);
    tmp.ok(&["import", "lmstat", &input, "--at", "2026-11-20T11:30"]);
    tmp.ok(&["publish", "--out", &site.join("data").to_string_lossy()]);
    let long_user = std::fs::read_to_string(fixture("hostile/lmstat_hostile_names.txt"))
        .expect("fixture")
        .lines()
        .find_map(|l| {
            l.trim_start()
                .strip_prefix('u')
                .filter(|r| r.starts_with('é'))
                .map(|r| format!("u{}", r.split_whitespace().next().unwrap_or_default()))
        })
        .expect("the long name");
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = |query: &str| server.url(&format!("{SUB_PATH}/index.html?{query}"));

    let (mut visit, page) = Visit::open(
        &url("page=overview"),
        "hostile-overview.png",
        &["features", "feed"],
    );
    assert_inert(&page);
    let features = column(&page, "features", 0);
    assert!(features.contains(&IMG_FEATURE.to_owned()), "{features:?}");
    assert!(
        features.contains(&"feature\"quote'".to_owned()),
        "{features:?}"
    );
    let fed = column(&page, "feed", 4);
    for user in [SCRIPT_USER, SQL_USER, FORMULA_USER, long_user.as_str()] {
        assert!(fed.iter().any(|u| u == user), "{user} in the feed: {fed:?}");
    }

    let page = visit.follow(&url("page=users"), "hostile-users.png", &["users"]);
    assert_inert(&page);
    let users = column(&page, "users", 0);
    for user in [SCRIPT_USER, SQL_USER, FORMULA_USER, long_user.as_str()] {
        assert!(users.contains(&user.to_owned()), "{user} in {users:?}");
    }
    // The top users' chart labels its bars with the same names, as data, not markup.
    lmscope_e2e::assert_chart_of_table(&page, "users", 2);

    // Hostile values as URL filters: bound parameters, exact matches.
    let page = visit.follow(
        &url(&format!("page=features&feature={}", encode(IMG_FEATURE))),
        "hostile-feature.png",
        &["feature-stats", "feature-users"],
    );
    assert_inert(&page);
    assert_eq!(
        column(&page, "feature-stats", 0),
        vec![IMG_FEATURE.to_owned()]
    );
    let mut users = column(&page, "feature-users", 0);
    users.sort();
    let mut want = vec![
        SCRIPT_USER.to_owned(),
        SQL_USER.to_owned(),
        long_user.clone(),
    ];
    want.sort();
    assert_eq!(users, want);

    let page = visit.follow(
        &url(&format!("page=me&user={}", encode(SQL_USER))),
        "hostile-me.png",
        &["me-features"],
    );
    assert_inert(&page);
    assert_eq!(page["texts"]["me-name"], Value::String(SQL_USER.to_owned()));
    assert_eq!(
        column(&page, "me-features", 0),
        vec![IMG_FEATURE.to_owned()]
    );
}
