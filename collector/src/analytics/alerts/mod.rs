//! Alert rules and their evaluation: one implementation for the site (wasm) and for
//! `lmscope check` (native). Rules are data (the org file's `[[alert]]` tables), never code
//! or SQL. The engine reads the published tables through the fixed queries in [`inputs`]
//! (each row a JSON array, so DuckDB-Wasm and native DuckDB feed it the same way) and
//! returns every interval in which a rule fired, with its evidence.
//!
//! `rules` holds the rule model and its encodings, `inputs` the queries and the data they
//! fill, `evaluate` the evaluators.

mod evaluate;
mod inputs;
mod rules;
#[cfg(test)]
mod tests;

pub use evaluate::*;
pub use inputs::*;
pub use rules::*;
