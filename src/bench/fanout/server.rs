//! The server under test as an operator runs it: the `qingfeng` binary in its own process
//! (so its memory can be read from `/proc`), on a surrealkv store that survives a
//! restart, driven through its HTTP API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::system;

/// How long the server may take to listen (the first start seeds the demo district).
const START_LIMIT: Duration = Duration::from_secs(300);
/// How long a stopping server may take to save its checkpoint and exit.
const STOP_LIMIT: Duration = Duration::from_secs(60);
/// The stream caps the bench runs the server with: more than any screen count it opens.
const UNCAPPED: &str = "10000000";
/// What `qingfeng serve` prints once it listens.
const LISTENING: &str = "Qingfeng is listening on http://";

/// A `qingfeng serve` child process.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
}

/// How to start the server: the binary, its store and where its log goes.
pub struct Launcher {
    pub binary: PathBuf,
    pub store: String,
    pub log: PathBuf,
    /// More arguments for `serve` (a region tree, say).
    pub extra: Vec<String>,
}

impl Launcher {
    /// Starts `qingfeng serve` from the checkout (for `seeds/` and `workflows/`) and
    /// waits until it listens. Its log goes to `log` at warn level: a line per socket
    /// would cost the server more than the sockets.
    pub async fn start(&self, bind: SocketAddr, demo: bool) -> anyhow::Result<Server> {
        let (binary, store, log) = (&self.binary, &self.store, &self.log);
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .args([
                "serve",
                "--store",
                store.as_str(),
                "--bind",
                &bind.to_string(),
            ])
            // Every screen of the bench shares one token and one address, far beyond the
            // caps a real deployment needs; only the open-file reserve still applies.
            .args(["--ws-per-token", UNCAPPED, "--ws-per-address", UNCAPPED])
            .args(&self.extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true);
        if demo {
            // The demo city without its simulation: the bench is the only load, so the
            // figures measure the commands it sends and nothing else.
            command.args(["--demo", "--still"]);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(START_LIMIT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(addr) = line.strip_prefix(LISTENING) {
                    return Ok(addr.trim().parse::<SocketAddr>()?);
                }
            }
            anyhow::bail!("the server exited before listening; see {}", log.display())
        })
        .await
        .context("the server did not listen in time")??;
        // Nothing else is printed, but a full pipe must never block the server.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, pid, addr })
    }
}

impl Server {
    /// True if the server process has exited (it crashed, or was killed).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_some()
    }

    pub fn resident_bytes(&self) -> anyhow::Result<u64> {
        system::resident_bytes(self.pid)
    }

    /// SIGKILL: the server stops at once, saving nothing.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().await.context("killing the server")?;
        Ok(())
    }

    /// SIGTERM, then waits for the exit (the server saves its checkpoint first).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        system::terminate(self.pid)?;
        let status = tokio::time::timeout(STOP_LIMIT, self.child.wait())
            .await
            .context("the server did not stop in time")??;
        anyhow::ensure!(status.success(), "the server stopped with {status}");
        Ok(())
    }
}

/// The `qingfeng` binary beside this one (both are built into the same target dir).
pub fn binary_beside_this_one(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let path = exe.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it too (cargo build --release --bin {name})",
        path.display()
    );
    Ok(path)
}

/// The HTTP API as the load driver uses it: one signed-in user.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    pub async fn login(addr: SocketAddr, username: &str, password: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(256)
            .build()?;
        let base = format!("http://{addr}");
        let body: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("signing in as {username}"))?
            .json()
            .await?;
        let token = body["token"]
            .as_str()
            .context("a login answer without a token")?
            .to_string();
        Ok(Api { http, base, token })
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Raises a warning in `village`; returns its id.
    pub async fn raise(&self, village: &str, title: &str) -> anyhow::Result<String> {
        let body = json!({"region": village, "title": title, "severity": "medium",
            "subject": "fan-out bench"});
        let answer = self.post("/api/warnings", &body).await?;
        Ok(answer["id"]
            .as_str()
            .context("a raise answer without an id")?
            .to_string())
    }

    pub async fn dismiss(&self, id: &str) -> anyhow::Result<()> {
        let body = json!({"type": "dismiss", "reason": "fan-out bench"});
        self.post(&format!("/api/warnings/{id}/commands"), &body)
            .await?;
        Ok(())
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }
}

impl Api {
    /// A GET as this user, answered with its JSON.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "GET {path}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }

    /// Uploads one dataset file as this user; answers the import report.
    pub async fn upload(&self, kind: &str, name: &str, bytes: Vec<u8>) -> anyhow::Result<Value> {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let response = self
            .http
            .post(format!("{}/api/imports/{kind}", self.base))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(600))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "uploading {name}: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }
}
