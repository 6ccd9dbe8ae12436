//! hostplan-core.

pub mod estimate;
