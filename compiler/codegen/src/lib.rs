//! The backends: they read the resource model ([`hostplan_core::ir`]) and the estimate, and
//! print output files.
//!
//! Machine formats are printed from typed trees ([`doc`]) by deterministic printers
//! ([`yaml`], [`hcl`]); human reports live in [`report`]. Nothing here reads the syntax tree,
//! the file system or the clock, so the same program always gives the same files, byte for
//! byte.

pub mod compose;
pub mod doc;
pub mod hcl;
pub mod header;
pub mod kubernetes;
pub mod report;
pub mod terraform;
pub mod yaml;

use hostplan_core::ir;

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the output directory, with `/` separators.
    pub path: String,
    pub contents: String,
}

/// What the backends need to know beyond the program.
#[derive(Clone, Debug)]
pub struct EmitOptions {
    /// The plan file as generated files name it: a relative path, never absolute.
    pub plan_path: String,
    /// True when the process ends once the files are written (`hostplan build`): the trees
    /// the backends build and print are then left for the end of the process to reclaim all
    /// at once, instead of being freed block by block (see [`EmitOptions::release`]).
    pub process_ends: bool,
}

impl EmitOptions {
    /// Frees `tree`, a tree a backend has printed and no longer needs, unless the process is
    /// about to end. Freeing the trees of a national build is about a tenth of the work of
    /// generating its files, spent on memory the process gives back at once when it ends.
    pub(crate) fn release<T>(&self, tree: T) {
        if self.process_ends {
            std::mem::forget(tree);
        } else {
            drop(tree);
        }
    }
}

/// Writes every environment's outputs, in plan order, each backend's files in a fixed order.
/// `only` restricts the output to one environment.
pub fn emit(program: &ir::Program, options: &EmitOptions, only: Option<&str>) -> Vec<OutputFile> {
    program
        .environments
        .iter()
        .filter(|env| only.is_none_or(|it| it == env.name))
        .flat_map(|env| emit_environment(program, env, options))
        .collect()
}

/// Writes one environment's outputs, each backend's files in a fixed order. Environments are
/// independent of each other, so callers may emit them in any order, or at the same time, and
/// concatenate the results in plan order to get [`emit`]'s.
pub fn emit_environment(
    program: &ir::Program,
    env: &ir::Environment,
    options: &EmitOptions,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    // Terraform first, so that the environment's README can list its files.
    terraform::emit(program, env, options, &mut files);
    match env.target {
        ir::Target::Compose => compose::emit(program, env, options, &mut files),
        ir::Target::Kubernetes(_) => kubernetes::emit(program, env, options, &mut files),
    }
    files
}
