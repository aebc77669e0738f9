//! Benchmarks too large for `src/bin/qingfeng-bench.rs`: each is a module driven by one
//! subcommand of that binary.

pub mod abuse;
pub mod fanout;
pub mod notify;
pub mod public;
pub mod reads;
pub mod scale;
