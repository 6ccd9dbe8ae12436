//! Latency from `didChange` to `publishDiagnostics` on generated plans of 100, 1,000 and
//! 10,000 lines, over an in-memory connection to the real server.
//!
//! Each round edits one line of the `plan` block with an incremental change (a typo in a
//! field name, then its fix), so every round changes the diagnostics and the server
//! publishes them. Run with `cargo bench -p hostplan-lsp --bench latency`; it prints a
//! Markdown table for BENCHMARKS.md. `-- --quick` runs fewer rounds, and `-- --phases`
//! times the phases of one analysis of each plan instead.

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

// The `hostplan` binary allocates with mimalloc; so does the server measured here.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if std::env::args().any(|it| it == "--phases") {
        phases();
        return;
    }
    let quick = std::env::args().any(|it| it == "--quick");
    let rounds = if quick { 5 } else { 41 };
    println!("| plan lines | edit | rounds | median | p90 | max |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    for lines in [100, 1_000, 10_000] {
        for edit in [Edit::PlanBlock, Edit::MiddleEnvironment] {
            let mut samples = measure(lines, rounds, edit);
            samples.sort();
            let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
            println!(
                "| {lines} | {} | {rounds} | {} | {} | {} |",
                edit.describe(),
                millis(at(0.5)),
                millis(at(0.9)),
                millis(samples[samples.len() - 1])
            );
        }
    }
}

/// Where each round edits the plan.
#[derive(Clone, Copy)]
enum Edit {
    /// `owner` in the `plan` block becomes `ownr` and back: every span after it moves, and
    /// the diagnostics change every round.
    PlanBlock,
    /// `scale = 5%` of the environment in the middle of the plan becomes `6%` and back: that
    /// environment's model and estimate change every round.
    MiddleEnvironment,
}

impl Edit {
    fn describe(self) -> &'static str {
        match self {
            Edit::PlanBlock => "`plan` block",
            Edit::MiddleEnvironment => "middle environment",
        }
    }
}

/// Times the phases of analysing each plan after a one-character change, as the server
/// does it: loading through the parse cache (which reparses only the edited entries), the
/// incremental check, model and estimate, the hosting-guide rules, and freeing what the
/// edit replaced. A full analysis of the same plan is timed beside them. Medians of 21 runs.
fn phases() {
    println!("| plan lines | full analysis | load, reparsing the edit | check | model | estimate | rules | free |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for lines in [100, 1_000, 10_000] {
        let text = generate(lines);
        let changed = text.replacen("owner", "ownr", 1);
        let loader_of = |text: &str| hostplan_core::MemoryLoader {
            files: vec![("plan.hplan".into(), std::sync::Arc::from(text))],
        };
        let mut cache = hostplan_core::modules::ParseCache::default();
        let mut times: [Vec<Duration>; 7] = Default::default();
        let workspace = hostplan_core::modules::load(&loader_of(&text), "plan.hplan", &mut cache)
            .expect("the plan loads");
        let (checked, scopes, _) = hostplan_core::check::check_reusing(&workspace, None);
        let (plan, memo) =
            hostplan_core::model::build_reusing(&workspace, &checked, &mut Vec::new(), None);
        let plan = plan.expect("the plan has a model");
        let estimate = hostplan_core::plan_estimate::estimate_plan_reusing(&plan, None);
        drop(workspace);
        let mut state = (checked, scopes, plan, memo, estimate);
        for round in 0..21 {
            let current = if round % 2 == 0 { &changed } else { &text };
            let loader = loader_of(current);
            let started = Instant::now();
            let full = hostplan_core::analyze(
                &loader,
                "plan.hplan",
                &mut hostplan_core::modules::ParseCache::default(),
            );
            times[0].push(started.elapsed());
            drop(full);
            let (checked, scopes, plan, memo, estimate) = state;
            let started = Instant::now();
            let workspace = hostplan_core::modules::load(&loader, "plan.hplan", &mut cache)
                .expect("the plan loads");
            times[1].push(started.elapsed());
            let started = Instant::now();
            let (checked, scopes, recheck) =
                hostplan_core::check::check_reusing(&workspace, Some((checked, scopes)));
            times[2].push(started.elapsed());
            let hostplan_core::check::Recheck::Partial { shift, changed } = recheck else {
                panic!("a one-character edit is checked incrementally");
            };
            let started = Instant::now();
            let mut diagnostics = Vec::new();
            let reuse = hostplan_core::model::Reuse {
                plan,
                memo,
                shift,
                changed,
            };
            let (plan, memo) = hostplan_core::model::build_reusing(
                &workspace,
                &checked,
                &mut diagnostics,
                Some(reuse),
            );
            let plan = plan.expect("the plan has a model");
            times[3].push(started.elapsed());
            let started = Instant::now();
            let estimate =
                hostplan_core::plan_estimate::estimate_plan_reusing(&plan, Some(estimate));
            times[4].push(started.elapsed());
            let started = Instant::now();
            let rules = hostplan_core::rules::run(&plan, Some(&estimate.0), &[], &mut diagnostics);
            times[5].push(started.elapsed());
            let started = Instant::now();
            drop((workspace, rules, diagnostics));
            times[6].push(started.elapsed());
            state = (checked, scopes, plan, memo, estimate);
        }
        let median = |samples: &mut Vec<Duration>| {
            samples.sort();
            millis(samples[samples.len() / 2])
        };
        let cells: Vec<String> = times.iter_mut().map(median).collect();
        println!("| {lines} | {} |", cells.join(" | "));
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// A plan of at least `lines` lines without errors or warnings: the national example's header, then units of two
/// secrets, a policy, an environment and an operator.
pub fn generate(lines: usize) -> String {
    let mut out = String::from(
        "import \"std/cht\"\nimport \"std/aws\"\nimport \"std/policies\"\n\nplan \"generated\" {\n  cht     = \"5.2.0\"\n  owner   = \"Benchmark\"\n  horizon = 5y\n}\n\npopulation { people = 50_000, workflows = 4, growth = 5% }\n\nusers {\n  role chw { count = 5_000, sync = offline }\n}\n",
    );
    let mut unit = 0;
    let mut count = out.lines().count();
    while count < lines {
        let text = format!(
            "
secret admin_{unit}  = generate(words = 7)
secret cookie_{unit} = generate(words = 7)

policy hardened_{unit} extends policies.production {{
  backup {{ every = 24h, keep = 35d, offsite = true, encrypted = true }}
  alerting {{
    email = [\"ops{unit}@moh.example.org\"]
    on    = [downtime(5m), disk_used(80%), cert_expiry(14d), backup_failed]
  }}
  encryption = at_rest
  admin_from = [\"196.201.0.0/16\"]
  update_window = \"Sun 02:00-04:00\"
}}

environment env_{unit} {{
  kind    = test
  target  = kubernetes(k3s)
  infra   = onprem {{ nodes = 3, cpu = 8, memory = 16GiB, disk = 500GiB }}
  domain  = \"env{unit}.cht.example.org\"
  data    = anonymized
  scale   = 5%
  policy  = hardened_{unit}
  secrets {{ couchdb_admin = admin_{unit}, couchdb_secret = cookie_{unit} }}
}}

operator op_{unit} {{ role = deployer, access = [env_{unit}] }}
"
        );
        count += text.matches('\n').count();
        out.push_str(&text);
        unit += 1;
    }
    out
}

struct Client {
    conn: Connection,
    next_id: i32,
}

impl Client {
    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.to_string(),
                params,
            )))
            .expect("server alive");
    }

    fn request(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.to_string(),
                params,
            )))
            .expect("server alive");
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("a response")
            {
                Message::Response(it) if it.id == id => return,
                _ => {}
            }
        }
    }

    fn wait_diagnostics(&self, uri: &str) -> usize {
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("diagnostics")
            {
                Message::Notification(it)
                    if it.method == "textDocument/publishDiagnostics"
                        && it.params["uri"] == uri =>
                {
                    return it.params["diagnostics"]
                        .as_array()
                        .map(Vec::len)
                        .unwrap_or(0);
                }
                _ => {}
            }
        }
    }
}

fn measure(lines: usize, rounds: usize, edit: Edit) -> Vec<Duration> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("plan.hplan");
    let text = generate(lines);
    std::fs::write(&path, &text).expect("the plan is written");
    let uri = format!("file://{}", path.display());
    let (server_conn, conn) = Connection::memory();
    let cache_dir = dir.path().join(".cache");
    let server = std::thread::spawn(move || {
        let _ = hostplan_lsp::run(
            &server_conn,
            hostplan_lsp::Config {
                cache_dir: Some(cache_dir),
            },
        );
    });
    let mut client = Client { conn, next_id: 0 };
    client.request("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    client.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "hostplan", "version": 1, "text": text } }));
    assert_eq!(
        client.wait_diagnostics(&uri),
        0,
        "the generated plan is valid"
    );
    // `  owner   = ...` is line 6; the edit turns `owner` into `ownr` and back. The middle
    // environment's `  scale   = 5%` line is found in the text.
    let (line, character) = match edit {
        Edit::PlanBlock => (6, 5),
        Edit::MiddleEnvironment => {
            let scales: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, it)| it.starts_with("  scale   = 5%"))
                .map(|(idx, _)| idx)
                .collect();
            (scales[scales.len() / 2], 12)
        }
    };
    let mut samples = Vec::new();
    for round in 0..rounds {
        let range = json!({ "start": { "line": line, "character": character }, "end": { "line": line, "character": character + 1 } });
        let (range, new_text, expected) = match (edit, round % 2 == 0) {
            (Edit::PlanBlock, true) => (range, "", 1),
            (Edit::PlanBlock, false) => (
                json!({ "start": { "line": line, "character": character }, "end": { "line": line, "character": character } }),
                "e",
                0,
            ),
            (Edit::MiddleEnvironment, true) => (range, "6", 0),
            (Edit::MiddleEnvironment, false) => (range, "5", 0),
        };
        let started = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": round + 2 }, "contentChanges": [{ "range": range, "text": new_text }] }),
        );
        let count = client.wait_diagnostics(&uri);
        samples.push(started.elapsed());
        assert_eq!(count, expected, "round {round}");
    }
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let _ = server.join();
    samples
}
