//! Top users, their feature preferences, peak days and peak hours, and their efficiency on
//! the clusters.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{Dimension, Measure};

use crate::widgets::compute::{Efficiency, IdleChoice};
use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;
use crate::widgets::usage_table::UsageTable;

#[component]
pub fn UsersPage(
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    idle_hours: f64,
) -> impl IntoView {
    view! {
        <UsageTable testid="users" title="Top users" filters=filters.clone() from to
            dims=vec![Dimension::User, Dimension::Department]
            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Sessions,
                          Measure::Features, Measure::PeakLicenses]
            link_filter="user" link_page="me" chart=Measure::LicenseHours />
        <UsageTable testid="user-features" title="Feature preferences" filters=filters.clone() from to
            dims=vec![Dimension::Feature]
            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
            link_filter="feature" link_page="features" />
        <UsageTable testid="user-weekdays" title="Peak usage days" filters=filters.clone() from to
            dims=vec![Dimension::Weekday]
            measures=vec![Measure::LicenseHours, Measure::Users, Measure::Sessions]
            sort_by_dims=true chart=Measure::LicenseHours />
        <QueryTable testid="user-hours"
            title=format!("Peak usage hours (UTC), {from} to {to}")
            columns=vec![Column::text("Hour (UTC)"), Column::number("Sessions started"),
                         Column::number("License-hours")]
            sql=lmscope::analytics::page_sql::checkout_hours(&filters, from, to)
            days=(from, to) />
        <IdleChoice idle_hours />
        <Efficiency filters=filters.clone() from to by=lmscope::analytics::compute::By::User idle_hours />
    }
}
