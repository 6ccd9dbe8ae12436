//! hostplan-ide.
