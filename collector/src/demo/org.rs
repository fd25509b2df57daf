//! The demo's people and its org file: departments and teams, clusters, prices, budgets,
//! pools, projects and the alert rules the demo year plants causes for.

use chrono::NaiveDate;

use super::catalog::{price_of, DEPARTMENTS, SERVERS};
use super::Rng;
use crate::analytics::alerts::{Escalation, Kind, Rule, Severity};
use crate::analytics::notify::config::{Channel, ChannelKind, Security, Smtp, Subscription};
use crate::parse::org::{
    Cluster, Department, Org, Person as OrgPerson, Phase, Pool, Price, Project, Team,
};

const FIRST: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s", "t",
    "v", "w", "y", "z",
];
const LAST: &[&str] = &[
    "smith", "chen", "garcia", "mueller", "kumar", "nguyen", "rossi", "tanaka", "kowalski",
    "silva", "dubois", "larsen", "novak", "okafor", "haddad", "ivanova", "schmidt", "moreau",
    "yilmaz", "andersen", "park", "lopez", "fischer", "costa", "murphy", "weber", "sato",
];

/// A demo person: login name, department index and their workstation.
pub(super) struct Person {
    pub(super) login: String,
    pub(super) department: usize,
    pub(super) workstation: String,
    /// Relative activity: a few heavy users, many light ones.
    pub(super) weight: f64,
}

pub(super) fn people(rng: &mut Rng, count: usize) -> Vec<Person> {
    let mut seen = std::collections::HashSet::new();
    (0..count)
        .map(|i| {
            let base = format!(
                "{}{}",
                FIRST[rng.below(FIRST.len())],
                LAST[rng.below(LAST.len())]
            );
            let mut login = base.clone();
            let mut n = 2;
            while !seen.insert(login.clone()) {
                login = format!("{base}{n}");
                n += 1;
            }
            let department = i % DEPARTMENTS.len();
            Person {
                workstation: format!("ws-{}-{:03}", DEPARTMENTS[department], i),
                login,
                department,
                weight: 1.0 / (1.0 + rng.below(20) as f64),
            }
        })
        .collect()
}

const DEPARTMENT_NAMES: &[&str] = &[
    "Mechanical Engineering",
    "Controls",
    "Chip Design",
    "Research",
    "Product Lifecycle",
];

/// A project phase from `(year, month, day)` bounds.
fn phase(name: &str, start: (i32, u32, u32), end: (i32, u32, u32)) -> Phase {
    let day = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    Phase {
        name: name.to_owned(),
        start: day(start),
        end: day(end),
    }
}

/// The demo's org file: departments, two teams each, the demo's people (all but every
/// sixteenth, who stay unassigned), clusters, prices, budgets, pools and projects.
pub fn org(seed: u64) -> Org {
    let people = people(&mut Rng(seed), 320);
    let team_of = |i: usize, p: &Person| {
        format!(
            "{}-{}",
            DEPARTMENTS[p.department],
            ["a", "b"][i / DEPARTMENTS.len() % 2]
        )
    };
    Org {
        currency: "USD".to_owned(),
        departments: DEPARTMENTS
            .iter()
            .zip(DEPARTMENT_NAMES)
            .enumerate()
            .map(|(i, (id, name))| Department {
                id: (*id).to_owned(),
                name: Some((*name).to_owned()),
                cost_center: Some(format!("CC-{}", 1100 + i * 100)),
                // Yearly, at pay-for-use rates; the tape-out surge runs chip design past its own.
                budget: Some([900_000.0, 250_000.0, 700_000.0, 300_000.0, 450_000.0][i]),
            })
            .collect(),
        teams: DEPARTMENTS
            .iter()
            .flat_map(|d| {
                ["a", "b"].map(|t| Team {
                    id: format!("{d}-{t}"),
                    name: Some(format!("{d} team {}", t.to_uppercase())),
                    department: (*d).to_owned(),
                    cost_center: None,
                })
            })
            .collect(),
        people: people
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 16 != 15)
            .map(|(i, p)| OrgPerson {
                user: p.login.clone(),
                name: None,
                team: Some(team_of(i, p)),
                department: None,
                cost_center: None,
                email: Some(format!("{}@example.com", p.login)),
            })
            .collect(),
        clusters: vec![
            Cluster {
                name: "hpc-a".to_owned(),
                hosts: vec!["hpc-a-*".to_owned()],
            },
            Cluster {
                name: "hpc-b".to_owned(),
                hosts: vec!["hpc-b-*".to_owned()],
            },
            Cluster {
                name: "workstations".to_owned(),
                hosts: vec!["ws-*".to_owned()],
            },
        ],
        prices: SERVERS
            .iter()
            .flat_map(|s| s.features.iter())
            .map(|f| Price {
                feature: f.name.to_owned(),
                vendor: Some(f.vendor.to_owned()),
                per_seat_year: price_of(f.name),
                currency: None,
            })
            .collect(),
        pools: vec![
            Pool {
                team: "ctrl-a".to_owned(),
                feature: "SIMULINK".to_owned(),
                reserved: 6,
                priority: 1,
            },
            Pool {
                team: "mech-a".to_owned(),
                feature: "ansys".to_owned(),
                reserved: 8,
                priority: 1,
            },
            Pool {
                team: "chip-a".to_owned(),
                feature: "Virtuoso_Layout_Suite_XL".to_owned(),
                reserved: 4,
                priority: 2,
            },
        ],
        alerts: demo_rules(),
        channels: demo_channels(),
        smtp: Some(Smtp {
            host: "smtp.example.com".to_owned(),
            port: None,
            security: Security::Starttls,
            from: "lmscope <lmscope@example.com>".to_owned(),
            user_env: Some("LMSCOPE_SMTP_USER".to_owned()),
            password_env: Some("LMSCOPE_SMTP_PASSWORD".to_owned()),
            ca_file: None,
        }),
        subscriptions: demo_subscriptions(),
        projects: vec![
            Project {
                id: "orion".to_owned(),
                name: Some("Orion drivetrain".to_owned()),
                budget: Some(180_000.0),
                start: NaiveDate::from_ymd_opt(2026, 1, 1),
                end: NaiveDate::from_ymd_opt(2026, 12, 31),
                members: people
                    .iter()
                    .filter(|p| p.department == 0)
                    .take(12)
                    .map(|p| p.login.clone())
                    .collect(),
                phases: vec![
                    phase("concept", (2026, 1, 1), (2026, 4, 30)),
                    phase("detailed design", (2026, 5, 1), (2026, 12, 31)),
                ],
            },
            Project {
                id: "atlas".to_owned(),
                name: Some("Atlas SoC tape-out".to_owned()),
                budget: Some(650_000.0),
                start: NaiveDate::from_ymd_opt(2026, 3, 1),
                end: NaiveDate::from_ymd_opt(2027, 2, 28),
                members: people
                    .iter()
                    .filter(|p| p.department == 2)
                    .take(20)
                    .map(|p| p.login.clone())
                    .collect(),
                phases: vec![
                    phase("design", (2026, 3, 1), (2026, 6, 30)),
                    phase("verification", (2026, 7, 1), (2026, 9, 30)),
                    phase("tape-out", (2026, 10, 1), (2027, 2, 28)),
                ],
            },
        ],
    }
}

/// Where the demo's alerts go: the license admins' Slack, IT operations' Teams, a ticket
/// system's webhook and the engineering leads' mailbox.
fn demo_channels() -> Vec<Channel> {
    let hook = |name: &str, kind: ChannelKind, var: &str| Channel {
        name: name.to_owned(),
        kind,
        url_env: Some(var.to_owned()),
        to: Vec::new(),
    };
    vec![
        hook("license-admins", ChannelKind::Slack, "LMSCOPE_SLACK_URL"),
        hook("it-ops", ChannelKind::Teams, "LMSCOPE_TEAMS_URL"),
        hook("tickets", ChannelKind::Webhook, "LMSCOPE_TICKETS_URL"),
        Channel {
            name: "eng-leads".to_owned(),
            kind: ChannelKind::Email,
            url_env: None,
            to: vec!["eng-leads@example.com".to_owned()],
        },
    ]
}

/// The reports the demo's managers get: a weekly executive summary, the monthly chargeback
/// for finance (with its CSV), and each chip designer's own weekly use.
fn demo_subscriptions() -> Vec<Subscription> {
    let sub = |name: &str, view: &str, schedule: &str| Subscription {
        name: name.to_owned(),
        view: view.to_owned(),
        schedule: schedule.to_owned(),
        zone: Some("Europe/Berlin".to_owned()),
        to: Vec::new(),
        team: None,
        range: None,
        csv: false,
    };
    vec![
        Subscription {
            to: vec!["cto@example.com".to_owned()],
            range: Some("last_week".to_owned()),
            ..sub(
                "Executive summary",
                "?page=summary",
                "weekly on monday at 07:00",
            )
        },
        Subscription {
            to: vec!["finance@example.com".to_owned()],
            csv: true,
            range: Some("last_month".to_owned()),
            ..sub(
                "Monthly chargeback",
                "?page=departments",
                "monthly on 1 at 06:00",
            )
        },
        Subscription {
            team: Some("chip-a".to_owned()),
            range: Some("7d".to_owned()),
            ..sub("Your license use", "?page=me", "weekly on friday at 16:00")
        },
    ]
}

/// Alert rules with a planted cause each: the SIMULINK shortage, its denials, the expiring
/// Innovus license, the snpslmd daemon outage, the server outage, idle capacity, the
/// tape-out surge (unusual demand, and chip design's spend running past its budget), the
/// features likely to run out within 30 days (SIMULINK, ansys and the surging chip tools),
/// and the checkouts left idle on the Slurm clusters.
fn demo_rules() -> Vec<Rule> {
    let rule = |name: &str, kind: Kind, severity: Severity| Rule {
        severity,
        ..Rule::new(name, kind)
    };
    vec![
        Rule {
            threshold: Some(100.0),
            window: Some("30m".to_owned()),
            notify: vec!["license-admins".to_owned()],
            escalate: vec![Escalation {
                after: "2h".to_owned(),
                notify: vec!["eng-leads".to_owned()],
            }],
            repeat: Some("1d".to_owned()),
            ..rule("Shortage", Kind::Utilization, Severity::Critical)
        },
        Rule {
            threshold: Some(5.0),
            window: Some("1h".to_owned()),
            ..rule("Denials", Kind::Denials, Severity::Warning)
        },
        Rule {
            threshold: Some(50.0),
            days: Some(30),
            ..rule("Likely to run out", Kind::ShortageRisk, Severity::Warning)
        },
        Rule {
            days: Some(30),
            notify: vec!["license-admins".to_owned()],
            ..rule("License expiring", Kind::Expiry, Severity::Warning)
        },
        Rule {
            window: Some("30m".to_owned()),
            notify: vec!["license-admins".to_owned(), "it-ops".to_owned()],
            escalate: vec![Escalation {
                after: "1h".to_owned(),
                notify: vec!["eng-leads".to_owned(), "tickets".to_owned()],
            }],
            ..rule("Vendor daemon down", Kind::DaemonDown, Severity::Critical)
        },
        Rule {
            window: Some("30m".to_owned()),
            notify: vec!["license-admins".to_owned(), "it-ops".to_owned()],
            escalate: vec![Escalation {
                after: "1h".to_owned(),
                notify: vec!["eng-leads".to_owned(), "tickets".to_owned()],
            }],
            ..rule("License server down", Kind::Down, Severity::Critical)
        },
        Rule {
            window: Some("2h".to_owned()),
            ..rule("Data stale", Kind::Stale, Severity::Warning)
        },
        Rule {
            threshold: Some(15.0),
            days: Some(14),
            ..rule("Idle capacity", Kind::Idle, Severity::Info)
        },
        Rule {
            threshold: Some(25.0),
            window: Some("7d".to_owned()),
            ..rule("Unusual demand", Kind::Unusual, Severity::Info)
        },
        Rule {
            window: Some("4h".to_owned()),
            ..rule("Idle checkout", Kind::IdleCheckout, Severity::Warning)
        },
        Rule {
            threshold: Some(100.0),
            projected: true,
            notify: vec!["eng-leads".to_owned()],
            ..rule("Budget overrun", Kind::Budget, Severity::Warning)
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_org_is_valid_and_leaves_some_people_unassigned() {
        let org = org(7);
        let text = toml::to_string(&org).expect("serializes");
        let back = Org::from_toml(&text).expect("the demo org passes validation");
        assert_eq!(back.people.len(), 300);
        assert_eq!(back.cluster_of("hpc-b-017"), Some("hpc-b"));
    }
}
