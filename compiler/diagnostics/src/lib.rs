//! hostplan-diagnostics.
