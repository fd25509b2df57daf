//! Chargeback end to end: `lmscope report chargeback` against figures recomputed here from the
//! published file's raw rows (no SQL aggregation), and the site's costs page against the CLI.

use std::collections::BTreeMap;

use lmscope_e2e::{
    cells, lmscope_ok, number as f, published_db, raw, site_with_demo, text as t, StaticServer,
    TempDir, Visit, SUB_PATH,
};
use serde_json::Value;

/// `lmscope report chargeback --data DATA ARGS…`'s output.
fn chargeback(data: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["report", "chargeback", "--data"];
    let data = data.to_string_lossy();
    all.push(&data);
    all.extend_from_slice(args);
    lmscope_ok(&all)
}

#[test]
fn chargeback_matches_raw_rows_and_the_site() {
    let tmp = TempDir::new("costs");
    let site = site_with_demo(tmp.path());
    let data = site.join("data");
    let november = |by: &str, format: &str| {
        chargeback(
            &data,
            &["--month", "2026-11", "--by", by, "--format", format],
        )
    };
    let json = november("cost-center", "json");
    let cli: Value = serde_json::from_str(&json).expect("JSON statement");

    // Independent figures from raw rows: prices, people, user-days, feature-days.
    let db = published_db(&site);
    let mut price: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in raw(
        &db,
        "SELECT feature, coalesce(vendor, ''), per_seat_year FROM org_prices",
        3,
    ) {
        price.insert((t(&r[0]), t(&r[1])), f(&r[2]));
    }
    let price_of = |feature: &str, vendor: &str| {
        price
            .get(&(feature.to_owned(), vendor.to_owned()))
            .or_else(|| price.get(&(feature.to_owned(), String::new())))
            .copied()
            .unwrap_or(0.0)
    };
    let cost_center: BTreeMap<String, String> =
        raw(&db, "SELECT user_name, cost_center FROM org_people", 2)
            .into_iter()
            .map(|r| (t(&r[0]), t(&r[1])))
            .collect();
    let mut hours: BTreeMap<String, f64> = BTreeMap::new();
    let mut use_cost: BTreeMap<String, f64> = BTreeMap::new();
    let mut feature_hours: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    for r in raw(
        &db,
        "SELECT user_name, server, feature, coalesce(vendor, ''), license_hours FROM user_daily
         WHERE day BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'",
        5,
    ) {
        let cc = cost_center
            .get(&t(&r[0]))
            .cloned()
            .unwrap_or_else(|| "unassigned".into());
        let lh = f(&r[4]);
        *hours.entry(cc.clone()).or_default() += lh;
        *use_cost.entry(cc.clone()).or_default() += lh * price_of(&t(&r[2]), &t(&r[3])) / 8760.0;
        *feature_hours
            .entry((t(&r[1]), t(&r[2])))
            .or_default()
            .entry(cc)
            .or_default() += lh;
    }
    let mut issued: BTreeMap<(String, String, String, String), f64> = BTreeMap::new();
    for r in raw(
        &db,
        "SELECT strftime(day, '%Y-%m-%d'), server, coalesce(vendor, ''), feature, issued FROM usage_daily
         WHERE day BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'",
        5,
    ) {
        let e = issued.entry((t(&r[0]), t(&r[1]), t(&r[2]), t(&r[3]))).or_default();
        *e = e.max(f(&r[4]));
    }
    let mut full: BTreeMap<String, f64> = BTreeMap::new();
    let mut bill = 0.0;
    for ((_, server, vendor, feature), seats) in &issued {
        let cost = seats * price_of(feature, vendor) / 365.0;
        bill += cost;
        match feature_hours.get(&(server.clone(), feature.clone())) {
            Some(groups) if groups.values().sum::<f64>() > 0.0 => {
                let all: f64 = groups.values().sum();
                for (g, h) in groups {
                    *full.entry(g.clone()).or_default() += cost * h / all;
                }
            }
            _ => {
                *full
                    .entry("unallocated (unused features)".into())
                    .or_default() += cost
            }
        }
    }
    let close = |a: f64, b: f64| (a - b).abs() < 0.005 * b.abs().max(1.0);
    let lines = cli["lines"].as_array().expect("lines");
    assert!(lines.len() >= 4, "{cli}");
    for l in lines {
        let g = l["group"].as_str().expect("group").to_owned();
        let num = |k: &str| l[k].as_f64().expect("number");
        assert!(
            close(num("use_cost"), use_cost.get(&g).copied().unwrap_or(0.0)),
            "{g} use"
        );
        assert!(
            close(num("full_cost"), full.get(&g).copied().unwrap_or(0.0)),
            "{g} full"
        );
        assert!(
            close(num("license_hours"), hours.get(&g).copied().unwrap_or(0.0)),
            "{g} hours"
        );
    }
    assert!(close(cli["bill"].as_f64().expect("bill"), bill));
    let full_sum: f64 = lines
        .iter()
        .map(|l| l["full_cost"].as_f64().unwrap_or(0.0))
        .sum();
    assert!(
        close(full_sum, bill),
        "full allocation covers the whole bill"
    );
    assert!(
        bill > cli["use_cost"].as_f64().expect("use"),
        "idle seats cost something"
    );

    // The CSV is the same statement.
    let csv = november("cost-center", "csv");
    for l in lines {
        let row = format!(
            "2026-11-01,2026-11-30,{},{:.2},",
            l["group"].as_str().unwrap_or_default(),
            l["license_hours"].as_f64().unwrap_or_default()
        );
        assert!(csv.contains(&row), "{row} not in\n{csv}");
    }

    // The site's costs page shows the CLI's numbers, for cost centers and for projects.
    let server = StaticServer::start(&tmp.path().join("www"));
    let mut visit = None;
    for (by, key) in [("cost-center", "cost-center"), ("project", "project")] {
        let cli: Value = serde_json::from_str(&november(by, "json")).expect("JSON");
        let url = server.url(&format!(
            "{SUB_PATH}/?page=costs&from=2026-11-01&to=2026-11-30&by={key}&policy=full-allocation"
        ));
        let page = Visit::open_or_follow(
            &mut visit,
            &url,
            &format!("costs-{by}.png"),
            &["chargeback", "budgets"],
        );
        assert!(page["error"].is_null(), "{}", page["error"]);
        let shown = cells(&page["tables"]["chargeback"]["rows"]);
        let expected: Vec<Vec<String>> = cli["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| {
                let n = |k: &str| l[k].as_f64().unwrap_or_default();
                vec![
                    l["group"].as_str().unwrap_or_default().to_owned(),
                    format!("{:.2}", n("license_hours")),
                    format!("{:.2}", n("use_cost")),
                    format!("{:.2}", n("full_cost")),
                ]
            })
            .collect();
        let pick = |r: &Vec<String>| {
            let two = |s: &str| s.parse::<f64>().map_or(s.to_owned(), |x| format!("{x:.2}"));
            vec![r[0].clone(), two(&r[1]), two(&r[3]), two(&r[4])]
        };
        let shown: Vec<Vec<String>> = shown.iter().map(pick).collect();
        assert_eq!(shown, expected, "{by}");
        lmscope_e2e::assert_chart_of_table(&page, "chargeback", 4);
        lmscope_e2e::assert_chart_of_table(&page, "budgets", 2);
        // Budgets: every department with a budget, spend under full allocation this year.
        let budgets = cells(&page["tables"]["budgets"]["rows"]);
        assert_eq!(budgets.len(), 5, "{budgets:?}");
        if by != "cost-center" {
            continue;
        }
        // This month to date ends with the data (2026-11-20): the CLI's November, and its
        // projection to 30 days.
        let text = |k: &str| page["texts"][k].as_str().unwrap_or_default().to_owned();
        let use_cost = cli["use_cost"].as_f64().expect("use");
        assert_eq!(text("mtd-use"), format!("{use_cost:.2}"));
        assert_eq!(text("eom-use"), format!("{:.2}", use_cost * 30.0 / 20.0));
        // Chip design this year (the data starts on 2026-10-30): the CLI's full allocation
        // for the year to the newest data, projected over the 41 days left at the rate of its 22.
        let year: Value = serde_json::from_str(&chargeback(
            &data,
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-11-20",
                "--by",
                "department",
                "--format",
                "json",
            ],
        ))
        .expect("JSON");
        let spent = year["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["group"] == "chip")
            .and_then(|l| l["full_cost"].as_f64())
            .expect("chip design is charged");
        let row = budgets
            .iter()
            .find(|r| r[0] == "Chip Design")
            .expect("chip row");
        let num = |s: &str| s.parse::<f64>().expect("number");
        assert!((num(&row[2]) - spent).abs() < 0.011, "{row:?} vs {spent}");
        assert!(
            (num(&row[4]) - (spent + spent / 22.0 * 41.0)).abs() < 0.011,
            "{row:?}"
        );
    }

    // Cost by department per month (pay for use), October and November: the chart and its
    // table against each month recomputed from raw rows.
    let department: BTreeMap<String, String> =
        raw(&db, "SELECT user_name, department FROM org_people", 2)
            .into_iter()
            .map(|r| (t(&r[0]), t(&r[1])))
            .collect();
    let mut monthly: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in raw(
        &db,
        "SELECT strftime(day, '%Y-%m'), user_name, feature, coalesce(vendor, ''), license_hours
         FROM user_daily WHERE day BETWEEN DATE '2026-10-01' AND DATE '2026-11-30'",
        5,
    ) {
        let d = department
            .get(&t(&r[1]))
            .cloned()
            .unwrap_or_else(|| "unassigned".into());
        *monthly.entry((t(&r[0]), d)).or_default() +=
            f(&r[4]) * price_of(&t(&r[2]), &t(&r[3])) / 8760.0;
    }
    let url = server.url(&format!(
        "{SUB_PATH}/?page=costs&from=2026-10-01&to=2026-11-30&by=department&policy=pay-for-use"
    ));
    let page = Visit::open_or_follow(
        &mut visit,
        &url,
        "costs-monthly.png",
        &["monthly-costs-table"],
    );
    assert!(page["error"].is_null(), "{}", page["error"]);
    let chart = &page["canvases"]["monthly-costs-chart"]["data"];
    let list = |k: &str| -> Value {
        serde_json::from_str(
            chart[k]
                .as_str()
                .unwrap_or_else(|| panic!("no data-{k}: {chart}")),
        )
        .expect("JSON")
    };
    let (months, series, values) = (list("labels"), list("series"), list("values"));
    assert_eq!(months, serde_json::json!(["2026-10", "2026-11"]));
    let series = series.as_array().expect("series");
    let departments: std::collections::BTreeSet<&String> = monthly.keys().map(|k| &k.1).collect();
    assert_eq!(series.len(), departments.len().min(7), "{series:?}");
    for (k, name) in series.iter().enumerate() {
        let name = name.as_str().expect("name");
        for (m, month) in ["2026-10", "2026-11"].iter().enumerate() {
            let plotted = values[k][m].as_f64().expect("value");
            let want = monthly
                .get(&((*month).to_owned(), name.to_owned()))
                .copied()
                .unwrap_or(0.0);
            assert!(
                (plotted - want).abs() < 0.011,
                "{name} {month}: plotted {plotted}, raw rows {want}"
            );
        }
    }
    // The table lists the same figures, a month per row, with its total.
    let rows = &page["tables"]["monthly-costs-table"]["rows"];
    for (m, month) in ["2026-10", "2026-11"].iter().enumerate() {
        assert_eq!(rows[m][0], *month);
        let total: f64 = monthly
            .iter()
            .filter(|(k, _)| k.0 == *month)
            .map(|(_, v)| v)
            .sum();
        let shown: f64 = rows[m][series.len() + 1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .expect("total");
        assert!(
            (shown - total).abs() < 0.05,
            "{month} total {shown} vs {total}"
        );
    }
}
