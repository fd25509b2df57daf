//! `manifest.json`: what a publish wrote, read by the site before anything else.

use serde::{Deserialize, Serialize};

/// File name of the manifest inside the publish directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest: schema version, freshness, and the DuckDB files to open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// When `publish` ran (UTC, RFC 3339).
    pub generated_at: String,
    /// Time of the newest poll in the data (UTC, RFC 3339); `None` for an empty store.
    pub data_as_of: Option<String>,
    /// Expected seconds between polls, for staleness warnings.
    pub poll_interval_seconds: u64,
    pub files: Vec<DataFile>,
    /// A small file with copies of the tables the first view needs ([`SNAPSHOT_TABLES`]),
    /// so the site can show it before the full file is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<DataFile>,
    /// A JSON file with the overview's first view (`first_view::FirstView`), so the site
    /// draws it before its DuckDB engine has started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_view: Option<String>,
}

/// Tables copied into the snapshot file: poll runs, the latest state of everything,
/// entitlements and the org dimensions.
pub const SNAPSHOT_TABLES: &[&str] = &[
    "polls",
    "feature_now",
    "host_now",
    "vendor_now",
    "entitlements",
    "org_people",
    "org_departments",
    "org_teams",
    "org_hosts",
    "org_cluster_patterns",
    "org_prices",
    "org_pools",
    "org_projects",
    "org_project_members",
];

/// One published DuckDB file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the manifest, e.g. `lmscope-000003.duckdb`.
    pub path: String,
    pub bytes: u64,
    /// Time range of the polls it holds (UTC, RFC 3339).
    pub from: Option<String>,
    pub to: Option<String>,
    pub tables: Vec<String>,
}

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    #[error("manifest.json is not valid: {0}")]
    Invalid(String),
    #[error("the data uses schema version {found}, this site reads version {expected}; {hint}")]
    SchemaMismatch {
        found: u32,
        expected: u32,
        hint: &'static str,
    },
    #[error("manifest.json lists no data file")]
    NoFiles,
}

impl Manifest {
    /// Parse and check a manifest against the schema this build understands.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        let expected = crate::store::schema::SCHEMA_VERSION;
        if manifest.schema_version != expected {
            let hint = if manifest.schema_version < expected {
                "re-publish the data with this version of lmscope"
            } else {
                "deploy the site that matches the collector"
            };
            return Err(ManifestError::SchemaMismatch {
                found: manifest.schema_version,
                expected,
                hint,
            });
        }
        if manifest.files.is_empty() {
            return Err(ManifestError::NoFiles);
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(version: u32) -> String {
        format!(
            r#"{{"schema_version":{version},"generated_at":"2026-01-01T00:00:00Z","data_as_of":null,
               "poll_interval_seconds":300,"files":[{{"path":"a.duckdb","bytes":1,"from":null,"to":null,"tables":[]}}]}}"#
        )
    }

    #[test]
    fn accepts_current_version() {
        let m = Manifest::from_json(&sample(crate::store::schema::SCHEMA_VERSION)).expect("valid");
        assert_eq!(m.files[0].path, "a.duckdb");
    }

    #[test]
    fn refuses_other_versions() {
        let newer = crate::store::schema::SCHEMA_VERSION + 1;
        assert!(matches!(
            Manifest::from_json(&sample(newer)),
            Err(ManifestError::SchemaMismatch { found, .. }) if found == newer
        ));
        assert!(matches!(
            Manifest::from_json(&sample(0)),
            Err(ManifestError::SchemaMismatch { found: 0, .. })
        ));
    }

    #[test]
    fn refuses_garbage() {
        assert!(matches!(
            Manifest::from_json("{"),
            Err(ManifestError::Invalid(_))
        ));
    }
}
