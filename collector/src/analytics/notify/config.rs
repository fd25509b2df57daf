//! What the org file declares for notifications: channels (`[[channel]]`), the SMTP relay
//! (`[smtp]`) and report subscriptions (`[[subscription]]`). Secrets are never here: a
//! channel or relay names the environment variable that holds its URL or password.

use serde::{Deserialize, Serialize};

/// Where a channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Slack incoming webhook (or any Slack-compatible one: Mattermost, Rocket.Chat).
    Slack,
    /// A Microsoft Teams incoming webhook (a MessageCard).
    Teams,
    /// Any HTTP endpoint taking lmscope's JSON payload, one firing per request (tickets).
    Webhook,
    /// E-mail over the `[smtp]` relay.
    Email,
}

impl ChannelKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Slack => "Slack",
            Self::Teams => "Teams",
            Self::Webhook => "webhook",
            Self::Email => "e-mail",
        }
    }
}

/// A named destination that rules (`notify`, `escalate`) refer to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// Slack, Teams, webhook: the environment variable holding the URL (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    /// E-mail: the recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, refused if the server cannot (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on localhost only).
    None,
}

/// The SMTP relay e-mail channels and subscriptions send through.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    /// Default: 587 for STARTTLS, 465 for TLS, 25 for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    /// The sender, `lmscope <lmscope@example.com>`.
    pub from: String,
    /// Environment variables holding the login and password, if the relay wants them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A PEM file of extra root certificates (a company CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

impl Smtp {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        })
    }
}

/// A view of the site delivered by e-mail on a schedule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub name: String,
    /// The view: the site's URL query (`?page=costs&range=30d`), as the address bar shows it.
    pub view: String,
    /// `daily`, `weekly on monday`, `monthly on 1` (a day past a month's end: its last day),
    /// optionally `at 07:30` (default 07:00), in `zone`.
    pub schedule: String,
    /// IANA time zone of the schedule (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Recipients' addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Personal subscriptions: every person of this team with an `email` gets the view with
    /// `user=` set to themselves (use `?page=me`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The days each report covers: `7d`, `30d`, `quarter`, `year` (ending on the newest
    /// data's day, as the site's presets), `last_week` (Monday to Sunday) or `last_month`
    /// (the calendar month before the newest data's); default: the view's own `from`/`to`,
    /// else 30 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    /// Attach the chargeback for the view's range as CSV.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub csv: bool,
}

/// A `[[subscription]]` for the org file that e-mails the site's view at `query` (the URL's
/// query, as the address bar shows it) on `schedule` in `zone` to `to`. The view's own
/// dates become a rolling `range` (the preset they match, or the nearest longer one), so
/// each report covers the latest days; `latest` is the newest data's day.
pub fn subscription_snippet(
    query: &str,
    schedule: &str,
    zone: &str,
    to: &str,
    latest: chrono::NaiveDate,
) -> String {
    use crate::analytics::filters::Preset;
    let params = crate::analytics::notify::report::query_params(query);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<chrono::NaiveDate>().ok())
    };
    let range = match (get("from"), get("to")) {
        (Some(from), Some(until)) if from <= until => {
            let exact = [
                (Preset::Days7, "7d"),
                (Preset::Days30, "30d"),
                (Preset::Quarter, "quarter"),
                (Preset::Year, "year"),
            ]
            .into_iter()
            .find(|(p, _)| p.range(latest) == (from, until))
            .map(|(_, k)| k);
            let days = (until - from).num_days() + 1;
            let nearest = [(7, "7d"), (31, "30d"), (92, "quarter")]
                .into_iter()
                .find(|(n, _)| days <= *n)
                .map_or("year", |(_, k)| k);
            Some(exact.unwrap_or(nearest))
        }
        _ => None,
    };
    let kept: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "from" | "to" | "rules"))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let page = kept
        .iter()
        .find(|(k, _)| *k == "page")
        .map_or("overview", |(_, v)| v.as_str());
    let filters: Vec<String> = kept
        .iter()
        .filter(|(k, _)| *k != "page")
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let name = if filters.is_empty() {
        format!("{page} view")
    } else {
        format!("{page} view ({})", filters.join(", "))
    };
    let view = crate::analytics::notify::payload::link("", &kept);
    let to = to.trim();
    #[derive(Serialize)]
    struct File {
        subscription: Vec<Subscription>,
    }
    let file = File {
        subscription: vec![Subscription {
            name,
            view,
            schedule: schedule.to_owned(),
            zone: Some(zone.to_owned()).filter(|z| !z.is_empty() && z != "UTC"),
            to: vec![if to.is_empty() {
                "you@example.com".to_owned()
            } else {
                to.to_owned()
            }],
            team: None,
            range: range.map(str::to_owned),
            csv: page == "departments" || page == "costs",
        }],
    };
    toml::to_string(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_views_snippet_rolls_its_dates_and_reads_back() {
        let latest: chrono::NaiveDate = "2026-11-20".parse().expect("day");
        let text = subscription_snippet(
            "?page=departments&from=2026-10-22&to=2026-11-20&department=chip%20%26%20soc",
            "weekly on monday at 07:00",
            "Europe/Berlin",
            " me@example.com ",
            latest,
        );
        #[derive(Deserialize)]
        struct File {
            subscription: Vec<Subscription>,
        }
        let back: File = toml::from_str(&text).expect("TOML");
        let s = &back.subscription[0];
        assert_eq!(s.view, "?page=departments&department=chip%20%26%20soc");
        assert_eq!(s.range.as_deref(), Some("30d"));
        assert_eq!(s.to, vec!["me@example.com".to_owned()]);
        assert_eq!(s.zone.as_deref(), Some("Europe/Berlin"));
        assert!(s.csv);
        assert_eq!(s.name, "departments view (department chip & soc)");
        let view = crate::analytics::notify::report::View::parse(&s.view).expect("view");
        assert_eq!(view.filters.department.as_deref(), Some("chip & soc"));
        let odd = subscription_snippet(
            "?page=users&from=2026-11-01&to=2026-11-10",
            "daily",
            "UTC",
            "",
            latest,
        );
        assert!(
            odd.contains("range = \"30d\"")
                && odd.contains("you@example.com")
                && !odd.contains("zone"),
            "{odd}"
        );
    }
}
