//! What the site asks of the published data. Every figure shown comes from these queries.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::publish::first_view::{self, FirstView};
use lmscope::publish::manifest::Manifest;
use serde::Deserialize;

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
    /// Each (feature, server)'s hourly peaks over the last 24 hours of data.
    pub spark: std::collections::HashMap<(String, String), Vec<f64>>,
    /// Whether the data is open in DuckDB-Wasm yet (the first view may be drawn before).
    pub engine: RwSignal<EngineState>,
}

/// DuckDB-Wasm and the published data, as the first view is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineState {
    /// Starting the engine and attaching the data.
    Opening,
    Open,
    /// Why the data could not be opened.
    Failed(String),
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
    /// Licenses checked out: lmstat's "in use" less the reservations nobody uses.
    pub checked_out: Option<f64>,
    /// Reserved and not checked out (lmstat counts them as in use).
    pub reserved: f64,
    pub issued: Option<f64>,
    /// Issued less lmstat's "in use": neither checked out nor reserved.
    pub available: Option<f64>,
    /// Checked out, as a share of issued.
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

/// Fetch `data/manifest.json` and check its schema version. The browser revalidates it with
/// the server every time (a conditional request: a 304 until the next publish).
async fn fetch_manifest() -> Result<Manifest, String> {
    let response = gloo_net::http::Request::get("data/manifest.json")
        .cache(web_sys::RequestCache::NoCache)
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
    Manifest::from_json(&text).map_err(|e| e.to_string())
}

/// The manifest's files as the bridge opens them. The snapshot only for a publish without
/// a first-view file: with one, the first view is drawn from it, and the snapshot would be
/// fetched beside the current file that holds the same tables (on every new publish, too).
fn files_json(manifest: &Manifest) -> Result<String, String> {
    let snapshot = manifest
        .snapshot
        .as_ref()
        .filter(|_| manifest.first_view.is_none());
    serde_json::to_string(&serde_json::json!({
        "files": manifest.files,
        "snapshot": snapshot,
    }))
    .map_err(|e| e.to_string())
}

/// The first view read with queries, for a publish without a first-view file.
async fn first_view_by_query() -> Result<FirstView, String> {
    Ok(FirstView {
        servers: query_early(&first_view::servers_sql(), &[]).await?,
        daemons: query_early(&first_view::daemons_sql(), &[]).await?,
        features: query_early(first_view::FEATURES_SQL, &[]).await?,
        currency: query_early(first_view::CURRENCY_SQL, &[]).await?,
        names: query_early(first_view::NAMES_SQL, &[]).await?,
        spark: query(first_view::SPARK_SQL, &[]).await?,
    })
}

/// Load the manifest (checking its schema version), open the data and read the first view.
pub async fn load() -> Result<Loaded, String> {
    let manifest = fetch_manifest().await?;
    let files = files_json(&manifest)?;
    // The first view from its JSON file when the publish wrote one: drawn at once, while
    // DuckDB-Wasm starts and opens the data in the background.
    if let Some(first) = manifest.first_view.clone() {
        if let Ok(view) = first_view(&first).await {
            let engine = RwSignal::new(EngineState::Opening);
            leptos::task::spawn_local(async move {
                engine.set(match bridge::open(&files).await {
                    Ok(()) => EngineState::Open,
                    Err(e) => EngineState::Failed(e),
                });
            });
            let mut loaded = from_first_view(view, manifest)?;
            loaded.engine = engine;
            return Ok(loaded);
        }
    }
    bridge::open(&files).await?;
    from_first_view(first_view_by_query().await?, manifest)
}

/// A newer publish than `current`, if the manifest names one: its files open in the engine
/// (replacing the old ones) and its first view read. `None` while nothing changed. A
/// manifest whose files vanished mid-read is an error here, retried at the next check.
async fn newer(
    current: &Manifest,
    engine: RwSignal<EngineState>,
) -> Result<Option<Loaded>, String> {
    let manifest = fetch_manifest().await?;
    let paths = |m: &Manifest| m.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
    if manifest.generated_at == current.generated_at && paths(&manifest) == paths(current) {
        return Ok(None);
    }
    let view = match manifest.first_view.clone() {
        Some(file) => Some(first_view(&file).await?),
        None => None,
    };
    bridge::reopen(&files_json(&manifest)?).await?;
    let view = match view {
        Some(v) => v,
        None => first_view_by_query().await?,
    };
    let mut loaded = from_first_view(view, manifest)?;
    loaded.engine = engine;
    Ok(Some(loaded))
}

/// The publish the site shows, replaced in place when a newer one appears: the overview
/// and the freshness line follow [`Live::current`]; views that query the data follow
/// [`Live::generation`].
#[derive(Clone, Copy)]
pub struct Live {
    pub current: RwSignal<Loaded>,
    /// How many newer publishes have replaced the first one.
    pub generation: RwSignal<u32>,
}

/// The manifest is read again at most this often, whatever the poll interval.
const MIN_CHECK_SECONDS: u64 = 30;

impl Live {
    pub fn new(data: Loaded) -> Self {
        Self {
            current: RwSignal::new(data),
            generation: RwSignal::new(0),
        }
    }

    /// While the page is visible, read the manifest again every poll interval (at least
    /// [`MIN_CHECK_SECONDS`] apart) and switch to a newer publish when one appears.
    pub fn watch(self) {
        leptos::task::spawn_local(async move {
            loop {
                let every = self
                    .current
                    .with_untracked(|d| d.manifest.poll_interval_seconds)
                    .max(MIN_CHECK_SECONDS);
                bridge::sleep((every * 1000).min(i32::MAX as u64) as i32).await;
                if bridge::page_hidden() {
                    continue;
                }
                let (manifest, engine) = self
                    .current
                    .with_untracked(|d| (d.manifest.clone(), d.engine));
                if let Ok(Some(next)) = newer(&manifest, engine).await {
                    bridge::hold_height(10_000);
                    self.current.set(next);
                    self.generation.update(|g| *g += 1);
                }
            }
        });
    }
}

/// Fetch the publish's first-view file.
async fn first_view(file: &str) -> Result<FirstView, String> {
    let url = format!("data/{file}");
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|e| format!("Cannot fetch {url}: {e}"))?;
    if !response.ok() {
        return Err(format!("Cannot fetch {url}: HTTP {}", response.status()));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("Cannot read {url}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))
}

/// The first view's rows, typed.
fn from_first_view(view: FirstView, manifest: Manifest) -> Result<Loaded, String> {
    let currency: Vec<(Option<String>,)> = bridge::typed_rows(view.currency)?;
    let mut names = Names::default();
    for (kind, id, name) in bridge::typed_rows::<(String, String, String)>(view.names)? {
        let map = if kind == "team" {
            &mut names.teams
        } else {
            &mut names.departments
        };
        map.insert(id, name);
    }
    let mut spark = std::collections::HashMap::new();
    for (feature, server, peaks) in
        bridge::typed_rows::<(String, String, Option<String>)>(view.spark)?
    {
        let peaks: Vec<f64> = peaks
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| p.parse().ok())
            .collect();
        spark.insert((feature, server), peaks);
    }
    Ok(Loaded {
        spark,
        servers: bridge::typed_rows(view.servers)?,
        daemons: bridge::typed_rows(view.daemons)?,
        features: bridge::typed_rows(view.features)?,
        currency: currency
            .into_iter()
            .next()
            .and_then(|r| r.0)
            .unwrap_or_default(),
        names,
        manifest,
        engine: RwSignal::new(EngineState::Open),
    })
}

/// Hourly peak in use and issued for one feature (summed over the servers that serve it),
/// over `range` or all data.
pub async fn series(
    feature: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<SeriesPoint>, String> {
    let (sql, params) = lmscope::analytics::page_sql::feature_hourly(feature, range);
    match range {
        Some(days) => bridge::query_days(&sql, &params, days).await,
        None => query(&sql, &params).await,
    }
}

/// Daily peak and average in use and issued for one feature: the chart's text equivalent.
pub async fn daily(
    feature: &str,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<DayRow>, String> {
    let (sql, params) = lmscope::analytics::page_sql::feature_daily(feature, range);
    match range {
        Some(days) => bridge::query_days(&sql, &params, days).await,
        None => query(&sql, &params).await,
    }
}
