//! Server and vendor daemon health at the latest poll.

use leptos::prelude::*;

use crate::data::{DaemonRow, ServerRow};
use crate::format;

#[component]
pub fn ServerHealth(servers: Vec<ServerRow>, daemons: Vec<DaemonRow>) -> impl IntoView {
    let rows = servers
        .into_iter()
        .map(|s| {
            let vendors = daemons
                .iter()
                .filter(|d| d.server == s.server)
                .map(|d| {
                    let class = if d.up { "badge up" } else { "badge down" };
                    let text = match (&d.version, d.up) {
                        (Some(v), true) => format!("{} {}", d.vendor, v),
                        (_, true) => d.vendor.clone(),
                        _ => format!("{} down", d.vendor),
                    };
                    view! { <span class=class title=d.error.clone().unwrap_or_default()>{text}</span> " " }
                })
                .collect_view();
            let (class, status) = if s.ok { ("badge up", "UP") } else { ("badge down", "DOWN") };
            let server = server_name(&s.server);
            view! {
                <tr>
                    <th scope="row">{server}</th>
                    <td><span class=class>{status}</span></td>
                    <td>{s.hosts.unwrap_or_default()}</td>
                    <td>{vendors}</td>
                    <td class="when">{format::utc_ms(s.polled_ms)}</td>
                    <td class="err">{s.error.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="servers-h">
            <h2 id="servers-h">"License servers"</h2>
            <div class="scroll">
                <table data-testid="servers">
                    <thead>
                        <tr>
                            <th scope="col">"Server"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Hosts"</th>
                            <th scope="col">"Vendor daemons"</th>
                            <th scope="col">"Last poll"</th>
                            <th scope="col">"Error"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A server's name, allowed to wrap after the commas of a triad's three addresses.
pub fn server_name(server: &str) -> impl IntoView {
    let parts: Vec<String> = server.split(',').map(str::to_owned).collect();
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let more = i < last;
            view! { {p} {more.then_some(",")} {more.then(|| view! { <wbr /> })} }
        })
        .collect_view()
}
