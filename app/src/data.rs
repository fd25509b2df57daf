//! What the site asks of the published data. Every figure shown comes from these queries.

use chrono::NaiveDate;
use lmscope::manifest::Manifest;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::bridge::{self, query, query_early};

/// The manifest plus the first view's data.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub manifest: Manifest,
    pub servers: Vec<ServerRow>,
    pub daemons: Vec<DaemonRow>,
    pub features: Vec<FeatureRow>,
    /// The org's currency (ISO code; empty when no price names one).
    pub currency: String,
    /// Department and team names by id, from the org file.
    pub names: Names,
}

/// What people call the org's departments and teams (tables hold their ids).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    pub departments: std::collections::HashMap<String, String>,
    pub teams: std::collections::HashMap<String, String>,
}

/// A license server at its latest poll.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ServerRow {
    pub server: String,
    pub polled_ms: f64,
    pub ok: bool,
    pub error: Option<String>,
    pub hosts: Option<String>,
}

/// A vendor daemon at its server's latest poll.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DaemonRow {
    pub server: String,
    pub vendor: String,
    pub up: bool,
    pub version: Option<String>,
    pub error: Option<String>,
}

/// A feature at its server's latest successful poll.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct FeatureRow {
    pub feature: String,
    pub server: String,
    pub vendor: Option<String>,
    pub counting: String,
    pub in_use: Option<f64>,
    pub issued: Option<f64>,
    pub available: Option<f64>,
    pub pct: Option<f64>,
}

/// One point of the in-use vs issued chart (hourly).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct SeriesPoint {
    pub t_ms: f64,
    pub peak_in_use: f64,
    pub issued: f64,
}

/// One day of the chart's text equivalent.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DayRow {
    pub day: String,
    pub peak_in_use: f64,
    pub avg_in_use: f64,
    pub issued: f64,
}

/// Load the manifest (checking its schema version), open the data and read the first view.
pub async fn load() -> Result<Loaded, String> {
    let response = gloo_net::http::Request::get("data/manifest.json")
        .send()
        .await
        .map_err(|e| format!("Cannot fetch data/manifest.json: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "Cannot fetch data/manifest.json: HTTP {} — has `lmscope publish` written to this site's data/ folder?",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("Cannot read data/manifest.json: {e}"))?;
    let manifest = Manifest::from_json(&text).map_err(|e| e.to_string())?;
    let files = serde_json::to_string(&serde_json::json!({
        "files": manifest.files,
        "snapshot": manifest.snapshot,
    }))
    .map_err(|e| e.to_string())?;
    bridge::open(&files).await?;
    Ok(Loaded {
        servers: servers().await?,
        daemons: daemons().await?,
        features: features().await?,
        currency: currency().await?,
        names: names().await?,
        manifest,
    })
}

/// The latest poll run of each server (`polls` holds runs of polls with one outcome).
const LAST_RUN: &str = "last AS (SELECT server, arg_max(ok, until) AS ok, max(until) AS until,
                                arg_max(error, until) AS error
                         FROM polls GROUP BY server)";

async fn servers() -> Result<Vec<ServerRow>, String> {
    query_early(
        &format!(
            "WITH {LAST_RUN},
             hosts AS (SELECT server, host, up, master FROM host_now)
             SELECT l.server, epoch_ms(l.until)::DOUBLE, l.ok, l.error,
                    (SELECT string_agg(h.host || CASE WHEN NOT h.up THEN ' (down)'
                                                      WHEN h.master THEN ' (master)' ELSE '' END,
                                       ', ' ORDER BY h.host)
                     FROM hosts h WHERE h.server = l.server)
             FROM last l
             ORDER BY l.server"
        ),
        &[],
    )
    .await
}

async fn daemons() -> Result<Vec<DaemonRow>, String> {
    query_early(
        &format!(
            "WITH {LAST_RUN}
             SELECT v.server, v.vendor, v.up, v.version, v.error
             FROM vendor_now v JOIN last l ON l.server = v.server AND l.ok
             ORDER BY v.server, v.vendor"
        ),
        &[],
    )
    .await
}

/// Each feature's latest recorded state (published in `feature_now`).
async fn features() -> Result<Vec<FeatureRow>, String> {
    query_early(
        "SELECT feature, server, vendor, counting,
                in_use::DOUBLE, issued::DOUBLE, (issued - in_use)::DOUBLE,
                round(100.0 * in_use / NULLIF(issued, 0), 1)::DOUBLE
         FROM feature_now
         ORDER BY 8 DESC NULLS LAST, feature, server",
        &[],
    )
    .await
}

/// The org's currency, as its prices give it.
async fn currency() -> Result<String, String> {
    let rows: Vec<(Option<String>,)> =
        query_early("SELECT max(currency) FROM org_prices", &[]).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.0)
        .unwrap_or_default())
}

/// Department and team names by id.
async fn names() -> Result<Names, String> {
    let rows: Vec<(String, String, String)> = query_early(
        "SELECT 'department', department, name FROM org_departments
         UNION ALL SELECT 'team', team, name FROM org_teams",
        &[],
    )
    .await?;
    let mut names = Names::default();
    for (kind, id, name) in rows {
        let map = if kind == "team" {
            &mut names.teams
        } else {
            &mut names.departments
        };
        map.insert(id, name);
    }
    Ok(names)
}

/// `AND <column> in [from, to]` for a day range, and its parameters (nothing for `None`).
fn range_clause(column: &str, range: Option<(NaiveDate, NaiveDate)>) -> (String, Vec<Value>) {
    match range {
        Some((from, to)) => (
            format!(" AND {column} >= ?::DATE AND {column} < ?::DATE + INTERVAL 1 DAY"),
            vec![json!(from.to_string()), json!(to.to_string())],
        ),
        None => (String::new(), Vec::new()),
    }
}

/// Hourly peak in use and issued for one feature (summed over the servers that serve it),
/// over `range` or all data.
pub async fn series(
    feature: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<SeriesPoint>, String> {
    let (clause, mut params) = range_clause("hour", range);
    params.insert(0, json!(feature));
    query(
        &format!(
            "SELECT epoch_ms(hour)::DOUBLE, sum(peak_in_use)::DOUBLE, sum(issued)::DOUBLE
             FROM usage_hourly WHERE feature = ?{clause}
             GROUP BY hour ORDER BY hour"
        ),
        &params,
    )
    .await
}

/// Daily peak and average in use and issued for one feature: the chart's text equivalent.
pub async fn daily(
    feature: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<DayRow>, String> {
    let (clause, mut params) = range_clause("day", range);
    params.insert(0, json!(feature));
    query(
        &format!(
            "SELECT strftime(day, '%Y-%m-%d') AS d, sum(peak_in_use)::DOUBLE,
                    round(sum(sum_in_use / polls), 1)::DOUBLE, sum(issued)::DOUBLE
             FROM usage_daily WHERE feature = ?{clause}
             GROUP BY day ORDER BY day"
        ),
        &params,
    )
    .await
}
