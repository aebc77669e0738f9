//! Real headless Chromium driven through chromedriver (WebDriver) with fantoccini.
//!
//! Each test gets its own chromedriver on a free port and its own browser profile, so the
//! browser tests stay independent of each other and of the rest of the suite. A Chromium
//! costs a few hundred MiB and a core while a page renders, so at most `BROWSERS` run at
//! once; the other tests of the suite are not held back. Screenshots of every step, and
//! the page, console and a screenshot at the moment a test fails, land in the target
//! dir's `test-artifacts/screens/` (see `artifacts`).
//!
//! Nothing is skipped silently: without Chromium or chromedriver the tests fail and say
//! how to install them.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use futures::FutureExt;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::artifacts::{artifacts_dir, forget_last_run};
use crate::helpers::TestApp;

/// How many browsers may run at once on this machine.
const BROWSERS: usize = 2;
/// How long a condition may take to come true: generous, because a debug server, a
/// Chromium and the rest of the suite share two cores (among them the 杞县 demo test,
/// half a minute of CPU; a steward's submission once took over 20 s beside it).
pub const PATIENCE: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

static SLOTS: Semaphore = Semaphore::const_new(BROWSERS);

/// One test's view of its browser. Clones share the session and the step counter.
#[derive(Clone)]
pub struct Browser {
    pub(super) client: Client,
    pub(super) test: &'static str,
    pub(super) steps: Arc<AtomicUsize>,
    pub(super) driver_url: String,
}

/// Runs `body` with a fresh browser; on a panic, screenshots the page and saves its
/// source and console before the panic goes on. The browser and its driver are shut
/// down either way.
pub async fn with_browser<F, Fut>(test: &'static str, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let session = Session::start(test).await;
    let browser = session.browser.clone();
    let started = Instant::now();
    let outcome = AssertUnwindSafe(body(browser)).catch_unwind().await;
    if outcome.is_err() {
        session.browser.save_failure().await;
    }
    eprintln!(
        "browser test {test}: {:.1} s in the browser",
        started.elapsed().as_secs_f64()
    );
    session.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// What one test holds while its browser runs: the slot, the driver process, the session.
struct Session {
    browser: Browser,
    _driver: Driver,
    _slot: SemaphorePermit<'static>,
}

/// The chromedriver process, killed when dropped so that no path out of a test (a panic
/// while connecting included) leaves it running, and the scratch directory it and Chromium
/// use as TMPDIR. Chromium keeps shared-memory files there (`--disable-dev-shm-usage`) and
/// leaves them behind when it is stopped, so each test's go with its directory.
struct Driver {
    process: Child,
    _scratch: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Session {
    async fn start(test: &'static str) -> Session {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "the browser tests need {path} (Debian package {package}); \
                 run deploy/install-test-deps.sh"
            );
        }
        let slot = SLOTS
            .acquire()
            .await
            .expect("the browser slots never close");
        forget_last_run(test);
        let port = crate::helpers::free_port();
        let log = artifacts_dir().join(format!("{test}-chromedriver.log"));
        let scratch = tempfile::tempdir().expect("a scratch directory for the browser");
        let driver = Driver {
            process: Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .env("TMPDIR", scratch.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}")),
            _scratch: scratch,
        };
        let driver_url = format!("http://127.0.0.1:{port}");
        let session = Session {
            browser: Browser {
                client: connect(&driver_url).await,
                test,
                steps: Arc::new(AtomicUsize::new(0)),
                driver_url,
            },
            _driver: driver,
            _slot: slot,
        };
        session.browser.fit_viewport(1920, 1080).await;
        session
    }

    /// Ends the WebDriver session, which quits Chromium; dropping then stops the driver.
    async fn close(self) {
        let client = self.browser.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
    }
}

/// Opens a WebDriver session once chromedriver answers.
async fn connect(driver_url: &str) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1920,1080",
                "--lang=zh-CN",
                "--hide-scrollbars",
            ],
        }),
    );
    capabilities.insert("goog:loggingPrefs".to_string(), json!({"browser": "ALL"}));
    let deadline = Instant::now() + PATIENCE;
    loop {
        let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(driver_url)
            .await;
        match attempt {
            Ok(client) => return client,
            Err(error) if Instant::now() < deadline => {
                tracing::debug!(%error, "chromedriver not ready yet");
                tokio::time::sleep(POLL_EVERY).await;
            }
            Err(error) => panic!(
                "no browser session from chromedriver at {driver_url}: {error} \
                 (is Chromium installed? run deploy/install-test-deps.sh)"
            ),
        }
    }
}

impl Browser {
    /// Sizes the window so that the page itself gets `width`×`height`, the size the
    /// screens are designed at (`--window-size` counts the window's own frame too).
    pub async fn fit_viewport(&self, width: u32, height: u32) {
        let inner = self
            .eval("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        let (window_width, window_height) = self
            .client
            .get_window_size()
            .await
            .unwrap_or_else(|e| panic!("reading the window size: {e}"));
        let frame =
            |window: u64, inner: &Value| window.saturating_sub(inner.as_u64().unwrap_or(window));
        let (frame_width, frame_height) = (
            frame(window_width, &inner[0]),
            frame(window_height, &inner[1]),
        );
        self.client
            .set_window_size(width + frame_width as u32, height + frame_height as u32)
            .await
            .unwrap_or_else(|e| panic!("sizing the window: {e}"));
    }

    /// Loads `path` of the app and waits for the document to finish loading.
    pub async fn open(&self, app: &TestApp, path: &str) {
        self.open_at(&app.address, path).await;
    }

    /// Loads `path` of the server at `base` (the app, or a cable in front of it).
    pub async fn open_at(&self, base: &str, path: &str) {
        let url = format!("{base}{path}");
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        self.wait_until(
            &format!("{path} finished loading"),
            "return document.readyState === 'complete'",
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("running `{script}` in the page: {e}"))
    }

    /// Polls `script` until it returns something truthy, and returns that. Panics with
    /// `what` and the last value after `PATIENCE`.
    pub async fn wait_until(&self, what: &str, script: &str) -> Value {
        self.wait_until_with(what, script, vec![]).await
    }

    pub async fn wait_until_with(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            // A script can fail while the page is between documents; that is "not yet".
            let (value, last) = match self.client.execute(script, args.clone()).await {
                Ok(value) => (value.clone(), value.to_string()),
                Err(error) => (Value::Null, format!("an error: {error}")),
            };
            if truthy(&value) {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {} s for {what}; `{script}` last gave {last}",
                    PATIENCE.as_secs()
                );
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> u64 {
        let value = self
            .eval(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await;
        value
            .as_u64()
            .unwrap_or_else(|| panic!("counting {css} gave {value}"))
    }

    /// Waits for an element matching `css` to be in the page and returns it.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_until_with(
            &format!("an element matching {css}"),
            "return document.querySelector(arguments[0]) !== null",
            vec![json!(css)],
        )
        .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding {css}: {e}"))
    }

    /// Clicks the element matching `css` the way a user does (WebDriver element click:
    /// scrolled into view, refused if something covers it).
    pub async fn click(&self, css: &str) {
        self.act_on(css, "clicking", |element| async move {
            element.click().await.map(drop)
        })
        .await;
    }

    /// Does `action` to the element matching `css`. Screens re-render parts of the page
    /// when live data arrives, so the element found may be replaced before it is used, or
    /// briefly covered (a toast): such attempts are repeated with the element found
    /// afresh, for up to `PATIENCE`, and the last error is reported.
    async fn act_on<F, Fut>(&self, css: &str, doing: &str, action: F)
    where
        F: Fn(Element) -> Fut,
        Fut: Future<Output = Result<(), CmdError>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let element = self.find(css).await;
            let error = match action(element).await {
                Ok(()) => return,
                Err(error) => error,
            };
            let passing = error.is_stale_element_reference()
                || error.is_no_such_element()
                || error.is_element_not_interactable()
                || error.to_string().contains("element click intercepted");
            if !passing || Instant::now() >= deadline {
                panic!("{doing} {css}: {error}");
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
    }

    /// Clicks inside a shape (an SVG region of a map) with the mouse. A WebDriver element
    /// click aims at the centre of the bounding box, which for an irregular region may
    /// lie on a neighbour; this finds a point where the shape itself is hit first.
    pub async fn click_shape(&self, css: &str) {
        self.find(css).await;
        let point = self
            .eval(
                "const shape = document.querySelector(arguments[0]); \
                 shape.scrollIntoView({block: 'center', inline: 'center'}); \
                 const box = shape.getBoundingClientRect(); \
                 for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) { \
                   const x = box.left + box.width * ((i * 7) % 20) / 20; \
                   const y = box.top + box.height * ((j * 7) % 20) / 20; \
                   const hit = document.elementFromPoint(x, y); \
                   if (hit && (hit === shape || shape.contains(hit))) return [x, y]; \
                 } \
                 return null;",
                vec![json!(css)],
            )
            .await;
        let (Some(x), Some(y)) = (point[0].as_f64(), point[1].as_f64()) else {
            panic!("no visible point of {css} can be clicked (got {point})");
        };
        let mouse = MouseActions::new("mouse".to_string())
            .then(PointerAction::MoveTo {
                duration: None,
                x: x.floor(),
                y: y.floor(),
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client
            .perform_actions(mouse)
            .await
            .unwrap_or_else(|e| panic!("clicking {css} at ({x}, {y}): {e}"));
    }

    /// Types `text` into the element matching `css`; for a file input, `text` is a path.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.act_on(css, "typing into", |element| async move {
            element.send_keys(text).await
        })
        .await;
    }

    /// Signs in on the sign-in page as a person would (the demo password) and waits for the
    /// screen it leads to.
    pub async fn sign_in(&self, app: &TestApp, username: &str) {
        self.sign_in_at(&app.address, username).await;
    }

    /// Signs in on the sign-in page of the server at `base`.
    pub async fn sign_in_at(&self, base: &str, username: &str) {
        self.open_at(base, "/screens/").await;
        self.type_into("#username", username).await;
        self.type_into("#password", crate::helpers::PASSWORD).await;
        self.click("#login-submit").await;
        self.wait_until(
            &format!("{username} signed in and sent on from the sign-in page"),
            "return location.pathname !== '/screens/' && document.readyState === 'complete'",
        )
        .await;
    }

    /// Chromium's network emulation: offline or not, for the page (`navigator.onLine`,
    /// the `online` and `offline` events, the page's own requests). A service worker's
    /// requests are not covered by it, which is why tests also pull a `Cable`.
    pub async fn set_offline(&self, offline: bool) {
        self.client
            .issue_cmd(NetworkConditions { offline })
            .await
            .unwrap_or_else(|e| panic!("setting the network offline={offline}: {e}"));
    }

    /// The value of a cookie of the page, HttpOnly ones included.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client
            .get_named_cookie(name)
            .await
            .ok()
            .map(|cookie| cookie.value().to_string())
    }
}

/// ChromeDriver's own command for network emulation (not part of WebDriver).
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/chromium/network_conditions"))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"network_conditions": {
            "offline": self.offline,
            "latency": 0,
            "download_throughput": -1,
            "upload_throughput": -1,
        }});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// JavaScript's truthiness, for the values a script can return over WebDriver.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
