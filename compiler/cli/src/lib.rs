//! hostplan-cli.
