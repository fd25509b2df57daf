//! Delivery: a notice or report to a channel over HTTP (Slack, Teams, webhook) or SMTP.
//! URLs and passwords are read from the environment here, at the edge, and never logged
//! or stored: errors name the channel and the variable, not the secret.

use std::time::Duration;

use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde_json::Value;

use super::config::{Channel, Security, Smtp};

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("channel `{channel}`: the environment variable {var} is not set")]
    MissingEnv { channel: String, var: String },
    #[error("channel `{channel}`: {message}")]
    Http { channel: String, message: String },
    #[error("e-mail: {0}")]
    Mail(String),
}

/// The URL of a webhook channel, from its environment variable.
pub fn channel_url(channel: &Channel) -> Result<String, SendError> {
    let var = channel.url_env.clone().unwrap_or_default();
    std::env::var(&var).map_err(|_| SendError::MissingEnv {
        channel: channel.name.clone(),
        var,
    })
}

/// POST `body` as JSON to the channel's URL.
pub fn post(channel: &Channel, body: &Value) -> Result<(), SendError> {
    let url = channel_url(channel)?;
    ureq::post(&url)
        .timeout(Duration::from_secs(15))
        .send_json(body.clone())
        .map(|_| ())
        .map_err(|e| SendError::Http {
            channel: channel.name.clone(),
            // ureq's message holds the URL, which is a secret: only the status or kind.
            message: match e {
                ureq::Error::Status(code, _) => format!("the endpoint answered HTTP {code}"),
                ureq::Error::Transport(t) => format!("could not deliver ({})", t.kind()),
            },
        })
}

/// An e-mail to send: subject, plain text, HTML, inline images (content id, PNG) and
/// attachments (file name, content type, bytes).
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub images: Vec<(String, Vec<u8>)>,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// Send `mail` through the relay.
pub fn send_mail(smtp: &Smtp, mail: &Mail) -> Result<(), SendError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| SendError::Mail(format!("{what}: {e}"));
    let from: Mailbox = smtp.from.parse().map_err(|e| bad("`from`", &e))?;
    let mut builder = Message::builder().from(from).subject(mail.subject.clone());
    for to in &mail.to {
        builder = builder.to(to
            .parse()
            .map_err(|e| bad(&format!("address `{to}`"), &e))?);
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.text.clone()))
        .singlepart(SinglePart::html(mail.html.clone()));
    let body = if mail.images.is_empty() {
        alternative
    } else {
        let mut related = MultiPart::related().singlepart(SinglePart::html(mail.html.clone()));
        for (cid, png) in &mail.images {
            related = related.singlepart(Attachment::new_inline(cid.clone()).body(
                png.clone(),
                ContentType::parse("image/png").map_err(|e| bad("image", &e))?,
            ));
        }
        MultiPart::alternative()
            .singlepart(SinglePart::plain(mail.text.clone()))
            .multipart(related)
    };
    let mut mixed = MultiPart::mixed().multipart(body);
    for (name, kind, bytes) in &mail.attachments {
        let kind = ContentType::parse(kind).map_err(|e| bad("attachment", &e))?;
        mixed = mixed.singlepart(Attachment::new(name.clone()).body(bytes.clone(), kind));
    }
    let message = builder.multipart(mixed).map_err(|e| bad("message", &e))?;
    transport(smtp)?
        .send(&message)
        .map(|_| ())
        .map_err(|e| bad(&format!("{}:{}", smtp.host, smtp.port()), &e))
}

fn transport(smtp: &Smtp) -> Result<SmtpTransport, SendError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| SendError::Mail(format!("{what}: {e}"));
    let tls = || -> Result<TlsParameters, SendError> {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let pem = std::fs::read(ca).map_err(|e| bad(&format!("`ca_file` {ca}"), &e))?;
            let cert =
                Certificate::from_pem(&pem).map_err(|e| bad(&format!("`ca_file` {ca}"), &e))?;
            params = params.add_root_certificate(cert);
        }
        params.build().map_err(|e| bad("TLS", &e))
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port())
        .timeout(Some(Duration::from_secs(30)))
        .tls(match smtp.security {
            Security::Starttls => Tls::Required(tls()?),
            Security::Tls => Tls::Wrapper(tls()?),
            Security::None => Tls::None,
        });
    if let Some(user_var) = &smtp.user_env {
        let var = |v: &str| {
            std::env::var(v)
                .map_err(|_| SendError::Mail(format!("the environment variable {v} is not set")))
        };
        let password = match &smtp.password_env {
            Some(p) => var(p)?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(var(user_var)?, password));
    }
    Ok(builder.build())
}
