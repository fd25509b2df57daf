//! `lmscope check`: the alert rules evaluated over published data, the same engine the
//! site runs ([`crate::analytics::alerts`]), with notifications that are sent once per firing.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

use crate::analytics::alerts::{
    day_params, evaluate, inputs, parse_published, Alert, Data, Rule, RuleError, Severity,
    RULES_PRESENT_SQL, RULES_SQL,
};

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{path}: {message}")]
    Data { path: String, message: String },
    #[error("{0}")]
    Db(#[from] duckdb::Error),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// The days a check covers: `to` defaults to the newest poll's day, `from` to 30 days
/// before `to` (both inclusive, as the site's range filter).
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Days shown by default: the last 30.
pub const DEFAULT_DAYS: i64 = 30;

/// Read the engine's input for `range` from the published directory `dir`, and the rules
/// published with it (the org file's `[[alert]]` tables).
pub fn load(dir: &Path, range: Range) -> Result<(Data, Vec<Rule>), CheckError> {
    let (db, path) = crate::publish::files::open(dir).map_err(|e| CheckError::Data {
        path: e.path,
        message: e.message,
    })?;
    let query_err = |e: duckdb::Error| CheckError::Data {
        path: path.clone(),
        message: e.to_string(),
    };
    let newest: Option<NaiveDateTime> = db
        .query_row("SELECT max(until) FROM polls", [], |r| r.get(0))
        .map_err(query_err)?;
    let to = range
        .to
        .or(newest.map(|t| t.date()))
        .unwrap_or(NaiveDate::MIN);
    let from = range
        .from
        .unwrap_or(to - chrono::TimeDelta::days(DEFAULT_DAYS - 1));
    let [t0, t1] = day_params(from, to);
    let mut data = Data::default();
    for (name, sql) in inputs() {
        let rows = crate::publish::files::rows(&db, &sql, &[&t0, &t1]).map_err(query_err)?;
        data.add_rows(name, &rows);
    }
    let rules = published_rules(&db).map_err(|message| CheckError::Data {
        path: path.clone(),
        message,
    })?;
    Ok((data, rules))
}

/// The rules in `org_alerts`; none when the file predates that table.
fn published_rules(db: &duckdb::Connection) -> Result<Vec<Rule>, String> {
    let present: f64 = db
        .query_row(RULES_PRESENT_SQL, [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if present == 0.0 {
        return Ok(Vec::new());
    }
    let mut stmt = db.prepare(RULES_SQL).map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| e.to_string())?;
    let mut rules = Vec::new();
    for row in rows {
        let (name, definition) = row.map_err(|e| e.to_string())?;
        rules.push(parse_published(&name, &definition)?);
    }
    Ok(rules)
}

/// The outcome of a check.
pub struct Outcome {
    /// Every firing over the data, newest first.
    pub alerts: Vec<Alert>,
    /// The rules evaluated.
    pub rules: Vec<Rule>,
    /// Rules that could not be evaluated.
    pub errors: Vec<RuleError>,
}

impl Outcome {
    /// The alerts firing now.
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(|a| a.until.is_none())
    }

    /// Whether anything at or above `level` fires now.
    pub fn fails(&self, level: Severity) -> bool {
        self.firing().any(|a| a.severity >= level)
    }
}

/// Evaluate `rules` (the published ones when `None`) over the data published in `dir`.
pub fn check(
    rules: Option<&[Rule]>,
    dir: &Path,
    range: Range,
    clock: NaiveDateTime,
) -> Result<Outcome, CheckError> {
    let (data, published) = load(dir, range)?;
    let rules = rules.map_or(published, <[Rule]>::to_vec);
    let (alerts, errors) = evaluate(&rules, &data, clock);
    Ok(Outcome {
        alerts,
        rules,
        errors,
    })
}

/// A firing's identity across runs: the rule, its subject and when it started.
fn key(a: &Alert) -> String {
    format!("{}\u{1f}{}\u{1f}{}", a.rule, a.subject, a.since)
}

/// The alerts firing now that `state` (a file of keys from the last run) has not seen, and
/// the new state. A missing or unreadable state file means nothing was notified yet.
pub fn unnotified<'a>(outcome: &'a Outcome, state: &Path) -> (Vec<&'a Alert>, Vec<String>) {
    let seen: BTreeSet<String> = std::fs::read_to_string(state)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
        .unwrap_or_default()
        .into_iter()
        .collect();
    let firing: Vec<&Alert> = outcome.firing().collect();
    let fresh = firing
        .iter()
        .copied()
        .filter(|a| !seen.contains(&key(a)))
        .collect();
    (fresh, firing.iter().map(|a| key(a)).collect())
}

/// Remember which alerts were notified (written atomically beside the store).
pub fn save_state(state: &Path, keys: &[String]) -> Result<(), CheckError> {
    let text = serde_json::to_string_pretty(keys).map_err(|e| CheckError::Io {
        path: state.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    let tmp = state.with_extension("tmp");
    let io = |source| CheckError::Io {
        path: state.display().to_string(),
        source,
    };
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, state).map_err(io)
}

/// A Slack-compatible message (`text` plus one attachment per alert).
pub fn slack_message(alerts: &[&Alert]) -> Value {
    let attachments: Vec<Value> = alerts
        .iter()
        .map(|a| {
            let color = match a.severity {
                Severity::Critical => "danger",
                Severity::Warning => "warning",
                Severity::Info => "good",
            };
            json!({
                "color": color,
                "title": format!("[{}] {}: {}", a.severity.label(), a.rule, a.subject),
                "text": format!("{} (since {} UTC)", a.evidence, a.since),
            })
        })
        .collect();
    json!({
        "text": format!("lmscope: {} alert(s) firing", alerts.len()),
        "attachments": attachments,
    })
}

/// POST `message` to `url` as JSON.
pub fn post(url: &str, message: &Value) -> Result<(), CheckError> {
    ureq::post(url)
        .timeout(std::time::Duration::from_secs(15))
        .send_json(message.clone())
        .map(|_| ())
        .map_err(|e| CheckError::Webhook(e.to_string()))
}
