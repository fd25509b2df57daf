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
    /// The closed month (`YYYY-MM`, UTC) a partition holds; `None` for the current file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// A digest of what a partition was written from: a publish that finds the same digest
    /// for the month keeps the file instead of writing it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
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

impl Manifest {
    /// What a publish wrote, in a line: the monthly partitions, the current file, the bytes.
    pub fn summary(&self) -> String {
        let months = self.files.iter().filter(|f| f.month.is_some()).count();
        let current = self
            .files
            .iter()
            .rfind(|f| f.month.is_none())
            .map_or("no current file", |f| f.path.as_str());
        let bytes: u64 = self.files.iter().map(|f| f.bytes).sum();
        format!(
            "{months} monthly file{} and {current}, {:.1} MB in all",
            if months == 1 { "" } else { "s" },
            bytes as f64 / 1e6
        )
    }

    /// SQL that opens every data file of this manifest as one database: each file attached
    /// read-only, and one view per table over the files that hold it (`UNION ALL`: a row is
    /// in exactly one file). `path_of` maps a file's manifest path to what `ATTACH` is given.
    pub fn union_sql(&self, path_of: impl Fn(&str) -> String) -> Result<String, ManifestError> {
        Ok(self
            .union_statements(path_of)?
            .into_iter()
            .map(|(_, sql)| sql + ";\n")
            .collect())
    }

    /// [`Manifest::union_sql`] statement by statement, each `ATTACH` with the manifest path
    /// of the file it opens (for error messages).
    pub fn union_statements(
        &self,
        path_of: impl Fn(&str) -> String,
    ) -> Result<Vec<(Option<String>, String)>, ManifestError> {
        let mut statements = Vec::new();
        let mut holders: Vec<(&str, Vec<String>)> = Vec::new();
        for (i, file) in self.files.iter().enumerate() {
            let alias = format!("lmscope_f{i}");
            statements.push((
                Some(file.path.clone()),
                format!(
                    "ATTACH '{}' AS {alias} (READ_ONLY)",
                    path_of(&file.path).replace('\'', "''")
                ),
            ));
            for table in &file.tables {
                if !is_identifier(table) {
                    return Err(ManifestError::Invalid(format!(
                        "{} lists the table name {table:?}",
                        file.path
                    )));
                }
                match holders.iter_mut().find(|(t, _)| t == table) {
                    Some((_, aliases)) => aliases.push(alias.clone()),
                    None => holders.push((table, vec![alias.clone()])),
                }
            }
        }
        for (table, aliases) in holders {
            let parts: Vec<String> = aliases
                .iter()
                .map(|a| format!("SELECT * FROM {a}.{table}"))
                .collect();
            statements.push((
                None,
                format!(
                    "CREATE OR REPLACE VIEW {table} AS {}",
                    parts.join(" UNION ALL ")
                ),
            ));
        }
        Ok(statements)
    }
}

/// A plain lower-case SQL identifier (table names come from a manifest, which is input).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
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
    fn union_sql_views_each_table_over_the_files_that_hold_it() {
        let file = |path: &str, tables: &[&str]| DataFile {
            path: path.to_owned(),
            bytes: 1,
            from: None,
            to: None,
            tables: tables.iter().map(|t| (*t).to_owned()).collect(),
            month: None,
            fingerprint: None,
        };
        let mut m =
            Manifest::from_json(&sample(crate::store::schema::SCHEMA_VERSION)).expect("valid");
        m.files = vec![
            file("lmscope-2026-01-x.duckdb", &["sessions"]),
            file("it's.duckdb", &["sessions", "polls"]),
        ];
        let sql = m.union_sql(|p| format!("data/{p}")).expect("valid tables");
        assert_eq!(
            sql,
            "ATTACH 'data/lmscope-2026-01-x.duckdb' AS lmscope_f0 (READ_ONLY);\n\
             ATTACH 'data/it''s.duckdb' AS lmscope_f1 (READ_ONLY);\n\
             CREATE OR REPLACE VIEW sessions AS SELECT * FROM lmscope_f0.sessions UNION ALL SELECT * FROM lmscope_f1.sessions;\n\
             CREATE OR REPLACE VIEW polls AS SELECT * FROM lmscope_f1.polls;\n"
        );
        m.files[1].tables.push("x; DROP".to_owned());
        assert!(matches!(
            m.union_sql(|p| p.to_owned()),
            Err(ManifestError::Invalid(_))
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
