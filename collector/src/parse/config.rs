//! `lmscope.toml`: which license servers to poll, with what, how often.

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
        Ok(Self {
            time_zone: raw.time_zone.parse().map_err(|m| field("time_zone", m))?,
            interval: crate::parse::duration::parse_positive(&raw.interval)
                .map_err(|m| field("interval", m))?,
            timeout: crate::parse::duration::parse_positive(&raw.timeout)
                .map_err(|m| field("timeout", m))?,
            lmutil: raw.lmutil,
            servers: raw.servers,
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
        let e = Config::from_toml("servers = [\"1@x\"").expect_err("broken");
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
