//! Notifications end to end: `lmscope check --notify` replayed over the demo's planted
//! server outage against real endpoints on loopback (HTTP listeners for Slack, Teams and a
//! ticket webhook; aiosmtpd with STARTTLS and a login for e-mail): the first notice when it
//! fires, the escalation once after its delay, nothing on a rerun, a resolved notice to
//! every channel that heard of it; a channel that fails is retried on the next run alone.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use lmscope_e2e::{
    copy_dir, demo_in, dist, scrape_tables, HookListener, SmtpServer, StaticServer, StoreDir,
    SUB_PATH,
};
use serde_json::Value;

const END: &str = "2026-11-20T12:00";
const SITE: &str = "http://site.example/lmscope/index.html";
const RULE: &str = "License server down";

fn time(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("time"), "%Y-%m-%dT%H:%M:%S").expect("time")
}

fn at(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// What one run delivered: (channel, event) about the outage, and how many notices in all.
#[derive(Default, Debug)]
struct Delivered {
    about: Vec<(String, String)>,
    all: usize,
    mails: Vec<Value>,
    tickets: Vec<Value>,
}

fn collect(hooks: &HookListener, smtp: &SmtpServer) -> Delivered {
    let mut d = Delivered::default();
    for (path, body) in hooks.drain(Duration::from_millis(700)) {
        d.all += 1;
        let text = body.to_string();
        if !text.contains(RULE) {
            continue;
        }
        let event = match path.as_str() {
            "/slack" => body["text"].as_str().unwrap_or_default().to_owned(),
            "/teams" => body["title"].as_str().unwrap_or_default().to_owned(),
            _ => {
                d.tickets.push(body.clone());
                body["event"].as_str().unwrap_or_default().to_owned()
            }
        };
        let kind = ["escalat", "resolved", "firing"]
            .into_iter()
            .find(|k| event.contains(k))
            .unwrap_or("?");
        d.about
            .push((path.trim_start_matches('/').to_owned(), kind.to_owned()));
    }
    for mail in smtp.take() {
        d.all += 1;
        let subject = mail["subject"].as_str().unwrap_or_default().to_owned();
        if subject.contains(RULE) {
            let kind = ["escalat", "resolved", "firing"]
                .into_iter()
                .find(|k| subject.contains(k))
                .unwrap_or("?");
            d.about.push(("email".to_owned(), kind.to_owned()));
            d.mails.push(mail);
        }
    }
    d.about.sort();
    d
}

/// The demo's org file, its relay pointed at the loopback SMTP server.
fn demo_org_on(smtp: &SmtpServer) -> lmscope::parse::org::Org {
    let mut org = lmscope::demo::org(2026);
    let relay = org.smtp.as_mut().expect("the demo has a relay");
    relay.host = "127.0.0.1".to_owned();
    relay.port = Some(smtp.port);
    relay.ca_file = Some(smtp.ca_file.to_string_lossy().into_owned());
    org
}

fn pairs(xs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = xs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

#[test]
fn escalation_repeats_nothing_and_resolves_on_every_channel() {
    let tmp = StoreDir::new("notify");
    let data = tmp.path().join("data");
    demo_in(tmp.path(), &data, &["--weeks", "12", "--end", END]);
    let data_arg = data.to_string_lossy().into_owned();

    // The outage the demo plants: the firing's times and server, from `check --json`.
    let out = tmp.run(&[
        "check",
        "--data",
        &data_arg,
        "--from",
        "2026-08-01",
        "--to",
        "2026-11-20",
        "--json",
    ]);
    let alerts: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON alerts");
    let outage = alerts
        .iter()
        .find(|a| a["rule"] == RULE)
        .unwrap_or_else(|| panic!("no `{RULE}` firing in {alerts:?}"));
    let since = time(&outage["since"]);
    let until = time(&outage["until"]);
    assert!(until - since > TimeDelta::hours(1), "{outage}");
    let server = outage["filters"]
        .as_array()
        .and_then(|f| f.iter().find(|p| p[0] == "server"))
        .and_then(|p| p[1].as_str())
        .expect("server filter")
        .to_owned();

    // The demo's org file, its channels pointed at loopback.
    let hooks = HookListener::start();
    let smtp = SmtpServer::start(tmp.path(), "lmscope", "s3cret-password");
    let org = demo_org_on(&smtp);
    let org_file = tmp.path().join("org.toml");
    std::fs::write(&org_file, toml::to_string(&org).expect("TOML")).expect("write org");
    let slack = format!("{}/slack", hooks.base);
    let teams = format!("{}/teams", hooks.base);
    let tickets = format!("{}/tickets", hooks.base);
    let env = |without: Option<&str>| {
        let mut env = vec![
            ("LMSCOPE_SLACK_URL", slack.clone()),
            ("LMSCOPE_TEAMS_URL", teams.clone()),
            ("LMSCOPE_TICKETS_URL", tickets.clone()),
            ("LMSCOPE_SMTP_USER", "lmscope".to_owned()),
            ("LMSCOPE_SMTP_PASSWORD", "s3cret-password".to_owned()),
        ];
        env.retain(|(k, _)| Some(*k) != without);
        env
    };
    let run = |t: NaiveDateTime, without: Option<&str>| {
        let mut cmd = tmp.command();
        cmd.args(["check", "--data", &data_arg, "--site", SITE, "--at", &at(t)])
            .arg("--notify")
            .arg(&org_file);
        if let Some(var) = without {
            cmd.env_remove(var);
        }
        let out = cmd.envs(env(without)).output().expect("run lmscope");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ok = |t: NaiveDateTime| {
        let (code, err) = run(t, None);
        assert!(matches!(code, Some(0 | 1)), "at {t}: {err}");
        collect(&hooks, &smtp)
    };

    // Before it fires: nothing about it.
    let d = ok(since - TimeDelta::minutes(1));
    assert_eq!(d.about, pairs(&[]), "{d:?}");

    // It fires, while Teams' URL is missing: Slack hears, the run fails naming the channel
    // and the variable (not a URL); the next run sends Teams' notice alone.
    let (code, err) = run(since + TimeDelta::minutes(1), Some("LMSCOPE_TEAMS_URL"));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("`it-ops`") && err.contains("LMSCOPE_TEAMS_URL"),
        "{err}"
    );
    let d = collect(&hooks, &smtp);
    assert_eq!(d.about, pairs(&[("slack", "firing")]), "{d:?}");
    let d = ok(since + TimeDelta::minutes(2));
    assert_eq!(d.about, pairs(&[("teams", "firing")]), "{d:?}");
    assert_eq!(d.all, 1, "only the notice that failed went again: {d:?}");

    // Before the escalation's hour: nothing; after it: the leads' e-mail and a ticket, once.
    let d = ok(since + TimeDelta::minutes(59));
    assert_eq!(d.about, pairs(&[]), "{d:?}");
    let d = ok(since + TimeDelta::minutes(61));
    assert_eq!(
        d.about,
        pairs(&[("email", "escalat"), ("tickets", "escalat")]),
        "{d:?}"
    );
    let mail = &d.mails[0];
    assert_eq!(mail["tls"], true, "STARTTLS: {mail}");
    assert_eq!(mail["authenticated"], true, "{mail}");
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["eng-leads@example.com"])
    );
    let types: Vec<&str> = mail["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .filter_map(|p| p["type"].as_str())
        .collect();
    assert!(
        types.contains(&"text/plain") && types.contains(&"text/html"),
        "{types:?}"
    );
    let html = mail["parts"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["type"] == "text/html"))
        .and_then(|p| p["text"].as_str())
        .expect("HTML part");
    let link = format!(
        "{SITE}?page=overview&amp;from={}&amp;to={}&amp;server={}",
        since.date(),
        until.date(),
        lmscope::analytics::notify::payload::encode(&server)
    );
    assert!(html.contains(&link), "{link} not in {html}");
    let ticket = &d.tickets[0];
    assert_eq!(ticket["lmscope"], 1);
    assert_eq!(ticket["event"], "escalation");
    assert_eq!(ticket["escalation_step"], 1);
    assert_eq!(ticket["alert"]["rule"], RULE);
    assert_eq!(ticket["alert"]["filters"]["server"], server.as_str());
    assert!(
        ticket["link"].as_str().is_some_and(|l| l.starts_with(SITE)),
        "{ticket}"
    );

    // A rerun at the same time sends nothing at all; later, while it fires, nothing more.
    let d = ok(since + TimeDelta::minutes(61));
    assert_eq!(d.all, 0, "{d:?}");
    let d = ok(since + TimeDelta::minutes(90));
    assert_eq!(d.about, pairs(&[]), "{d:?}");

    // It ends: every channel that heard of it hears so, once.
    let d = ok(until + TimeDelta::minutes(1));
    assert_eq!(
        d.about,
        pairs(&[
            ("email", "resolved"),
            ("slack", "resolved"),
            ("teams", "resolved"),
            ("tickets", "resolved")
        ]),
        "{d:?}"
    );
    let d = ok(until + TimeDelta::minutes(1));
    assert_eq!(d.all, 0, "{d:?}");

    // What was sent is remembered beside the store, without any URL or secret.
    let state = std::fs::read_to_string(tmp.store().with_extension("notify.json")).expect("state");
    assert!(
        !state.contains("127.0.0.1") && !state.contains("s3cret"),
        "{state}"
    );
}

/// The number after `label: ` in a report's text part (`License-hours: 1,234.5`).
fn figure(text: &str, label: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .and_then(|v| v.replace([',', '$'], "").parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in {text}"))
}

fn part<'a>(mail: &'a Value, kind: &str) -> Vec<&'a Value> {
    mail["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .filter(|p| p["type"] == kind)
        .collect()
}

#[test]
fn subscriptions_go_out_on_their_schedule_with_figures_charts_and_csv() {
    let tmp = StoreDir::new("notify-subscriptions");
    // The site, served, with the data the reports are made from: their links are opened.
    let site_dir = tmp.path().join("www").join(SUB_PATH);
    copy_dir(&dist(), &site_dir);
    let _ = std::fs::remove_dir_all(site_dir.join("data"));
    let data = site_dir.join("data");
    demo_in(tmp.path(), &data, &["--weeks", "12", "--end", END]);
    let data_arg = data.to_string_lossy().into_owned();
    let server = StaticServer::start(&tmp.path().join("www"));
    let site = server.url(&format!("{SUB_PATH}/index.html"));
    let smtp = SmtpServer::start(tmp.path(), "lmscope", "s3cret-password");
    let org = demo_org_on(&smtp);
    let team: Vec<(String, String)> = org
        .people
        .iter()
        .filter(|p| p.team.as_deref() == Some("chip-a"))
        .filter_map(|p| Some((p.user.clone(), p.email.clone()?)))
        .collect();
    assert!(team.len() > 3, "{team:?}");
    let org_file = tmp.path().join("org.toml");
    std::fs::write(&org_file, toml::to_string(&org).expect("TOML")).expect("write org");
    let run = |t: &str| {
        let out = tmp
            .command()
            .args(["notify", "--data", &data_arg, "--site", &site, "--at", t])
            .arg("--org")
            .arg(&org_file)
            .envs([
                ("LMSCOPE_SMTP_USER", "lmscope"),
                ("LMSCOPE_SMTP_PASSWORD", "s3cret-password"),
            ])
            .output()
            .expect("run lmscope");
        assert!(
            out.status.success(),
            "at {t}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut mails = smtp.take();
        mails.sort_by_key(|m| m["subject"].as_str().unwrap_or_default().to_owned());
        mails
    };
    let subjects = |mails: &[Value]| -> Vec<String> {
        let mut s: Vec<String> = mails
            .iter()
            .map(|m| {
                let subject = m["subject"].as_str().unwrap_or_default();
                subject.split(" (").next().unwrap_or_default().to_owned()
            })
            .collect();
        s.dedup();
        s
    };
    let db = lmscope_e2e::published_dir_db(&data);
    let hours = |sql: &str, params: &[&dyn duckdb::ToSql]| -> f64 {
        db.query_row(sql, params, |r| r.get::<_, Option<f64>>(0))
            .expect("license-hours")
            .unwrap_or(0.0)
    };

    // First run (Friday 2026-11-20 12:00 UTC): every subscription's latest occurrence.
    let mails = run("2026-11-20T12:00");
    assert_eq!(
        subjects(&mails),
        vec![
            "lmscope: Executive summary",
            "lmscope: Monthly chargeback",
            "lmscope: Your license use"
        ]
    );
    assert_eq!(mails.len(), 2 + team.len());

    // The executive summary (last week): the alerts `check` finds firing at the end of those
    // days, at the same clock, and what to change, each linking to the site.
    let summary = &mails[0];
    assert!(summary["subject"]
        .as_str()
        .is_some_and(|s| s.contains("2026-11-09 to 2026-11-15")));
    let text = part(summary, "text/plain")[0]["text"]
        .as_str()
        .expect("text")
        .replace("\r\n", "\n");
    let text = text.as_str();
    let out = tmp.run(&[
        "check",
        "--data",
        &data_arg,
        "--from",
        "2026-11-09",
        "--to",
        "2026-11-15",
        "--at",
        "2026-11-20T12:00",
    ]);
    let cli = String::from_utf8_lossy(&out.stdout);
    let firing: Vec<&str> = cli.lines().filter(|l| l.starts_with("FIRING")).collect();
    assert!(!firing.is_empty(), "{cli}");
    assert_eq!(
        figure(text, "Alerts firing") as usize,
        firing.len(),
        "{text}\n{cli}"
    );
    let section = text
        .split("Alerts firing:\n")
        .nth(1)
        .and_then(|t| t.split("\n\n").next())
        .expect("the alerts section");
    // `FIRING warning  License expiring: Innovus_Impl_System — …`: rule and subject.
    let whats: Vec<&str> = firing
        .iter()
        .map(|l| l[16..].split(" — ").next().unwrap_or_default().trim())
        .collect();
    let shown: Vec<&str> = section.lines().filter(|l| l.starts_with("- [")).collect();
    assert_eq!(shown.len(), whats.len().min(12), "{section}");
    for line in &shown {
        assert!(
            whats.iter().any(|w| line.contains(w)),
            "{line} is not firing: {cli}"
        );
    }
    if whats.len() > 12 {
        assert!(
            section.contains(&format!("… and {} more in the live view", whats.len() - 12)),
            "{section}"
        );
    }
    assert!(text.contains("Recommendations:\n- "), "{text}");
    assert!(figure(text, "Recommendations") >= 1.0);

    // The chargeback: last month, figures from the data, two charts, the CSV `report
    // chargeback` prints for the same days, a link to the live view of those days.
    let chargeback = &mails[1];
    assert!(chargeback["subject"]
        .as_str()
        .is_some_and(|s| s.contains("2026-10-01 to 2026-10-31")));
    assert_eq!(
        chargeback["rcpt_tos"],
        serde_json::json!(["finance@example.com"])
    );
    let text = part(chargeback, "text/plain")[0]["text"]
        .as_str()
        .expect("text");
    let october = hours(
        "SELECT sum(license_hours) FROM user_daily WHERE day BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'",
        &[],
    );
    assert!(october > 100.0, "{october}");
    let shown = figure(text, "License-hours");
    assert!((shown - october).abs() < 0.2, "{shown} vs {october}");
    let pngs = part(chargeback, "image/png");
    assert_eq!(pngs.len(), 2, "{chargeback}");
    assert!(pngs
        .iter()
        .all(|p| p["png"] == true && p["size"].as_u64() > Some(2000)));
    let html = part(chargeback, "text/html")[0]["text"]
        .as_str()
        .expect("html");
    for p in &pngs {
        let cid = p["cid"].as_str().expect("cid").trim_matches(['<', '>']);
        assert!(
            html.contains(&format!("cid:{cid}")),
            "{cid} not in the HTML"
        );
    }
    let link = format!("{site}?page=departments&from=2026-10-01&to=2026-10-31");
    assert!(html.contains(&link.replace('&', "&amp;")), "{html}");
    // The link opens that view, and the site shows the figures the e-mail has.
    let page = scrape_tables(&link, "subscription-link.png", &["departments"]);
    assert!(page["error"].is_null(), "{page}");
    let head: Vec<&str> = page["tables"]["departments"]["head"]
        .as_array()
        .expect("head")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let hours_at = head
        .iter()
        .position(|h| h.starts_with("License-hours"))
        .unwrap_or_else(|| panic!("{head:?}"));
    let number = |t: &str| {
        t.replace([',', '$', ' '], "")
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    let on_site: Vec<(String, f64)> = page["tables"]["departments"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let cells = r.as_array().expect("cells");
            (
                cells[0].as_str().unwrap_or_default().to_owned(),
                number(cells[hours_at].as_str().unwrap_or_default()),
            )
        })
        .collect();
    let in_mail: Vec<(String, f64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| {
            let (name, rest) = l.split_once(": License-hours ")?;
            Some((name.to_owned(), number(rest.split(", ").next()?)))
        })
        .collect();
    assert_eq!(in_mail.len(), on_site.len(), "{in_mail:?} vs {on_site:?}");
    let names: std::collections::BTreeMap<String, String> = {
        let mut stmt = db
            .prepare("SELECT department, name FROM org_departments")
            .expect("names");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("names")
            .collect::<Result<_, _>>()
            .expect("names")
    };
    for ((a, x), (b, y)) in in_mail.iter().zip(&on_site) {
        // The e-mail names departments as the site shows them (the cell's value is the id).
        assert_eq!(Some(a), names.get(b).or(Some(b)), "{a} vs {b}");
        assert!(
            (x - y).abs() < 1.0,
            "{a}: {x} in the e-mail, {y} on the site"
        );
    }
    let csv = part(chargeback, "text/csv");
    assert_eq!(csv.len(), 1);
    assert_eq!(csv[0]["filename"], "chargeback-2026-10-01-2026-10-31.csv");
    let printed = tmp.ok(&[
        "report",
        "chargeback",
        "--data",
        &data_arg,
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--by",
        "department",
    ]);
    assert_eq!(
        csv[0]["text"].as_str().expect("CSV").replace("\r\n", "\n"),
        printed.replace("\r\n", "\n")
    );

    // Each chip-a member gets their own week: their license-hours, their address, their link.
    for mail in &mails[2..] {
        let to = mail["rcpt_tos"][0].as_str().expect("recipient");
        let (user, _) = team.iter().find(|(_, e)| e == to).expect("a team member");
        let text = part(mail, "text/plain")[0]["text"].as_str().expect("text");
        let theirs = hours(
            "SELECT sum(license_hours) FROM user_daily WHERE user_name = ?
             AND day BETWEEN DATE '2026-11-14' AND DATE '2026-11-20'",
            &[user],
        );
        let shown = figure(text, "License-hours");
        assert!((shown - theirs).abs() < 0.2, "{user}: {shown} vs {theirs}");
        assert!(
            text.contains(&format!(
                "page=me&user={user}&from=2026-11-14&to=2026-11-20"
            )),
            "{text}"
        );
    }

    // Nothing twice; then each on its own time (Europe/Berlin: UTC+1 in November).
    assert!(run("2026-11-20T12:00").is_empty());
    assert!(run("2026-11-20T14:59").is_empty());
    let mails = run("2026-11-20T15:00");
    assert_eq!(subjects(&mails), vec!["lmscope: Your license use"]);
    assert_eq!(mails.len(), team.len());
    assert!(run("2026-11-23T05:59").is_empty());
    let mails = run("2026-11-23T06:00");
    assert_eq!(subjects(&mails), vec!["lmscope: Executive summary"]);
    assert!(mails[0]["subject"]
        .as_str()
        .is_some_and(|s| s.contains("2026-11-09 to 2026-11-15")));
}
