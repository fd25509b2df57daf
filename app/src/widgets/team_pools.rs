//! A team's coordination view: its reserved pools now (in use of reserved, queued) and
//! when a license is likely to be free next, from the feature's session lengths.

use leptos::prelude::*;
use lmscope::analytics::page_sql;

use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;

#[component]
pub fn TeamPools(team: String) -> impl IntoView {
    let columns = vec![
        Column::text("Feature"),
        Column::number("Reserved"),
        Column::number("Team in use now"),
        Column::number("All in use now"),
        Column::number("Issued"),
        Column::number("Team queued"),
        Column::number("Next free (est. min)"),
    ];
    view! {
        <QueryTable testid="team-pools" title=format!("Pools of team {team} now") columns
            sql=page_sql::team_pools(&team) />
        <p class="muted">
            "Next free: for each open session of the feature, the median remaining time of \
             finished sessions (last 90 days) that ran longer than it has so far; the soonest."
        </p>
    }
}
