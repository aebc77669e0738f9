pub mod date;
pub mod money;
pub mod region;
pub mod resident_id;
pub mod uscc;
