//! The incremental analysis against a full one: after every edit of a random sequence, an
//! analysis that reuses the previous one must equal an analysis from scratch, in its check,
//! its model, its estimate, its rules and its diagnostics.

use std::sync::Arc;

use crate::modules::ParseCache;
use crate::{analyze, analyze_reusing, Analysis, MemoryLoader};

/// Text that edits insert: typos, changed values and references, new and broken entries.
const SNIPPETS: &[&str] = &[
    "x",
    "1",
    "_",
    " ",
    "\n",
    "}",
    "{",
    "\"",
    "#",
    "0",
    "5%",
    "24h",
    "e",
    "production",
    "test",
    "hardened_0",
    "admin_1",
    "= ",
    "\nsecret extra = generate(words = 7)\n",
    "\nenvironment extra { kind = test }\n",
    "\n  scale = 10%\n",
    "\n  backup { every = 12h, keep = 1d }\n",
    "extends policies.production ",
    "policy = hardened_1",
    "\nallow R0101 { reason = \"a reason\" }\n",
];

/// The plan's files, with `text` as the file at `path`.
fn load(files: &[(&str, &str)], path: &str, text: &str) -> MemoryLoader {
    MemoryLoader {
        files: files
            .iter()
            .map(|(name, content)| {
                let content = if *name == path { text } else { content };
                (name.to_string(), Arc::from(content))
            })
            .collect(),
    }
}

/// Everything an analysis says, as text: two analyses are equal when these are.
fn render(analysis: &Analysis) -> [String; 5] {
    [
        format!("{:?}", analysis.checked),
        format!("{:?}", analysis.plan),
        format!("{:?}", analysis.estimate),
        format!("{:?}", analysis.rules),
        format!("{:?}", analysis.diagnostics),
    ]
}

fn walk(start: &str, steps: usize, seed: u64) -> (usize, usize) {
    walk_file(&[("plan.hplan", start)], "plan.hplan", steps, seed)
}

/// Edits the file at `path` of a plan made of `files` (the entry first) at random.
fn walk_file(files: &[(&str, &str)], path: &str, steps: usize, seed: u64) -> (usize, usize) {
    let start = files
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
        .unwrap_or_default();
    let entry = files.first().map(|(name, _)| *name).unwrap_or("plan.hplan");
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut cache = ParseCache::default();
    let mut current = start.to_string();
    let mut analysis =
        analyze(&load(files, path, &current), entry, &mut cache).expect("the plan loads");
    let mut reused = 0;
    for step in 0..steps {
        let mut at = (next() % (current.len() as u64 + 1)) as usize;
        while !current.is_char_boundary(at) {
            at -= 1;
        }
        let mut edited = current.clone();
        match next() % 4 {
            0 => {
                let mut end = (at + 1 + (next() % 6) as usize).min(edited.len());
                while !edited.is_char_boundary(end) {
                    end += 1;
                }
                edited.replace_range(at..end, "");
            }
            // Undo the previous edit now and then, as typing and fixing a typo does.
            1 if step > 0 && next() % 2 == 0 => edited = start.to_string(),
            _ => edited.insert_str(at, SNIPPETS[(next() % SNIPPETS.len() as u64) as usize]),
        }
        let previous = std::mem::take(&mut analysis).into_previous();
        analysis = analyze_reusing(
            &load(files, path, &edited),
            entry,
            &mut cache,
            Some(previous),
        )
        .expect("the plan loads");
        if analysis.reused {
            reused += 1;
        }
        let full = analyze(
            &load(files, path, &edited),
            entry,
            &mut ParseCache::default(),
        )
        .expect("the plan loads");
        let (got, want) = (render(&analysis), render(&full));
        for (part, (got, want)) in ["check", "model", "estimate", "rules", "diagnostics"]
            .iter()
            .zip(got.iter().zip(want.iter()))
        {
            if got != want {
                let at = got
                    .bytes()
                    .zip(want.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                let from = at.saturating_sub(300);
                let prefix = current
                    .bytes()
                    .zip(edited.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let context = current.get(prefix.saturating_sub(80)..prefix).unwrap_or("");
                panic!(
                    "seed {seed}, step {step}: the incremental {part} differs from a full one\nthe edit at byte {prefix}, after {context:?}: {:?} became {:?}\nincremental: ...{}\nfull:        ...{}",
                    current.get(prefix..).map(|it| it.chars().take(40).collect::<String>()),
                    edited.get(prefix..).map(|it| it.chars().take(40).collect::<String>()),
                    got.get(from..(at + 300).min(got.len())).unwrap_or(""),
                    want.get(from..(at + 300).min(want.len())).unwrap_or("")
                );
            }
        }
        current = edited;
    }
    (reused, steps)
}

fn generated(units: usize) -> String {
    let mut out = String::from(
        "import \"std/cht\"\nimport \"std/aws\"\nimport \"std/policies\"\n\nplan \"generated\" {\n  cht     = \"5.2.0\"\n  owner   = \"Benchmark\"\n  horizon = 5y\n}\n\npopulation { people = 50_000, workflows = 4, growth = 5% }\n\nusers {\n  role chw { count = 5_000, sync = offline }\n}\n",
    );
    for unit in 0..units {
        out.push_str(&format!(
            "
secret admin_{unit}  = generate(words = 7)
secret cookie_{unit} = generate(words = 7)

policy hardened_{unit} extends policies.production {{
  backup {{ every = 24h, keep = 35d, offsite = true, encrypted = true }}
  encryption = at_rest
  admin_from = [\"196.201.0.0/16\"]
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

environment child_{unit} extends env_{unit} {{ domain = \"child{unit}.cht.example.org\" }}

operator op_{unit} {{ role = deployer, access = [env_{unit}] }}
"
        ));
    }
    out
}

#[test]
fn incremental_analysis_equals_a_full_one_on_a_generated_plan() {
    let plan = generated(4);
    let mut reused = 0;
    let mut total = 0;
    for seed in 1..=6_u64 {
        let (r, t) = walk(&plan, 60, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        reused += r;
        total += t;
    }
    // The walk must exercise the incremental path, not only fall back to full analyses.
    assert!(
        reused * 3 > total,
        "only {reused} of {total} analyses reused the previous one"
    );
}

#[test]
fn incremental_analysis_equals_a_full_one_on_the_examples() {
    for text in [
        include_str!("../../../examples/national/plan.hplan"),
        include_str!("../../../examples/clinic/plan.hplan"),
        include_str!("../../../examples/regional/plan.hplan"),
        include_str!("../../../examples/gcp-county/plan.hplan"),
    ] {
        walk(text, 40, 0x2545_F491_4F6C_DD1D);
    }
}

#[test]
fn incremental_analysis_equals_a_full_one_when_an_imported_file_is_edited() {
    let plan = generated(2).replacen(
        "import \"std/policies\"\n",
        "import \"std/policies\"\nimport \"./shared.hplan\" as shared\n",
        1,
    )
        + "\nenvironment shared_env extends shared.base { domain = \"shared.cht.example.org\" }\n";
    let shared = "import \"std/policies\"\n\n# A base environment the plan extends.\nenvironment base {\n  kind    = test\n  target  = compose\n  infra   = local\n  domain  = \"base.cht.example.org\"\n  data    = synthetic\n  policy  = policies.baseline\n}\n\npolicy shared_policy extends policies.production {\n  encryption = at_rest\n}\n";
    let files = [("plan.hplan", plan.as_str()), ("shared.hplan", shared)];
    let mut reused = 0;
    let mut total = 0;
    for seed in 1..=4_u64 {
        let (r, t) = walk_file(
            &files,
            "shared.hplan",
            40,
            seed.wrapping_mul(0x2545_F491_4F6C_DD1D),
        );
        reused += r;
        total += t;
        walk_file(
            &files,
            "plan.hplan",
            20,
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
    }
    assert!(
        reused * 4 > total,
        "only {reused} of {total} analyses after an edit of the imported file reused the previous one"
    );
}
