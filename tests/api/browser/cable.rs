//! A network cable a test can pull: a TCP forwarder between the browser and the app.
//!
//! Chromium's network emulation takes the page offline but not its service worker (seen
//! when this was written: with the page "offline", a service worker's `fetch` still
//! reached the server), so a test of working without network also cuts the connection
//! here. Cutting closes every open connection (the WebSocket too) and refuses new ones.
//! `lose_answers` lets requests reach the app but never brings its answers back: the
//! case where a command was done but the tablet never heard, which its resend with the
//! same idempotency key must not do twice.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Connected,
    Cut,
    LoseAnswers,
}

pub struct Cable {
    /// `http://127.0.0.1:PORT`: open the app's pages here instead of at its own address.
    pub address: String,
    mode: watch::Sender<Mode>,
    task: JoinHandle<()>,
}

impl Cable {
    /// A connected cable in front of the app at `app_address` (`http://HOST:PORT`).
    pub async fn to(app_address: &str) -> Cable {
        let upstream: SocketAddr = app_address
            .trim_start_matches("http://")
            .parse()
            .unwrap_or_else(|e| panic!("the app's address {app_address}: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let (mode, watching) = watch::channel(Mode::Connected);
        let task = tokio::spawn(accept(listener, upstream, watching));
        Cable {
            address,
            mode,
            task,
        }
    }

    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    pub fn connect(&self) {
        self.mode.send_replace(Mode::Connected);
    }

    pub fn lose_answers(&self) {
        self.mode.send_replace(Mode::LoseAnswers);
    }
}

impl Drop for Cable {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        if *mode.borrow() == Mode::Cut {
            drop(client);
            continue;
        }
        tokio::spawn(pipe(client, upstream, mode.clone()));
    }
}

/// One connection, forwarded until either side closes or the cable is cut; while answers
/// are lost, the first byte of an answer closes the connection instead of reaching the
/// browser.
async fn pipe(client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    });
    let answers = mode.clone();
    let down = async move {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if *answers.borrow() != Mode::Connected {
                return;
            }
            if client_write.write_all(&buffer[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = down => {}
        _ = mode.wait_for(|m| *m == Mode::Cut) => {}
    }
    up.abort();
}
