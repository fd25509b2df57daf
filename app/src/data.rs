//! What the site asks of the published data. Every figure shown comes from these queries.

use lmscope::manifest::Manifest;
use serde::Deserialize;
use serde_json::json;

use crate::bridge::{self, query};

/// The manifest plus the first view's data.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub manifest: Manifest,
    pub servers: Vec<ServerRow>,
    pub daemons: Vec<DaemonRow>,
    pub features: Vec<FeatureRow>,
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
    let files = serde_json::to_string(&manifest.files).map_err(|e| e.to_string())?;
    bridge::open(&files).await?;
    Ok(Loaded {
        servers: servers().await?,
        daemons: daemons().await?,
        features: features().await?,
        manifest,
    })
}

const LAST_POLL: &str =
    "last AS (SELECT server, max(poll_id) AS poll_id FROM polls GROUP BY server)";
const LAST_OK_POLL: &str =
    "last AS (SELECT server, max(poll_id) AS poll_id FROM polls WHERE ok GROUP BY server)";

async fn servers() -> Result<Vec<ServerRow>, String> {
    query(
        &format!(
            "WITH {LAST_POLL}
             SELECT p.server, epoch_ms(p.ts)::DOUBLE, p.ok, p.error,
                    (SELECT string_agg(s.host || CASE WHEN NOT s.up THEN ' (down)'
                                                      WHEN s.master THEN ' (master)' ELSE '' END,
                                       ', ' ORDER BY s.host)
                     FROM server_status s WHERE s.poll_id = p.poll_id)
             FROM polls p JOIN last USING (server, poll_id)
             ORDER BY p.server"
        ),
        &[],
    )
    .await
}

async fn daemons() -> Result<Vec<DaemonRow>, String> {
    query(
        &format!(
            "WITH {LAST_POLL}
             SELECT v.server, v.vendor, v.up, v.version, v.error
             FROM vendor_status v JOIN last USING (server, poll_id)
             ORDER BY v.server, v.vendor"
        ),
        &[],
    )
    .await
}

async fn features() -> Result<Vec<FeatureRow>, String> {
    query(
        &format!(
            "WITH {LAST_OK_POLL}
             SELECT f.feature, f.server, f.vendor, f.counting,
                    f.in_use::DOUBLE, f.issued::DOUBLE, (f.issued - f.in_use)::DOUBLE,
                    round(100.0 * f.in_use / NULLIF(f.issued, 0), 1)::DOUBLE
             FROM feature_usage f JOIN last USING (server, poll_id)
             ORDER BY 8 DESC NULLS LAST, f.feature, f.server"
        ),
        &[],
    )
    .await
}

/// Hourly peak in use and issued for one feature (summed over the servers that serve it).
pub async fn series(feature: &str) -> Result<Vec<SeriesPoint>, String> {
    query(
        "WITH per AS (
             SELECT server, time_bucket(INTERVAL 1 HOUR, ts) AS bucket,
                    max(in_use) AS peak, max(issued) AS issued
             FROM feature_usage WHERE feature = ? AND counting = 'counted'
             GROUP BY ALL)
         SELECT epoch_ms(bucket)::DOUBLE, sum(peak)::DOUBLE, sum(issued)::DOUBLE
         FROM per GROUP BY bucket ORDER BY bucket",
        &[json!(feature)],
    )
    .await
}

/// Daily peak and average in use and issued for one feature: the chart's text equivalent.
pub async fn daily(feature: &str) -> Result<Vec<DayRow>, String> {
    query(
        "WITH per AS (
             SELECT server, strftime(ts, '%Y-%m-%d') AS day,
                    max(in_use) AS peak, avg(in_use) AS mean, max(issued) AS issued
             FROM feature_usage WHERE feature = ? AND counting = 'counted'
             GROUP BY ALL)
         SELECT day, sum(peak)::DOUBLE, round(sum(mean), 1)::DOUBLE, sum(issued)::DOUBLE
         FROM per GROUP BY day ORDER BY day",
        &[json!(feature)],
    )
    .await
}
