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
