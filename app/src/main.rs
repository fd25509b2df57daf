//! The lmscope site: Leptos (CSR) over DuckDB-Wasm.

mod alerts_page;
mod app;
mod bars;
mod bridge;
mod chart;
mod costs_page;
mod data;
mod features_page;
mod feed;
mod figure;
mod forecast_page;
mod format;
mod heatmap;
mod pages;
mod person_page;
mod projects_page;
mod query_table;
mod recommend_page;
mod state;
mod status;
mod summary;
mod summary_page;
mod table;
mod team;
mod trends_page;
mod usage;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
