//! What each channel is sent for a notice: Slack's `text` + attachments, a Teams
//! MessageCard, lmscope's own JSON for generic webhooks (one firing per request, so a
//! ticket system opens one ticket per firing), and an e-mail's subject, text and HTML.
//! Every name in them comes from license servers: HTML is escaped, JSON is built by serde.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::plan::{Event, Notice};
use crate::analytics::alerts::{Alert, Severity};

/// Version of the generic webhook payload (documented in the README).
pub const WEBHOOK_VERSION: u32 = 1;

/// Percent-encode a URL query component.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The site's address with a query: `site` (its `index.html` or folder URL) plus `params`.
pub fn link(site: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let base = site.split(['?', '#']).next().unwrap_or(site);
    format!("{base}?{}", query.join("&"))
}

/// The link to an alert's evidence on the site, when the site's address is known.
pub fn evidence_link(site: Option<&str>, a: &Alert, to: NaiveDate) -> Option<String> {
    site.map(|s| link(s, &a.evidence_view(to)))
}

/// A notice's one-line title: `[critical] firing: License server down — srv-a (+1 more)`.
pub fn title(n: &Notice) -> String {
    let worst = n
        .alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or_default();
    let first = n.alerts.first();
    let what = first.map_or_else(String::new, |a| format!("{}: {}", a.rule, a.subject));
    let more = match n.alerts.len() {
        0 | 1 => String::new(),
        k => format!(" (+{} more on {})", k - 1, n.group),
    };
    let step = if n.event == Event::Escalation {
        format!(" (escalation {})", n.step)
    } else {
        String::new()
    };
    format!(
        "[{}] {}{step}: {what}{more}",
        worst.label(),
        n.event.label()
    )
}

fn color(s: Severity, event: Event) -> &'static str {
    match (event, s) {
        (Event::Resolved, _) => "good",
        (_, Severity::Critical) => "danger",
        (_, Severity::Warning) => "warning",
        (_, Severity::Info) => "#439FE0",
    }
}

fn when(a: &Alert) -> String {
    match a.until {
        Some(u) => format!("from {} to {} UTC", a.since, u),
        None => format!("since {} UTC", a.since),
    }
}

/// Slack (and compatible): a text line and one attachment per firing, each linking to its
/// evidence when the site's address is known.
pub fn slack(n: &Notice, site: Option<&str>, to: NaiveDate) -> Value {
    let attachments: Vec<Value> = n
        .alerts
        .iter()
        .map(|a| {
            let mut v = json!({
                "color": color(a.severity, n.event),
                "title": format!("[{}] {}: {}", a.severity.label(), a.rule, a.subject),
                "text": format!("{} ({})", a.evidence, when(a)),
            });
            if let Some(l) = evidence_link(site, a, to) {
                v["title_link"] = Value::String(l);
            }
            v
        })
        .collect();
    json!({ "text": format!("lmscope: {}", title(n)), "attachments": attachments })
}

/// Microsoft Teams incoming webhook: a MessageCard with a section of facts per firing and
/// a button to the evidence.
pub fn teams(n: &Notice, site: Option<&str>, to: NaiveDate) -> Value {
    let worst = n
        .alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or_default();
    let theme = match (n.event, worst) {
        (Event::Resolved, _) => "2EB886",
        (_, Severity::Critical) => "D00000",
        (_, Severity::Warning) => "DAA038",
        (_, Severity::Info) => "439FE0",
    };
    let sections: Vec<Value> = n
        .alerts
        .iter()
        .map(|a| {
            json!({
                "activityTitle": format!("{}: {}", a.rule, a.subject),
                "activitySubtitle": when(a),
                "facts": [
                    { "name": "Severity", "value": a.severity.label() },
                    { "name": "Evidence", "value": a.evidence },
                ],
                "markdown": false,
            })
        })
        .collect();
    let actions: Vec<Value> = n
        .alerts
        .iter()
        .filter_map(|a| {
            evidence_link(site, a, to).map(|l| {
                json!({
                    "@type": "OpenUri",
                    "name": format!("Evidence: {}", a.subject),
                    "targets": [{ "os": "default", "uri": l }],
                })
            })
        })
        .collect();
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": title(n),
        "themeColor": theme,
        "title": format!("lmscope: {}", title(n)),
        "sections": sections,
        "potentialAction": actions,
    })
}

/// The generic webhook: one firing per request, with everything a ticket needs.
pub fn webhook(n: &Notice, a: &Alert, site: Option<&str>, to: NaiveDate) -> Value {
    json!({
        "lmscope": WEBHOOK_VERSION,
        "event": n.event,
        "escalation_step": n.step,
        "channel": n.channel,
        "key": super::plan::key(a),
        "alert": {
            "rule": a.rule,
            "kind": a.kind,
            "severity": a.severity,
            "subject": a.subject,
            "since": a.since,
            "until": a.until,
            "evidence": a.evidence,
            "filters": a.filters.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        },
        "link": evidence_link(site, a, to),
    })
}

/// Escape text for HTML.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An e-mail for a notice: subject, plain text and HTML.
pub fn email(n: &Notice, site: Option<&str>, to: NaiveDate) -> (String, String, String) {
    let subject = format!("lmscope {}", title(n));
    let mut text = format!("{}\n\n", title(n));
    let mut rows = String::new();
    for a in &n.alerts {
        let l = evidence_link(site, a, to);
        text.push_str(&format!(
            "- [{}] {}: {}\n  {}\n  {}\n",
            a.severity.label(),
            a.rule,
            a.subject,
            a.evidence,
            when(a)
        ));
        if let Some(l) = &l {
            text.push_str(&format!("  {l}\n"));
        }
        let subject = match &l {
            Some(l) => format!(
                "<a href=\"{}\">{}</a>",
                html_escape(l),
                html_escape(&a.subject)
            ),
            None => html_escape(&a.subject),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{subject}</td><td>{}</td><td>{}</td></tr>",
            html_escape(a.severity.label()),
            html_escape(&a.rule),
            html_escape(&a.evidence),
            html_escape(&when(a)),
        ));
    }
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>\
         <table cellpadding=\"6\" style=\"border-collapse:collapse\"><tr><th>Severity</th>\
         <th>Rule</th><th>Subject</th><th>Evidence</th><th>When</th></tr>{rows}</table>\
         </body></html>",
        html_escape(&title(n))
    );
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::alerts::Kind;

    fn alert(subject: &str) -> Alert {
        Alert {
            rule: "Shortage".into(),
            kind: Kind::Utilization,
            severity: Severity::Critical,
            subject: subject.into(),
            since: NaiveDate::from_ymd_opt(2026, 11, 20)
                .and_then(|d| d.and_hms_opt(10, 0, 0))
                .expect("time"),
            until: None,
            evidence: "in use 10 of 10".into(),
            filters: vec![
                ("server".into(), "27000@lic&1".into()),
                ("feature".into(), "<MATLAB>".into()),
            ],
        }
    }

    #[test]
    fn untrusted_names_are_escaped_in_html_and_encoded_in_links() {
        let n = Notice {
            channel: "admins".into(),
            event: Event::Firing,
            group: "27000@lic&1".into(),
            alerts: vec![alert("<script>alert(1)</script> on x")],
            step: 0,
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).expect("day");
        let (_, text, html) = email(&n, Some("https://lic.example.com/site/index.html?x=1"), day);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("https://lic.example.com/site/index.html?page=features&amp;from=2026-11-20&amp;to=2026-11-20&amp;server=27000%40lic%261&amp;feature=%3CMATLAB%3E"),
            "{html}"
        );
        assert!(text.contains("server=27000%40lic%261"), "{text}");
        let slack = slack(&n, None, day);
        assert!(slack["attachments"][0].get("title_link").is_none());
    }
}
