use super::*;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde::Deserialize;

fn t(h: u32, m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(h, m, 0))
        .expect("time")
}

fn rule(kind: Kind, threshold: Option<f64>, window: Option<&str>, days: Option<u32>) -> Rule {
    Rule {
        severity: Severity::Critical,
        threshold,
        window: window.map(str::to_owned),
        days,
        ..Rule::new(&format!("{kind:?}"), kind)
    }
}

fn data_now(now: NaiveDateTime) -> Data {
    Data {
        now: Some(now),
        newest: Some(now),
        ..Data::default()
    }
}

#[test]
fn durations_parse() {
    assert_eq!(parse_duration("5m"), Some(TimeDelta::minutes(5)));
    assert_eq!(parse_duration("2h"), Some(TimeDelta::hours(2)));
    assert_eq!(parse_duration("7d"), Some(TimeDelta::days(7)));
    assert_eq!(parse_duration("90s"), Some(TimeDelta::seconds(90)));
    assert_eq!(parse_duration("5"), None);
    assert_eq!(parse_duration("m"), None);
    assert_eq!(parse_duration("-5m"), None);
    assert_eq!(parse_duration("5 weeks"), None);
}

#[test]
fn sustained_needs_the_whole_duration() {
    let pts = [
        (t(9, 0), 50.0),
        (t(9, 10), 97.0),
        (t(9, 13), 60.0),
        (t(9, 20), 99.0),
    ];
    // 97 % for 3 minutes is too short; 99 % from 9:20 to the end (9:30) is 10 minutes.
    let got = sustained(&pts, t(9, 30), TimeDelta::minutes(5), |p| p >= 95.0);
    assert_eq!(got, vec![(t(9, 20), None)]);
    let got = sustained(&pts, t(9, 30), TimeDelta::minutes(2), |p| p >= 95.0);
    assert_eq!(got, vec![(t(9, 10), Some(t(9, 13))), (t(9, 20), None)]);
}

#[test]
fn utilization_fires_on_a_planted_shortage_only() {
    let mut d = data_now(t(12, 0));
    d.features.insert(
        ("s".into(), "CAD".into()),
        vec![
            (t(9, 0), 5.0, 10.0),
            (t(10, 0), 10.0, 10.0),
            (t(10, 30), 6.0, 10.0),
        ],
    );
    d.features
        .insert(("s".into(), "OTHER".into()), vec![(t(9, 0), 9.0, 10.0)]);
    let r = rule(Kind::Utilization, Some(95.0), Some("5m"), None);
    let (alerts, errors) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
    assert!(errors.is_empty());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].subject, "CAD on s");
    assert_eq!(
        (alerts[0].since, alerts[0].until),
        (t(10, 0), Some(t(10, 30)))
    );
    assert!(
        alerts[0].evidence.contains("peak 100 %"),
        "{}",
        alerts[0].evidence
    );
    // Scoped to another feature: nothing.
    let scoped = Rule {
        features: vec!["OTHER".into()],
        ..r
    };
    assert!(evaluate(&[scoped], &d, t(12, 0)).0.is_empty());
}

#[test]
fn denials_fire_when_n_fall_in_the_window() {
    let times = [t(9, 0), t(9, 1), t(9, 2), t(11, 0), t(11, 30)];
    assert_eq!(
        bursts(&times, 3, TimeDelta::minutes(10)),
        vec![(t(9, 2), t(9, 10))]
    );
    assert!(bursts(&times, 4, TimeDelta::minutes(10)).is_empty());
    let mut d = data_now(t(12, 0));
    d.denials = times
        .iter()
        .map(|x| ("s".into(), "CAD".into(), *x))
        .collect();
    let (alerts, _) = evaluate(
        &[rule(Kind::Denials, Some(3.0), Some("10m"), None)],
        &d,
        t(12, 0),
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].until, Some(t(9, 10)));
    assert!(
        alerts[0].evidence.starts_with("3 denials"),
        "{}",
        alerts[0].evidence
    );
}

#[test]
fn expiry_down_daemon_and_stale() {
    let mut d = data_now(t(12, 0));
    let day = |n: i64| t(0, 0).date() + TimeDelta::days(n);
    d.expiries = vec![
        ("s".into(), "SOON".into(), 5.0, day(20)),
        ("s".into(), "LATER".into(), 5.0, day(200)),
    ];
    d.runs = vec![
        ("a".into(), t(8, 0), t(9, 0), true),
        ("a".into(), t(9, 5), t(11, 0), false),
        ("a".into(), t(11, 5), t(12, 0), true),
        ("b".into(), t(8, 0), t(11, 0), true),
        ("b".into(), t(11, 50), t(12, 0), false),
    ];
    d.daemons.insert(
        ("a".into(), "snps".into()),
        vec![(t(8, 0), true), (t(9, 0), false), (t(10, 0), true)],
    );
    let rules = [
        rule(Kind::Expiry, None, None, Some(30)),
        rule(Kind::Down, None, Some("30m"), None),
        rule(Kind::DaemonDown, None, Some("15m"), None),
        rule(Kind::Stale, None, Some("1h"), None),
    ];
    let (alerts, errors) = evaluate(&rules, &d, t(12, 30));
    assert!(errors.is_empty(), "{errors:?}");
    let subjects: Vec<(Kind, &str)> = alerts
        .iter()
        .map(|a| (a.kind, a.subject.as_str()))
        .collect();
    assert!(subjects.contains(&(Kind::Expiry, "SOON on s")));
    assert!(!subjects.iter().any(|s| s.1 == "LATER on s"));
    // Server a was down 9:05–11:05 (2 h); b only 10 minutes so far.
    let down: Vec<&Alert> = alerts.iter().filter(|a| a.kind == Kind::Down).collect();
    assert_eq!(down.len(), 1);
    assert_eq!((down[0].since, down[0].until), (t(9, 5), Some(t(11, 5))));
    assert!(subjects.contains(&(Kind::DaemonDown, "snps on a")));
    // The clock is 30 minutes past the newest poll: not stale for a 1 h rule.
    assert!(!subjects.iter().any(|s| s.0 == Kind::Stale));
    let (alerts, _) = evaluate(&rules, &d, t(14, 0));
    assert!(alerts.iter().any(|a| a.kind == Kind::Stale));
}

#[test]
fn idle_needs_days_in_a_row() {
    let mut d = data_now(t(12, 0));
    let day = |n: i64| t(0, 0).date() - TimeDelta::days(10) + TimeDelta::days(n);
    let rows: Vec<(NaiveDate, f64, f64)> = (0..10)
        .map(|n| (day(n), if n >= 3 { 1.0 } else { 8.0 }, 20.0))
        .collect();
    d.daily.insert(("s".into(), "IDLE".into()), rows);
    let (alerts, _) = evaluate(&[rule(Kind::Idle, Some(10.0), None, Some(7))], &d, t(12, 0));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].since, day(3).and_hms_opt(0, 0, 0).expect("t"));
    assert_eq!(alerts[0].until, None);
    let (alerts, _) = evaluate(&[rule(Kind::Idle, Some(10.0), None, Some(8))], &d, t(12, 0));
    assert!(alerts.is_empty());
}

#[test]
fn unusual_compares_with_the_same_hours_of_the_week() {
    let mut d = data_now(t(12, 0));
    let usual = [Some(9.0), Some(10.0), Some(11.0), Some(10.0)];
    // Usual 10 in use (9 to 11 in the four weeks before); 9:00 and 10:00 at 15; 11:00 at 12.
    let rows: Vec<Hour> = [(8, 10.0), (9, 15.0), (10, 15.0), (11, 12.0)]
        .into_iter()
        .map(|(h, v)| (t(h, 0), v, usual))
        .collect();
    d.hourly.insert(("s".into(), "CAD".into()), rows.clone());
    // A tiny baseline, one week of history, or weeks that vary as much: never unusual.
    let tiny: Vec<Hour> = rows.iter().map(|r| (r.0, 5.0, [Some(0.5); 4])).collect();
    d.hourly.insert(("s".into(), "TINY".into()), tiny);
    let young: Vec<Hour> = rows
        .iter()
        .map(|r| (r.0, 50.0, [Some(10.0), None, None, None]))
        .collect();
    d.hourly.insert(("s".into(), "NEW".into()), young);
    let noisy: Vec<Hour> = rows
        .iter()
        .map(|r| (r.0, 20.0, [Some(2.0), Some(18.0), Some(5.0), Some(15.0)]))
        .collect();
    d.hourly.insert(("s".into(), "NOISY".into()), noisy);
    // Two-hour windows: 8–10 h +25 %, 9–11 h +50 %, 10–12 h +35 %.
    let r = rule(Kind::Unusual, Some(40.0), Some("2h"), None);
    let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].subject, "CAD on s");
    assert_eq!(
        (alerts[0].since, alerts[0].until),
        (t(9, 0), Some(t(11, 0)))
    );
    assert!(
        alerts[0].evidence.contains("(+50 %)"),
        "{}",
        alerts[0].evidence
    );
    // Three hours: 8–11 h +33 %, 9–12 h +40 %, neither more than 40 %.
    let longer = Rule {
        window: Some("3h".into()),
        ..r.clone()
    };
    assert!(evaluate(&[longer], &d, t(12, 0)).0.is_empty());
    // A drop counts as well: 30 % lower with a 15 % threshold, still on at the end; 20 %
    // lower is within three standard deviations of these weeks (0.82 each).
    d.hourly
        .insert(("s".into(), "CAD".into()), vec![(t(11, 0), 7.0, usual)]);
    let low = Rule {
        threshold: Some(15.0),
        window: Some("1h".into()),
        ..r
    };
    let (alerts, _) = evaluate(std::slice::from_ref(&low), &d, t(12, 0));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].evidence.contains("(-30 %)"),
        "{}",
        alerts[0].evidence
    );
    assert_eq!(alerts[0].until, None);
    d.hourly
        .insert(("s".into(), "CAD".into()), vec![(t(11, 0), 8.0, usual)]);
    assert!(evaluate(&[low], &d, t(12, 0)).0.is_empty());
}

#[test]
fn budget_fires_on_spend_and_on_projection() {
    let mut d = data_now(t(12, 0));
    let day = |m: u32, dd: u32| NaiveDate::from_ymd_opt(2026, m, dd).expect("day");
    d.budgets.insert(
        ("department".into(), "chip".into(), "Chip Design".into()),
        (1000.0, day(1, 1), day(1, 10)),
    );
    d.budgets.insert(
        ("project".into(), "atlas".into(), "Atlas".into()),
        (1000.0, day(1, 1), day(1, 10)),
    );
    // 100 a day: 90 % spent on day 9; at 100 a day the projection is 1,000 from day 1.
    let daily: Vec<(NaiveDate, f64)> = (1..=9).map(|n| (day(1, n), 100.0)).collect();
    d.spend
        .insert(("department".into(), "chip".into()), daily.clone());
    d.spend.insert(("project".into(), "atlas".into()), daily);
    let mut r = rule(Kind::Budget, Some(90.0), None, None);
    r.departments = vec!["chip".into()];
    let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].subject, "department Chip Design");
    assert_eq!(alerts[0].since, midnight(day(1, 9)));
    assert_eq!(alerts[0].until, None);
    assert!(
        alerts[0]
            .evidence
            .starts_with("spent 900 of its 1000 budget (90 %), projected 1000 (100 %)"),
        "{}",
        alerts[0].evidence
    );
    assert_eq!(
        alerts[0].filters,
        vec![("department".to_owned(), "chip".to_owned())]
    );
    // Projected: fires from the first day; the project is out of this rule's scope.
    r.projected = true;
    let (alerts, _) = evaluate(std::slice::from_ref(&r), &d, t(12, 0));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].since, midnight(day(1, 1)));
    // No scope: the department and the project.
    let all = Rule {
        departments: Vec::new(),
        ..r
    };
    assert_eq!(evaluate(&[all], &d, t(12, 0)).0.len(), 2);
}

#[test]
fn invalid_rules_say_what_is_missing() {
    let (alerts, errors) = evaluate(
        &[
            rule(Kind::Utilization, None, Some("5m"), None),
            rule(Kind::Denials, Some(3.0), Some("soon"), None),
            rule(Kind::Idle, Some(5.0), None, None),
        ],
        &data_now(t(12, 0)),
        t(12, 0),
    );
    assert!(alerts.is_empty());
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(messages[0].contains("needs `threshold`"), "{messages:?}");
    assert!(
        messages[1].contains("`soon` is not a duration"),
        "{messages:?}"
    );
    assert!(messages[2].contains("needs `days`"), "{messages:?}");
}

#[test]
fn rule_sets_round_trip_through_toml_and_the_url() {
    let mut budget = rule(Kind::Budget, Some(90.0), None, None);
    budget.departments = vec!["chip".into()];
    budget.projected = true;
    let mut off = rule(Kind::Stale, None, Some("2h"), None);
    off.enabled = false;
    let rules = vec![
        budget,
        off,
        rule(Kind::Unusual, Some(25.0), Some("7d"), None),
    ];
    let text = to_toml(&rules);
    assert!(
        text.contains("[[alert]]") && text.contains("projected = true"),
        "{text}"
    );
    assert!(
        !text.contains("features"),
        "empty scopes are left out: {text}"
    );
    #[derive(Deserialize)]
    struct File {
        alert: Vec<Rule>,
    }
    let back: File = toml::from_str(&text).expect("exported TOML reads back");
    assert_eq!(back.alert, rules);
    assert_eq!(from_param(&to_param(&rules)), Ok(rules));
    assert!(from_param("[{\"name\":\"x\"}]").is_err_and(|e| e.contains("kind")));
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.key()), Some(k));
        let json = serde_json::to_string(&k).expect("kind");
        assert_eq!(json, format!("\"{}\"", k.key()));
    }
}

#[test]
fn rules_read_from_toml_and_refuse_unknown_fields() {
    #[derive(Deserialize)]
    struct File {
        alert: Vec<Rule>,
    }
    let f: File = toml::from_str(
        "[[alert]]\nname = \"Shortage\"\nkind = \"utilization\"\nseverity = \"critical\"\nthreshold = 95\nwindow = \"5m\"\nfeatures = [\"MATLAB\"]\n",
    )
    .expect("valid");
    assert_eq!(f.alert[0].kind, Kind::Utilization);
    assert_eq!(f.alert[0].severity, Severity::Critical);
    assert!(f.alert[0].validate().is_ok());
    let bad = toml::from_str::<File>("[[alert]]\nname = \"x\"\nkind = \"utilisation\"\n");
    assert!(bad.is_err());
    let bad = toml::from_str::<File>("[[alert]]\nname = \"x\"\nkind = \"stale\"\nwindo = \"1h\"\n");
    assert!(bad.err().is_some_and(|e| e.to_string().contains("windo")));
}
