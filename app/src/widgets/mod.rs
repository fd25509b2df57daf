//! The building blocks pages are made of: tables (sortable, exportable, with their charts),
//! charts (bars, stacked bars, lines, forecasts; drawn with plotters), the heatmap, the
//! banners and filter bar every page shows, the overview's parts, and licenses against
//! compute (`compute`).

pub mod banners;
pub mod bars;
pub mod chart;
pub mod compute;
pub mod feature_table;
pub mod figure;
pub mod filter_bar;
pub mod heatmap;
pub mod live_feed;
pub mod query_table;
pub mod server_health;
pub mod subscribe;
pub mod table;
pub mod team_pools;
pub mod usage_chart;
pub mod usage_table;
