//! The backends: everything that turns the analysed plan into output files.
//!
//! Machine formats are printed from typed trees by small deterministic printers (`doc`,
//! `yaml`, `hcl`); human reports live in `report`. This crate never sees the syntax tree.

pub mod doc;
pub mod hcl;
pub mod report;
pub mod yaml;
