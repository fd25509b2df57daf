//! lmscope: FlexLM license usage collection and the data contract shared with the site.
//!
//! The parsers, schema, manifest and session logic are pure and compile to wasm32; the
//! DuckDB store, publishing and the CLI sit behind the default `native` feature.

pub mod alerts;
pub mod chargeback;
pub mod config;
pub mod debuglog;
pub mod delta;
pub mod duration;
pub mod expr;
pub mod first_view;
pub mod forecast;
pub mod format;
pub mod lmstat;
pub mod lmstat_i;
pub mod manifest;
pub mod org;
pub mod projects;
pub mod query;
pub mod recommend;
pub mod schema;
pub mod sessions;
pub mod timeinfer;
pub mod views;
pub mod zone;

#[cfg(feature = "native")]
pub mod check;
#[cfg(feature = "native")]
pub mod demo;
#[cfg(feature = "native")]
pub mod poller;
#[cfg(feature = "native")]
pub mod pseudonym;
#[cfg(feature = "native")]
pub mod publish;
#[cfg(feature = "native")]
pub mod published;
#[cfg(feature = "native")]
pub mod store;
#[cfg(feature = "native")]
pub mod synth;
