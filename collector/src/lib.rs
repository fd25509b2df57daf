//! lmscope: FlexLM license usage collection and the data contract shared with the site.
//!
//! The data flows through the folders in order: [`parse`] turns lmstat text, debug logs and
//! the org file into typed records; [`store`] keeps polls as changes and rolls them up in
//! the DuckDB store; [`publish`] writes the published DuckDB files, the first-view JSON and
//! `manifest.json`; [`analytics`] holds every query and computation the site, the CLI and
//! the tests share (grouped usage, chargeback, forecasts, alerts…). [`poller`] is the I/O
//! edge that runs `lmutil`, [`slurm`] the one that runs `sacct`, `scontrol` and `squeue`;
//! [`demo`] synthesizes a year of polls for the demo site.
//!
//! Parsing, the schema, the manifest and the analytics are pure and compile to wasm32 (the
//! site links them); the DuckDB store, publishing and the CLI sit behind the `native`
//! feature.

pub mod analytics;
pub mod format;
pub mod parse;
pub mod publish;
pub mod rng;
pub mod store;
#[cfg(feature = "native")]
pub mod timings;

#[cfg(feature = "native")]
pub mod demo;
#[cfg(feature = "native")]
pub mod poller;
#[cfg(feature = "native")]
pub mod slurm;
