//! Usage, queueing and compute by cluster: license-hours beside Slurm's CPU- and
//! GPU-hours, efficiency and cost per CPU-hour, idle checkouts, Slurm's license counts
//! against FlexLM's and the jobs waiting on licenses.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{Dimension, Measure};

use crate::widgets::compute::{ClusterCompute, IdleCheckouts, IdleChoice, SlurmDrift};
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;
use crate::widgets::usage_table::UsageTable;

#[component]
pub fn ClustersPage(
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    idle_hours: f64,
) -> impl IntoView {
    view! {
        <UsageTable testid="clusters" title="Usage by cluster" filters=filters.clone() from to
            dims=vec![Dimension::Cluster]
            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                          Measure::Features, Measure::Sessions, Measure::Share]
            link_filter="cluster" chart=Measure::LicenseHours />
        <ClusterCompute filters=filters.clone() from to />
        <IdleChoice idle_hours />
        <IdleCheckouts filters=filters.clone() from to idle_hours />
        <SlurmDrift to />
        <QueryTable testid="cluster-queue"
            title=format!("Queueing by cluster, {from} to {to}")
            columns=vec![Column::text("Cluster"), Column::number("Queued requests"),
                         Column::number("Users"), Column::number("Features")]
            sql=lmscope::analytics::page_sql::queue_by_cluster(&filters, from, to)
            days=(from, to) />
    }
}
