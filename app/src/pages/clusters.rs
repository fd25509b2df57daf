//! Usage and queueing by compute cluster.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{Dimension, Measure};

use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;
use crate::widgets::usage_table::UsageTable;

#[component]
pub fn ClustersPage(filters: Filters, from: NaiveDate, to: NaiveDate) -> impl IntoView {
    view! {
        <UsageTable testid="clusters" title="Usage by cluster" filters=filters.clone() from to
            dims=vec![Dimension::Cluster]
            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                          Measure::Features, Measure::Sessions, Measure::Share]
            link_filter="cluster" chart=Measure::LicenseHours />
        <QueryTable testid="cluster-queue"
            title=format!("Queueing by cluster, {from} to {to}")
            columns=vec![Column::text("Cluster"), Column::number("Queued requests"),
                         Column::number("Users"), Column::number("Features")]
            sql=lmscope::analytics::page_sql::queue_by_cluster(&filters, from, to)
            days=(from, to) />
    }
}
