//! `lmscope check`: evaluate alert rules over published data, notify, set the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::Utc;

use lmscope::analytics::alerts::{Rule, Severity};
use lmscope::analytics::notify::config::{Channel, ChannelKind, Smtp};
use lmscope::analytics::notify::plan::{plan, Notice, State};
use lmscope::analytics::notify::{payload, send};

/// `[[alert]]` tables of a TOML file; other tables (an org file's people...) are ignored.
#[derive(serde::Deserialize)]
pub(crate) struct RulesFile {
    #[serde(default, rename = "alert")]
    alerts: Vec<Rule>,
}

/// What `lmscope check` was asked.
pub(crate) struct CheckArgs {
    pub(crate) data: PathBuf,
    pub(crate) rules: Option<PathBuf>,
    pub(crate) range: lmscope::analytics::check::Range,
    pub(crate) json: bool,
    pub(crate) fail_on: Severity,
    pub(crate) webhook: Option<String>,
    pub(crate) renotify: bool,
    pub(crate) notify: Option<PathBuf>,
    pub(crate) site: Option<String>,
    pub(crate) at: Option<chrono::NaiveDateTime>,
}

pub(crate) fn check(store: &Path, args: CheckArgs) -> Result<ExitCode> {
    let CheckArgs {
        data,
        rules,
        range,
        json,
        fail_on,
        webhook,
        renotify,
        notify,
        site,
        at,
    } = args;
    let clock = at.unwrap_or_else(|| Utc::now().naive_utc());
    // Read the channels before any evaluation: a bad org file fails fast.
    let channels = notify.as_deref().map(Channels::read).transpose()?;
    let file = match &rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading rules {}", path.display()))?;
            let file: RulesFile =
                toml::from_str(&text).with_context(|| format!("rules file {}", path.display()))?;
            Some(file.alerts)
        }
        None => None,
    };
    let outcome = lmscope::analytics::check::check(file.as_deref(), &data, range, clock)
        .with_context(|| format!("checking {}", data.display()))?;
    let source = rules.as_ref().map_or_else(
        || format!("{} (published rules)", data.display()),
        |p| p.display().to_string(),
    );
    for e in &outcome.errors {
        eprintln!("{source}: {e}");
    }
    let firing: Vec<_> = outcome.firing().collect();
    if json {
        let text = serde_json::to_string_pretty(&outcome.alerts).context("writing JSON")?;
        println!("{text}");
    } else {
        for a in &firing {
            println!(
                "FIRING {:8} {}: {} — {} (since {} UTC)",
                a.severity.label(),
                a.rule,
                a.subject,
                a.evidence,
                a.since
            );
        }
        println!(
            "{} alert(s) firing now, {} firing(s) over the range",
            firing.len(),
            outcome.alerts.len()
        );
    }
    if let Some(var) = webhook.as_deref() {
        let url = std::env::var(var)
            .with_context(|| format!("--webhook: the environment variable {var} is not set"))?;
        let state = store.with_extension("alerts.json");
        let (fresh, keys) = lmscope::analytics::check::unnotified(&outcome, &state);
        let to_send: Vec<_> = if renotify { firing.clone() } else { fresh };
        if !to_send.is_empty() {
            lmscope::analytics::check::post(
                &url,
                &lmscope::analytics::check::slack_message(&to_send),
            )?;
            eprintln!("notified {} alert(s)", to_send.len());
        }
        lmscope::analytics::check::save_state(&state, &keys)?;
    }
    if let (Some(channels), Some(path)) = (&channels, &notify) {
        channels
            .check_rules(&outcome.rules)
            .with_context(|| format!("--notify {}", path.display()))?;
        let state = store.with_extension("notify.json");
        notify_channels(channels, &outcome, &state, clock, site.as_deref())?;
    }
    if !outcome.errors.is_empty() {
        bail!(
            "{} alert rule(s) could not be evaluated",
            outcome.errors.len()
        );
    }
    Ok(if outcome.fails(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The channels and relay of the org file given to `--notify`.
pub(crate) struct Channels {
    channels: Vec<Channel>,
    smtp: Option<Smtp>,
}

impl Channels {
    fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the org file {}", path.display()))?;
        let org = lmscope::parse::org::Org::from_toml(&text)
            .with_context(|| format!("org file {}", path.display()))?;
        if org.channels.is_empty() {
            bail!("org file {}: no `[[channel]]` to notify", path.display());
        }
        Ok(Channels {
            channels: org.channels,
            smtp: org.smtp,
        })
    }

    /// Every channel a rule names must exist.
    fn check_rules(&self, rules: &[Rule]) -> Result<()> {
        for r in rules {
            if let Some(c) = r
                .channels()
                .find(|c| !self.channels.iter().any(|x| x.name == *c))
            {
                bail!("alert rule `{}` names the unknown channel `{c}`", r.name);
            }
        }
        Ok(())
    }
}

/// Send the notices due at `clock` and remember what went; a channel that fails is retried
/// on the next run (its notices are not recorded), after the others were sent.
fn notify_channels(
    channels: &Channels,
    outcome: &lmscope::analytics::check::Outcome,
    state_path: &Path,
    clock: chrono::NaiveDateTime,
    site: Option<&str>,
) -> Result<()> {
    let mut state = State::from_json(&std::fs::read_to_string(state_path).unwrap_or_default());
    let notices = plan(&outcome.rules, &outcome.alerts, &state, clock);
    let mut failed = Vec::new();
    for n in &notices {
        let Some(channel) = channels.channels.iter().find(|c| c.name == n.channel) else {
            continue;
        };
        match deliver(channel, channels.smtp.as_ref(), n, site, clock.date()) {
            Ok(()) => state.record(n, clock),
            Err(e) => failed.push(e.to_string()),
        }
    }
    state.prune(&outcome.alerts, clock);
    let text = serde_json::to_string_pretty(&state).context("writing the notification state")?;
    lmscope::publish::write::write_atomically(state_path, text.as_bytes())
        .with_context(|| format!("saving {}", state_path.display()))?;
    eprintln!(
        "notified: {} of {} notice(s) delivered",
        notices.len() - failed.len(),
        notices.len()
    );
    if !failed.is_empty() {
        bail!(
            "{} notice(s) not delivered: {}",
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

/// One notice through one channel.
fn deliver(
    channel: &Channel,
    smtp: Option<&Smtp>,
    n: &Notice,
    site: Option<&str>,
    to: chrono::NaiveDate,
) -> Result<(), send::SendError> {
    match channel.kind {
        ChannelKind::Slack => send::post(channel, &payload::slack(n, site, to)),
        ChannelKind::Teams => send::post(channel, &payload::teams(n, site, to)),
        ChannelKind::Webhook => n
            .alerts
            .iter()
            .try_for_each(|a| send::post(channel, &payload::webhook(n, a, site, to))),
        ChannelKind::Email => {
            let smtp = smtp.ok_or_else(|| send::SendError::Mail("no `[smtp]` relay".to_owned()))?;
            let (subject, text, html) = payload::email(n, site, to);
            send::send_mail(
                smtp,
                &send::Mail {
                    to: channel.to.clone(),
                    subject,
                    text,
                    html,
                    ..Default::default()
                },
            )
        }
    }
}
