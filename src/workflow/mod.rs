//! The warning lifecycle (预警闭环): events, the statig state machine, commands and the
//! decisions that turn a command into events. Pure: no I/O, no clock of its own (time is
//! passed in), no wire formats.

pub mod command;
mod decide;
pub mod evidence;
pub mod fact;
pub mod machine;
pub mod notice;
pub mod outcome;
pub mod settings;
pub mod warning;

pub use command::{Command, CommandKind, Issuer, Rejection, SystemCommand};
pub use evidence::Evidence;
pub use fact::{Fact, Origin, Rung, Severity, SupervisionLevel};
pub use notice::{NoticeKind, NoticeMark};
pub use outcome::{CaseRecord, Finding, Handling, Outcome, Recovery};
pub use settings::LifecycleSettings;
pub use warning::{Colour, NextTimer, Step, TimerKind, Warning};

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod reminder_tests;
