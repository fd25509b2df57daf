//! Every control changes the view it names, and the URL it leaves is the whole state: a
//! fresh load of that URL shows the same view, and back restores the view before
//! (tests/browser/controls.mjs clicks them in Chromium on the shared demo).

use std::process::Command;

use lmscope_e2e::{artifacts_dir, repo_root, site_with_demo, StaticServer, TempDir, SUB_PATH};
use serde_json::{json, Value};

/// One control: the page it is on (a query), how to find it, and the text to type into
/// it (inputs) or `None` (links and toggles).
fn step(query: &str, css: &str, text: Option<&str>, fill: Option<&str>) -> Value {
    let mut s = json!({ "query": query, "css": css });
    if let Some(t) = text {
        s["text"] = json!(t);
    }
    if let Some(f) = fill {
        s["fill"] = json!(f);
    }
    s
}

/// The controls of the costs and projects pages.
fn cost_steps() -> Vec<Value> {
    let toggle = |query: &str, group: &str, label: &str| {
        step(
            query,
            &format!("[data-testid={group}] a"),
            Some(label),
            None,
        )
    };
    vec![
        // Costs: who is charged and under which policy.
        toggle("page=costs", "charge-by", "Department"),
        toggle("page=costs", "charge-by", "Project"),
        toggle("page=costs&by=team", "charge-by", "Cost center"),
        toggle("page=costs", "policy", "Full allocation"),
        // Projects: the policy and one project's contributors.
        toggle("page=projects", "policy", "Full allocation"),
        step(
            "page=projects",
            "[data-testid=projects] tbody th a",
            None,
            None,
        ),
    ]
}

/// The idle threshold and the compute tables' drill-downs (licenses against compute).
fn compute_steps() -> Vec<Value> {
    let toggle =
        |query: &str, label: &str| step(query, "[data-testid=idle-choice] a", Some(label), None);
    vec![
        toggle("page=clusters", "8 h"),
        toggle("page=clusters&idle=8", "1 h"),
        toggle("page=users", "4 h"),
        toggle("page=departments", "24 h"),
        step(
            "page=clusters",
            "[data-testid=cluster-compute] tbody th a",
            Some("hpc-b"),
            None,
        ),
        step(
            "page=users",
            "[data-testid=user-efficiency] tbody th a",
            None,
            None,
        ),
    ]
}

/// The report builder's controls.
fn report_steps() -> Vec<Value> {
    let toggle = |query: &str, group: &str, label: &str| {
        step(
            query,
            &format!("[data-testid={group}] a"),
            Some(label),
            None,
        )
    };
    vec![
        // The report builder: a dimension on and off, a measure, the calculated column.
        toggle("page=report", "report-dims", "Team"),
        toggle(
            "page=report&dims=department,team",
            "report-dims",
            "Department",
        ),
        toggle("page=report", "report-measures", "Users"),
        step(
            "page=report&measures=license_hours,users",
            "input[name=calc]",
            None,
            Some("license_hours / users"),
        ),
        step(
            "page=report&measures=license_hours,users&calc=license_hours%2Fusers",
            "input[name=calc_name]",
            None,
            Some("Per user"),
        ),
    ]
}

/// The filter bar, drill-down links, the navigation and a role link.
fn navigation_steps() -> Vec<Value> {
    vec![
        // The filter bar: presets, a text filter, clearing.
        step("page=departments", "a.preset", Some("7 d"), None),
        step("page=trends", "a.preset", Some("Quarter"), None),
        step("page=users", "input[name=department]", None, Some("chip")),
        step(
            "page=clusters&department=chip",
            "a.preset",
            Some("Clear filters"),
            None,
        ),
        // Drill-down links from tables.
        step(
            "page=departments",
            "[data-testid=departments] tbody th a",
            None,
            None,
        ),
        step("page=users", "[data-testid=users] tbody th a", None, None),
        step(
            "page=forecast",
            "[data-testid=forecasts] tbody th a",
            None,
            None,
        ),
        // The navigation and a role link.
        step("page=overview", "nav.pages a", Some("Trends"), None),
        step("page=costs", "[data-testid=roles] a", Some("Manager"), None),
    ]
}

/// The view without what ticks with the wall clock (the stale-data warning's age).
fn steady(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(errors) = v.get_mut("errors").and_then(Value::as_array_mut) {
        errors.retain(|e| !e.as_str().unwrap_or("").starts_with("Stale data"));
    }
    v
}

/// Where two views differ, as `path: before ≠ after` lines (short), so a failure says what.
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences(va, vb, &format!("{path}.{k}"), out);
            }
        }
        _ if a != b => {
            let short = |v: &Value| v.to_string().chars().take(300).collect::<String>();
            out.push(format!("  {path}: {} ≠ {}", short(a), short(b)));
        }
        _ => {}
    }
}

fn diff(a: &Value, b: &Value) -> String {
    let mut out = Vec::new();
    differences(a, b, "", &mut out);
    out.join("\n")
}

/// Click every control of `steps` on the shared demo: each changes the view, the URL it
/// leaves reproduces that view, and back restores the view before. `name` names the temporary
/// site and the JSON kept in tests/artifacts.
fn check_controls(name: &str, steps: Vec<Value>) {
    let tmp = TempDir::new(name);
    site_with_demo(tmp.path());
    let server = StaticServer::start(&tmp.path().join("www"));
    let file = tmp.path().join("steps.json");
    std::fs::write(&file, serde_json::to_vec(&steps).expect("steps JSON")).expect("write steps");
    let out = Command::new("node")
        .arg(repo_root().join("tests/browser/controls.mjs"))
        .arg(server.url(&format!("{SUB_PATH}/")))
        .arg(&file)
        .current_dir(repo_root())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    std::fs::write(
        artifacts_dir().join(format!("{name}.json")),
        stdout.as_bytes(),
    )
    .expect("artifact");
    assert!(
        out.status.success(),
        "controls.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).expect("JSON from controls.mjs");
    assert_eq!(result["pageErrors"], json!([]), "page errors");
    let done = result["steps"].as_array().expect("steps");
    assert_eq!(done.len(), steps.len());
    let mut failures = Vec::new();
    for s in done {
        let what = format!("{} → {}", s["step"]["query"], s["step"]);
        if let Some(e) = s.get("error") {
            failures.push(format!("{what}: {e}"));
            continue;
        }
        let (before, after) = (steady(&s["before"]), steady(&s["after"]));
        let (fresh, back) = (steady(&s["fresh"]), steady(&s["back"]));
        if before == after {
            failures.push(format!("{what}: the view did not change"));
        }
        if after != fresh {
            failures.push(format!(
                "{what}: the view differs from a fresh load of {}:\n{}",
                s["url"],
                diff(&after, &fresh)
            ));
        }
        if back != before {
            failures.push(format!(
                "{what}: back did not restore the view:\n{}",
                diff(&before, &back)
            ));
        }
        if !after["errors"].as_array().is_some_and(|e| {
            e.iter()
                .all(|e| e.as_str().unwrap_or("").starts_with("Stale"))
        }) {
            failures.push(format!(
                "{what}: errors after the click: {}",
                after["errors"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cost_and_project_controls_change_the_view_the_url_reproduces_and_back_restores() {
    check_controls("controls-costs", cost_steps());
}

#[test]
fn report_builder_controls_change_the_view_the_url_reproduces_and_back_restores() {
    check_controls("controls-report", report_steps());
}

#[test]
fn filter_bar_drill_down_and_navigation_change_the_view_the_url_reproduces_and_back_restores() {
    check_controls("controls-navigation", navigation_steps());
}

#[test]
fn idle_threshold_and_compute_drill_downs_change_the_view_the_url_reproduces_and_back_restores() {
    check_controls("controls-compute", compute_steps());
}
