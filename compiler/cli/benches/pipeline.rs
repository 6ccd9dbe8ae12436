//! The whole pipeline, parse to written outputs, on generated plans of 1, 10, 100 and 1,000
//! environments, and the national example built end to end by the real binary as a separate
//! process. Prints the median of repeated runs; `BENCHMARKS.md` records the figures.
//!
//! Run with `cargo bench -p hostplan-cli --bench pipeline`. `HOSTPLAN_BENCH_BINARY=PATH`
//! times another `hostplan` binary as a separate process too, taking turns with the one cargo
//! built, such as the statically linked one `cargo release-static` builds.

use std::path::Path;
use std::time::{Duration, Instant};

use hostplan_cli::Io;

// The same allocator as the `hostplan` binary, so in-process figures match the command's.
#[global_allocator]
static GLOBAL: hostplan_alloc::Allocator = hostplan_alloc::Allocator;

/// Discards everything the command line prints.
struct Quiet {
    sink: std::io::Sink,
}

impl Io for Quiet {
    fn stdout(&mut self) -> &mut dyn std::io::Write {
        &mut self.sink
    }
    fn stderr(&mut self) -> &mut dyn std::io::Write {
        &mut self.sink
    }
}

/// A plan with `n` Compose environments that use every feature the backend writes: ACME
/// certificates and backups everywhere, a three-node cluster in every third environment,
/// monitoring and analytics in every fifth.
fn generated_plan(n: usize) -> String {
    let mut text = String::from(
        r#"import "std/cht"
import "std/policies"

plan "bench" {
  cht   = "5.2.0"
  owner = "Benchmark"
}

population {
  people    = 500_000
  workflows = 10
}

users {
  role chw { count = 10_000, sync = offline }
}

secret couchdb_admin    = generate(words = 7)
secret couchdb_secret   = generate(words = 7)
secret postgres         = generate(words = 7)
secret grafana_admin    = generate(words = 7)

policy hosted extends policies.production {
  tls { mode = acme, email = "ops@example.org" }
  alerting {
    email = ["ops@example.org"]
    on    = [downtime(5m), disk_used(80%), cert_expiry(14d), backup_failed]
  }
  admin_from    = ["10.0.0.0/8"]
  update_window = "Sun 02:00-04:00"
}

environment rehearsal {
  kind   = staging
  target = compose
  infra  = onprem { nodes = 1, cpu = 8, memory = 16GiB, disk = 2TB }
  domain = "staging.example.org"
  data   = anonymized
  scale  = 10%
  policy = hosted
}
"#,
    );
    for idx in 0..n {
        let nodes = if idx % 3 == 2 { 3 } else { 1 };
        let extras = if idx % 5 == 4 {
            "  monitor   = watchdog\n  analytics = cht_sync\n"
        } else {
            ""
        };
        // Sites with Watchdog get a second machine for it, as the hosting guide asks.
        let machines = if extras.is_empty() { 1 } else { 2 };
        text.push_str(&format!(
            "\nenvironment site{idx} {{\n  kind   = production\n  target = compose\n  infra  = onprem {{ nodes = {machines}, cpu = 16, memory = 32GiB, disk = 2TB }}\n  domain = \"site{idx}.example.org\"\n  data   = real\n  couchdb {{ nodes = {nodes} }}\n{extras}  policy = hosted\n}}\n"
        ));
    }
    let sites: Vec<String> = (0..n).map(|idx| format!("site{idx}")).collect();
    text.push_str(&format!(
        "\noperator ops {{ role = admin, access = [rehearsal, {}] }}\n",
        sites.join(", ")
    ));
    text
}

/// Parse, check, estimate, lower, and generate every file the build writes (the backends and
/// the estimate reports) in memory, without writing: the compiler's own work.
fn in_memory(text: &str, runs: usize) -> Duration {
    let loader = hostplan_core::MemoryLoader {
        files: vec![("plan.hplan".to_string(), std::sync::Arc::from(text))],
    };
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let analysis = hostplan_core::analyze(
            &loader,
            "plan.hplan",
            &mut hostplan_core::modules::ParseCache::default(),
        )
        .expect("loads");
        let (program, _) = hostplan_core::provision::lower(
            analysis.plan.as_ref().expect("a model"),
            analysis.estimate.as_ref(),
        );
        let files = hostplan_cli::generate(&analysis, &program, "plan.hplan", None);
        samples.push(start.elapsed());
        assert!(!files.is_empty());
    }
    median(samples)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn format(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.2} ms", micros / 1000.0)
    }
}

/// Runs `hostplan build` in-process `runs` times and returns the median. With `fresh`, every
/// run writes into a directory that does not exist yet, so every file is written; otherwise
/// every run after the first finds the output up to date, as CI does when a plan did not change.
fn in_process(plan: &Path, out: &Path, runs: usize, fresh: bool) -> Duration {
    let argv: Vec<String> = [
        "hostplan",
        "build",
        &plan.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
    ]
    .iter()
    .map(|it| it.to_string())
    .collect();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        if fresh {
            let _ = std::fs::remove_dir_all(out);
        }
        let mut io = Quiet {
            sink: std::io::sink(),
        };
        let start = Instant::now();
        let code = hostplan_cli::run(&argv, &mut io);
        samples.push(start.elapsed());
        assert_eq!(code, 0, "the benchmark plan builds");
    }
    median(samples)
}

/// The national example phase by phase, in-process, so the figures say where time goes.
fn phases(runs: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/national");
    let loader = hostplan_cli::FsLoader { root: dir };
    let mut analyze = Vec::new();
    let mut lower = Vec::new();
    let mut emit = Vec::new();
    let mut reports = Vec::new();
    let mut generate = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let analysis = hostplan_core::analyze(
            &loader,
            "plan.hplan",
            &mut hostplan_core::modules::ParseCache::default(),
        )
        .expect("loads");
        analyze.push(start.elapsed());
        let start = Instant::now();
        let (program, _) = hostplan_core::provision::lower(
            analysis.plan.as_ref().expect("a model"),
            analysis.estimate.as_ref(),
        );
        lower.push(start.elapsed());
        let start = Instant::now();
        let files = hostplan_codegen::emit(
            &program,
            &hostplan_codegen::EmitOptions {
                plan_path: "plan.hplan".to_string(),
                process_ends: false,
            },
            None,
        );
        emit.push(start.elapsed());
        assert!(!files.is_empty());
        let start = Instant::now();
        let files = hostplan_cli::estimate_files(&analysis, "plan.hplan");
        reports.push(start.elapsed());
        assert_eq!(files.len(), 3);
        let start = Instant::now();
        let files = hostplan_cli::generate(&analysis, &program, "plan.hplan", None);
        generate.push(start.elapsed());
        assert!(!files.is_empty());
    }
    println!(
        "national example by phase, in-process, median of {runs}: parse, check, estimate and rules {}, lower {}, backends {}, estimate reports {}, backends and reports as the build runs them {}",
        format(median(analyze)),
        format(median(lower)),
        format(median(emit)),
        format(median(reports)),
        format(median(generate))
    );
}

/// The national example built by the real binary (bench profile: optimised) as a separate
/// process, `runs` times into an up-to-date directory and `runs` times into an empty one,
/// alternately, timed from spawn to exit. It runs first, before the large in-process builds
/// fill this process's memory.
fn national_process(binaries: &[String], runs: usize) {
    let national = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/national/plan.hplan");
    let temp = tempfile::tempdir().expect("a temporary directory");
    // Per binary: its output directory, and its rebuild and fresh-directory samples.
    let mut timed: Vec<(std::path::PathBuf, Vec<Duration>, Vec<Duration>)> = (0..binaries.len())
        .map(|index| {
            (
                temp.path().join(format!("national{index}")),
                Vec::new(),
                Vec::new(),
            )
        })
        .collect();
    for run in 0..2 * runs {
        // Every other run starts from an empty directory; the binaries take turns, so that
        // they see the same load.
        let fresh = run % 2 == 1;
        for (binary, (out, samples, fresh_samples)) in binaries.iter().zip(&mut timed) {
            if fresh {
                let _ = std::fs::remove_dir_all(&*out);
            }
            let start = Instant::now();
            let status = std::process::Command::new(binary)
                .args([
                    "build",
                    &national.to_string_lossy(),
                    "--out",
                    &out.to_string_lossy(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("the hostplan binary runs");
            let elapsed = start.elapsed();
            assert!(status.success());
            if fresh {
                fresh_samples.push(elapsed);
            } else {
                samples.push(elapsed);
            }
        }
    }
    let fastest = |samples: &[Duration]| samples.iter().min().copied().unwrap_or_default();
    for (binary, (_, samples, fresh_samples)) in binaries.iter().zip(timed) {
        println!(
            "national example, `hostplan build` as a separate process ({binary}), median (fastest) of {runs}: rebuild {} ({}), fresh directory {} ({})",
            format(median(samples.clone())),
            format(fastest(&samples)),
            format(median(fresh_samples.clone())),
            format(fastest(&fresh_samples))
        );
    }
}

fn main() {
    // `cargo bench -p hostplan-cli --bench pipeline -- 1000` times only the plans of the sizes
    // given, without the national example.
    let sizes: Vec<usize> = std::env::args().filter_map(|it| it.parse().ok()).collect();
    if sizes.is_empty() {
        let mut binaries = vec![env!("CARGO_BIN_EXE_hostplan").to_string()];
        binaries.extend(std::env::var("HOSTPLAN_BENCH_BINARY").ok());
        national_process(&binaries, 200);
        phases(200);
    }
    let temp = tempfile::tempdir().expect("a temporary directory");
    println!("whole pipeline in-process (parse, check, lower, emit, atomic write), median:");
    println!(
        "{:>14} {:>10} {:>16} {:>16} {:>16} {:>16}",
        "environments", "files", "in memory", "rebuild", "per environment", "fresh directory"
    );
    let mut per_env = Vec::new();
    let all = [(1, 200), (10, 60), (100, 15), (1000, 7)];
    for (n, runs) in all
        .into_iter()
        .filter(|(n, _)| sizes.is_empty() || sizes.contains(n))
    {
        let dir = temp.path().join(format!("plan{n}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let plan = dir.join("plan.hplan");
        std::fs::write(&plan, generated_plan(n)).expect("write the plan");
        let out = temp.path().join(format!("out{n}"));
        let time = in_process(&plan, &out, runs, false);
        let files = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|it| it.file_type().is_file())
            .count();
        let fresh = in_process(
            &plan,
            &temp.path().join(format!("fresh{n}")),
            runs.min(15),
            true,
        );
        let each = time / n as u32;
        per_env.push(each);
        let compute = in_memory(&generated_plan(n), runs);
        println!(
            "{n:>14} {files:>10} {:>16} {:>16} {:>16} {:>16}",
            format(compute),
            format(time),
            format(each),
            format(fresh)
        );
    }
    if let (Some(first), Some(last)) = (per_env.get(1), per_env.last()) {
        println!(
            "rebuild time per environment at 1,000 / at 10: {:.2}",
            last.as_secs_f64() / first.as_secs_f64().max(1e-12)
        );
    }
}
