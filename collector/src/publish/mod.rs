//! What the site reads: the manifest (the data contract's version and file list), the
//! first-view JSON's queries, and, natively, writing the published files atomically
//! (`write`) in monthly partitions (`partition`), reading them back as one (`files`),
//! pseudonymizing user names and the Parquet lake (`lake`).

#[cfg(feature = "native")]
pub mod files;
pub mod first_view;
#[cfg(feature = "native")]
pub mod lake;
pub mod manifest;
#[cfg(feature = "native")]
pub mod partition;
#[cfg(feature = "native")]
pub mod pseudonym;
#[cfg(feature = "native")]
pub mod write;
