//! hostplan-codegen.

pub mod doc;
pub mod yaml;
