//! E-mail over SMTP with lettre (tokio, rustls). The message is plain text: the rendered
//! markdown body as written, which reads well unrendered. Its `Message-ID` is derived
//! from the outgoing message's key, so a resent notice is recognisably the same one.

use futures::future::BoxFuture;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::channel::{Address, Channel, Outgoing, Receipt, SendError};
use super::channel_settings::{EmailSettings, EmailTls, timeout};
use super::event::ChannelKind;
use super::render::Rendered;

/// Sends through the SMTP server of `[channels.email]`.
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailChannel {
    /// `password` is `user`'s password itself, when the settings name a user.
    pub fn new(settings: &EmailSettings, password: Option<String>) -> Result<EmailChannel, String> {
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("from: {e}"))?;
        let tls_parameters =
            || TlsParameters::new(settings.host.clone()).map_err(|e| format!("tls: {e}"));
        let tls = match settings.tls {
            EmailTls::Tls => Tls::Wrapper(tls_parameters()?),
            EmailTls::Starttls => Tls::Required(tls_parameters()?),
            EmailTls::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port())
                .tls(tls)
                .timeout(Some(timeout(settings.timeout_seconds)));
        if let (Some(user), Some(password)) = (&settings.user, password) {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(EmailChannel {
            transport: builder.build(),
            from,
        })
    }

    fn message(&self, msg: &Outgoing) -> Result<Message, SendError> {
        let Address::Email(address) = &msg.recipient else {
            return Err(SendError::permanent(format!(
                "e-mail cannot reach {:?}",
                msg.recipient
            )));
        };
        let to = address.parse::<Mailbox>().map_err(|_| {
            SendError::permanent(format!("{} is not a mailbox", msg.recipient.masked()))
        })?;
        let (subject, body) = match &msg.rendered {
            Rendered::Email { subject, body }
            | Rendered::Markdown {
                title: subject,
                body,
            } => (subject, body),
            Rendered::Sms { .. } => {
                return Err(SendError::permanent("e-mail cannot send an SMS template"));
            }
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject.as_str())
            .message_id(Some(message_id(&msg.key)))
            .header(ContentType::TEXT_PLAIN)
            .body(body.clone())
            .map_err(|e| SendError::permanent(format!("cannot build the message: {e}")))
    }

    async fn deliver(&self, msg: &Outgoing) -> Result<Receipt, SendError> {
        let message = self.message(msg)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(Receipt {
                channel: ChannelKind::Email,
                provider_id: None,
            }),
            Err(error) => Err(classify(&error)),
        }
    }
}

/// `<key@qingfeng.notify>`, every character of the key a message id may not hold (or
/// that could make two dots meet) replaced by `-`.
fn message_id(key: &str) -> String {
    let local: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let local = if local.is_empty() {
        "notify".to_owned()
    } else {
        local
    };
    format!("<{local}@qingfeng.notify>")
}

/// An SMTP 4xx reply may pass (a full mailbox, greylisting), a 5xx will not (no such
/// user, refused); so will not a message or address lettre itself refused, or a TLS
/// failure (a certificate that does not verify will not start verifying). A connection
/// that fails or times out may pass.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    if error.is_transient() {
        SendError::retryable(format!("SMTP: {error}"))
    } else if error.is_permanent() || error.is_client() || error.is_tls() {
        SendError::permanent(format!("SMTP: {error}"))
    } else {
        SendError::retryable(format!("SMTP: {error}"))
    }
}

impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_hold_only_safe_characters() {
        assert_eq!(
            message_id("evt:42/town_office"),
            "<evt-42-town_office@qingfeng.notify>"
        );
        assert_eq!(message_id("清风"), "<--@qingfeng.notify>");
        assert_eq!(message_id(""), "<notify@qingfeng.notify>");
    }
}
