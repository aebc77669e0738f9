//! Qingfeng (清风): a command-center server for the smart supervision of village and
//! town power, funds and projects.
//!
//! Read ARCHITECTURE.md first: it names every module and the invariants between them.

/// Building and running the application.
pub mod app;
/// The tamper-evident audit log: hash-chained records of security actions.
pub mod audit;
/// Users, roles and what each role may see and do.
pub mod auth;
/// Benchmarks that need their own modules (the WebSocket fan-out).
#[cfg(feature = "bench")]
pub mod bench;
/// Charts drawn on the server as SVG (plotters).
pub mod charts;
/// The command line.
pub mod cli;
/// The injected clock.
pub mod clock;
/// Fictional city datasets with planted anomalies, for the demo and the scan benchmark.
pub mod datagen;
/// The demo district.
pub mod demo;
/// Domain value types that can only hold valid values (region codes, identifiers).
pub mod domain;
/// Commands in, events appended, projection kept current.
pub mod engine;
/// Keeps the projection up with events other instances sharing the store append.
pub mod follower;
/// The data directory the shipped workflows/ and seeds/ are found in.
pub mod home;
/// Periodic clean-up of what strangers can make the server remember.
pub mod housekeeping;
/// The HTTP API.
pub mod http;
/// Reading department dataset files (CSV, Excel) into typed, checked rows.
pub mod import;
/// Region maps drawn as SVG from a GeoJSON file of boundaries.
pub mod maps;
/// Notifications: routes and templates (`workflows/notifications.toml`) and the
/// channels (SMS, DingTalk, WeCom, e-mail, log); no store access.
pub mod notify;
/// The notification outbox: planned from the log, delivered exactly once per event and recipient.
pub mod outbox;
/// Read models folded from the event log.
pub mod projections;
/// The public pages' read model (published payments, masked) and publication decisions.
pub mod public;
/// The region tree (city → town → village) loaded from `seeds/`.
pub mod regions;
/// The rule catalogue and the pure rules that turn datasets into findings.
pub mod rules;
/// Datasets → rules → warnings.
pub mod scan;
/// Fires due timers exactly once.
pub mod scheduler;
/// The limits a deployment may tune (`--security FILE`).
pub mod security;
/// The demo simulation: simulated users working warnings on an accelerated clock.
pub mod simulation;
/// The only module that speaks SurrealQL: event streams, idempotency, timers, users.
pub mod store;
/// Logging and spans.
pub mod telemetry;
/// The warning lifecycle: events, the state machine, commands.
pub mod workflow;
/// The live stream for wall screens: one WebSocket per scope, fed by a coalescing hub.
pub mod ws;
