//! A small SMTP server on loopback (RFC 5321, plain text, no AUTH): it records each
//! transaction and answers RCPT TO with the reply it is told to give.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted message.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
pub struct FakeSmtp {
    pub mails: Mutex<Vec<Mail>>,
    /// The reply to RCPT TO, e.g. `550 5.1.1 no such user`; `250 OK` when unset.
    pub rcpt_reply: Mutex<Option<String>>,
}

impl FakeSmtp {
    pub async fn start() -> (Arc<FakeSmtp>, SocketAddr) {
        let fake = Arc::new(FakeSmtp::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.session(stream).await });
            }
        });
        (fake, addr)
    }

    pub fn reply_to_rcpt(&self, reply: &str) {
        *self.rcpt_reply.lock().unwrap() = Some(reply.to_owned());
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake.smtp ESMTP ready\r\n").await?;
        let mut mail = Mail::default();
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") {
                "250-fake.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8".to_owned()
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                "250 OK".to_owned()
            } else if upper.starts_with("MAIL FROM:") {
                mail = Mail {
                    from: line[10..].trim().to_owned(),
                    ..Mail::default()
                };
                "250 OK".to_owned()
            } else if upper.starts_with("RCPT TO:") {
                let reply = self.rcpt_reply.lock().unwrap().clone();
                let reply = reply.unwrap_or_else(|| "250 OK".to_owned());
                if reply.starts_with('2') {
                    mail.to.push(line[8..].trim().to_owned());
                }
                reply
            } else if upper == "DATA" {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                while let Some(data) = lines.next_line().await? {
                    if data == "." {
                        break;
                    }
                    mail.data.push_str(&data);
                    mail.data.push('\n');
                }
                self.mails.lock().unwrap().push(std::mem::take(&mut mail));
                "250 OK queued".to_owned()
            } else if upper == "RSET" {
                mail = Mail::default();
                "250 OK".to_owned()
            } else if upper == "QUIT" {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                "502 5.5.2 command not recognized".to_owned()
            };
            write.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
        Ok(())
    }
}
