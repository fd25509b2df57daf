//! `lmscope.toml`: which license servers to poll, with what, how often, and which Slurm
//! clusters to ask for their jobs, license counts and queue.

use std::time::Duration;

use serde::Deserialize;

use crate::parse::zone::Zone;

/// The collector's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Path of `lmutil` (or `lmstat`).
    pub lmutil: String,
    pub servers: Vec<String>,
    /// The license servers' time zone (their outputs print local time).
    pub time_zone: Zone,
    pub interval: Duration,
    /// How long one `lmutil lmstat` may run before it is killed and the server marked DOWN.
    pub timeout: Duration,
    /// Slurm clusters (`[[slurm]]`): each poll stores their jobs changed since the last,
    /// and what Slurm counts of each license and holds pending.
    pub slurm: Vec<SlurmCluster>,
}

/// One Slurm cluster to poll: the commands to run (paths, or names on `PATH`), as any user
/// who may read every job's accounting (`sacct --allusers`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmCluster {
    /// The name jobs are stored under (the org file's cluster of the same name, unless the
    /// org file places the jobs' nodes elsewhere).
    pub cluster: String,
    #[serde(default = "default_sacct")]
    pub sacct: String,
    /// `scontrol` for `scontrol show licenses`; empty to skip.
    #[serde(default = "default_scontrol")]
    pub scontrol: String,
    /// `squeue` for the pending jobs; empty to skip.
    #[serde(default = "default_squeue")]
    pub squeue: String,
}

fn default_sacct() -> String {
    "sacct".to_owned()
}
fn default_scontrol() -> String {
    "scontrol".to_owned()
}
fn default_squeue() -> String {
    "squeue".to_owned()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default = "default_lmutil")]
    lmutil: String,
    servers: Vec<String>,
    /// An IANA name or a fixed offset; `utc_offset` is the older name of the same key.
    #[serde(alias = "utc_offset", default = "default_zone")]
    time_zone: String,
    #[serde(default = "default_interval")]
    interval: String,
    #[serde(default = "default_timeout")]
    timeout: String,
    #[serde(default)]
    slurm: Vec<SlurmCluster>,
}

fn default_lmutil() -> String {
    "lmutil".to_owned()
}
fn default_zone() -> String {
    "UTC".to_owned()
}
fn default_interval() -> String {
    "5m".to_owned()
}
fn default_timeout() -> String {
    "30s".to_owned()
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{0}")]
    Toml(String),
    #[error("`{field}`: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

impl Config {
    /// Parse `lmscope.toml`. Errors name the line and field at fault.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        let field = |field, message| ConfigError::Field { field, message };
        if raw.servers.is_empty() {
            return Err(field("servers", "lists no server".to_owned()));
        }
        if let Some(bad) = raw.servers.iter().find(|s| s.trim().is_empty()) {
            return Err(field("servers", format!("empty server name `{bad}`")));
        }
        for (i, c) in raw.slurm.iter().enumerate() {
            if c.cluster.trim().is_empty() {
                return Err(field(
                    "slurm",
                    format!("entry {} has an empty `cluster`", i + 1),
                ));
            }
            if raw.slurm[..i].iter().any(|o| o.cluster == c.cluster) {
                return Err(field(
                    "slurm",
                    format!("cluster `{}` is listed twice", c.cluster),
                ));
            }
            if c.sacct.trim().is_empty() {
                return Err(field(
                    "slurm",
                    format!("cluster `{}` has an empty `sacct`", c.cluster),
                ));
            }
        }
        Ok(Self {
            time_zone: raw.time_zone.parse().map_err(|m| field("time_zone", m))?,
            interval: crate::parse::duration::parse_positive(&raw.interval)
                .map_err(|m| field("interval", m))?,
            timeout: crate::parse::duration::parse_positive(&raw.timeout)
                .map_err(|m| field("timeout", m))?,
            lmutil: raw.lmutil,
            servers: raw.servers,
            slurm: raw.slurm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_minimal() {
        let c = Config::from_toml(
            "lmutil = \"/opt/lmutil\"\nservers = [\"27000@a\", \"5280@b,5280@c,5280@d\"]\nutc_offset = \"-05:00\"\ninterval = \"1m\"\ntimeout = \"10s\"\n",
        )
        .expect("valid");
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.interval, Duration::from_secs(60));
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.time_zone.to_string(), "-05:00");
        let m = Config::from_toml("servers = [\"1@x\"]").expect("valid");
        assert_eq!(m.time_zone, Zone::UTC);
        let z =
            Config::from_toml("servers = [\"1@x\"]\ntime_zone = \"Asia/Kolkata\"").expect("valid");
        assert_eq!(z.time_zone.to_string(), "Asia/Kolkata");
        assert_eq!(m.lmutil, "lmutil");
        assert_eq!(m.timeout, Duration::from_secs(30));
        assert!(m.slurm.is_empty());
        let s = Config::from_toml(
            "servers = [\"1@x\"]\n[[slurm]]\ncluster = \"hpc-a\"\n[[slurm]]\ncluster = \"hpc-b\"\nsacct = \"/opt/slurm/bin/sacct\"\nsqueue = \"\"\n",
        )
        .expect("valid");
        assert_eq!(s.slurm.len(), 2);
        assert_eq!(s.slurm[0].sacct, "sacct");
        assert_eq!(s.slurm[0].scontrol, "scontrol");
        assert_eq!(s.slurm[1].sacct, "/opt/slurm/bin/sacct");
        assert_eq!(s.slurm[1].squeue, "");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Config::from_toml("servers = [\"1@x\"]\ntimeout = \"soon\"").expect_err("bad");
        assert!(e.to_string().contains("`timeout`"), "{e}");
        let e = Config::from_toml("servers = [\"1@x\"]\ntime_zone = \"Europe/Nowhere\"")
            .expect_err("bad zone");
        assert!(e.to_string().contains("Europe/Nowhere"), "{e}");
        let e = Config::from_toml("servers = []").expect_err("bad");
        assert!(e.to_string().contains("lists no server"), "{e}");
        let e = Config::from_toml("servers = [\"1@x\"]\nserver = 3").expect_err("unknown key");
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = Config::from_toml(
            "servers = [\"1@x\"]\n[[slurm]]\ncluster = \"a\"\n[[slurm]]\ncluster = \"a\"",
        )
        .expect_err("twice");
        assert!(e.to_string().contains("`a` is listed twice"), "{e}");
        let e =
            Config::from_toml("servers = [\"1@x\"]\n[[slurm]]\nclustr = \"a\"").expect_err("typo");
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = Config::from_toml("servers = [\"1@x\"").expect_err("broken");
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
