//! The integration tests: one crate, real app on port 0, real SurrealDB (in memory unless
//! durability is the point), a real HTTP client.

mod contract;
mod helpers;

mod access;
mod anywhere;
mod audit;
mod browser;
mod checkpoints;
mod demo_data;
mod durability;
mod health;
mod hostile;
mod imports;
mod ledger;
mod lifecycle;
mod maps;
mod notify;
mod openapi;
mod prefecture;
mod public;
mod quotas;
mod regions;
mod reminders;
mod replay;
mod reports;
mod scale_out;
mod scan;
mod screens;
mod sessions;
mod simulation;
mod timers;
mod ws;
mod ws_limits;
