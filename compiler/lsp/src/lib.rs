//! hostplan-lsp.
