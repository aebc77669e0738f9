//! The bench's robot: a WeCom-shaped webhook on loopback that answers `errcode: 0` and
//! records when each warning's message arrived (the warning's number is in its text).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Robot {
    arrived: Mutex<HashMap<String, Instant>>,
    duplicates: Mutex<usize>,
}

impl Robot {
    pub fn arrivals(&self) -> usize {
        self.arrived.lock().expect("robot lock").len()
    }

    pub fn arrived(&self) -> HashMap<String, Instant> {
        self.arrived.lock().expect("robot lock").clone()
    }

    /// Messages for a warning that had already arrived.
    pub fn duplicates(&self) -> usize {
        *self.duplicates.lock().expect("robot lock")
    }
}

async fn send(State(robot): State<Arc<Robot>>, body: Bytes) -> axum::Json<Value> {
    let now = Instant::now();
    let message: Value = serde_json::from_slice(&body).unwrap_or_default();
    let content = message["markdown"]["content"].as_str().unwrap_or_default();
    // The body starts with the warning's number (`W…`), after any @-mention line.
    let id = content
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
        .find(|word| word.starts_with('W') && word.contains('-'))
        .map(str::to_owned);
    if let Some(id) = id {
        let mut arrived = robot.arrived.lock().expect("robot lock");
        if arrived.insert(id, now).is_some() {
            *robot.duplicates.lock().expect("robot lock") += 1;
        }
    }
    axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
}

/// Serves the robot; returns it and its webhook address.
pub async fn start() -> anyhow::Result<(Arc<Robot>, String)> {
    let robot = Arc::new(Robot::default());
    let router = Router::new()
        .route("/cgi-bin/webhook/send", post(send))
        .with_state(robot.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((
        robot,
        format!("http://{addr}/cgi-bin/webhook/send?key=bench"),
    ))
}
