//! hostplan-syntax.
