//! The syntax of `.hplan` files: lexer, syntax tree, parser and formatter.
//!
//! Parsing never fails: [`parse`] always returns a tree and a list of diagnostics, and
//! broken pieces become error nodes. This crate depends on nothing else in the workspace
//! but `hostplan-diagnostics`, and knows nothing of names, types or outputs.

pub mod ast;
mod format;
mod lexer;
mod parser;
mod reparse;
pub mod snapshot;
#[cfg(test)]
mod tests;

pub use format::format;
pub use lexer::{lex, Token, TokenKind};
pub use parser::{parse, Parse};
pub use reparse::{reparse, Region, Reparse};
