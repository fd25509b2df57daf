//! Departments and teams: their share of the license-hours, who uses which feature, teams'
//! efficiency on the clusters, and a team's pools and concurrent use when one is chosen.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Filters;
use lmscope::analytics::query::{Dimension, Measure};

use crate::widgets::compute::{Efficiency, IdleChoice};
use crate::widgets::team_pools::TeamPools;
use crate::widgets::usage_table::UsageTable;

#[component]
pub fn DepartmentsPage(
    filters: Filters,
    from: NaiveDate,
    to: NaiveDate,
    idle_hours: f64,
) -> impl IntoView {
    view! {
        {filters.team.clone().map(|team| view! {
            <TeamPools team />
            <UsageTable testid="team-concurrency"
                title="This team's concurrent use by feature (most held at once)"
                filters=filters.clone() from to
                dims=vec![Dimension::Feature, Dimension::Day]
                measures=vec![Measure::PeakConcurrency, Measure::LicenseHours, Measure::Denials]
                sort_by_dims=true />
        })}
        <UsageTable testid="departments" title="Departments" filters=filters.clone() from to
            dims=vec![Dimension::Department, Dimension::CostCenter]
            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                          Measure::Sessions, Measure::Share]
            link_filter="department" link_page="departments" chart=Measure::Share />
        <UsageTable testid="teams" title="Teams" filters=filters.clone() from to
            dims=vec![Dimension::Team, Dimension::Department]
            measures=vec![Measure::LicenseHours, Measure::Hours, Measure::Users,
                          Measure::Sessions, Measure::Share]
            link_filter="team" link_page="departments" chart=Measure::Share />
        <UsageTable testid="team-features" title="Who uses which feature" filters=filters.clone() from to
            dims=vec![Dimension::Feature, Dimension::Team]
            measures=vec![Measure::LicenseHours, Measure::Users, Measure::PeakLicenses] />
        <IdleChoice idle_hours />
        <Efficiency filters=filters.clone() from to by=lmscope::analytics::compute::By::Team idle_hours />
    }
}
