//! The overview's real-time part: the latest checkouts, check-ins and denials, and the
//! requests queued at each server's latest poll.

use leptos::prelude::*;
use lmscope::analytics::page_sql;

use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;

#[component]
pub fn LiveFeed() -> impl IntoView {
    let feed_columns = vec![
        Column::text("Time (UTC)"),
        Column::text("Event"),
        Column::text("Server"),
        Column::text("Feature"),
        Column::text("User"),
        Column::text("Host"),
        Column::number("Licenses"),
    ];
    let queue_columns = vec![
        Column::text("Server"),
        Column::text("Feature"),
        Column::text("User"),
        Column::text("Host"),
        Column::number("Licenses"),
    ];
    view! {
        <QueryTable testid="queue" title="Queued now".to_owned() columns=queue_columns
            sql=page_sql::current_queue() />
        <QueryTable testid="feed" title="Latest checkouts, check-ins and denials".to_owned()
            columns=feed_columns sql=page_sql::live_feed(30) />
    }
}
