//! Qingfeng (清风): a command-center server for the smart supervision of village and
//! town power, funds and projects.
//!
//! Read ARCHITECTURE.md first: it names every module and the invariants between them.

/// Domain value types that can only hold valid values (region codes, identifiers).
pub mod domain;
/// The region tree (city → town → village) loaded from `seeds/`.
pub mod regions;
/// Users, roles and what each role may see and do.
pub mod auth;
/// The only module that speaks SurrealQL: event streams, idempotency, timers, users.
pub mod store;
