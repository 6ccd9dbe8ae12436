//! The language server: `hostplan lsp` over stdio.
//!
//! This is the only crate that knows LSP, JSON-RPC and UTF-16. It keeps the open buffers,
//! analyses plans with `hostplan_core::analyze` (the same analysis as `hostplan check`), asks
//! `hostplan_ide` for editor features in byte offsets, and converts at the edge. It never
//! writes to stdout except protocol frames, which the lints below enforce.

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod convert;
mod server;
mod session;
mod stdlib;
#[cfg(test)]
mod tests;
mod transport;

use std::path::PathBuf;

use lsp_server::Connection;

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The directory under which the standard library is written, so that go to definition
    /// can open its files; `None` keeps the server from writing anything.
    pub cache_dir: Option<PathBuf>,
}

/// Runs the server over stdin and stdout until the client exits. `Err` only when the
/// connection breaks before initialization completes.
pub fn run_stdio() -> Result<(), lsp_server::ProtocolError> {
    let (connection, threads) = transport::stdio();
    let config = Config {
        cache_dir: Some(stdlib::default_cache_root()),
    };
    let result = run(&connection, config);
    drop(connection);
    threads.join();
    result
}

/// Runs the server on a connection until the client says `exit` or hangs up.
pub fn run(connection: &Connection, config: Config) -> Result<(), lsp_server::ProtocolError> {
    server::run(connection, config)
}
