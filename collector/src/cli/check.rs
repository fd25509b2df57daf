//! `lmscope check`: evaluate alert rules over published data, notify, set the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::Utc;

use lmscope::analytics::alerts::{Rule, Severity};

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
    } = args;
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
    let outcome =
        lmscope::analytics::check::check(file.as_deref(), &data, range, Utc::now().naive_utc())
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
