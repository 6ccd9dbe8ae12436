//! hostplan-core.
