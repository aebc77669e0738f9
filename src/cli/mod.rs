//! The command line: `serve`, `users`, `regions`, `replay`, `import`, `scan`, `audit`.
//! `--help` everywhere.

mod regions;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::app::{App, Config};
use crate::home;
use crate::projections::Projection;
use crate::store::Store;
use crate::ws::{WsLimits, limits};

#[derive(Debug, Parser)]
#[command(
    name = "qingfeng",
    version,
    about = "Qingfeng (清风): smart supervision of village and town power, funds and projects"
)]
pub struct Cli {
    /// Log format: human or json.
    #[arg(
        long,
        global = true,
        env = "QINGFENG_LOG_FORMAT",
        default_value = "human"
    )]
    pub log_format: LogFormat,
    /// The folder holding the shipped workflows/ and seeds/. Default: the current
    /// directory, a package's share/qingfeng, /opt/qingfeng or the source checkout, the
    /// first that has them.
    #[arg(long, global = true, env = "QINGFENG_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Commands,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Start the server.
    Serve(ServeArgs),
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Rebuild the projections from the event log and print the counts and the time taken.
    Replay(StoreArgs),
    /// Run the rule catalogue over the stored datasets and raise warnings for what it finds.
    Scan(ScanArgs),
    /// Import dataset files (CSV, UTF-8 or GBK, or .xlsx). Every file is checked first; if
    /// any row is bad nothing is written and every bad cell is listed.
    Import(ImportArgs),
    /// The region tree to run with: import the official division codes, show the tree kept.
    Regions {
        #[command(subcommand)]
        command: regions::RegionsCommand,
    },
    /// The tamper-evident audit log: verify its hash chain, list its newest records.
    Audit {
        #[command(subcommand)]
        command: crate::audit::cli::AuditCommand,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub setup: SetupArgs,
}

/// Where the region tree, the lifecycle settings and the rule catalogue are.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The region tree (`code,name,parent` CSV). Default: the tree imported into the
    /// store with `qingfeng regions import`, else the demo city's `seeds/regions.csv`.
    #[arg(long)]
    pub regions: Option<PathBuf>,
    /// The lifecycle settings. Default: workflows/lifecycle.toml in the data directory.
    #[arg(long)]
    pub lifecycle: Option<PathBuf>,
    /// The rule catalogue directory. Default: workflows/rules in the data directory.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Security settings (import limits among them): a TOML file like deploy/security.toml.
    #[arg(long, env = "QINGFENG_SECURITY")]
    pub security: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// contracts, contract_payments, village_payments, projects, welfare_payments, vehicles,
    /// companies, public_employees, cadres, relatives, deaths or bids.
    #[arg(long)]
    pub kind: String,
    /// The files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the problems found as CSV (file,row,column,value,reason) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub setup: SetupArgs,
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The event store: surrealkv://PATH (embedded, on disk), mem:// or ws://HOST:PORT.
    #[arg(
        long,
        env = "QINGFENG_STORE",
        default_value = "surrealkv://data/qingfeng.db"
    )]
    pub store: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "QINGFENG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Seed the demo district: users (see README) and warnings in every state.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: how many times faster than real time the demo clock runs while the
    /// simulated stewards and offices work (1440: one demo day per real minute).
    #[arg(long, default_value_t = 1440.0)]
    pub speed: f64,
    /// With --demo: keep the city still (no simulation, real time).
    #[arg(long)]
    pub still: bool,
    /// The region tree (`code,name,parent` CSV). Default: the tree imported into the
    /// store with `qingfeng regions import`, else the demo city's `seeds/regions.csv`.
    #[arg(long)]
    pub regions: Option<PathBuf>,
    /// The lifecycle settings. Default: workflows/lifecycle.toml in the data directory.
    #[arg(long)]
    pub lifecycle: Option<PathBuf>,
    /// Region boundaries for the maps: GeoJSON, one feature per region with `properties.code`.
    /// Default: the `.geojson` file beside the region tree with its name, if there is one
    /// (the demo's); regions without a shape are drawn as generated tiles.
    #[arg(long)]
    pub geojson: Option<PathBuf>,
    /// Security settings: sign-in rules, import limits, cookies, origins (a TOML file like
    /// deploy/security.toml; every key optional).
    #[arg(long, env = "QINGFENG_SECURITY")]
    pub security: Option<PathBuf>,
    /// Notifications: routes, templates and channels (a TOML file like
    /// workflows/notifications.toml, the default: the log channel only). Channel secrets
    /// are read from the environment variables the file names.
    #[arg(long, env = "QINGFENG_NOTIFICATIONS")]
    pub notifications: Option<PathBuf>,
    /// The most live streams (`GET /ws`) one token may hold open at once.
    #[arg(long, env = "QINGFENG_WS_PER_TOKEN", default_value_t = limits::DEFAULT_PER_TOKEN)]
    pub ws_per_token: usize,
    /// The most live streams one client address may hold open at once. Behind a reverse
    /// proxy every stream comes from the proxy's address: raise this there.
    #[arg(long, env = "QINGFENG_WS_PER_ADDRESS", default_value_t = limits::DEFAULT_PER_ADDRESS)]
    pub ws_per_address: usize,
    /// An origin (`https://wall.example.gov`) whose pages may open live streams; repeat it
    /// (or separate with commas) for more. Without any, only pages of the host the request
    /// names may.
    #[arg(long = "ws-origin", env = "QINGFENG_WS_ORIGINS", value_delimiter = ',')]
    pub ws_origins: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user, or replace one with the same username.
    Add {
        /// The login name.
        #[arg(long)]
        username: String,
        /// At least 10 characters mixing three of lowercase, uppercase, digits and other
        /// characters; stored only as an argon2id hash.
        #[arg(long)]
        password: String,
        /// city_leader, city_office, town_office, village_steward or display.
        #[arg(long)]
        role: String,
        /// The 12-digit code of the region the user is scoped to.
        #[arg(long)]
        region: String,
        /// The name screens show.
        #[arg(long, default_value = "")]
        display_name: String,
        /// The region tree the region code is checked against. Default: the one the server
        /// runs with (imported into the store, else the demo city's).
        #[arg(long)]
        regions: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// End an account's lock after too many wrong passwords (and forget its failures).
    Unlock {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Issue a long-lived token for a display user, for an unattended wall: open
    /// `/screens/city?token=TOKEN` (or the town's or village's screen) once on the wall.
    Token {
        /// A user with the display role.
        #[arg(long)]
        username: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    home::init(home::locate(cli.data_dir.as_deref())?);
    match cli.command {
        Commands::Serve(args) => serve(args).await,
        Commands::Users { command } => users::run(command).await,
        Commands::Replay(args) => replay(args).await,
        Commands::Import(args) => crate::import::cli::run(args).await,
        Commands::Scan(args) => {
            let (engine, catalogue) = open_engine(&args.setup).await?;
            let report = crate::scan::run_scan(&engine, &catalogue).await?;
            crate::audit::log::record_command_line_scan(&engine, &report).await;
            print_scan(&report, args.json);
            engine.store().shutdown().await;
            Ok(())
        }
        Commands::Audit { command } => crate::audit::cli::run(command).await,
        Commands::Regions { command } => regions::run(command).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    if let Some(path) = args.store.store.strip_prefix("surrealkv://")
        && let Some(parent) = PathBuf::from(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let security = load_security(args.security.as_deref())?;
    // One list of allowed origins serves both the session cookie and the live stream,
    // unless the stream is given its own.
    let ws_origins = if args.ws_origins.is_empty() {
        security.http.allowed_origins.clone()
    } else {
        args.ws_origins
    };
    let config = Config {
        security,
        store_url: args.store.store,
        bind: args.bind,
        geojson_path: args.geojson.map(home::typed),
        regions_path: args.regions.map(home::typed),
        lifecycle_path: shipped_or_typed(args.lifecycle, home::LIFECYCLE_FILE),
        rules_dir: home::shipped(home::RULES_DIR),
        demo: args.demo,
        simulation_speed: (args.demo && !args.still).then_some(args.speed),
        ws: WsLimits {
            per_token: args.ws_per_token,
            per_address: args.ws_per_address,
            allowed_origins: ws_origins,
            ..WsLimits::default()
        },
        notify: crate::app::NotifyConfig {
            settings: match args.notifications {
                Some(path) => Some(std::sync::Arc::new(crate::notify::NotifySettings::load(
                    &home::typed(path),
                )?)),
                None => None,
            },
            ..crate::app::NotifyConfig::default()
        },
        ..Config::default()
    };
    let app = App::build(config).await?;
    println!("Qingfeng is listening on http://{}", app.local_addr());
    app.run_until_stopped().await
}

async fn replay(args: StoreArgs) -> anyhow::Result<()> {
    let store = Store::connect(&args.store).await?;
    let started = Instant::now();
    let mut projection = Projection::default();
    crate::engine::fold_log(&store, &mut projection).await?;
    let elapsed = started.elapsed();
    // Every warning counts in exactly one province's subtree.
    let mut total = crate::projections::Counts::default();
    for (code, counts) in &projection.rolled {
        if code.parent_by_digits().is_none() {
            total.merge(counts);
        }
    }
    let summary = total.summary();
    println!(
        "replayed {} events into {} warnings in {:.3} s ({:.0} events/s)",
        projection.position,
        projection.warnings.len(),
        elapsed.as_secs_f64(),
        projection.position as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "red {}  yellow {}  green {}  overdue {}  supervised {}  faults {}",
        summary.red,
        summary.yellow,
        summary.green,
        summary.overdue,
        summary.supervised,
        projection.faults.len()
    );
    store.shutdown().await;
    Ok(())
}

/// Who a command-line change is recorded as in the audit log: the operating-system user
/// who ran it (the command line has no signed-in user).
fn cli_actor() -> String {
    let os_user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
    format!("cli:{os_user}")
}

/// The file a user named (found as `home::typed` finds it), else the shipped one.
fn shipped_or_typed(named: Option<PathBuf>, shipped: &str) -> PathBuf {
    named.map_or_else(|| home::shipped(shipped), home::typed)
}

/// The security settings from `--security FILE`, or the defaults.
pub fn load_security(
    path: Option<&std::path::Path>,
) -> anyhow::Result<crate::security::SecuritySettings> {
    match path {
        Some(path) => crate::security::SecuritySettings::load(path),
        None => Ok(crate::security::SecuritySettings::default()),
    }
}

/// Opens the store and builds an engine (caught up with the log) and the rule catalogue,
/// for commands that act like the server without serving.
pub async fn open_engine(
    setup: &SetupArgs,
) -> anyhow::Result<(crate::engine::Engine, crate::rules::catalogue::Catalogue)> {
    let lifecycle = shipped_or_typed(setup.lifecycle.clone(), home::LIFECYCLE_FILE);
    let settings = crate::app::load_lifecycle(&lifecycle)?;
    let rules = shipped_or_typed(setup.rules.clone(), home::RULES_DIR);
    let catalogue = crate::rules::catalogue::Catalogue::load_dir(&rules)?;
    let regions = setup.regions.clone().map(home::typed);
    let store = Store::connect(&setup.store.store).await?;
    let (regions, _) = crate::regions::stored::resolve(&store, regions.as_deref()).await?;
    let engine = crate::engine::Engine::start(
        store,
        std::sync::Arc::new(crate::clock::SystemClock),
        std::sync::Arc::new(settings),
        std::sync::Arc::new(regions),
    )
    .await?;
    Ok((engine, catalogue))
}

/// Prints a scan report: per rule, checked / flagged / not judged / warnings opened.
pub fn print_scan(report: &crate::scan::ScanReport, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).expect("reports serialize")
        );
        return;
    }
    println!(
        "scan as of {}: {} rows (load {:.2} s, rules {:.2} s, warnings {:.2} s)",
        report.as_of,
        report.rows,
        report.load_seconds,
        report.compute_seconds,
        report.apply_seconds
    );
    println!(
        "{:<26} {:>9} {:>8} {:>10} {:>7} {:>8} {:>7}",
        "rule", "checked", "flagged", "not judged", "opened", "relapsed", "open"
    );
    for line in &report.rules {
        println!(
            "{:<26} {:>9} {:>8} {:>10} {:>7} {:>8} {:>7}  {}",
            line.rule,
            line.checked,
            line.flagged,
            line.not_judged,
            line.raised,
            line.relapsed,
            line.already_open,
            line.name
        );
    }
}
