//! The evaluators: every interval in which a rule fired over [`Data`], with its evidence.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use super::inputs::midnight;
use super::*;
use crate::analytics::forecast::{self, SeriesOutlook};

/// One firing of a rule: what, since when, until when (`None`: still firing), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: String,
    pub kind: Kind,
    pub severity: Severity,
    /// What fired: `FEATURE on SERVER`, a server, a daemon.
    pub subject: String,
    pub since: NaiveDateTime,
    pub until: Option<NaiveDateTime>,
    /// The numbers behind it, in words.
    pub evidence: String,
    /// The site's filters that show the evidence (`server`, `feature`, `department`...).
    pub filters: Vec<(String, String)>,
}

impl Alert {
    /// The site's view that shows the evidence, as URL parameters: the page for the rule's
    /// kind, the days from the firing's start to its end (or `to`, the data's last day),
    /// and its server, feature, vendor or department.
    pub fn evidence_view(&self, to: chrono::NaiveDate) -> Vec<(&'static str, String)> {
        let page = match self.kind {
            Kind::Down | Kind::DaemonDown | Kind::Stale => "overview",
            Kind::Budget => "departments",
            Kind::ShortageRisk => "forecast",
            Kind::IdleCheckout => "clusters",
            _ => "features",
        };
        let end = self.until.map_or(to, |u| u.date().max(self.since.date()));
        let mut view = vec![
            ("page", page.to_owned()),
            ("from", self.since.date().to_string()),
            ("to", end.to_string()),
        ];
        for (k, v) in &self.filters {
            for key in ["server", "feature", "vendor", "department", "user"] {
                if k == key {
                    view.push((key, v.clone()));
                }
            }
        }
        view
    }
}

/// Intervals in which a step series (each value holds until the next point, the last
/// until `end`) satisfies `on` for at least `min`: (start, end, None when still on at `end`).
pub fn sustained<T: Copy>(
    points: &[(NaiveDateTime, T)],
    end: NaiveDateTime,
    min: TimeDelta,
    on: impl Fn(T) -> bool,
) -> Vec<(NaiveDateTime, Option<NaiveDateTime>)> {
    let mut out = Vec::new();
    let mut start: Option<NaiveDateTime> = None;
    for (t, v) in points {
        match (start, on(*v)) {
            (None, true) => start = Some(*t),
            (Some(s), false) => {
                if *t - s >= min {
                    out.push((s, Some(*t)));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        if end - s >= min {
            out.push((s, None));
        }
    }
    out
}

/// Times (sorted) → intervals in which at least `n` of them fall within `window`: from the
/// n-th event of a burst until `window` after the last event that kept the count up.
pub fn bursts(
    times: &[NaiveDateTime],
    n: usize,
    window: TimeDelta,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut out: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::new();
    if n == 0 {
        return out;
    }
    for i in (n - 1)..times.len() {
        let first = times[i + 1 - n];
        if times[i] - first <= window {
            let (s, e) = (times[i], first + window);
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
    }
    out
}

/// One firing before it is tied to its rule.
struct Firing {
    subject: String,
    since: NaiveDateTime,
    until: Option<NaiveDateTime>,
    evidence: String,
    filters: Vec<(String, String)>,
}

fn on_feature(server: &str, feature: &str) -> (String, Vec<(String, String)>) {
    (
        format!("{feature} on {server}"),
        vec![
            ("server".to_owned(), server.to_owned()),
            ("feature".to_owned(), feature.to_owned()),
        ],
    )
}

/// Evaluate `rules` over `data`; `clock` is the current time (for staleness). Returns every
/// firing, newest first, for enabled and valid rules; invalid rules are reported apart.
pub fn evaluate(rules: &[Rule], data: &Data, clock: NaiveDateTime) -> (Vec<Alert>, Vec<RuleError>) {
    let mut alerts = Vec::new();
    let mut outlooks = None;
    let mut errors = Vec::new();
    let Some(now) = data.now else {
        return (alerts, errors);
    };
    for rule in rules.iter().filter(|r| r.enabled) {
        if let Err(e) = rule.validate() {
            errors.push(e);
            continue;
        }
        let firings = match rule.kind {
            Kind::Utilization => utilization(rule, data, now),
            Kind::Denials => denials(rule, data, now),
            Kind::Expiry => expiry(rule, data, now),
            Kind::Down => down(rule, data, now),
            Kind::DaemonDown => daemon_down(rule, data, now),
            Kind::Stale => stale(rule, data, clock),
            Kind::Idle => idle(rule, data, now),
            Kind::Unusual => unusual(rule, data, now),
            Kind::Budget => budget(rule, data),
            Kind::ShortageRisk => shortage_risk(rule, data, now, &mut outlooks),
            Kind::IdleCheckout => idle_checkout(rule, data, now),
        };
        alerts.extend(firings.into_iter().map(|f| Alert {
            rule: rule.name.clone(),
            kind: rule.kind,
            severity: rule.severity,
            subject: f.subject,
            since: f.since,
            until: f.until,
            evidence: f.evidence,
            filters: f.filters,
        }));
    }
    alerts.sort_by(|a, b| {
        b.since
            .cmp(&a.since)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    (alerts, errors)
}

fn threshold(rule: &Rule) -> f64 {
    rule.threshold.unwrap_or(0.0)
}

fn utilization(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let mut out = Vec::new();
    for ((server, feature), points) in &data.features {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        let pct: Vec<(NaiveDateTime, f64)> = points
            .iter()
            .map(|(t, u, i)| (*t, if *i > 0.0 { 100.0 * u / i } else { 0.0 }))
            .collect();
        for (s, e) in sustained(&pct, now, rule.window(), |p| p >= threshold) {
            let peak = pct
                .iter()
                .filter(|(t, _)| *t >= s && e.is_none_or(|e| *t < e))
                .map(|(_, p)| *p)
                .fold(0.0, f64::max);
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: e,
                evidence: format!(
                    "in use ≥ {threshold} % of issued for {} (peak {peak:.0} %)",
                    span(s, e.unwrap_or(now))
                ),
                filters,
            });
        }
    }
    out
}

/// Checkouts idle (no job of the holder on the host) for the rule's window: one firing per
/// stretch, from when the last job ended (or the checkout began), until a job started
/// again or the license came back; open while the stretch still runs at `now`.
fn idle_checkout(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let window = rule.window();
    let fewest = threshold(rule).max(1.0);
    data.idle
        .iter()
        .filter(|x| rule.covers(&x.server, Some(&x.feature)))
        .filter(|x| x.licenses >= fewest && x.to - x.from >= window)
        .map(|x| {
            let ongoing = x.ongoing && x.to >= now;
            let (_, mut filters) = on_feature(&x.server, &x.feature);
            filters.push(("user".to_owned(), x.user.clone()));
            Firing {
                subject: format!("{} on {}: {} on {}", x.feature, x.server, x.user, x.host),
                since: x.from,
                until: (!ongoing).then_some(x.to),
                evidence: format!(
                    "{} held {:.0} license(s) on {} for {} with no job of theirs running there",
                    x.user,
                    x.licenses,
                    x.host,
                    span(x.from, x.to)
                ),
                filters,
            }
        })
        .collect()
}

fn denials(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let window = rule.window();
    let n = threshold(rule).ceil().max(1.0) as usize;
    let mut by: BTreeMap<(&str, &str), Vec<NaiveDateTime>> = BTreeMap::new();
    for (s, f, t) in &data.denials {
        if rule.covers(s, Some(f)) {
            by.entry((s, f)).or_default().push(*t);
        }
    }
    let mut out = Vec::new();
    for ((server, feature), mut times) in by {
        times.sort();
        for (s, e) in bursts(&times, n, window) {
            let count = times
                .iter()
                .filter(|t| **t >= s - window && **t <= e)
                .count();
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: (e <= now).then_some(e),
                evidence: format!(
                    "{count} denials, at least {n} within {}",
                    rule.window.as_deref().unwrap_or("")
                ),
                filters,
            });
        }
    }
    out
}

fn expiry(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let within = TimeDelta::days(i64::from(rule.days.unwrap_or(0)));
    data.expiries
        .iter()
        .filter(|(server, feature, _, expires)| {
            rule.covers(server, Some(feature)) && *expires - now.date() <= within
        })
        .map(|(server, feature, count, expires)| {
            let (subject, filters) = on_feature(server, feature);
            let left = (*expires - now.date()).num_days();
            Firing {
                subject,
                since: now,
                until: None,
                evidence: if left < 0 {
                    format!("{count:.0} licenses expired on {expires}")
                } else {
                    format!("{count:.0} licenses expire on {expires}, in {left} days")
                },
                filters,
            }
        })
        .collect()
}

/// Features whose forecast gives a chance of running out within the rule's days at or
/// above its threshold; the forecasts are made once per evaluation, for the first such rule.
fn shortage_risk(
    rule: &Rule,
    data: &Data,
    now: NaiveDateTime,
    outlooks: &mut Option<Vec<SeriesOutlook>>,
) -> Vec<Firing> {
    let all = outlooks.get_or_insert_with(|| forecast::outlooks(&data.peaks));
    let days = rule.days.unwrap_or(forecast::HORIZON as u32) as usize;
    let threshold = threshold(rule);
    all.iter()
        .filter(|s| rule.covers(&s.server, Some(&s.feature)))
        .filter_map(|s| {
            let forecast::Outlook::Ready {
                risk,
                model,
                backtest,
                ..
            } = &s.outlook
            else {
                return None;
            };
            let chance = 100.0 * risk.within(days);
            if chance < threshold || risk.paths == 0 {
                return None;
            }
            let (subject, filters) = on_feature(&s.server, &s.feature);
            let first = s
                .first_day_within(days)
                .map(|d| format!(", most likely first on {d}"))
                .unwrap_or_default();
            Some(Firing {
                subject,
                since: now,
                until: None,
                evidence: format!(
                    "a {chance:.0} % chance of running out within {days} days{first} \
                     ({:.0} of {:.0} issued; model: {}, MASE {})",
                    s.peak_and_high().map_or(0.0, |p| p.0),
                    s.issued,
                    model.label(),
                    backtest.mase.map_or("–".to_owned(), |m| format!("{m:.2}"))
                ),
                filters,
            })
        })
        .collect()
}

fn down(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let mut by: BTreeMap<&str, Vec<(NaiveDateTime, bool)>> = BTreeMap::new();
    for (s, from, _, ok) in &data.runs {
        if rule.covers(s, None) {
            by.entry(s).or_default().push((*from, !ok));
        }
    }
    let mut out = Vec::new();
    for (server, steps) in by {
        for (s, e) in sustained(&steps, now, rule.window(), |down| down) {
            out.push(Firing {
                subject: server.to_owned(),
                since: s,
                until: e,
                evidence: format!("no answer for {}", span(s, e.unwrap_or(now))),
                filters: vec![("server".to_owned(), server.to_owned())],
            });
        }
    }
    out
}

fn daemon_down(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let mut out = Vec::new();
    for ((server, vendor), steps) in &data.daemons {
        if !rule.covers(server, None) {
            continue;
        }
        let down: Vec<(NaiveDateTime, bool)> = steps.iter().map(|(t, up)| (*t, !up)).collect();
        for (s, e) in sustained(&down, now, rule.window(), |d| d) {
            out.push(Firing {
                subject: format!("{vendor} on {server}"),
                since: s,
                until: e,
                evidence: format!("vendor daemon down for {}", span(s, e.unwrap_or(now))),
                filters: vec![
                    ("server".to_owned(), server.clone()),
                    ("vendor".to_owned(), vendor.clone()),
                ],
            });
        }
    }
    out
}

fn stale(rule: &Rule, data: &Data, clock: NaiveDateTime) -> Vec<Firing> {
    match data.newest {
        Some(newest) if clock - newest >= rule.window() => vec![Firing {
            subject: "data".to_owned(),
            since: newest,
            until: None,
            evidence: format!("the newest poll is {} old", span(newest, clock)),
            filters: Vec::new(),
        }],
        _ => Vec::new(),
    }
}

fn idle(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let min = TimeDelta::days(i64::from(rule.days.unwrap_or(1)));
    let mut out = Vec::new();
    for ((server, feature), rows) in &data.daily {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        let steps: Vec<(NaiveDateTime, f64)> = rows
            .iter()
            .map(|(d, avg, issued)| {
                let pct = if *issued > 0.0 {
                    100.0 * avg / issued
                } else {
                    100.0
                };
                (midnight(*d), pct)
            })
            .collect();
        let end = rows
            .last()
            .map_or(now, |(d, _, _)| midnight(*d + TimeDelta::days(1)));
        let issued = rows.last().map_or(0.0, |r| r.2);
        for (s, e) in sustained(&steps, end, min, |p| p < threshold) {
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since: s,
                until: e,
                evidence: format!(
                    "average utilization under {threshold} % for {} ({issued:.0} issued)",
                    span(s, e.unwrap_or(end))
                ),
                filters,
            });
        }
    }
    out
}

/// Windows whose baseline averages under this many licenses in use are too small to call
/// unusual.
const MIN_BASELINE: f64 = 1.0;

/// A deviation must also be at least this many licenses on average over the window.
const MIN_CHANGE: f64 = 1.0;

/// A deviation must also exceed this many standard deviations of the baseline weeks, so
/// that the noise of small counts is not news.
const SIGMAS: f64 = 3.0;

/// Running totals of an hourly series, so any window's totals take constant time: use, and
/// per baseline week its use and how many hours it was not polled.
struct Prefix {
    v: Vec<f64>,
    weeks: [Vec<f64>; 4],
    missing: [Vec<u32>; 4],
}

impl Prefix {
    fn new(rows: &[Hour]) -> Self {
        let mut p = Prefix {
            v: vec![0.0],
            weeks: Default::default(),
            missing: Default::default(),
        };
        for j in 0..4 {
            p.weeks[j].push(0.0);
            p.missing[j].push(0);
        }
        for r in rows {
            p.v.push(p.v.last().copied().unwrap_or(0.0) + r.1);
            for j in 0..4 {
                let (w, m) = (
                    p.weeks[j].last().copied().unwrap_or(0.0),
                    p.missing[j].last().copied().unwrap_or(0),
                );
                p.weeks[j].push(w + r.2[j].unwrap_or(0.0));
                p.missing[j].push(m + u32::from(r.2[j].is_none()));
            }
        }
        p
    }

    /// Rows `a..=z`: total use, and the mean and standard deviation of the totals of the
    /// baseline weeks polled throughout (`None`: fewer than two such weeks).
    fn stats(&self, a: usize, z: usize) -> Option<(f64, f64, f64)> {
        let v = self.v[z + 1] - self.v[a];
        let totals: Vec<f64> = (0..4)
            .filter(|&j| self.missing[j][z + 1] == self.missing[j][a])
            .map(|j| self.weeks[j][z + 1] - self.weeks[j][a])
            .collect();
        if totals.len() < 2 {
            return None;
        }
        let n = totals.len() as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let var = totals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Some((v, mean, var.sqrt()))
    }
}

fn unusual(rule: &Rule, data: &Data, now: NaiveDateTime) -> Vec<Firing> {
    let threshold = threshold(rule);
    let hour = TimeDelta::hours(1);
    let k = rule
        .window
        .as_deref()
        .and_then(parse_duration)
        .map_or(1, |w| w.num_hours().max(1)) as usize;
    let mut out = Vec::new();
    for ((server, feature), rows) in &data.hourly {
        if !rule.covers(server, Some(feature)) {
            continue;
        }
        // Every run of `k` consecutive hours whose total use is more than `threshold` % and
        // SIGMAS standard deviations away from the same hours' totals in the weeks before.
        let prefix = Prefix::new(rows);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for i in (k - 1)..rows.len() {
            let a = i + 1 - k;
            if rows[i].0 - rows[a].0 != hour * (k as i32 - 1) {
                continue;
            }
            let Some((v, mean, sd)) = prefix.stats(a, i) else {
                continue;
            };
            let dev = (v - mean).abs();
            let kf = k as f64;
            if mean < kf * MIN_BASELINE
                || dev < kf * MIN_CHANGE
                || dev <= threshold / 100.0 * mean
                || dev <= SIGMAS * sd
            {
                continue;
            }
            match spans.last_mut() {
                Some(last) if last.1 + 1 >= i + 1 - k => last.1 = i,
                _ => spans.push((i + 1 - k, i)),
            }
        }
        let data_end = rows.last().map(|r| r.0 + hour);
        for (a, z) in spans {
            let (v, mean, _) = prefix.stats(a, z).unwrap_or_default();
            let hours = (z + 1 - a) as f64;
            let (v, b) = (v / hours, mean / hours);
            let (since, end) = (rows[a].0, rows[z].0 + hour);
            let until = (Some(end) != data_end || end < now).then_some(end);
            let (subject, filters) = on_feature(server, feature);
            out.push(Firing {
                subject,
                since,
                until,
                evidence: format!(
                    "{v:.1} in use on average against {b:.1} usual for these hours of the week ({:+.0} %) for {}",
                    if b > 0.0 { 100.0 * (v - b) / b } else { 0.0 },
                    span(since, end)
                ),
                filters,
            });
        }
    }
    out
}

fn budget(rule: &Rule, data: &Data) -> Vec<Firing> {
    let share = threshold(rule) / 100.0;
    let mut out = Vec::new();
    for ((kind, id, name), (amount, first, last)) in &data.budgets {
        if !rule.covers_budget(kind, id) || *amount <= 0.0 {
            continue;
        }
        let Some(days) = data.spend.get(&(kind.clone(), id.clone())) else {
            continue;
        };
        let length = ((*last - *first).num_days() + 1).max(1) as f64;
        // Cumulative spend and its projection to the budget's last day, day by day.
        let mut total = 0.0;
        let mut steps: Vec<(NaiveDateTime, (bool, f64, f64))> = Vec::new();
        for (d, cost) in days.iter().filter(|(d, _)| d >= first && d <= last) {
            total += cost;
            let elapsed = ((*d - *first).num_days() + 1) as f64;
            let projected = total * length / elapsed;
            let over = total >= share * amount || (rule.projected && projected >= share * amount);
            steps.push((midnight(*d), (over, total, projected)));
        }
        let Some(&(last_day, _)) = steps.last() else {
            continue;
        };
        let end = last_day + TimeDelta::days(1);
        for (s, e) in sustained(&steps, end, TimeDelta::zero(), |(over, ..)| over) {
            let at = steps
                .iter()
                .rev()
                .find(|(t, _)| e.is_none_or(|e| *t < e))
                .map_or((false, 0.0, 0.0), |x| x.1);
            let (_, spent, projected) = at;
            let pct = |x: f64| 100.0 * x / amount;
            out.push(Firing {
                subject: format!("{kind} {name}"),
                since: s,
                until: e,
                evidence: format!(
                    "spent {spent:.0} of its {amount:.0} budget ({:.0} %), projected {projected:.0} ({:.0} %) by {last}",
                    pct(spent),
                    pct(projected)
                ),
                filters: vec![(kind.clone(), id.clone())],
            });
        }
    }
    out
}

/// A duration in words: `3 d 4 h`, `2 h 5 min`, `7 min`.
fn span(a: NaiveDateTime, b: NaiveDateTime) -> String {
    crate::format::duration((b - a).num_seconds().max(0))
}
