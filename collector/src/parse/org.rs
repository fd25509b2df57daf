//! The org file (TOML): who is who (people → team → department → cost center), which hosts
//! form which cluster, what licenses cost, budgets, team license pools and projects.
//! It becomes the `org_*` dimension tables of the published files.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::analytics::notify::config::{Channel, ChannelKind, Smtp, Subscription};
use crate::analytics::notify::schedule::Schedule;

/// Name used for users, teams and departments the org file does not know.
pub const UNASSIGNED: &str = "unassigned";

/// The whole org file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// Currency of prices and budgets unless an entry names its own.
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default, rename = "department")]
    pub departments: Vec<Department>,
    #[serde(default, rename = "team")]
    pub teams: Vec<Team>,
    #[serde(default, rename = "person")]
    pub people: Vec<Person>,
    #[serde(default, rename = "cluster")]
    pub clusters: Vec<Cluster>,
    #[serde(default, rename = "price")]
    pub prices: Vec<Price>,
    #[serde(default, rename = "pool")]
    pub pools: Vec<Pool>,
    #[serde(default, rename = "project")]
    pub projects: Vec<Project>,
    /// Alert rules (`[[alert]]`), evaluated by the site and by `lmscope check`.
    #[serde(default, rename = "alert")]
    pub alerts: Vec<crate::analytics::alerts::Rule>,
    /// Where alerts and reports are sent (`[[channel]]`), by name.
    #[serde(default, rename = "channel", skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// The relay e-mail goes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Smtp>,
    /// Views of the site e-mailed on a schedule (`[[subscription]]`).
    #[serde(
        default,
        rename = "subscription",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subscriptions: Vec<Subscription>,
}

fn default_currency() -> String {
    "USD".to_owned()
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: String,
    pub name: Option<String>,
    pub cost_center: Option<String>,
    /// Yearly license budget.
    pub budget: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    pub name: Option<String>,
    pub department: String,
    /// Overrides the department's cost center.
    pub cost_center: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Login name as license servers report it.
    pub user: String,
    pub name: Option<String>,
    pub team: Option<String>,
    /// For people without a team; otherwise the team's department.
    pub department: Option<String>,
    pub cost_center: Option<String>,
    /// For personal report subscriptions (never published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub name: String,
    /// Host name patterns; `*` matches any run of characters, `?` one character.
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub feature: String,
    pub vendor: Option<String>,
    /// Cost of one seat for one year.
    pub per_seat_year: f64,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub team: String,
    pub feature: String,
    pub reserved: u32,
    #[serde(default)]
    pub priority: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub id: String,
    pub name: Option<String>,
    pub budget: Option<f64>,
    #[serde(default, deserialize_with = "toml_date")]
    pub start: Option<NaiveDate>,
    #[serde(default, deserialize_with = "toml_date")]
    pub end: Option<NaiveDate>,
    #[serde(default)]
    pub members: Vec<String>,
    /// Named stretches of the project (`[[project.phase]]`), for spend by phase.
    #[serde(default, rename = "phase")]
    pub phases: Vec<Phase>,
}

/// A stretch of a project: design, verification, tape-out…
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    #[serde(deserialize_with = "required_date")]
    pub start: NaiveDate,
    #[serde(deserialize_with = "required_date")]
    pub end: NaiveDate,
}

fn required_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    toml_date(d)?.ok_or_else(|| serde::de::Error::custom("a date is required"))
}

/// A date written as a TOML date (`2026-01-01`) or a string (`"2026-01-01"`).
fn toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Date(toml::value::Datetime),
        Text(String),
    }
    let invalid = |what: &dyn std::fmt::Display| {
        serde::de::Error::custom(format!("`{what}` is not a date like 2026-01-31"))
    };
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Text(text)) => text.parse().map(Some).map_err(|_| invalid(&text)),
        Some(Raw::Date(dt)) => dt
            .date
            .filter(|_| dt.time.is_none())
            .and_then(|x| {
                NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
            })
            .map(Some)
            .ok_or_else(|| invalid(&dt)),
    }
}

/// Why an org file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OrgError {
    #[error("{0}")]
    Toml(String),
    #[error("{entry}: {message}")]
    Invalid { entry: String, message: String },
}

/// A person resolved through their team and department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub user: String,
    pub display_name: String,
    pub team: String,
    pub department: String,
    pub cost_center: String,
}

impl Org {
    /// Parse and check an org file: every reference must name an entry that exists.
    pub fn from_toml(text: &str) -> Result<Self, OrgError> {
        let org: Org = toml::from_str(text).map_err(|e| OrgError::Toml(e.to_string()))?;
        org.validate()?;
        Ok(org)
    }

    fn validate(&self) -> Result<(), OrgError> {
        let bad = |entry: String, message: String| Err(OrgError::Invalid { entry, message });
        let mut ids = HashSet::new();
        for d in &self.departments {
            if !ids.insert(("department", d.id.as_str())) {
                return bad(format!("department `{}`", d.id), "defined twice".to_owned());
            }
        }
        for t in &self.teams {
            if !ids.insert(("team", t.id.as_str())) {
                return bad(format!("team `{}`", t.id), "defined twice".to_owned());
            }
            if !ids.contains(&("department", t.department.as_str())) {
                return bad(
                    format!("team `{}`", t.id),
                    format!("unknown department `{}`", t.department),
                );
            }
        }
        for p in &self.people {
            if !ids.insert(("person", p.user.as_str())) {
                return bad(format!("person `{}`", p.user), "defined twice".to_owned());
            }
            if let Some(team) = &p.team {
                if !ids.contains(&("team", team.as_str())) {
                    return bad(
                        format!("person `{}`", p.user),
                        format!("unknown team `{team}`"),
                    );
                }
            }
            if let Some(dep) = &p.department {
                if !ids.contains(&("department", dep.as_str())) {
                    return bad(
                        format!("person `{}`", p.user),
                        format!("unknown department `{dep}`"),
                    );
                }
            }
        }
        for pool in &self.pools {
            if !ids.contains(&("team", pool.team.as_str())) {
                return bad(
                    format!("pool of `{}`", pool.feature),
                    format!("unknown team `{}`", pool.team),
                );
            }
        }
        for c in &self.clusters {
            if c.hosts.is_empty() {
                return bad(
                    format!("cluster `{}`", c.name),
                    "lists no host pattern".to_owned(),
                );
            }
        }
        for p in &self.prices {
            if !(p.per_seat_year.is_finite() && p.per_seat_year >= 0.0) {
                return bad(
                    format!("price of `{}`", p.feature),
                    "per_seat_year must be a non-negative number".to_owned(),
                );
            }
        }
        self.validate_notifications()?;
        for p in &self.projects {
            if let (Some(s), Some(e)) = (p.start, p.end) {
                if e < s {
                    return bad(
                        format!("project `{}`", p.id),
                        format!("ends ({e}) before it starts ({s})"),
                    );
                }
            }
            for ph in &p.phases {
                if ph.end < ph.start {
                    return bad(
                        format!("phase `{}` of project `{}`", ph.name, p.id),
                        format!("ends ({}) before it starts ({})", ph.end, ph.start),
                    );
                }
            }
            let mut phases: Vec<&Phase> = p.phases.iter().collect();
            phases.sort_by_key(|ph| ph.start);
            for w in phases.windows(2) {
                if w[1].start <= w[0].end {
                    return bad(
                        format!("phase `{}` of project `{}`", w[1].name, p.id),
                        format!(
                            "starts ({}) before phase `{}` ends ({})",
                            w[1].start, w[0].name, w[0].end
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Channels, the relay and subscriptions: each channel has where to deliver, rules name
    /// channels that exist, schedules read, e-mail has a relay.
    fn validate_notifications(&self) -> Result<(), OrgError> {
        let bad = |entry: String, message: String| Err(OrgError::Invalid { entry, message });
        let mut names = HashSet::new();
        for c in &self.channels {
            let entry = format!("channel `{}`", c.name);
            if !names.insert(c.name.as_str()) {
                return bad(entry, "defined twice".to_owned());
            }
            match c.kind {
                ChannelKind::Email if c.to.is_empty() => {
                    return bad(entry, "an e-mail channel needs `to` (addresses)".to_owned())
                }
                ChannelKind::Email if self.smtp.is_none() => {
                    return bad(entry, "e-mail needs an `[smtp]` relay".to_owned())
                }
                ChannelKind::Slack | ChannelKind::Teams | ChannelKind::Webhook
                    if c.url_env.is_none() =>
                {
                    return bad(
                        entry,
                        "needs `url_env`, the environment variable holding its URL".to_owned(),
                    )
                }
                _ => {}
            }
        }
        for r in &self.alerts {
            if let Some(c) = r.channels().find(|c| !names.contains(c)) {
                return bad(
                    format!("alert `{}`", r.name),
                    format!("unknown channel `{c}`"),
                );
            }
        }
        for s in &self.subscriptions {
            let entry = format!("subscription `{}`", s.name);
            if let Err(e) = Schedule::parse(&s.schedule, s.zone.as_deref()) {
                return bad(entry, e.to_string());
            }
            if self.smtp.is_none() {
                return bad(entry, "e-mail needs an `[smtp]` relay".to_owned());
            }
            if !s.view.starts_with('?') {
                return bad(
                    entry,
                    format!(
                        "`view` `{}` must be the site's URL query, starting with `?`",
                        s.view
                    ),
                );
            }
            let view = crate::analytics::notify::report::View::parse(&s.view).map_err(|e| {
                OrgError::Invalid {
                    entry: entry.clone(),
                    message: format!("view `{}`: {e}", s.view),
                }
            })?;
            if let Err(message) = crate::analytics::notify::report::check_page(&view.page) {
                return bad(entry, message);
            }
            if let Err(message) = crate::analytics::notify::report::days(
                s.range.as_deref(),
                &view.filters,
                NaiveDate::from_ymd_opt(2000, 1, 31).unwrap_or_default(),
            ) {
                return bad(entry, message);
            }
            match &s.team {
                Some(t) if !self.teams.iter().any(|x| &x.id == t) => {
                    return bad(entry, format!("unknown team `{t}`"))
                }
                None if s.to.is_empty() => {
                    return bad(entry, "needs `to` (addresses) or `team`".to_owned())
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Every person with team, department and cost center filled in.
    pub fn resolved_people(&self) -> Vec<Resolved> {
        self.people
            .iter()
            .map(|p| {
                let team = p
                    .team
                    .as_ref()
                    .and_then(|t| self.teams.iter().find(|x| &x.id == t));
                let dep_id = team
                    .map(|t| t.department.clone())
                    .or_else(|| p.department.clone());
                let dep = dep_id
                    .as_ref()
                    .and_then(|d| self.departments.iter().find(|x| &x.id == d));
                Resolved {
                    user: p.user.clone(),
                    display_name: p.name.clone().unwrap_or_else(|| p.user.clone()),
                    team: p.team.clone().unwrap_or_else(|| UNASSIGNED.to_owned()),
                    department: dep_id.unwrap_or_else(|| UNASSIGNED.to_owned()),
                    cost_center: p
                        .cost_center
                        .clone()
                        .or_else(|| team.and_then(|t| t.cost_center.clone()))
                        .or_else(|| dep.and_then(|d| d.cost_center.clone()))
                        .unwrap_or_else(|| UNASSIGNED.to_owned()),
                }
            })
            .collect()
    }

    /// The cluster of a host: the first cluster with a matching pattern (case-insensitive).
    pub fn cluster_of(&self, host: &str) -> Option<&str> {
        self.clusters
            .iter()
            .find(|c| c.hosts.iter().any(|p| glob_match(p, host)))
            .map(|c| c.name.as_str())
    }
}

/// `*` and `?` wildcard match, ASCII case-insensitive, without backtracking blow-up.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = r#"
currency = "EUR"

[[department]]
id = "mech"
name = "Mechanical Engineering"
cost_center = "CC-1100"
budget = 250000

[[team]]
id = "cfd"
department = "mech"

[[team]]
id = "fea"
department = "mech"
cost_center = "CC-1120"

[[person]]
user = "jsmith"
name = "Jane Smith"
team = "cfd"

[[person]]
user = "akumar"
team = "fea"

[[person]]
user = "guest"

[[cluster]]
name = "hpc-a"
hosts = ["hpc-a-*", "node??"]

[[price]]
feature = "MATLAB"
per_seat_year = 2150.0

[[pool]]
team = "cfd"
feature = "acfd"
reserved = 5

[[project]]
id = "orion"
budget = 50000
start = 2026-01-01
end = "2026-12-31"
members = ["jsmith"]

[[project.phase]]
name = "concept"
start = 2026-01-01
end = 2026-04-30

[[project.phase]]
name = "design"
start = "2026-05-01"
end = 2026-12-31
"#;

    #[test]
    fn resolves_people_through_teams() {
        let org = Org::from_toml(ORG).expect("valid");
        let people = org.resolved_people();
        assert_eq!(people[0].department, "mech");
        assert_eq!(people[0].cost_center, "CC-1100");
        assert_eq!(
            people[1].cost_center, "CC-1120",
            "team overrides department"
        );
        assert_eq!(people[1].display_name, "akumar");
        assert_eq!(people[2].team, UNASSIGNED);
        assert_eq!(people[2].department, UNASSIGNED);
        assert_eq!(org.currency, "EUR");
        assert_eq!(org.projects[0].start, NaiveDate::from_ymd_opt(2026, 1, 1));
        let phases: Vec<&str> = org.projects[0]
            .phases
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(phases, ["concept", "design"]);
    }

    #[test]
    fn clusters_by_pattern() {
        let org = Org::from_toml(ORG).expect("valid");
        assert_eq!(org.cluster_of("HPC-A-017"), Some("hpc-a"));
        assert_eq!(org.cluster_of("node42"), Some("hpc-a"));
        assert_eq!(org.cluster_of("node420"), None);
        assert_eq!(org.cluster_of("ws-mech-001"), None);
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("*.cluster.local", "n1.cluster.local"));
        assert!(!glob_match(&"*a".repeat(30), &"a".repeat(29)));
    }

    #[test]
    fn bad_files_say_where_and_what() {
        let e = Org::from_toml("[[team]]\nid = \"x\"\ndepartment = \"nope\"\n")
            .expect_err("unknown dep");
        assert_eq!(e.to_string(), "team `x`: unknown department `nope`");
        let e = Org::from_toml("[[person]]\nuser = \"a\"\nteam = \"ghost\"\n")
            .expect_err("unknown team");
        assert!(e.to_string().contains("unknown team `ghost`"));
        let e =
            Org::from_toml("[[person]]\nuser = \"a\"\nfavourite = 1\n").expect_err("unknown key");
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = Org::from_toml("[[project]]\nid = \"p\"\nstart = 2026-05-01\nend = 2026-01-01\n")
            .expect_err("dates");
        assert!(
            e.to_string().contains("ends (2026-01-01) before it starts"),
            "{e}"
        );
        let overlap = "[[project]]\nid = \"p\"\n[[project.phase]]\nname = \"a\"\nstart = 2026-01-01\nend = 2026-03-01\n[[project.phase]]\nname = \"b\"\nstart = 2026-02-01\nend = 2026-04-01\n";
        let e = Org::from_toml(overlap).expect_err("overlap");
        assert_eq!(
            e.to_string(),
            "phase `b` of project `p`: starts (2026-02-01) before phase `a` ends (2026-03-01)"
        );
        let e = Org::from_toml("[[project]]\nid = \"p\"\n[[project.phase]]\nname = \"a\"\n")
            .expect_err("phase dates");
        assert!(e.to_string().contains("start"), "{e}");
        let e = Org::from_toml("[[price]]\nfeature = \"F\"\nper_seat_year = -3.0\n")
            .expect_err("price");
        assert!(e.to_string().contains("non-negative"), "{e}");
    }

    #[test]
    fn notification_entries_are_checked_and_name_what_is_wrong() {
        let base = r#"
[[team]]
id = "t"
department = "d"
[[department]]
id = "d"
[smtp]
host = "smtp.example.com"
from = "lmscope@example.com"
[[channel]]
name = "admins"
kind = "slack"
url_env = "SLACK_URL"
"#;
        let ok = format!(
            "{base}[[alert]]\nname = \"Down\"\nkind = \"down\"\nwindow = \"5m\"\nnotify = [\"admins\"]\n\
             [[subscription]]\nname = \"Weekly\"\nview = \"?page=departments\"\nschedule = \"weekly on monday\"\nteam = \"t\"\n"
        );
        let org = Org::from_toml(&ok).expect("valid");
        assert_eq!(org.alerts[0].notify, vec!["admins".to_owned()]);
        assert_eq!(org.subscriptions[0].team.as_deref(), Some("t"));
        for (extra, says) in [
            (
                "[[alert]]\nname = \"Down\"\nkind = \"down\"\nwindow = \"5m\"\nescalate = [{ after = \"1h\", notify = [\"leads\"] }]\n",
                "unknown channel `leads`",
            ),
            ("[[channel]]\nname = \"hook\"\nkind = \"webhook\"\n", "needs `url_env`"),
            ("[[channel]]\nname = \"mail\"\nkind = \"email\"\n", "needs `to`"),
            ("[[channel]]\nname = \"admins\"\nkind = \"teams\"\nurl_env = \"X\"\n", "defined twice"),
            (
                "[[subscription]]\nname = \"S\"\nview = \"?page=me\"\nschedule = \"fortnightly\"\nto = [\"a@b.c\"]\n",
                "subscription `S`: schedule `fortnightly`",
            ),
            (
                "[[subscription]]\nname = \"S\"\nview = \"page=me\"\nschedule = \"daily\"\nto = [\"a@b.c\"]\n",
                "starting with `?`",
            ),
            (
                "[[subscription]]\nname = \"S\"\nview = \"?page=me\"\nschedule = \"daily\"\nteam = \"nobody\"\n",
                "unknown team `nobody`",
            ),
            (
                "[[subscription]]\nname = \"S\"\nview = \"?page=trends\"\nschedule = \"daily\"\nto = [\"a@b.c\"]\n",
                "page `trends` cannot be e-mailed",
            ),
            (
                "[[subscription]]\nname = \"S\"\nview = \"?page=me\"\nschedule = \"daily\"\nrange = \"fortnight\"\nto = [\"a@b.c\"]\n",
                "range `fortnight`",
            ),
        ] {
            let e = Org::from_toml(&format!("{base}{extra}")).expect_err(says);
            assert!(e.to_string().contains(says), "{e} (wanted {says})");
        }
    }
}
