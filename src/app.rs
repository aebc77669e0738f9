//! Building and running the application: the store, the region tree, the lifecycle
//! settings, the engine, the scheduler and the HTTP listener. The app binds its own
//! listener so tests can ask for port 0 and read the real port back.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpStream};

use crate::clock::{AcceleratedClock, Clock, SystemClock};
use crate::engine::Engine;
use crate::follower::Follower;
use crate::http::login_guard::LoginGuard;
use crate::http::{AppState, Metrics, router};
use crate::maps::{Boundaries, Maps};
use crate::regions::RegionTree;
use crate::rules::catalogue::Catalogue;
use crate::scheduler::Scheduler;
use crate::simulation::Simulation;
use crate::store::Store;
use crate::workflow::LifecycleSettings;

/// How to build the app. `Config::default()` is what `qingfeng serve` runs.
#[derive(Clone)]
pub struct Config {
    pub store_url: String,
    pub bind: SocketAddr,
    /// The region tree's file; `None` runs with the tree imported into the store, or
    /// without one the demo city's (`regions::stored::resolve`).
    pub regions_path: Option<PathBuf>,
    /// Region boundaries (GeoJSON keyed by `properties.code`) for the maps; `None` takes
    /// the file beside the tree's own ([`boundaries_beside`]), if any; regions without a
    /// shape are drawn as generated tiles.
    pub geojson_path: Option<PathBuf>,
    pub lifecycle_path: PathBuf,
    /// The rule catalogue directory (`workflows/rules`).
    pub rules_dir: PathBuf,
    /// Seed the demo users and warnings (idempotent: skipped when already seeded).
    pub demo: bool,
    /// Run the scheduler once a second; tests switch it off and call `step` themselves.
    pub run_scheduler: bool,
    /// Follow the log for events other instances append; tests switch it off and call
    /// `Follower::step` themselves.
    pub follow_log: bool,
    pub clock: Arc<dyn Clock>,
    /// Run the demo simulation on an accelerated clock this many times faster than real
    /// time (replacing `clock` for the engine; sessions and locks stay on `clock`).
    pub simulation_speed: Option<f64>,
    /// Sign-in rules, import limits, cookies and origins (`--security FILE`).
    pub security: crate::security::SecuritySettings,
    /// The time sessions, idle timeouts and account locks are measured against. It is not
    /// `clock`: tests move that one by days to reach deadlines, and the demo runs it 1,440
    /// times faster, neither of which should end a session or a lock.
    pub session_clock: Arc<dyn Clock>,
    /// The caps and allowed origins of the live stream `GET /ws`.
    pub ws: crate::ws::WsLimits,
    /// What is notified to whom, and whether the outbox delivers by itself.
    pub notify: NotifyConfig,
}

/// Looks up a channel secret by the environment variable's name the settings give.
pub type SecretLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The notification settings and channels of an app.
#[derive(Clone)]
pub struct NotifyConfig {
    /// `None` reads the shipped `workflows/notifications.toml`.
    pub settings: Option<Arc<crate::notify::NotifySettings>>,
    /// Where the channels' secrets are looked up; `None` is the process environment.
    pub secrets: Option<SecretLookup>,
    /// Step the outbox four times a second; tests switch it off and call `step`.
    pub run: bool,
}

impl Default for NotifyConfig {
    fn default() -> NotifyConfig {
        NotifyConfig {
            settings: None,
            secrets: None,
            run: true,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            store_url: "surrealkv://data/qingfeng.db".to_string(),
            bind: "127.0.0.1:8080".parse().expect("a valid address"),
            regions_path: None,
            geojson_path: None,
            lifecycle_path: crate::home::shipped(crate::home::LIFECYCLE_FILE),
            rules_dir: crate::home::shipped(crate::home::RULES_DIR),
            demo: false,
            run_scheduler: true,
            follow_log: true,
            clock: Arc::new(SystemClock),
            simulation_speed: None,
            security: crate::security::SecuritySettings::default(),
            session_clock: Arc::new(SystemClock),
            ws: crate::ws::WsLimits::default(),
            notify: NotifyConfig::default(),
        }
    }
}

/// A built app, listening but not yet serving.
pub struct App {
    listener: TcpListener,
    state: AppState,
    scheduler: Option<Scheduler>,
    follower: Option<Follower>,
    simulation: Option<Simulation>,
    run_outbox: bool,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let settings = load_lifecycle(&config.lifecycle_path)?;
        let catalogue = Catalogue::load_dir(&config.rules_dir)?;
        let store = Store::connect(&config.store_url)
            .await
            .with_context(|| format!("opening the store {}", config.store_url))?;
        let (regions, source) =
            crate::regions::stored::resolve(&store, config.regions_path.as_deref()).await?;
        tracing::info!(%source, regions = regions.len(), root = %regions.root().code, "region tree");
        // A boundary file belongs to its tree: the one named, else the one beside the
        // tree's own file (never the demo's shapes for another tree).
        let geojson = config
            .geojson_path
            .clone()
            .or_else(|| source.file().and_then(boundaries_beside));
        let regions = Arc::new(regions);
        let maps = load_maps(geojson.as_deref(), &regions)?;
        let demo_users = crate::demo::users_file(source.file());
        let accelerated = config
            .simulation_speed
            .map(|speed| AcceleratedClock::new(chrono::Utc::now(), speed));
        let clock: Arc<dyn Clock> = match &accelerated {
            Some(clock) => Arc::new(clock.clone()),
            None => config.clock.clone(),
        };
        let engine = Engine::start(store, clock, Arc::new(settings), regions)
            .await
            .context("catching the projection up with the log")?;
        let engine = Arc::new(engine);
        if let Some(clock) = &accelerated {
            let latest = engine.read(|p| p.warnings.values().map(|w| w.updated_at).max());
            if let Some(latest) = latest {
                clock.resume_after(latest);
            }
        }
        if config.demo {
            // A fresh demo on the demo clock starts its life 90 days ago and lives through
            // them, so its trends and escalations read like a real county's at once.
            let fresh = engine.store().head_position().await? == 0;
            let past = accelerated.as_ref().filter(|_| fresh);
            let now = chrono::Utc::now();
            if let Some(clock) = past {
                clock.jump_to(now - chrono::Duration::days(crate::demo::PAST_DAYS));
            }
            crate::demo::seed(&engine, &catalogue, &demo_users)
                .await
                .context("seeding the demo district")?;
            if let Some(clock) = past {
                crate::demo::live_through_past(&engine, clock, now, &demo_users)
                    .await
                    .context("living through the demo's past")?;
            }
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let scheduler = config.run_scheduler.then(|| Scheduler::new(engine.clone()));
        // Only a store other processes append to has anything to follow.
        let follower = (config.follow_log && engine.store().is_shared())
            .then(|| Follower::new(engine.clone()));
        let seed = engine.store().head_position().await?;
        let simulation = accelerated.map(|_| Simulation::new(engine.clone(), seed, &demo_users));
        crate::ws::fd_limit::raise_for_server();
        let hub = crate::ws::Hub::start(&engine, config.ws.clone());
        let catalogue = Arc::new(catalogue);
        let outbox = build_outbox(&config, &engine, &catalogue)?;
        let public = Arc::new(crate::public::PublicSite::default());
        if config.demo {
            crate::demo::publish_demo_months(&engine, &public)
                .await
                .context("publishing the demo's welfare payments")?;
        }
        public
            // The demo's publishing has read the payments already; `redecide` reads them
            // only if nothing has.
            .redecide(engine.store(), &engine.shared_regions())
            .await
            .context("building the public ledger")?;
        let state = AppState {
            engine,
            catalogue,
            outbox,
            metrics: Arc::new(Metrics::default()),
            maps: Arc::new(maps),
            charts: Arc::new(crate::charts::ChartCache::default()),
            tokens: Arc::default(),
            hub,
            login: Arc::new(LoginGuard::new(config.security.login)),
            settings: Arc::new(config.security.clone()),
            clock: config.session_clock.clone(),
            public,
            public_limits: Arc::new(crate::http::public::PublicLimits::new(
                &config.security.public,
            )),
        };
        Ok(App {
            listener,
            state,
            scheduler,
            follower,
            simulation,
            run_outbox: config.notify.run,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn engine(&self) -> Arc<crate::engine::Engine> {
        self.state.engine.clone()
    }

    /// Everything the handlers share (tests step the background workers with it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The live-stream hub (tests flush it instead of waiting for its timer).
    pub fn hub(&self) -> Arc<crate::ws::Hub> {
        self.state.hub.clone()
    }

    /// Serves until ctrl-c (or SIGTERM), then lets the store flush what it accepted.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes; tests use it to restart an app in-process.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let scheduler = self.scheduler.map(|s| tokio::spawn(s.run()));
        let follower = self.follower.map(|f| tokio::spawn(f.run()));
        let simulation = self.simulation.map(|s| tokio::spawn(s.run()));
        let housekeeping = tokio::spawn(crate::housekeeping::run(self.state.clone()));
        let outbox = self
            .run_outbox
            .then(|| tokio::spawn(self.state.outbox.clone().run()));
        let engine = self.state.engine.clone();
        tracing::info!(addr = %self.listener.local_addr()?, "serving");
        let listener = self.listener.tap_io(small_socket_buffers);
        // Each request carries its peer address (`ConnectInfo`), which login limits, the
        // audit log and the WebSocket caps key on.
        let service = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(stop)
            .await
            .context("serving HTTP")?;
        housekeeping.abort();
        for task in [scheduler, follower, simulation, outbox]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
        engine.store().shutdown().await;
        match engine.save_checkpoint().await {
            Ok(position) => tracing::info!(position, "projection checkpoint saved"),
            Err(error) => tracing::warn!(%error, "projection checkpoint not saved"),
        }
        Ok(())
    }
}

/// The outbox with its settings and channels. Deliveries are timed by `config.clock`,
/// the real time in a server (the demo's accelerated engine clock would race through
/// retry delays and quiet hours), and gateway requests are always signed with the real
/// time.
fn build_outbox(
    config: &Config,
    engine: &Arc<crate::engine::Engine>,
    catalogue: &Arc<Catalogue>,
) -> anyhow::Result<Arc<crate::outbox::Outbox>> {
    use crate::notify::{Channels, NotifySettings};
    let settings = match &config.notify.settings {
        Some(settings) => settings.clone(),
        None => Arc::new(NotifySettings::load(&crate::home::shipped(
            crate::notify::settings::SHIPPED,
        ))?),
    };
    let env = |var: &str| std::env::var(var).ok();
    let secrets: &dyn Fn(&str) -> Option<String> = match &config.notify.secrets {
        Some(secrets) => secrets.as_ref(),
        None => &env,
    };
    let channels = Channels::build(&settings.channels, secrets, Arc::new(SystemClock))?;
    Ok(Arc::new(crate::outbox::Outbox::new(
        engine.clone(),
        catalogue.clone(),
        settings,
        channels,
        config.clock.clone(),
    )))
}

/// Reads and checks the lifecycle settings file (the workflow itself reads no files).
pub fn load_lifecycle(path: &std::path::Path) -> anyhow::Result<LifecycleSettings> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(LifecycleSettings::from_toml_str(
        &path.display().to_string(),
        &text,
    )?)
}

/// The boundary file that goes with a region tree when none is named: the file beside it
/// with the same name and `.geojson` (`seeds/regions.csv` → `seeds/regions.geojson`), if
/// there is one. A boundary file belongs to its tree: the demo's shapes are the demo
/// city's, and a real county's tree starts without any (tile maps) unless its own file is
/// put beside it or named with `--geojson`.
pub fn boundaries_beside(regions_path: &std::path::Path) -> Option<PathBuf> {
    let beside = regions_path.with_extension("geojson");
    beside.is_file().then_some(beside)
}

/// Reads the region boundaries and draws every region's map. A bad file stops the start
/// naming the feature and field; regions without a shape only lack them on their maps.
fn load_maps(path: Option<&std::path::Path>, regions: &Arc<RegionTree>) -> anyhow::Result<Maps> {
    let Some(path) = path else {
        tracing::info!("no boundary file: every map is drawn as tiles");
        return Ok(Maps::build(regions.clone(), Boundaries::default()));
    };
    let boundaries = Boundaries::load(path, regions)
        .with_context(|| format!("loading the region boundaries {}", path.display()))?;
    let maps = Maps::build(regions.clone(), boundaries);
    if !maps.missing.is_empty() {
        tracing::info!(
            missing = maps.missing.len(),
            file = %path.display(),
            "regions without a boundary shape are drawn as tiles"
        );
    }
    Ok(maps)
}

/// The kernel buffers of each accepted socket. Left to autotuning, a socket may grow to
/// 4 MiB of send buffer (`tcp_wmem`), so ten thousand wall screens, stalled or on a slow
/// link, could pin gigabytes of kernel memory; screens receive at most a few dozen KiB at
/// a time and send next to nothing. 64 KiB (the kernel doubles it for bookkeeping) still
/// carries the largest snapshot, chart or upload chunk in one window on a LAN.
const SOCKET_BUFFER: usize = 64 * 1024;

fn small_socket_buffers(stream: &mut TcpStream) {
    let socket = socket2::SockRef::from(&*stream);
    let sized = socket
        .set_send_buffer_size(SOCKET_BUFFER)
        .and_then(|()| socket.set_recv_buffer_size(SOCKET_BUFFER));
    if let Err(error) = sized {
        // A socket keeping the kernel's sizes still works; it only costs more memory.
        tracing::debug!(%error, "socket buffers not resized");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
