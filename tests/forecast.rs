//! Forecasts end to end: `lmscope report forecast` against the model run here on daily peaks
//! rebuilt from the published file's raw rows, and the site's forecast page against the CLI,
//! with its chart; a history too short is said to be too short.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lmscope::analytics::forecast::{daily, outlook, risk, Outlook};
use lmscope_e2e::{
    cells, copy_dir, demo_in, dist, lmscope_ok, published_db, scrape_tables, StaticServer, TempDir,
    Visit, SUB_PATH,
};

/// The site with a demo of `weeks` weeks ending 2026-11-20 12:00.
fn site(tmp: &std::path::Path, weeks: &str) -> std::path::PathBuf {
    let site = tmp.join("www").join(SUB_PATH);
    copy_dir(&dist(), &site);
    let _ = std::fs::remove_dir_all(site.join("data"));
    demo_in(
        tmp,
        &site.join("data"),
        &["--weeks", weeks, "--end", "2026-11-20T12:00"],
    );
    site
}

/// One CSV line's fields (RFC 4180 quoting: server names of triads hold commas).
fn csv_row(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn forecasts_match_raw_rows_and_the_site() {
    let tmp = TempDir::new("forecast");
    let site = site(tmp.path(), "12");
    let data = site.join("data");
    let csv = lmscope_ok(&["report", "forecast", "--data", &data.to_string_lossy()]);
    let cli: Vec<Vec<String>> = csv.lines().skip(1).map(csv_row).collect();
    assert!(cli.iter().all(|r| r.len() == 18), "{cli:?}");
    assert!(cli.len() >= 20, "{csv}");

    // MATLAB's daily peaks from raw usage_daily rows (max over the day's rows) of the complete
    // days (before the day of the newest poll, 2026-11-20), modelled here.
    let db = published_db(&site);
    let mut stmt = db
        .prepare(
            "SELECT strftime(day, '%Y-%m-%d'), peak_in_use, issued FROM usage_daily
             WHERE feature = 'MATLAB' AND day < DATE '2026-11-20' ORDER BY day",
        )
        .expect("query");
    let mut days: BTreeMap<NaiveDate, (f64, f64)> = BTreeMap::new();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .expect("rows")
    {
        let (day, peak, issued) = row.expect("row");
        let e = days.entry(day.parse().expect("day")).or_default();
        e.0 = e.0.max(peak as f64);
        e.1 = e.1.max(issued as f64);
    }
    let points: Vec<(NaiveDate, f64)> = days.iter().map(|(d, v)| (*d, v.0)).collect();
    let issued = days.values().last().map_or(0.0, |v| v.1);
    let (first, peaks) = daily(&points);
    let matlab = cli
        .iter()
        .find(|r| r[1] == "MATLAB")
        .expect("MATLAB in the CLI report");
    let Outlook::Ready {
        points: forecast,
        backtest,
        model,
        risk,
        ..
    } = outlook(
        first.expect("history"),
        &peaks,
        issued,
        risk::seed(&matlab[0], "MATLAB"),
    )
    else {
        panic!("84 days are enough");
    };
    let peak = forecast.iter().map(|p| p.mean).fold(0.0, f64::max);
    assert_eq!(matlab[2], peaks.len().to_string());
    assert_eq!(matlab[4], model.label());
    assert_eq!(
        matlab[5],
        backtest.mase.map(|m| format!("{m:.2}")).unwrap_or_default()
    );
    assert_eq!(matlab[6], backtest.origins.to_string());
    assert_eq!(matlab[7], format!("{peak:.1}"));
    assert_eq!(matlab[9], format!("{:.3}", risk.p30));
    assert_eq!(matlab[10], format!("{:.3}", risk.p90));
    assert_eq!(matlab[12], format!("{:.2}", backtest.mae));
    assert_eq!(matlab[16], format!("{:.2}", backtest.naive_mae));
    assert!(
        matlab[17].contains(model.label()) && matlab[17].contains("of running out by"),
        "{matlab:?}"
    );

    // The site: the same outlook for every series, and MATLAB's chart and daily forecast.
    let server = StaticServer::start(&tmp.path().join("www"));
    let (mut visit, page) = Visit::open(
        &server.url(&format!("{SUB_PATH}/?page=forecast")),
        "forecast.png",
        &["forecasts"],
    );
    assert!(page["error"].is_null(), "{}", page["error"]);
    let rows = cells(&page["tables"]["forecasts"]["rows"]);
    assert_eq!(rows.len(), cli.len());
    // The scorecard counts the CLI's series whose chosen model beat seasonal naive.
    let ready: Vec<&Vec<String>> = cli.iter().filter(|c| c[4] != "too short").collect();
    let beat = ready
        .iter()
        .filter(|c| c[5].parse::<f64>().is_ok_and(|m| m < 1.0))
        .count();
    let card = page["texts"]["forecast-scorecard"]
        .as_str()
        .unwrap_or_default();
    assert!(
        card.contains(&format!("(MASE < 1) on {beat} of {} series", ready.len())),
        "{card}"
    );
    let meanings = page["texts"]["forecast-meanings"]
        .as_str()
        .unwrap_or_default();
    let num = |s: &str| s.parse::<f64>().ok();
    for r in &rows {
        let c = cli
            .iter()
            .find(|c| c[0] == r[1] && c[1] == r[0])
            .unwrap_or_else(|| panic!("{r:?} not in the CLI report"));
        assert_eq!(num(&r[4]), num(&c[7]), "forecast peak {r:?} vs {c:?}");
        assert_eq!(num(&r[5]), num(&c[8]), "upper bound {r:?} vs {c:?}");
        // The chances in whole percent: the site draws the CLI's simulations (same seed,
        // same arithmetic in wasm).
        for (shown, cli_p) in [(&r[6], &c[9]), (&r[7], &c[10])] {
            let cli_percent = (100.0 * num(cli_p).unwrap_or(-1.0)).round();
            assert_eq!(num(shown), Some(cli_percent), "chance {r:?} vs {c:?}");
        }
        // The shortage day as the CLI dates it, or none when the CLI reports none.
        if c[11].is_empty() {
            assert_eq!(r[8], "not likely", "{r:?} vs {c:?}");
        } else {
            assert_eq!(r[8], c[11], "shortage {r:?} vs {c:?}");
        }
        assert_eq!(r[9], c[4], "model {r:?} vs {c:?}");
        assert_eq!(num(&r[10]), num(&c[5]), "MASE {r:?} vs {c:?}");
        let meaning = format!("{} on {}: {}", c[1], c[0], c[17]);
        assert!(meanings.contains(&meaning), "{meaning} not in {meanings}");
    }
    let url = server.url(&format!(
        "{SUB_PATH}/?page=forecast&feature=MATLAB&server={}",
        matlab[0]
    ));
    let page = visit.follow(
        &url,
        "forecast-matlab.png",
        &["forecast-points", "forecast-candidates"],
    );
    let shown = cells(&page["tables"]["forecast-points"]["rows"]);
    assert_eq!(shown.len(), forecast.len());
    assert_eq!(
        page["texts"]["forecast-meaning"], matlab[17],
        "{}",
        page["texts"]
    );
    let candidates = cells(&page["tables"]["forecast-candidates"]["rows"]);
    assert_eq!(
        candidates.len(),
        backtest.candidates.len(),
        "{candidates:?}"
    );
    for (shown, c) in candidates.iter().zip(&backtest.candidates) {
        assert_eq!(shown[0], c.kind.label());
        assert_eq!(
            num(&shown[1]),
            Some((c.mae * 100.0).round() / 100.0),
            "{shown:?}"
        );
        assert_eq!(shown[3] == "chosen", c.kind == model, "{shown:?}");
    }
    for (s, p) in shown.iter().zip(&forecast) {
        assert_eq!(s[0], p.day.to_string());
        assert_eq!(num(&s[1]), Some((p.mean * 10.0).round() / 10.0), "{s:?}");
        assert_eq!(num(&s[3]), Some((p.high * 10.0).round() / 10.0), "{s:?}");
    }
    let chart = &page["canvases"]["forecast-chart"];
    assert_eq!(chart["data"]["forecastDays"], "90");
    assert!(chart["ink"].as_f64().is_some_and(|i| i > 0.02), "{chart}");
    let light = channels(&chart["corner"]);
    assert!(light.iter().all(|c| *c > 240), "a light chart: {chart}");
    // In dark mode the chart follows the page: a dark background, and still drawn.
    let page = lmscope_e2e::scrape_tables_with(
        &url,
        "forecast-matlab-dark.png",
        &["forecast-points"],
        &[("COLOR_SCHEME", "dark")],
    );
    let chart = &page["canvases"]["forecast-chart"];
    assert!(
        channels(&chart["corner"]).iter().all(|c| *c < 64),
        "a dark chart in dark mode: {chart}"
    );
    assert_eq!(chart["data"]["forecastDays"], "90");
}

/// A pixel's red, green and blue.
fn channels(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .filter(|c: &Vec<u64>| c.len() == 3)
        .unwrap_or_else(|| panic!("not a pixel: {v}"))
}

#[test]
fn a_short_history_is_not_forecast() {
    let tmp = TempDir::new("forecast-short");
    let site = site(tmp.path(), "3");
    let server = StaticServer::start(&tmp.path().join("www"));
    let page = scrape_tables(
        &server.url(&format!("{SUB_PATH}/?page=forecast")),
        "forecast-short.png",
        &["forecasts"],
    );
    let rows = cells(&page["tables"]["forecasts"]["rows"]);
    assert!(!rows.is_empty());
    let days = published_db(&site)
        .query_row(
            "SELECT count(DISTINCT day) FROM usage_daily
             WHERE feature = 'MATLAB' AND day < DATE '2026-11-20'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .expect("days");
    let matlab = rows.iter().find(|r| r[0] == "MATLAB").expect("MATLAB row");
    let meanings = page["texts"]["forecast-meanings"]
        .as_str()
        .unwrap_or_default();
    let expected = format!(
        "MATLAB on {}: No forecast: {days} days of history, {} needed.",
        matlab[1],
        lmscope::analytics::forecast::MIN_DAYS
    );
    assert!(meanings.contains(&expected), "{expected} not in {meanings}");
    assert!(matlab[4..].iter().all(|c| c == "—"), "{matlab:?}");
}
