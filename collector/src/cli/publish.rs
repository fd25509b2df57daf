//! `lmscope publish`: the store into the published files and `manifest.json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use lmscope::publish::write::{publish, PublishOptions};

use super::{load_org, open_store};

/// Publish the store at `store` into `out`, with the org file at `org`, the poll interval
/// the site's staleness warning uses, the kinds of names to pseudonymize, and the Parquet
/// lake to update, if any.
pub(crate) fn publish_cmd(
    store: &Path,
    out: &Path,
    org: Option<&Path>,
    poll_interval: u64,
    pseudonymize: &[String],
    parquet: Option<std::path::PathBuf>,
) -> Result<ExitCode> {
    let pseudonymize = if pseudonymize.is_empty() {
        None
    } else {
        let key = std::env::var(lmscope::publish::pseudonym::KEY_ENV).ok();
        Some(lmscope::publish::pseudonym::Pseudonymize::new(
            pseudonymize,
            key.as_deref(),
        )?)
    };
    let store = open_store(store)?;
    let opts = PublishOptions {
        poll_interval_seconds: poll_interval,
        org: load_org(org)?,
        pseudonymize,
        parquet: parquet.clone(),
    };
    let m =
        publish(&store, out, &opts).with_context(|| format!("publishing to {}", out.display()))?;
    println!(
        "published {} into {}, data as of {}",
        m.summary(),
        out.display(),
        m.data_as_of.as_deref().unwrap_or("-")
    );
    if let Some(lake) = parquet {
        println!(
            "Parquet lake up to date in {} (its files: {})",
            lake.display(),
            lake.join(lmscope::publish::lake::LAKE_FILES).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
