//! The rule model: what a rule watches, its severity and scope, and its encodings (the org
//! file's TOML, the published JSON, the site's URL parameter), checked as they are read.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A feature's licenses in use (lmstat's count: reserved, unused seats included, as
    /// nobody else can have them) at or above `threshold` % of issued for `window`.
    Utilization,
    /// `threshold` or more denials of a feature within `window`.
    Denials,
    /// An entitlement expiring within `days` days of the newest data.
    Expiry,
    /// A license server down (its polls failing) for `window` or longer.
    Down,
    /// A vendor daemon down for `window` or longer.
    DaemonDown,
    /// No poll newer than `window` (checked against the clock).
    Stale,
    /// A feature's average utilization under `threshold` % on `days` days in a row.
    Idle,
    /// A feature's average use in an hour more than `threshold` % away from its baseline,
    /// the mean of the same hour of the week over the four weeks before, for `window`.
    Unusual,
    /// A department's (yearly) or project's (start to end) spend at `threshold` % of its
    /// budget or more; with `projected`, also when the burn rate so far would get there.
    Budget,
    /// A feature's chance of running out (its daily peak reaching the issued count) within
    /// `days` days (at most 90), by its forecast, at `threshold` % or more.
    ShortageRisk,
    /// A checkout on a compute node held for `window` or longer with no job of its holder
    /// running on its host (Slurm's jobs); `threshold`, if set, the fewest licenses held.
    IdleCheckout,
}

/// How much an alert matters.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Kind {
    /// Every kind, in the order the editor offers them.
    pub const ALL: [Kind; 11] = [
        Kind::Utilization,
        Kind::Denials,
        Kind::ShortageRisk,
        Kind::Unusual,
        Kind::Budget,
        Kind::Expiry,
        Kind::Down,
        Kind::DaemonDown,
        Kind::Stale,
        Kind::Idle,
        Kind::IdleCheckout,
    ];

    /// The name used in TOML and URLs.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Utilization => "utilization",
            Kind::Denials => "denials",
            Kind::Expiry => "expiry",
            Kind::Down => "down",
            Kind::DaemonDown => "daemon_down",
            Kind::Stale => "stale",
            Kind::Idle => "idle",
            Kind::Unusual => "unusual",
            Kind::Budget => "budget",
            Kind::ShortageRisk => "shortage_risk",
            Kind::IdleCheckout => "idle_checkout",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// `[[alert]]` tables for the org file.
pub fn to_toml(rules: &[Rule]) -> String {
    #[derive(Serialize)]
    struct File<'a> {
        alert: &'a [Rule],
    }
    toml::to_string(&File { alert: rules }).unwrap_or_default()
}

/// A rule set as a URL parameter (compact JSON), and back; the error says what is wrong.
pub fn to_param(rules: &[Rule]) -> String {
    serde_json::to_string(rules).unwrap_or_default()
}

pub fn from_param(text: &str) -> Result<Vec<Rule>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a rule set: {e}"))
}

/// One rule, as written in the org file (`[[alert]]`) or the site's editor.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub kind: Kind,
    #[serde(default)]
    pub severity: Severity,
    /// Percent (utilization, idle, unusual, budget) or a count (denials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// A duration: `90s`, `5m`, `2h`, `7d` (how long a condition lasts, or the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Days (expiry: within; idle: in a row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Only these features / servers (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// Budget rules: only these departments / projects (both empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// Budget rules: fire on the projected spend at the budget's end as well.
    #[serde(default, skip_serializing_if = "is_false")]
    pub projected: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Channels (the org file's `[[channel]]` names) told when it starts firing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Further channels told once the firing has lasted each step's `after`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalation>,
    /// Tell the `notify` channels again this often while it fires (a duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<String>,
}

/// An escalation step: after a firing has lasted `after`, tell `notify` too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// A duration: `30m`, `2h`.
    pub after: String,
    pub notify: Vec<String>,
}

/// A rule that cannot be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule `{rule}`: {message}")]
pub struct RuleError {
    pub rule: String,
    pub message: String,
}

/// `90s`, `5m`, `2h`, `7d` → a duration.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    crate::parse::duration::parse(text)
        .ok()
        .and_then(|d| TimeDelta::from_std(d).ok())
}

impl Rule {
    /// An enabled warning rule of `kind` with nothing else set.
    pub fn new(name: &str, kind: Kind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            severity: Severity::Warning,
            threshold: None,
            window: None,
            days: None,
            features: Vec::new(),
            servers: Vec::new(),
            departments: Vec::new(),
            projects: Vec::new(),
            projected: false,
            enabled: true,
            notify: Vec::new(),
            escalate: Vec::new(),
            repeat: None,
        }
    }

    /// Check that the rule has what its kind needs; the error names the rule and the field.
    pub fn validate(&self) -> Result<(), RuleError> {
        let err = |message: String| RuleError {
            rule: self.name.clone(),
            message,
        };
        if self.name.trim().is_empty() {
            return Err(err("a rule needs a name".to_owned()));
        }
        let need_threshold = matches!(
            self.kind,
            Kind::Utilization
                | Kind::Denials
                | Kind::Idle
                | Kind::Unusual
                | Kind::Budget
                | Kind::ShortageRisk
        );
        let need_window = matches!(
            self.kind,
            Kind::Utilization
                | Kind::Denials
                | Kind::Down
                | Kind::DaemonDown
                | Kind::Stale
                | Kind::IdleCheckout
        );
        let need_days = matches!(self.kind, Kind::Expiry | Kind::Idle | Kind::ShortageRisk);
        match self.threshold {
            None if need_threshold => return Err(err("needs `threshold`".to_owned())),
            Some(t) if !t.is_finite() || t < 0.0 => {
                return Err(err(format!("`threshold` {t} must be a number ≥ 0")))
            }
            _ => {}
        }
        match &self.window {
            None if need_window => {
                return Err(err("needs `window`, a duration like `5m`".to_owned()))
            }
            Some(w) if parse_duration(w).is_none() => {
                return Err(err(format!(
                    "`window` `{w}` is not a duration like `90s`, `5m`, `2h`, `7d`"
                )))
            }
            _ => {}
        }
        for (field, d) in self
            .escalate
            .iter()
            .map(|e| ("escalate.after", e.after.as_str()))
            .chain(self.repeat.as_deref().map(|r| ("repeat", r)))
        {
            if parse_duration(d).is_none() {
                return Err(err(format!(
                    "`{field}` `{d}` is not a duration like `30m`, `2h`, `1d`"
                )));
            }
        }
        if need_days && self.days.is_none() {
            return Err(err("needs `days`".to_owned()));
        }
        if self.kind == Kind::ShortageRisk {
            let horizon = crate::analytics::forecast::HORIZON;
            if self.days.is_some_and(|d| d == 0 || d as usize > horizon) {
                return Err(err(format!(
                    "`days` must be 1 to {horizon}: forecasts look {horizon} days ahead"
                )));
            }
            if self.threshold.is_some_and(|t| t > 100.0) {
                return Err(err(
                    "`threshold` is a chance in percent, 0 to 100".to_owned()
                ));
            }
        }
        Ok(())
    }

    /// The condition in words, for lists: `≥ 95 % for 5m`, `5 denials within 1h`.
    pub fn condition(&self) -> String {
        let t = self
            .threshold
            .map_or_else(|| "?".to_owned(), |t| format!("{t}"));
        let w = self.window.as_deref().unwrap_or("?");
        let d = self.days.map_or_else(|| "?".to_owned(), |d| d.to_string());
        match self.kind {
            Kind::Utilization => {
                format!("in use (reserved seats included) ≥ {t} % of issued for {w}")
            }
            Kind::Denials => format!("{t} or more denials within {w}"),
            Kind::Unusual => format!(
                "use over {} more than {t} % off the usual",
                self.window.as_deref().unwrap_or("1h")
            ),
            Kind::Budget if self.projected => {
                format!("spend, or its projection, ≥ {t} % of budget")
            }
            Kind::Budget => format!("spend ≥ {t} % of budget"),
            Kind::Expiry => format!("expiring within {d} days"),
            Kind::Down => format!("server down for {w}"),
            Kind::DaemonDown => format!("vendor daemon down for {w}"),
            Kind::Stale => format!("no poll for {w}"),
            Kind::Idle => format!("utilization under {t} % for {d} days"),
            Kind::ShortageRisk => {
                format!("a {t} % or higher chance of running out within {d} days")
            }
            Kind::IdleCheckout => match self.threshold {
                Some(n) if n > 1.0 => {
                    format!("{n} or more licenses held {w} with no job of the holder on the host")
                }
                _ => format!("a checkout held {w} with no job of the holder on the host"),
            },
        }
    }

    /// Who hears of it, in words: `admins; after 30m: eng-leads; every 4h again`, or
    /// empty when nobody is told.
    pub fn delivery(&self) -> String {
        let mut parts = Vec::new();
        if !self.notify.is_empty() {
            parts.push(self.notify.join(", "));
        }
        for e in &self.escalate {
            parts.push(format!("after {}: {}", e.after, e.notify.join(", ")));
        }
        if let Some(r) = &self.repeat {
            parts.push(format!("every {r} again"));
        }
        parts.join("; ")
    }

    /// Every channel name the rule refers to.
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        self.notify
            .iter()
            .chain(self.escalate.iter().flat_map(|e| e.notify.iter()))
            .map(String::as_str)
    }

    /// The scope in words: `all`, or the features, servers, departments and projects named.
    pub fn scope(&self) -> String {
        let parts: Vec<String> = [
            ("features", &self.features),
            ("servers", &self.servers),
            ("departments", &self.departments),
            ("projects", &self.projects),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}: {}", v.join(", ")))
        .collect();
        if parts.is_empty() {
            "all".to_owned()
        } else {
            parts.join("; ")
        }
    }

    pub(super) fn window(&self) -> TimeDelta {
        self.window
            .as_deref()
            .and_then(parse_duration)
            .unwrap_or_default()
    }

    /// A budget subject (`department` or `project`) in scope.
    pub(super) fn covers_budget(&self, kind: &str, id: &str) -> bool {
        let (mine, other) = match kind {
            "department" => (&self.departments, &self.projects),
            _ => (&self.projects, &self.departments),
        };
        if mine.is_empty() {
            other.is_empty()
        } else {
            mine.iter().any(|x| x == id)
        }
    }

    pub(super) fn covers(&self, server: &str, feature: Option<&str>) -> bool {
        (self.servers.is_empty() || self.servers.iter().any(|s| s == server))
            && (self.features.is_empty()
                || feature.is_some_and(|f| self.features.iter().any(|x| x == f)))
    }
}

/// A rule as published in `org_alerts` (JSON); the error names the rule.
pub fn parse_published(name: &str, definition: &str) -> Result<Rule, String> {
    serde_json::from_str(definition).map_err(|e| format!("published alert rule `{name}`: {e}"))
}
