//! The lmscope site: Leptos (CSR) over DuckDB-Wasm.

mod app;
mod bridge;
mod data;
mod format;
mod pages;
mod state;
mod url;
mod widgets;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
