//! The `hostplan` binary: a thin wrapper over `hostplan_cli::run`.

// Compact for short commands, mimalloc for the language server (see `hostplan_alloc`).
#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "internal compiler error: this is a bug in hostplan {}, not in your plan\n{info}\nplease report it with the plan that caused it",
            env!("CARGO_PKG_VERSION")
        );
    }));
    let args: Vec<String> = std::env::args().collect();
    let mut io = hostplan_cli::StdIo::default();
    let code = hostplan_cli::run(&args, &mut io);
    std::process::exit(code);
}
