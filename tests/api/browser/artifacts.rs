//! What a browser test leaves behind in `$CARGO_TARGET_DIR/test-artifacts/screens/` (or
//! `target/...`): a screenshot of every step, and on failure the page, its console and a
//! last screenshot. chromedriver writes its own log there too.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::harness::{Browser, PATIENCE};

/// Where screenshots go: `$CARGO_TARGET_DIR/test-artifacts/screens`, else `target/...`.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("test-artifacts").join("screens");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Removes this test's artifacts of an earlier run, so that every file left is this run's.
pub(super) fn forget_last_run(test: &str) {
    let prefix = format!("{test}-");
    let Ok(entries) = std::fs::read_dir(artifacts_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Browser {
    /// Saves a screenshot of the page as `<test>-<nn>-<step>.png` and returns its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        let n = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
        let path = artifacts_dir().join(format!("{}-{n:02}-{step}.png", self.test));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {step}: {e}"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// After a failure: the screenshot, the page source and the browser console, each
    /// best effort (the browser may be what failed).
    pub(super) async fn save_failure(&self) {
        let dir = artifacts_dir();
        if let Ok(Ok(png)) = tokio::time::timeout(PATIENCE, self.client.screenshot()).await {
            let _ = std::fs::write(dir.join(format!("{}-failure.png", self.test)), png);
        }
        if let Ok(Ok(html)) = tokio::time::timeout(PATIENCE, self.client.source()).await {
            let _ = std::fs::write(dir.join(format!("{}-failure.html", self.test)), html);
        }
        let console = self.console().await;
        let _ = std::fs::write(
            dir.join(format!("{}-failure-console.json", self.test)),
            console,
        );
        eprintln!(
            "browser test {}: failure screenshot, page and console in {}",
            self.test,
            dir.display()
        );
    }

    /// The browser console so far, from chromedriver's log endpoint (not part of the
    /// W3C protocol, so fantoccini has no method for it).
    async fn console(&self) -> String {
        let Ok(Ok(Some(session))) =
            tokio::time::timeout(Duration::from_secs(5), self.client.session_id()).await
        else {
            return "no session".to_string();
        };
        let request = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({"type": "browser"}))
            .timeout(Duration::from_secs(5))
            .send();
        match request.await {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(error) => format!("console not available: {error}"),
        }
    }
}
