//! Which notices a run of `lmscope check --notify` sends, to whom, and what it remembers:
//! pure, the clock and the state given. A firing goes to its rule's `notify` channels when
//! first seen, to each `escalate` step's channels once its delay after the firing's start
//! has passed, again to `notify` every `repeat` while it fires, and a resolved notice goes
//! to every channel that heard of it when it ends. Related firings (same server, or same
//! feature) bound for one channel in one run share a message.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::analytics::alerts::{parse_duration, Alert, Rule};

/// What a notice says about its firings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Newly firing (the rule's `notify` channels).
    Firing,
    /// Still firing after an escalation step's delay (that step's channels).
    Escalation,
    /// Still firing, reminded after the rule's `repeat`.
    Repeat,
    /// No longer firing.
    Resolved,
}

impl Event {
    pub fn label(self) -> &'static str {
        match self {
            Event::Firing => "firing",
            Event::Escalation => "escalated",
            Event::Repeat => "still firing",
            Event::Resolved => "resolved",
        }
    }
}

/// One notice to one channel: an event about one or more related firings.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub channel: String,
    pub event: Event,
    /// What groups the firings (a server or feature name), for the message's title.
    pub group: String,
    pub alerts: Vec<Alert>,
    /// Escalation step (1 = the first `escalate` entry); 0 otherwise.
    pub step: usize,
}

/// What was sent about one firing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The firing as last notified (for its resolved notice).
    pub alert: Option<Alert>,
    /// Channel → step (0: `notify`, i: the i-th `escalate`) → when it was last sent there.
    pub channels: BTreeMap<String, BTreeMap<usize, NaiveDateTime>>,
}

/// What the notifier remembers between runs (a JSON file beside the store).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub firings: BTreeMap<String, Sent>,
}

/// A firing's identity across runs: the rule, its subject and when it started.
pub fn key(a: &Alert) -> String {
    format!("{}\u{1f}{}\u{1f}{}", a.rule, a.subject, a.since)
}

/// Whether `a` fires at `clock`: started by then and not ended by then.
pub fn fires_at(a: &Alert, clock: NaiveDateTime) -> bool {
    a.since <= clock && a.until.is_none_or(|u| u > clock)
}

/// The group an alert shares messages with: its server, else its feature, else its subject.
fn group_of(a: &Alert) -> String {
    let filter = |k: &str| {
        a.filters
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
    };
    filter("server")
        .or_else(|| filter("feature"))
        .unwrap_or_else(|| a.subject.clone())
}

/// The notices due at `clock` for the alerts firing then (`alerts`: every firing over the
/// range; those not firing at `clock` are ignored), given what `state` says was sent.
pub fn plan(rules: &[Rule], alerts: &[Alert], state: &State, clock: NaiveDateTime) -> Vec<Notice> {
    // (channel, event, step, group) → alerts
    let mut due: BTreeMap<(String, Event, usize, String), Vec<Alert>> = BTreeMap::new();
    let mut add = |channel: &str, event: Event, step: usize, a: &Alert| {
        due.entry((channel.to_owned(), event, step, group_of(a)))
            .or_default()
            .push(a.clone());
    };
    let firing: Vec<&Alert> = alerts.iter().filter(|a| fires_at(a, clock)).collect();
    let keys: BTreeSet<String> = firing.iter().map(|a| key(a)).collect();
    for a in &firing {
        let Some(rule) = rules.iter().find(|r| r.name == a.rule) else {
            continue;
        };
        let sent = state.firings.get(&key(a));
        let last = |channel: &str, step: usize| {
            sent.and_then(|s| s.channels.get(channel))
                .and_then(|steps| steps.get(&step))
                .copied()
        };
        let repeat = rule
            .repeat
            .as_deref()
            .and_then(parse_duration)
            .filter(|r| *r > TimeDelta::zero());
        for c in &rule.notify {
            match last(c, 0) {
                None => add(c, Event::Firing, 0, a),
                Some(t) if repeat.is_some_and(|r| clock >= t + r) => add(c, Event::Repeat, 0, a),
                Some(_) => {}
            }
        }
        for (i, step) in rule.escalate.iter().enumerate() {
            let after = parse_duration(&step.after).unwrap_or_default();
            if clock < a.since + after {
                continue;
            }
            for c in &step.notify {
                if last(c, i + 1).is_none() {
                    add(c, Event::Escalation, i + 1, a);
                }
            }
        }
    }
    for (k, sent) in &state.firings {
        if keys.contains(k) {
            continue;
        }
        if let Some(a) = &sent.alert {
            let mut ended = a.clone();
            ended.until = Some(ended.until.unwrap_or(clock).min(clock));
            for c in sent.channels.keys() {
                add(c, Event::Resolved, 0, &ended);
            }
        }
    }
    due.into_iter()
        .map(|((channel, event, step, group), alerts)| Notice {
            channel,
            event,
            group,
            alerts,
            step,
        })
        .collect()
}

impl State {
    /// Read the state file's text; anything unreadable is an empty state (nothing sent).
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// Remember that `notice` was delivered at `clock`.
    pub fn record(&mut self, notice: &Notice, clock: NaiveDateTime) {
        for a in &notice.alerts {
            let k = key(a);
            if notice.event == Event::Resolved {
                if let Some(sent) = self.firings.get_mut(&k) {
                    sent.channels.remove(&notice.channel);
                }
                continue;
            }
            let sent = self.firings.entry(k).or_default();
            sent.alert = Some(a.clone());
            sent.channels
                .entry(notice.channel.clone())
                .or_default()
                .insert(notice.step, clock);
        }
    }

    /// Forget firings that ended and whose every channel heard so (or that no channel
    /// heard of); keep the rest.
    pub fn prune(&mut self, alerts: &[Alert], clock: NaiveDateTime) {
        let firing: BTreeSet<String> = alerts
            .iter()
            .filter(|a| fires_at(a, clock))
            .map(key)
            .collect();
        self.firings
            .retain(|k, sent| firing.contains(k) || !sent.channels.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::alerts::{Escalation, Kind, Severity};

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    fn alert(rule: &str, server: &str, since: &str, until: Option<&str>) -> Alert {
        Alert {
            rule: rule.to_owned(),
            kind: Kind::Down,
            severity: Severity::Critical,
            subject: server.to_owned(),
            since: t(since),
            until: until.map(t),
            evidence: "polls failing".to_owned(),
            filters: vec![("server".to_owned(), server.to_owned())],
        }
    }

    fn rule() -> Rule {
        let mut r = Rule::new("Server down", Kind::Down);
        r.window = Some("5m".to_owned());
        r.notify = vec!["admins".to_owned()];
        r.escalate = vec![Escalation {
            after: "30m".to_owned(),
            notify: vec!["leads".to_owned()],
        }];
        r
    }

    /// Run at `clock`: the notices, delivered and recorded.
    fn run(
        rules: &[Rule],
        alerts: &[Alert],
        state: &mut State,
        clock: &str,
    ) -> Vec<(String, Event)> {
        let notices = plan(rules, alerts, state, t(clock));
        for n in &notices {
            state.record(n, t(clock));
        }
        state.prune(alerts, t(clock));
        notices.into_iter().map(|n| (n.channel, n.event)).collect()
    }

    #[test]
    fn notify_then_escalate_once_then_resolve() {
        let rules = [rule()];
        let alerts = [alert(
            "Server down",
            "srv-a",
            "2026-11-20 10:00",
            Some("2026-11-20 12:00"),
        )];
        let mut state = State::default();
        assert_eq!(run(&rules, &alerts, &mut state, "2026-11-20 09:59"), vec![]);
        assert_eq!(
            run(&rules, &alerts, &mut state, "2026-11-20 10:05"),
            vec![("admins".to_owned(), Event::Firing)]
        );
        assert_eq!(run(&rules, &alerts, &mut state, "2026-11-20 10:20"), vec![]);
        assert_eq!(
            run(&rules, &alerts, &mut state, "2026-11-20 10:30"),
            vec![("leads".to_owned(), Event::Escalation)]
        );
        assert_eq!(run(&rules, &alerts, &mut state, "2026-11-20 11:00"), vec![]);
        let mut resolved = run(&rules, &alerts, &mut state, "2026-11-20 12:00");
        resolved.sort();
        assert_eq!(
            resolved,
            vec![
                ("admins".to_owned(), Event::Resolved),
                ("leads".to_owned(), Event::Resolved)
            ]
        );
        assert!(state.firings.is_empty(), "{state:?}");
        assert_eq!(run(&rules, &alerts, &mut state, "2026-11-20 12:05"), vec![]);
    }

    #[test]
    fn related_firings_share_a_message_and_repeats_come_on_time() {
        let mut r = rule();
        r.escalate.clear();
        r.repeat = Some("4h".to_owned());
        let mut other = Rule::new("Daemon down", Kind::DaemonDown);
        other.notify = vec!["admins".to_owned()];
        let mut daemon = alert("Daemon down", "srv-a", "2026-11-20 10:01", None);
        daemon.subject = "ansyslmd on srv-a".to_owned();
        let alerts = [
            alert("Server down", "srv-a", "2026-11-20 10:00", None),
            daemon,
            alert("Server down", "srv-b", "2026-11-20 10:00", None),
        ];
        let rules = [r, other];
        let notices = plan(&rules, &alerts, &State::default(), t("2026-11-20 10:10"));
        let groups: Vec<(&str, usize)> = notices
            .iter()
            .map(|n| (n.group.as_str(), n.alerts.len()))
            .collect();
        assert_eq!(groups, vec![("srv-a", 2), ("srv-b", 1)]);
        let mut state = State::default();
        run(&rules, &alerts, &mut state, "2026-11-20 10:10");
        assert_eq!(run(&rules, &alerts, &mut state, "2026-11-20 14:09"), vec![]);
        let again = run(&rules, &alerts, &mut state, "2026-11-20 14:10");
        assert_eq!(again, vec![("admins".to_owned(), Event::Repeat); 2]);
    }

    #[test]
    fn a_firing_found_late_gets_every_step_due_at_once() {
        let rules = [rule()];
        let alerts = [alert("Server down", "srv-a", "2026-11-20 10:00", None)];
        let mut got = run(&rules, &alerts, &mut State::default(), "2026-11-20 11:00");
        got.sort();
        assert_eq!(
            got,
            vec![
                ("admins".to_owned(), Event::Firing),
                ("leads".to_owned(), Event::Escalation)
            ]
        );
    }
}
