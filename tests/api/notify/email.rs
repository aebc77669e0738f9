//! The e-mail channel against a real SMTP conversation on loopback.

use qingfeng::notify::{Address, ChannelKind, Outgoing, Rendered, SendError};

use super::fake_smtp::FakeSmtp;
use super::{channel, closed_port_url};

fn mailer(port: u16) -> std::sync::Arc<dyn qingfeng::notify::Channel> {
    let tables = format!(
        "[channels.email]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"清风监督 <notify@qingfeng.test>\"\ntimeout_seconds = 2\n"
    );
    channel(&tables, &[], ChannelKind::Email)
}

fn message(to: &str) -> Outgoing {
    Outgoing {
        key: "event-5:city_office".into(),
        recipient: Address::Email(to.into()),
        rendered: Rendered::Email {
            subject: "【清风】转查办 YJ-2026-000005".into(),
            body: "柳塘村的预警已转入查办。".into(),
        },
    }
}

#[tokio::test]
async fn a_message_is_delivered_with_its_key_as_message_id() {
    let (smtp, addr) = FakeSmtp::start().await;
    let receipt = mailer(addr.port())
        .send(&message("office@qingfeng.test"))
        .await
        .unwrap();
    assert_eq!(receipt.channel, ChannelKind::Email);
    let mails = smtp.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].from, "<notify@qingfeng.test>");
    assert_eq!(mails[0].to, ["<office@qingfeng.test>"]);
    let data = &mails[0].data;
    assert!(
        data.contains("Message-ID: <event-5-city_office@qingfeng.notify>"),
        "{data}"
    );
    assert!(data.contains("To: office@qingfeng.test"), "{data}");
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8"),
        "{data}"
    );
}

#[tokio::test]
async fn a_5xx_reply_is_permanent_and_a_4xx_retryable() {
    let (smtp, addr) = FakeSmtp::start().await;
    let mailer = mailer(addr.port());
    smtp.reply_to_rcpt("550 5.1.1 no such user");
    let error = mailer
        .send(&message("nobody@qingfeng.test"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Permanent { reason } if reason.contains("550")),
        "{error:?}"
    );
    smtp.reply_to_rcpt("451 4.3.0 try again later");
    let error = mailer
        .send(&message("office@qingfeng.test"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Retryable { reason, .. } if reason.contains("451")),
        "{error:?}"
    );
    assert!(smtp.mails.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_server_that_is_not_there_is_retryable_and_a_bad_address_permanent() {
    let port: u16 = closed_port_url("")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mailer = mailer(port);
    let error = mailer
        .send(&message("office@qingfeng.test"))
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::Retryable { .. }), "{error:?}");
    let error = mailer.send(&message("not an address")).await.unwrap_err();
    assert!(matches!(error, SendError::Permanent { .. }), "{error:?}");
}
