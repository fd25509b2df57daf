//! What every page shows above its filters: role starting points and data freshness.

use chrono::NaiveDate;
use leptos::prelude::*;
use lmscope::analytics::filters::Preset;

use crate::data::Live;

/// Starting points for each role, as links: what an administrator, a manager, an end user
/// and an executive look at first.
#[component]
pub fn RolePresets(latest: NaiveDate) -> impl IntoView {
    let range = |p: Preset| {
        let (from, to) = p.range(latest);
        format!("&from={from}&to={to}")
    };
    let roles = [
        ("Administrator", "?page=overview".to_owned()),
        (
            "Manager",
            format!("?page=departments{}", range(Preset::Days30)),
        ),
        ("End user", "?page=me".to_owned()),
        ("Executive", format!("?page=summary{}", range(Preset::Year))),
    ];
    let links = roles
        .into_iter()
        .map(|(label, href)| view! { <a class="role" href=href>{label}</a> })
        .collect_view();
    view! { <p class="roles" data-testid="roles">"Start as: " {links}</p> }
}

/// "Data as of" and "last updated" from the newest publish's manifest (how long ago,
/// ticking), and a warning when the newest poll is older than three poll intervals (at
/// least 15 minutes): the collector may have stopped.
#[component]
pub fn Freshness() -> impl IntoView {
    let live = expect_context::<Live>();
    // The clock the ages are told against, moved on every ten seconds.
    let now = RwSignal::new(crate::format::now());
    set_interval(
        move || now.set(crate::format::now()),
        std::time::Duration::from_secs(10),
    );
    let age_of = move |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| {
            (now.get() - t.with_timezone(&chrono::Utc))
                .num_seconds()
                .max(0)
        })
    };
    let line = move || {
        live.current.with(|d| {
            let m = &d.manifest;
            let as_of = m
                .data_as_of
                .as_deref()
                .map(crate::format::rfc3339)
                .unwrap_or_else(|| "no polls yet".to_owned());
            let generated = crate::format::rfc3339(&m.generated_at);
            let ago = age_of(&m.generated_at)
                .map(|a| format!(" ({} ago)", crate::format::duration(a)))
                .unwrap_or_default();
            view! {
                <p class="freshness">
                    "Data as of " <strong data-testid="data-as-of">{as_of}</strong>
                    " · last updated " <span data-testid="generated-at" data-value=m.generated_at.clone()>{generated}</span>
                    <span data-testid="updated-ago">{ago}</span>
                </p>
            }
        })
    };
    let stale = move || {
        live.current.with(|d| {
            let m = &d.manifest;
            let allowed = (3 * m.poll_interval_seconds).max(15 * 60) as i64;
            let age = m.data_as_of.as_deref().and_then(age_of)?;
            (age > allowed).then(|| {
                view! {
                    <div class="stale" role="alert" data-testid="stale">
                        {format!(
                            "Stale data: the newest poll is {} old, more than three poll intervals ({}). Is the collector still running?",
                            crate::format::duration(age),
                            crate::format::duration(m.poll_interval_seconds as i64)
                        )}
                    </div>
                }
            })
        })
    };
    view! {
        {line}
        {stale}
    }
}
