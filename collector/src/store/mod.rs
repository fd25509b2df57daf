//! The collector's DuckDB store: the published tables' schema, polls reduced to changes
//! (`delta`), checkouts paired into sessions, and the store file itself (`db`, native only).

#[cfg(feature = "native")]
pub mod db;
pub mod delta;
#[cfg(feature = "native")]
pub mod event_batches;
#[cfg(feature = "native")]
pub mod events;
#[cfg(feature = "native")]
pub mod feed;
#[cfg(feature = "native")]
pub mod marks;
pub mod schema;
pub mod sessions;
