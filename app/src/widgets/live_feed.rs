//! The overview's real-time part: the latest checkouts, check-ins and denials, and the
//! requests queued at each server's latest poll.

use leptos::prelude::*;
use lmscope::analytics::page_sql;

use crate::widgets::query_table::QueryTable;
use crate::widgets::table::Column;

/// Days of events the feed looks back over.
const FEED_DAYS: i64 = 7;

/// The queue now, and the feed of the week up to `latest` (the day of the newest data).
#[component]
pub fn LiveFeed(latest: chrono::NaiveDate) -> impl IntoView {
    let since = latest - chrono::Duration::days(FEED_DAYS - 1);
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
            sql=page_sql::current_queue(since) days=(since, latest) />
        <QueryTable testid="feed" title="Latest checkouts, check-ins and denials".to_owned()
            columns=feed_columns sql=page_sql::live_feed(30, since) days=(since, latest) />
    }
}
