//! hostplan-codegen.

pub mod doc;
pub mod hcl;
pub mod yaml;
