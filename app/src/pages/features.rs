//! The features page: in use vs issued, peak and average concurrency, time at 100 %,
//! denials, the hour × weekday heatmap and top users of the filtered features.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::page_sql;
use lmscope::analytics::query::{Dimension, Measure};
use serde_json::Value;

use crate::bridge::query_days;
use crate::widgets::heatmap::Heatmap;
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;
use crate::widgets::usage_chart::FeatureUsageChart;
use crate::widgets::usage_table::{drill_down, UsageTable};

#[component]
pub fn FeaturesPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    let columns = vec![
        Column::text("Feature"),
        Column::text("Server"),
        Column::number("Issued"),
        Column::number("Peak in use"),
        Column::number("Peak checked out"),
        Column::number("Average in use"),
        Column::number("Utilization %"),
        Column::number("Time at 100 %"),
        Column::number("Denials"),
    ];
    let stats = page_sql::feature_stats(&filters, from, to);
    let heat = page_sql::heatmap(&filters, from, to);
    let heat_rows = LocalResource::new(move || {
        let (sql, params) = heat.clone();
        async move { query_days::<Vec<Value>>(&sql, &params, (from, to)).await }
    });
    let scope = filters
        .feature
        .clone()
        .unwrap_or_else(|| "all filtered features".to_owned());
    let heat_title = format!("When {scope} is used, {from} to {to}");
    let detail = filters.feature.clone().map(|feature| {
        let denial_columns = vec![
            Column::text("Time (UTC)"),
            Column::text("Server"),
            Column::text("Feature"),
            Column::text("User"),
            Column::text("Host"),
            Column::text("Reason"),
        ];
        view! {
            <FeatureUsageChart feature=feature.clone() range=(from, to) />
            <UsageTable testid="feature-users" title="Top users" filters=filters.clone() from to
                dims=vec![Dimension::User, Dimension::Department]
                measures=vec![Measure::LicenseHours, Measure::Sessions, Measure::PeakLicenses]
                link_filter="user" link_page="me" />
            <UsageTable testid="feature-teams" title="Teams sharing this feature (most held at once)"
                filters=filters.clone() from to
                dims=vec![Dimension::Team, Dimension::Department]
                measures=vec![Measure::PeakConcurrency, Measure::LicenseHours, Measure::Users,
                              Measure::Denials]
                link_filter="team" link_page="departments" />
            <QueryTable testid="feature-denials" title=format!("Latest denials of {feature}")
                columns=denial_columns sql=page_sql::denials(&filters, from, to, 200)
                days=(from, to) />
        }
    });
    view! {
        <p class="muted">
            "Issued and in-use counts follow the server, vendor and feature filters; the people \
             filters (department, team, cluster, user) apply to top users. In use is lmstat's \
             count, which includes reserved seats nobody has checked out; checked out leaves \
             them out."
        </p>
        <QueryTable testid="feature-stats" title=format!("Features, {from} to {to}")
            columns sql=stats link=drill_down("feature", "features") days=(from, to) />
        {detail}
        <Suspense fallback=|| view! { <p class="loading" role="status">"Computing…"</p> }>
            {move || Suspend::new({
                let heat_title = heat_title.clone();
                async move {
                    match heat_rows.await {
                        Ok(rows) => view! { <Heatmap title=heat_title rows /> }.into_any(),
                        Err(e) => crate::widgets::query_table::query_error("Heatmap", &e).into_any(),
                    }
                }
            })}
        </Suspense>
    }
}
