//! Every figure lmscope shows, one implementation for the site (in wasm), the CLI and the
//! tests: URL filter state (`filters`), grouped usage (`query`), the pages' other SQL (`page_sql`),
//! chargeback, licenses against compute (`compute`), projects, recommendations, forecasts, alert rules and their evaluation,
//! calculated columns (`expr`), and the CLI's `check` (native).

pub mod alerts;
pub mod chargeback;
#[cfg(feature = "native")]
pub mod check;
pub mod compute;
pub mod expr;
pub mod filters;
pub mod forecast;
pub mod notify;
pub mod page_sql;
pub mod prices;
pub mod projects;
pub mod query;
pub mod recommend;
