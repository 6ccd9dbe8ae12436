//! hostplan-codegen.
