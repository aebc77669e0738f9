//! `spawn_app()` and a `TestApp` with one method per endpoint.

use crate::contract::checked;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use qingfeng::app::{App, Config};
use qingfeng::clock::ManualClock;
use qingfeng::engine::Engine;
use qingfeng::scheduler::{Scheduler, StepReport};
use qingfeng::store::UserRecord;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "test-password-1";
pub const CITY: &str = "990102000000";
pub const TOWN_QINGXI: &str = "990102100000";
pub const TOWN_TAOYUAN: &str = "990102101000";
pub const VILLAGE_LIUTANG: &str = "990102100201";
pub const VILLAGE_SHIMEN: &str = "990102100202";

/// Users every test app has: (username, role, region).
pub const USERS: [(&str, &str, &str); 8] = [
    ("leader", "city_leader", CITY),
    ("city", "city_office", CITY),
    ("wall", "display", CITY),
    ("qingxi", "town_office", TOWN_QINGXI),
    ("taoyuan", "town_office", TOWN_TAOYUAN),
    ("liutang", "village_steward", VILLAGE_LIUTANG),
    ("shimen", "village_steward", VILLAGE_SHIMEN),
    ("qingxi-wall", "display", TOWN_QINGXI),
];

/// A loopback port free at the moment of asking, for a process that binds it itself.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A warning's colour and lifecycle state, as the API shows them ("" where one is missing).
pub fn level_and_state(warning: &Value) -> (&str, &str) {
    let field = |name: &str| warning[name].as_str().unwrap_or("");
    (field("level"), field("state"))
}

/// The smallest valid PNG: a 1×1 transparent pixel.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub engine: Arc<Engine>,
    /// The app's live-stream hub; tests flush it instead of waiting for its timer.
    pub hub: Arc<qingfeng::ws::Hub>,
    /// What the handlers share, for stepping the background workers.
    pub state: qingfeng::http::AppState,
    #[allow(dead_code)]
    pub store_url: String,
    tokens: std::sync::Mutex<std::collections::HashMap<String, String>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A fresh app on an in-memory store with the test users.
pub async fn spawn_app() -> TestApp {
    spawn_app_on("mem://", ManualClock::new(start_time())).await
}

/// An app on the given store and clock; users are (re)written.
pub async fn spawn_app_on(store_url: &str, clock: ManualClock) -> TestApp {
    spawn_app_at(store_url, clock, "127.0.0.1:0".parse().unwrap()).await
}

/// An app listening on `bind`: a restarted app keeps its address, as a real server does.
pub async fn spawn_app_at(
    store_url: &str,
    clock: ManualClock,
    bind: std::net::SocketAddr,
) -> TestApp {
    spawn_app_configured(store_url, clock, bind, |_| {}).await
}

/// An app on the given store whose configuration `configure` has changed.
pub async fn spawn_app_on_with(store_url: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    let clock = ManualClock::new(start_time());
    let bind = "127.0.0.1:0".parse().unwrap();
    spawn_app_configured(store_url, clock, bind, configure).await
}

/// A fresh app on one of the official trees of `seeds/real/` (`qixian-410221.csv`,
/// `kaifeng-4102.csv`), with no boundary file, as a real county starts.
pub async fn spawn_app_on_real_tree(file: &str) -> TestApp {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds/real")
        .join(file);
    spawn_app_with(|config| {
        config.regions_path = Some(path);
        config.geojson_path = None;
    })
    .await
}

/// A fresh app on an in-memory store whose configuration `configure` has changed (limits,
/// the session clock).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let clock = ManualClock::new(start_time());
    let bind = "127.0.0.1:0".parse().unwrap();
    spawn_app_configured("mem://", clock, bind, configure).await
}

pub async fn spawn_app_configured(
    store_url: &str,
    clock: ManualClock,
    bind: std::net::SocketAddr,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config {
        store_url: store_url.to_string(),
        bind,
        regions_path: Some(root.join("seeds/regions.csv")),
        geojson_path: Some(root.join("seeds/regions.geojson")),
        lifecycle_path: root.join("workflows/lifecycle.toml"),
        rules_dir: root.join("workflows/rules"),
        demo: false,
        run_scheduler: false,
        follow_log: false,
        clock: Arc::new(clock.clone()),
        simulation_speed: None,
        security: test_security(),
        session_clock: Arc::new(qingfeng::clock::SystemClock),
        ws: Default::default(),
        notify: qingfeng::app::NotifyConfig {
            run: false,
            ..Default::default()
        },
    };
    configure(&mut config);
    let app = App::build(config).await.expect("the app builds");
    let engine = app.engine();
    let hub = app.hub();
    let state = app.state();
    for user in test_users() {
        engine.store().put_user(user).await.unwrap();
    }
    let address = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        clock,
        engine,
        hub,
        state,
        store_url: store_url.to_string(),
        tokens: Default::default(),
        stop: Some(stop),
        task: Some(task),
    }
}

/// The default security settings, but with room for the many sign-ins a test makes from
/// one address in a moment (the hostile tests set their own limits).
fn test_security() -> qingfeng::security::SecuritySettings {
    let mut settings = qingfeng::security::SecuritySettings::default();
    settings.login.attempts_per_minute_per_address = 10_000;
    settings.login.burst_per_address = 10_000;
    settings
}

/// Password hashing is slow in debug builds; hash once per test binary.
fn test_users() -> &'static [UserRecord] {
    static USERS_HASHED: std::sync::OnceLock<Vec<UserRecord>> = std::sync::OnceLock::new();
    USERS_HASHED.get_or_init(|| {
        let hash = qingfeng::auth::hash_password(PASSWORD).unwrap();
        USERS
            .iter()
            .map(|(username, role, region)| UserRecord {
                username: username.to_string(),
                password_hash: hash.clone(),
                role: role.to_string(),
                region: region.to_string(),
                display_name: username.to_string(),
            })
            .collect()
    })
}

impl TestApp {
    /// Stops the server and waits for the store to flush and close.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// Adds a user (password `PASSWORD`) of any role and region: for apps on another tree
    /// than the demo city's.
    pub async fn add_user(&self, username: &str, role: &str, region: &str) {
        let hash = test_users()[0].password_hash.clone();
        let user = UserRecord {
            username: username.to_string(),
            password_hash: hash,
            role: role.to_string(),
            region: region.to_string(),
            display_name: username.to_string(),
        };
        self.engine.store().put_user(&user).await.unwrap();
    }

    /// One round of housekeeping (purges), as the server runs it every minute.
    pub async fn step_housekeeping(&self) -> qingfeng::housekeeping::Swept {
        qingfeng::housekeeping::step(&self.state).await
    }

    pub async fn step_scheduler(&self) -> StepReport {
        Scheduler::new(self.engine.clone()).step().await.unwrap()
    }

    /// A token for the user (logged in once per app; argon2 is slow in debug builds).
    pub async fn login(&self, username: &str) -> String {
        if let Some(token) = self.tokens.lock().unwrap().get(username) {
            return token.clone();
        }
        let token = self.new_session(username).await;
        self.tokens
            .lock()
            .unwrap()
            .insert(username.to_string(), token.clone());
        token
    }

    /// Signs the user in again: a token of its own, beside any other.
    pub async fn new_session(&self, username: &str) -> String {
        self.sign_in_with(username, PASSWORD).await
    }

    /// Signs in with a password of the user's own (a demo user's, say); returns the token.
    /// A 503 (every password check slot busy, as on a machine loaded by other tests) is
    /// retried after its `Retry-After`, as a client should.
    pub async fn sign_in_with(&self, username: &str, password: &str) -> String {
        let mut tries = 0;
        let response = loop {
            let response = self
                .client
                .post(format!("{}/api/auth/login", self.address))
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .unwrap();
            tries += 1;
            if response.status() != 503 || tries == 10 {
                break response;
            }
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_secs(wait.min(5))).await;
        };
        let response = checked("POST", "/api/auth/login", response).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// Applies the finding of the lease rule for contract HT-`n` in 柳塘村 (a reminder or
    /// a red warning); returns the id of the warning it raised.
    pub async fn raise_lease_finding(
        &self,
        n: usize,
        deadline_days: u32,
        reminder: bool,
    ) -> String {
        let finding = qingfeng::engine::RuleFinding {
            rule: "lease_expiring".into(),
            subject: format!("contract:HT-{n}"),
            region: qingfeng::domain::region::RegionCode::parse(VILLAGE_LIUTANG).unwrap(),
            title: "合同即将到期未重新发包".into(),
            summary: format!("合同HT-{n}即将到期"),
            evidence: json!({}),
            severity: qingfeng::workflow::Severity::Low,
            deadline_days,
            reminder,
        };
        match self.engine.apply_finding(finding).await.unwrap() {
            qingfeng::engine::FindingOutcome::Raised(id) => id,
            other => panic!("a new subject raises, got {other:?}"),
        }
    }

    /// Signs the token out; returns the status.
    pub async fn logout(&self, token: &str) -> u16 {
        let response = self
            .client
            .post(format!("{}/api/auth/logout", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let response = checked("POST", "/api/auth/logout", response).await;
        response.status().as_u16()
    }

    pub async fn raise(&self, token: &str, region: &str, severity: &str) -> reqwest::Response {
        let response = self
            .client
            .post(format!("{}/api/warnings", self.address))
            .bearer_auth(token)
            .json(&json!({"region": region, "title": "承包款逾期", "severity": severity, "subject": "合同 HT-1"}))
            .send()
            .await
            .unwrap();
        checked("POST", "/api/warnings", response).await
    }

    /// Raises a warning as the city office and returns its id.
    pub async fn raise_ok(&self, region: &str) -> String {
        let token = self.login("city").await;
        let response = self.raise(&token, region, "high").await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// Raises a 柳塘 warning and has its steward acknowledge it, so it takes photos.
    pub async fn raise_acknowledged(&self) -> String {
        let id = self.raise_ok(VILLAGE_LIUTANG).await;
        let steward = self.login("liutang").await;
        self.command_ok(&steward, &id, json!({"type": "acknowledge"}))
            .await;
        id
    }

    pub async fn command(&self, token: &str, id: &str, body: Value) -> reqwest::Response {
        self.command_with(token, id, body, None, None).await
    }

    pub async fn command_with(
        &self,
        token: &str,
        id: &str,
        body: Value,
        key: Option<&str>,
        if_match: Option<u64>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/api/warnings/{id}/commands", self.address))
            .bearer_auth(token)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(version) = if_match {
            request = request.header("If-Match", version.to_string());
        }
        let path = format!("/api/warnings/{id}/commands");
        checked("POST", &path, request.send().await.unwrap()).await
    }

    /// Sends a command that must succeed and returns the warning.
    pub async fn command_ok(&self, token: &str, id: &str, body: Value) -> Value {
        let response = self.command(token, id, body.clone()).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{body} → {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Takes a 柳塘 warning from raised to yellow: its steward acknowledges, rectifies and
    /// submits, and the 青溪 town office verifies.
    pub async fn rectify_and_verify(&self, id: &str) -> Value {
        let steward = self.login("liutang").await;
        let town = self.login("qingxi").await;
        for body in [
            json!({"type": "acknowledge"}),
            json!({"type": "start_rectification"}),
            json!({"type": "submit_rectification", "note": "已整改"}),
        ] {
            self.command_ok(&steward, id, body).await;
        }
        let verified = self
            .command_ok(&town, id, json!({"type": "verify_rectification"}))
            .await;
        assert_eq!(verified["level"], "yellow");
        verified
    }

    /// `method path` with a JSON (or any) body, as `token`, checked against the document.
    pub async fn send_body(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let response = self
            .client
            .request(method.clone(), format!("{}{path}", self.address))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        checked(method.as_str(), path, response).await
    }

    /// `POST path` with no body, as `token`, checked against the API document.
    pub async fn post_empty(&self, token: &str, path: &str) -> reqwest::Response {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        checked("POST", path, response).await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        checked("GET", path, response).await
    }

    /// A page as a stranger fetches it (no token): its status and text.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap();
        let response = checked("GET", path, response).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.get(token, path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Uploads one dataset file to `POST /api/imports/{kind}` as `user`.
    pub async fn upload(
        &self,
        user: &str,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let token = self.login(user).await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let response = self
            .client
            .post(format!("{}/api/imports/{kind}", self.address))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        checked("POST", &format!("/api/imports/{kind}"), response).await
    }

    /// Uploads one photo for the warning as `user` (`POST /api/warnings/{id}/attachments`).
    pub async fn attach(
        &self,
        user: &str,
        warning: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.attach_keyed(user, warning, name, bytes, None).await
    }

    /// The same, with an `Idempotency-Key` when `key` is given.
    pub async fn attach_keyed(
        &self,
        user: &str,
        warning: &str,
        name: &str,
        bytes: Vec<u8>,
        key: Option<&str>,
    ) -> reqwest::Response {
        let token = self.login(user).await;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str("image/png")
            .unwrap();
        let mut request = self
            .client
            .post(format!(
                "{}/api/warnings/{warning}/attachments",
                self.address
            ))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let path = format!("/api/warnings/{warning}/attachments");
        checked("POST", &path, request.send().await.unwrap()).await
    }

    pub async fn warning(&self, id: &str) -> Value {
        let token = self.login("city").await;
        self.get_json(&token, &format!("/api/warnings/{id}")).await
    }
}
