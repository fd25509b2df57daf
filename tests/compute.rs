//! Licenses against compute on the demo's Slurm clusters: every figure of
//! `analytics::compute` (clusters' efficiency, CPU- and GPU-hours and cost; users' and teams'
//! efficiency; idle checkouts over a range and now; Slurm/FlexLM drift; jobs waiting on
//! licenses) checked against the same figure computed here in Rust from the published raw
//! rows (`sessions`, `job_hosts`, `jobs`, `org_*`, `feature_now`, `slurm_*`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use duckdb::Connection;
use lmscope::analytics::compute::{self, By};
use lmscope::analytics::filters::Filters;
use lmscope_e2e::{
    assert_chart_of_table, lmscope, number, published_db, published_dir_db, query_rows, raw,
    shared_demo, site_with_demo, text, StaticServer, TempDir, Visit, SUB_PATH,
};
use serde_json::Value;

/// The demo the site tests share: three weeks to 2026-11-20 12:00.
const DEMO: &[&str] = &["--weeks", "3", "--end", "2026-11-20T12:00"];

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A session as published, its hours as the rollups count them.
struct Session {
    server: String,
    vendor: String,
    feature: String,
    user: String,
    host: String,
    licenses: f64,
    s: f64,
    e: f64,
    open: bool,
}

/// (user, short host) → the spans of their jobs there (start, end; none while running).
type Spans = HashMap<(String, String), Vec<(f64, Option<f64>)>>;

/// The raw rows and the independent figures over them.
struct Raw {
    sessions: Vec<Session>,
    jobs_on: Spans,
    nodes: BTreeSet<String>,
    /// Jobs: (cluster as Slurm names it, first node, cpus, gpus, start, end).
    jobs: Vec<(String, String, f64, f64, f64, Option<f64>)>,
    clusters: HashMap<String, String>,
    prices: HashMap<(String, Option<String>), f64>,
    teams: HashMap<String, String>,
    now: f64,
}

fn key(host: &str) -> String {
    host.split('.').next().unwrap_or_default().to_lowercase()
}

impl Raw {
    fn read(db: &Connection) -> Self {
        let sessions = raw(
            db,
            "SELECT coalesce(vendor, ''), feature, user_name, host, licenses,
                    epoch(started_at), epoch(first_seen), epoch(last_seen), epoch(ended_at),
                    server
             FROM sessions",
            10,
        )
        .iter()
        .map(|r| {
            let started = number(&r[5]);
            let first = number(&r[6]);
            let s = if matches!(r[5], duckdb::types::Value::Null) || started < first - 86_400.0 {
                first
            } else {
                started
            };
            let open = matches!(r[8], duckdb::types::Value::Null);
            Session {
                server: text(&r[9]),
                vendor: text(&r[0]),
                feature: text(&r[1]),
                user: text(&r[2]),
                host: text(&r[3]),
                licenses: number(&r[4]),
                s,
                e: if open { number(&r[7]) } else { number(&r[8]) },
                open,
            }
        })
        .collect();
        let mut jobs_on = Spans::new();
        let mut nodes = BTreeSet::new();
        for r in raw(
            db,
            "SELECT user_name, host, epoch(started_at), epoch(ended_at) FROM job_hosts",
            4,
        ) {
            let end = (!matches!(r[3], duckdb::types::Value::Null)).then(|| number(&r[3]));
            nodes.insert(key(&text(&r[1])));
            jobs_on
                .entry((text(&r[0]), key(&text(&r[1]))))
                .or_default()
                .push((number(&r[2]), end));
        }
        let jobs = raw(
            db,
            "SELECT cluster, coalesce(host, ''), cpus, gpus, epoch(started_at), epoch(ended_at)
             FROM jobs WHERE started_at IS NOT NULL",
            6,
        )
        .iter()
        .map(|r| {
            let end = (!matches!(r[5], duckdb::types::Value::Null)).then(|| number(&r[5]));
            (
                text(&r[0]),
                text(&r[1]),
                number(&r[2]),
                number(&r[3]),
                number(&r[4]),
                end,
            )
        })
        .collect();
        let clusters = raw(db, "SELECT host, cluster FROM org_hosts", 2)
            .iter()
            .map(|r| (text(&r[0]), text(&r[1])))
            .collect();
        let prices = raw(
            db,
            "SELECT feature, vendor, per_seat_year FROM org_prices",
            3,
        )
        .iter()
        .map(|r| {
            let vendor = Some(text(&r[1])).filter(|v| !v.is_empty());
            ((text(&r[0]), vendor), number(&r[2]))
        })
        .collect();
        let teams = raw(db, "SELECT user_name, team FROM org_people", 2)
            .iter()
            .map(|r| (text(&r[0]), text(&r[1])))
            .collect();
        let now = number(&raw(db, "SELECT epoch(max(until)) FROM polls", 1)[0][0]);
        Raw {
            sessions,
            jobs_on,
            nodes,
            jobs,
            clusters,
            prices,
            teams,
            now,
        }
    }

    fn price(&self, feature: &str, vendor: &str) -> f64 {
        self.prices
            .get(&(feature.to_owned(), Some(vendor.to_owned())))
            .or_else(|| self.prices.get(&(feature.to_owned(), None)))
            .copied()
            .unwrap_or(0.0)
    }

    /// Short host names that ran a job overlapping `[t0, t1)`, jobs running until `now`.
    fn nodes_in(&self, t0: f64, t1: f64, now: f64) -> BTreeSet<String> {
        self.jobs_on
            .iter()
            .filter(|(_, spans)| spans.iter().any(|(s, e)| e.unwrap_or(now) > t0 && *s < t1))
            .map(|((_, host), _)| host.clone())
            .collect()
    }

    /// Each session overlapping `[t0, t1)` on any host: (index, held hours, hours with a
    /// job of its user on its host, on a compute node), clipped to the range.
    fn cover(&self, t0: f64, t1: f64) -> Vec<(usize, f64, f64, bool)> {
        let now = self.now.min(t1);
        let nodes = self.nodes_in(t0, t1, now);
        let mut out = Vec::new();
        for (i, x) in self.sessions.iter().enumerate() {
            let (s, e) = (x.s.max(t0), x.e.min(t1));
            if !(x.e > t0 && x.s < t1 && x.e > x.s) {
                continue;
            }
            let mut spans: Vec<(f64, f64)> = self
                .jobs_on
                .get(&(x.user.clone(), key(&x.host)))
                .map(|v| {
                    v.iter()
                        .map(|(a, b)| (a.max(s), b.unwrap_or(now).min(t1).min(e)))
                        .filter(|(a, b)| b > a)
                        .collect()
                })
                .unwrap_or_default();
            spans.sort_by(|a, b| a.partial_cmp(b).expect("times"));
            // Merged by hand: the union of the job spans inside the session.
            let mut covered = 0.0;
            let mut cur: Option<(f64, f64)> = None;
            for (a, b) in spans {
                match cur {
                    Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
                    Some((ca, cb)) => {
                        covered += cb - ca;
                        cur = Some((a, b));
                    }
                    None => cur = Some((a, b)),
                }
            }
            if let Some((ca, cb)) = cur {
                covered += cb - ca;
            }
            out.push((
                i,
                (e - s) / 3600.0,
                covered / 3600.0,
                nodes.contains(&key(&x.host)),
            ));
        }
        out
    }

    /// Per cluster over `[t0, t1)`: the figures of `compute::clusters`.
    fn clusters(&self, t0: f64, t1: f64) -> BTreeMap<String, C> {
        let mut want: BTreeMap<String, C> = BTreeMap::new();
        for (i, held, job, on_node) in self.cover(t0, t1) {
            let x = &self.sessions[i];
            let cluster = self
                .clusters
                .get(&x.host)
                .cloned()
                .unwrap_or_else(|| "unassigned".to_owned());
            let c = want.entry(cluster).or_default();
            c.lh += x.licenses * held;
            c.cost += x.licenses * held * self.price(&x.feature, &x.vendor) / 8760.0;
            if on_node {
                c.node_lh += x.licenses * held;
                c.job_lh += x.licenses * job;
            }
        }
        let now = self.now.min(t1);
        for (cluster, host, cpus, gpus, s, e) in &self.jobs {
            let hours = (e.unwrap_or(now).min(t1) - s.max(t0)) / 3600.0;
            if hours <= 0.0 {
                continue;
            }
            let cluster = match self.clusters.get(host) {
                Some(c) if c != "unassigned" => c.clone(),
                _ => cluster.clone(),
            };
            let c = want.entry(cluster).or_default();
            c.cpu += cpus * hours;
            c.gpu += gpus * hours;
            c.jobs += 1.0;
        }
        want
    }

    /// Per user or team over `[t0, t1)`, checkouts on nodes: license-hours, license-hours
    /// with a job, sessions, sessions idle `idle` hours or more.
    fn efficiency(&self, t0: f64, t1: f64, by: By, idle: f64) -> BTreeMap<String, [f64; 4]> {
        let mut want: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for (i, held, job, on_node) in self.cover(t0, t1) {
            if !on_node {
                continue;
            }
            let x = &self.sessions[i];
            let who = match by {
                By::User => x.user.clone(),
                By::Team => self
                    .teams
                    .get(&x.user)
                    .cloned()
                    .unwrap_or_else(|| "unassigned".to_owned()),
            };
            let w = want.entry(who).or_default();
            w[0] += x.licenses * held;
            w[1] += x.licenses * job;
            w[2] += 1.0;
            if held - job >= idle {
                w[3] += 1.0;
            }
        }
        want
    }

    /// Sessions on nodes idle `idle` hours or more over `[t0, t1)`: (user, host, feature,
    /// idle hours), sorted.
    fn idle(&self, t0: f64, t1: f64, idle: f64) -> Vec<IdleRow> {
        let mut want: Vec<IdleRow> = self
            .cover(t0, t1)
            .into_iter()
            .filter(|(_, held, job, on_node)| *on_node && held - job >= idle)
            .map(|(i, held, job, _)| {
                let x = &self.sessions[i];
                (
                    x.user.clone(),
                    x.host.clone(),
                    x.feature.clone(),
                    held - job,
                )
            })
            .collect();
        want.sort_by(by_key);
        want
    }

    /// The "Release idle checkouts" recommendations over `[t0, t1)`: per server and feature
    /// with 10 % or more of its license-hours on nodes idle, and 8 hours or more of them,
    /// (feature, server, seats held idle on average, yearly cost change).
    fn release_idle(&self, t0: f64, t1: f64) -> BTreeMap<(String, String), (f64, f64)> {
        let mut by: BTreeMap<(String, String, String), (f64, f64)> = BTreeMap::new();
        for (i, held, job, on_node) in self.cover(t0, t1) {
            if on_node {
                let x = &self.sessions[i];
                let e = by
                    .entry((x.feature.clone(), x.server.clone(), x.vendor.clone()))
                    .or_default();
                e.0 += x.licenses * held;
                e.1 += x.licenses * (held - job);
            }
        }
        let hours = (t1 - t0) / 3600.0;
        by.into_iter()
            .filter(|(_, (lh, idle))| 100.0 * idle / lh >= 10.0 && *idle >= 8.0)
            .map(|((feature, server, vendor), (_, idle))| {
                let seats = idle / hours;
                let price = self.price(&feature, &vendor);
                ((feature, server), (seats, -seats * price))
            })
            .collect()
    }

    /// Open checkouts idle now for `idle` hours or more: (user, host, feature, idle hours
    /// in hundredths).
    fn idle_now(&self, idle: f64) -> BTreeSet<(String, String, String, i64)> {
        let mut out = BTreeSet::new();
        let month = self.now - 30.0 * 86_400.0;
        let recent_nodes = self.nodes_in(month, f64::INFINITY, self.now);
        for x in self.sessions.iter().filter(|x| x.open) {
            let k = key(&x.host);
            if !recent_nodes.contains(&k) {
                continue;
            }
            let spans: Vec<(f64, Option<f64>)> = self
                .jobs_on
                .get(&(x.user.clone(), k))
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, e)| e.unwrap_or(self.now) >= month)
                .collect();
            let running = spans
                .iter()
                .any(|(s, e)| *s <= self.now && e.is_none_or(|e| e >= self.now));
            if running {
                continue;
            }
            let last_end = spans
                .iter()
                .filter_map(|(_, e)| *e)
                .filter(|e| *e < self.now)
                .fold(x.s, f64::max);
            let idle_h = (self.now - last_end.max(x.s)) / 3600.0;
            if idle_h >= idle {
                out.insert((
                    x.user.clone(),
                    x.host.clone(),
                    x.feature.clone(),
                    (idle_h * 100.0).round() as i64,
                ));
            }
        }
        out
    }
}

/// A cluster's figures, as `compute::clusters` gives them.
#[derive(Default, Debug)]
struct C {
    lh: f64,
    node_lh: f64,
    job_lh: f64,
    cost: f64,
    cpu: f64,
    gpu: f64,
    jobs: f64,
}

/// An idle checkout: user, host, feature, idle hours.
type IdleRow = (String, String, String, f64);

fn by_key(a: &IdleRow, b: &IdleRow) -> std::cmp::Ordering {
    (&a.0, &a.1, &a.2)
        .cmp(&(&b.0, &b.1, &b.2))
        .then(a.3.partial_cmp(&b.3).expect("hours"))
}

/// Per Slurm license (`NAME on CLUSTER`): Slurm free, FlexLM issued, in use, over-promised.
fn drift(db: &Connection) -> BTreeMap<String, [f64; 4]> {
    let flex: HashMap<String, (f64, f64)> = raw(
        db,
        "SELECT feature, issued, in_use FROM feature_now WHERE counting = 'counted'",
        3,
    )
    .iter()
    .fold(HashMap::new(), |mut m, r| {
        let e = m.entry(text(&r[0])).or_insert((0.0, 0.0));
        e.0 += number(&r[1]);
        e.1 += number(&r[2]);
        m
    });
    raw(db, "SELECT cluster, name, free FROM slurm_licenses", 3)
        .iter()
        .map(|s| {
            let name = text(&s[1]);
            let feature = name.split('@').next().unwrap_or_default().to_owned();
            let (issued, in_use) = flex.get(&feature).copied().unwrap_or_default();
            let over = (number(&s[2]) - (issued - in_use)).max(0.0);
            (
                format!("{name} on {}", text(&s[0])),
                [number(&s[2]), issued, in_use, over],
            )
        })
        .collect()
}

/// Per cluster: pending jobs, those waiting on licenses, their users, licenses asked for.
fn pending(db: &Connection) -> BTreeMap<String, [f64; 4]> {
    let mut out: BTreeMap<String, ([f64; 4], BTreeSet<String>)> = BTreeMap::new();
    for p in raw(
        db,
        "SELECT cluster, user_name, reason, licenses FROM slurm_pending",
        4,
    ) {
        let e = out.entry(text(&p[0])).or_default();
        e.0[0] += 1.0;
        if text(&p[2]) == "Licenses" {
            e.0[1] += 1.0;
            e.1.insert(text(&p[1]));
            e.0[3] += text(&p[3])
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| {
                    x.rsplit_once(':')
                        .map_or(1.0, |(_, n)| n.parse().unwrap_or(1.0))
                })
                .sum::<f64>();
        }
    }
    out.into_iter()
        .map(|(c, (mut v, users))| {
            v[2] = users.len() as f64;
            (c, v)
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol + 1e-9 * b.abs()
}

/// `[from 00:00, to + 1 day)` in epoch seconds.
fn span(from: NaiveDate, to: NaiveDate) -> (f64, f64) {
    let t = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("t").and_utc().timestamp() as f64;
    (t(from), t(to) + 86_400.0)
}

#[test]
fn compute_figures_match_the_raw_rows() {
    let dir = shared_demo(DEMO);
    let db = published_dir_db(&dir.join("data"));
    let r = Raw::read(&db);
    assert!(
        !r.jobs.is_empty() && !r.nodes.is_empty(),
        "the demo has jobs"
    );
    let (from, to) = (day("2026-11-06"), day("2026-11-19"));
    let (t0, t1) = span(from, to);
    let f = Filters::default();

    // Clusters.
    let want = r.clusters(t0, t1);
    let got = query_rows(&db, compute::clusters(&f, from, to));
    assert_eq!(
        got.iter().map(|r| str_of(&r[0])).collect::<BTreeSet<_>>(),
        want.keys().cloned().collect::<BTreeSet<_>>()
    );
    for row in &got {
        let w = &want[&str_of(&row[0])];
        let ctx = format!("{row:?} vs {w:?}");
        assert!(close(f64_of(&row[1]), w.lh, 0.01), "license-hours {ctx}");
        assert!(close(f64_of(&row[2]), w.node_lh, 0.01), "on nodes {ctx}");
        if w.node_lh > 0.0 {
            let eff = 100.0 * w.job_lh / w.node_lh;
            assert!(close(f64_of(&row[3]), eff, 0.051), "efficiency {ctx}");
        }
        assert!(
            close(f64_of(&row[4]), w.node_lh - w.job_lh, 0.01),
            "idle {ctx}"
        );
        assert!(close(f64_of(&row[5]), w.cpu, 0.051), "CPU-hours {ctx}");
        assert!(close(f64_of(&row[6]), w.gpu, 0.051), "GPU-hours {ctx}");
        assert_eq!(f64_of(&row[7]), w.jobs, "jobs {ctx}");
        assert!(close(f64_of(&row[8]), w.cost, 0.01), "cost {ctx}");
        if w.cpu > 0.0 {
            assert!(
                close(f64_of(&row[9]), w.cost / w.cpu, 0.0001),
                "per CPU-hour {ctx}"
            );
        }
    }
    let hpc: Vec<&Vec<Value>> = got
        .iter()
        .filter(|r| str_of(&r[0]).starts_with("hpc-"))
        .collect();
    assert_eq!(hpc.len(), 2, "both demo clusters: {got:?}");
    for c in &hpc {
        let eff = f64_of(&c[3]);
        assert!(eff > 50.0 && eff < 99.0, "jobs cover most, not all: {c:?}");
        assert!(f64_of(&c[5]) > 0.0 && f64_of(&c[9]) > 0.0, "{c:?}");
    }

    // Users and teams.
    for by in [By::User, By::Team] {
        let want = r.efficiency(t0, t1, by, 2.0);
        let got = query_rows(&db, compute::efficiency(&f, from, to, by, 2.0));
        assert_eq!(got.len(), want.len().min(500), "{by:?}");
        for row in &got {
            let w = want[&str_of(&row[0])];
            let ctx = format!("{by:?} {row:?} vs {w:?}");
            assert!(close(f64_of(&row[1]), w[0], 0.01), "{ctx}");
            assert!(close(f64_of(&row[2]), 100.0 * w[1] / w[0], 0.051), "{ctx}");
            assert!(close(f64_of(&row[3]), w[0] - w[1], 0.01), "{ctx}");
            assert_eq!((f64_of(&row[4]), f64_of(&row[5])), (w[2], w[3]), "{ctx}");
        }
        // Most idle first.
        let idle: Vec<f64> = got.iter().map(|r| f64_of(&r[3])).collect();
        assert!(idle.windows(2).all(|w| w[0] >= w[1]), "{idle:?}");
    }

    // Idle checkouts over the range: every session on a node idle 2 h or more.
    let want = r.idle(t0, t1, 2.0);
    let got = query_rows(&db, compute::idle_checkouts(&f, from, to, 2.0));
    assert!(!got.is_empty(), "the demo plants idle holding");
    assert_eq!(got.len(), want.len().min(500));
    let mut got_rows: Vec<IdleRow> = got
        .iter()
        .map(|r| (str_of(&r[1]), str_of(&r[2]), str_of(&r[3]), f64_of(&r[7])))
        .collect();
    got_rows.sort_by(by_key);
    for (g, w) in got_rows.iter().zip(&want) {
        assert_eq!((&g.0, &g.1, &g.2), (&w.0, &w.1, &w.2));
        assert!(close(g.3, w.3, 0.005), "{g:?} vs {w:?}");
    }

    // Idle now: open checkouts on nodes, no job of theirs running, idle 2 h or more.
    let want_now = r.idle_now(2.0);
    let got_now: BTreeSet<_> = query_rows(&db, compute::idle_now(2.0))
        .iter()
        .map(|r| {
            (
                str_of(&r[0]),
                str_of(&r[1]),
                str_of(&r[2]),
                (f64_of(&r[3]) * 100.0).round() as i64,
            )
        })
        .collect();
    assert!(!got_now.is_empty(), "the demo leaves a checkout idle now");
    assert_eq!(got_now, want_now);

    // Drift: Slurm's free against FlexLM's, per license.
    let want = drift(&db);
    let got = query_rows(&db, compute::drift());
    assert_eq!(got.len(), want.len());
    for row in &got {
        let w = want[&str_of(&row[0])];
        assert_eq!(
            [
                f64_of(&row[3]),
                f64_of(&row[4]),
                f64_of(&row[5]),
                f64_of(&row[7])
            ],
            w,
            "{row:?}"
        );
    }
    assert!(want.values().any(|w| w[3] > 0.0), "the demo plants drift");

    // Jobs waiting on licenses, by cluster.
    let want = pending(&db);
    let got = query_rows(&db, compute::pending());
    assert_eq!(got.len(), want.len());
    for row in &got {
        let w = want[&str_of(&row[0])];
        assert_eq!(
            [
                f64_of(&row[1]),
                f64_of(&row[2]),
                f64_of(&row[3]),
                f64_of(&row[4])
            ],
            w,
            "{row:?}"
        );
    }
    assert!(
        want.values().any(|w| w[1] > 0.0),
        "the demo has jobs waiting on licenses: {want:?}"
    );
}

#[test]
fn the_idle_checkout_rule_fires_where_the_demo_left_checkouts_idle() {
    let dir = shared_demo(DEMO);
    let data = dir.join("data");
    let db = published_dir_db(&data);
    let r = Raw::read(&db);
    // Exits 1: critical alerts fire now in the demo too.
    let out = lmscope(&["check", "--data", &data.to_string_lossy(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let alerts: Vec<Value> = serde_json::from_slice(&out.stdout).expect("check --json");
    let idle: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["kind"] == "idle_checkout")
        .collect();
    assert!(!idle.is_empty(), "the demo's idle checkout rule fires");
    // `check` evaluates the 30 days to the newest poll's day.
    let (t0, t1) = span(day("2026-10-22"), day("2026-11-20"));
    let sessions: BTreeSet<(String, String, String)> = r
        .idle(t0, t1, 4.0)
        .into_iter()
        .map(|(u, h, f, _)| (u, h, f))
        .collect();
    let now = chrono::DateTime::from_timestamp(r.now as i64, 0)
        .expect("now")
        .naive_utc();
    let time = |v: &Value| {
        chrono::NaiveDateTime::parse_from_str(v.as_str().expect("time"), "%Y-%m-%dT%H:%M:%S")
            .expect("time")
    };
    for a in &idle {
        // `FEATURE on SERVER: USER on HOST`
        let subject = a["subject"].as_str().expect("subject");
        let (what, who) = subject.split_once(": ").expect("subject");
        let feature = what.split(" on ").next().expect("feature").to_owned();
        let (user, host) = who.split_once(" on ").expect("user on host");
        let key = (user.to_owned(), host.to_owned(), feature);
        assert!(sessions.contains(&key), "{subject} is not an idle checkout");
        let until = if a["until"].is_null() {
            now
        } else {
            time(&a["until"])
        };
        assert!(
            until - time(&a["since"]) >= chrono::TimeDelta::hours(4),
            "{a}"
        );
        assert_eq!(a["severity"], "warning");
    }
    // The checkout the demo left idle now fires now, and is in the overview's list.
    let ongoing: Vec<&&Value> = idle.iter().filter(|a| a["until"].is_null()).collect();
    assert_eq!(ongoing.len(), 1, "{ongoing:?}");
    let now_idle: BTreeSet<(String, String)> = r
        .idle_now(4.0)
        .into_iter()
        .map(|(u, h, _, _)| (u, h))
        .collect();
    let subject = ongoing[0]["subject"].as_str().expect("subject");
    let who = subject.split_once(": ").expect("subject").1;
    let (user, host) = who.split_once(" on ").expect("user on host");
    assert!(
        now_idle.contains(&(user.to_owned(), host.to_owned())),
        "{subject}"
    );
}

/// A scraped table's rows (cells as computed: numbers as their `data-value`).
fn rows_of(page: &Value, table: &str) -> Vec<Vec<String>> {
    lmscope_e2e::cells(&page["tables"][table]["rows"])
}

fn num(cell: &str) -> f64 {
    if cell == "—" {
        return f64::NAN;
    }
    cell.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell}"))
}

#[test]
fn the_site_shows_licenses_against_compute_as_the_raw_rows_give_them() {
    let tmp = TempDir::new("compute-site");
    let site = site_with_demo(tmp.path());
    let db = published_db(&site);
    let r = Raw::read(&db);
    let server = StaticServer::start(&tmp.path().join("www"));
    let url = |q: &str| server.url(&format!("{SUB_PATH}/index.html?{q}"));
    let (from, to) = (day("2026-11-06"), day("2026-11-19"));
    let (t0, t1) = span(from, to);
    let range = format!("from={from}&to={to}");

    // The clusters page: compute by cluster, idle checkouts, drift, jobs waiting.
    let (mut visit, page) = Visit::open(
        &url(&format!("page=clusters&{range}")),
        "compute-clusters.png",
        &[
            "cluster-compute",
            "idle-checkouts",
            "slurm-drift",
            "slurm-pending",
        ],
    );
    assert!(page.get("error").is_none(), "{page}");
    assert_eq!(page["pageErrors"], Value::Array(vec![]));
    let want = r.clusters(t0, t1);
    let shown = rows_of(&page, "cluster-compute");
    assert_eq!(shown.len(), want.len(), "{shown:?}");
    for row in &shown {
        let w = &want[&row[0]];
        let ctx = format!("{row:?} vs {w:?}");
        assert!(close(num(&row[1]), w.lh, 0.01), "{ctx}");
        assert!(close(num(&row[4]), w.node_lh - w.job_lh, 0.01), "{ctx}");
        if w.node_lh > 0.0 {
            assert!(
                close(num(&row[3]), 100.0 * w.job_lh / w.node_lh, 0.051),
                "{ctx}"
            );
        }
        assert!(close(num(&row[5]), w.cpu, 0.051), "{ctx}");
        assert!(close(num(&row[6]), w.gpu, 0.051), "{ctx}");
        assert!(close(num(&row[8]), w.cost, 0.01), "{ctx}");
    }
    assert_chart_of_table(&page, "cluster-compute", 3);
    let idle_rows = |page: &Value| -> Vec<IdleRow> {
        let mut v: Vec<IdleRow> = rows_of(page, "idle-checkouts")
            .iter()
            .map(|c| (c[1].clone(), c[2].clone(), c[3].clone(), num(&c[7])))
            .collect();
        v.sort_by(by_key);
        v
    };
    let check_idle = |shown: Vec<IdleRow>, want: Vec<IdleRow>| {
        assert_eq!(shown.len(), want.len().min(500));
        for (g, w) in shown.iter().zip(&want) {
            assert_eq!((&g.0, &g.1, &g.2), (&w.0, &w.1, &w.2));
            assert!(close(g.3, w.3, 0.005), "{g:?} vs {w:?}");
        }
    };
    check_idle(idle_rows(&page), r.idle(t0, t1, 2.0));
    let drift_want = drift(&db);
    let shown = rows_of(&page, "slurm-drift");
    assert_eq!(shown.len(), drift_want.len());
    for row in &shown {
        let w = drift_want[&row[0]];
        assert_eq!([num(&row[3]), num(&row[4]), num(&row[5]), num(&row[7])], w);
    }
    let pending_want = pending(&db);
    let shown = rows_of(&page, "slurm-pending");
    assert_eq!(shown.len(), pending_want.len());
    for row in &shown {
        let w = pending_want[&row[0]];
        assert_eq!([num(&row[1]), num(&row[2]), num(&row[3]), num(&row[4])], w);
    }

    // A longer idle threshold keeps only the checkouts idle that long.
    let page = visit.follow(
        &url(&format!("page=clusters&{range}&idle=8")),
        "compute-clusters-idle-8.png",
        &["idle-checkouts"],
    );
    check_idle(idle_rows(&page), r.idle(t0, t1, 8.0));

    // Users' and teams' efficiency.
    for (page_name, table, by) in [
        ("users", "user-efficiency", By::User),
        ("departments", "team-efficiency", By::Team),
    ] {
        let page = visit.follow(
            &url(&format!("page={page_name}&{range}")),
            &format!("compute-{table}.png"),
            &[table],
        );
        let want = r.efficiency(t0, t1, by, 2.0);
        let shown = rows_of(&page, table);
        assert_eq!(shown.len(), want.len().min(500), "{table}");
        for row in &shown {
            let w = want[&row[0]];
            let ctx = format!("{table} {row:?} vs {w:?}");
            assert!(close(num(&row[1]), w[0], 0.01), "{ctx}");
            assert!(close(num(&row[2]), 100.0 * w[1] / w[0], 0.051), "{ctx}");
            assert!(close(num(&row[3]), w[0] - w[1], 0.01), "{ctx}");
            assert_eq!([num(&row[4]), num(&row[5])], [w[2], w[3]], "{ctx}");
        }
    }

    // The recommendations to release idle checkouts, with their evidence links.
    let page = visit.follow(
        &url(&format!("page=recommendations&{range}")),
        "compute-recommendations.png",
        &["recommendations"],
    );
    let want = r.release_idle(t0, t1);
    assert!(
        !want.is_empty(),
        "the demo's idle holding is worth releasing"
    );
    let table = &page["tables"]["recommendations"];
    let shown: Vec<Vec<String>> = rows_of(&page, "recommendations")
        .into_iter()
        .filter(|row| row[1] == "Release idle checkouts")
        .collect();
    assert_eq!(shown.len(), want.len(), "{shown:?}");
    for row in &shown {
        let (seats, cost) = want[&(row[3].clone(), row[2].clone())];
        assert!(close(num(&row[4]), seats, 0.006), "{row:?} vs {seats}");
        assert!(close(num(&row[5]), cost, 0.01), "{row:?} vs {cost}");
        assert!(
            row[6].contains("had no job of the holder running"),
            "{row:?}"
        );
    }
    let links: Vec<&str> = table["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(Value::as_str)
        .filter(|l| l.contains("page=clusters"))
        .collect();
    assert_eq!(
        links.len(),
        want.len(),
        "each links to the clusters page: {links:?}"
    );

    // The overview's live list of checkouts idle now.
    let page = visit.follow(&url("page=overview"), "compute-idle-now.png", &["idle-now"]);
    let shown: BTreeSet<(String, String, String, i64)> = rows_of(&page, "idle-now")
        .iter()
        .map(|c| {
            (
                c[0].clone(),
                c[1].clone(),
                c[2].clone(),
                (num(&c[3]) * 100.0).round() as i64,
            )
        })
        .collect();
    assert!(!shown.is_empty(), "the demo leaves a checkout idle now");
    assert_eq!(shown, r.idle_now(2.0));
}
