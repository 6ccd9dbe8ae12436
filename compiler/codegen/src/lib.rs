//! hostplan-codegen.

pub mod report;
