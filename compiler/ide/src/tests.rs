//! Feature tests over fixtures: `$0` marks the cursor, `//- /path` starts another file.

use std::sync::Arc;

use hostplan_core::modules::ParseCache;
use hostplan_core::{Analysis, MemoryLoader};
use hostplan_diagnostics::TextRange;

use crate::{FilePosition, TextEdit};

const PLAN: &str = r#"import "std/cht"
import "std/policies"

plan "demo" {
  cht   = "5.2.0"
  owner = "MoH"
}

population { people = 10_000, workflows = 3 }

users {
  role chw { count = 100 }
}

secret couchdb_admin  = generate(words = 7)
secret couchdb_secret = generate(words = 7)

# Hardened for real data.
policy hardened extends policies.production {
  alerting { email = ["ops@moh.example.org"] }
  encryption = at_rest
}

environment prod {
  kind   = production
  target = compose
  infra  = local
  domain = "cht.example.org"
  data   = real
  policy = hardened
}
"#;

/// Analyses a fixture and returns the cursor position (in the file that holds `$0`).
fn fixture(text: &str) -> (Analysis, FilePosition) {
    let mut files: Vec<(String, String)> = Vec::new();
    if text.starts_with("//- ") {
        for chunk in text.split("//- /").filter(|it| !it.is_empty()) {
            let (path, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
            files.push((path.trim().to_string(), body.to_string()));
        }
    } else {
        files.push(("plan.hplan".to_string(), text.to_string()));
    }
    let mut cursor = None;
    for (path, body) in &mut files {
        if let Some(offset) = body.find("$0") {
            body.replace_range(offset..offset + 2, "");
            cursor = Some((path.clone(), offset as u32));
        }
    }
    let entry = files[0].0.clone();
    let loader = MemoryLoader {
        files: files
            .iter()
            .map(|(path, body)| (path.clone(), Arc::from(body.as_str())))
            .collect(),
    };
    let analysis =
        hostplan_core::analyze(&loader, &entry, &mut ParseCache::default()).expect("fixture loads");
    let (path, offset) = cursor.unwrap_or((entry, 0));
    let file = analysis
        .workspace
        .sources
        .find(&path)
        .expect("cursor file is loaded");
    (analysis, FilePosition { file, offset })
}

fn with_cursor(before: &str, after: &str) -> String {
    PLAN.replacen(before, after, 1)
}

fn check_hover(text: &str, expected: &[&str]) {
    let (analysis, pos) = fixture(text);
    let hover = crate::hover(&analysis, pos).expect("a hover");
    for it in expected {
        assert!(
            hover.markdown.contains(it),
            "hover lacks {it:?}:\n{}",
            hover.markdown
        );
    }
}

fn completion_labels(text: &str) -> Vec<String> {
    let (analysis, pos) = fixture(text);
    crate::completions(&analysis, pos)
        .into_iter()
        .map(|it| it.label)
        .collect()
}

fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = text.to_string();
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|it| std::cmp::Reverse(it.span.range.start));
    for edit in sorted {
        out.replace_range(
            edit.span.range.start as usize..edit.span.range.end as usize,
            &edit.replacement,
        );
    }
    out
}

fn slice(analysis: &Analysis, file: hostplan_diagnostics::FileId, range: TextRange) -> String {
    analysis.workspace.sources.text(file)[range.start as usize..range.end as usize].to_string()
}

#[test]
fn hover_on_a_field_shows_type_doc_and_default() {
    check_hover(
        &with_cursor("  domain =", "  dom$0ain ="),
        &[
            "`domain`",
            "domain name",
            "required",
            "The host name users reach.",
        ],
    );
    check_hover(
        &with_cursor(
            "  encryption = at_rest",
            "  encryption = at_rest\n  res$0tart = always",
        ),
        &[
            "`restart`",
            "default `always`",
            "When containers restart on their own.",
        ],
    );
}

#[test]
fn hover_on_a_policy_reference_shows_the_effective_policy() {
    check_hover(
        &with_cursor("  policy = hardened", "  policy = hard$0ened"),
        &[
            "policy **`hardened`**",
            "Hardened for real data.",
            "`policies.production` → `policies.baseline`",
            "encryption at rest: yes",
            "offsite",
        ],
    );
}

#[test]
fn hover_on_an_environment_shows_its_topology_and_policy() {
    check_hover(
        &with_cursor("environment prod {", "environment pr$0od {"),
        &[
            "environment **`prod`**",
            "Docker Compose on one host",
            "CouchDB: a single node",
            "Policy `hardened`",
            "`couchdb_admin` ← `couchdb_admin`",
        ],
    );
}

#[test]
fn hover_on_a_stdlib_reference_names_its_module() {
    check_hover(
        &with_cursor(
            "extends policies.production",
            "extends policies.produc$0tion",
        ),
        &["from `std/policies`"],
    );
}

#[test]
fn hover_on_enum_values_blocks_and_imports() {
    check_hover(
        &with_cursor("  data   = real", "  data   = re$0al"),
        &["`real`", "Patient data"],
    );
    check_hover(
        &with_cursor("  target = compose", "  target = comp$0ose"),
        &["Docker Compose on one host"],
    );
    check_hover(
        &with_cursor("  alerting {", "  alert$0ing {"),
        &["**`alerting`** block", "Where alerts go"],
    );
    check_hover(
        &with_cursor("import \"std/cht\"", "import \"std/c$0ht\""),
        &["module `std/cht`", "release catalogue"],
    );
}

#[test]
fn hover_shows_how_a_secret_is_supplied_never_a_value() {
    check_hover(
        &with_cursor("secret couchdb_admin ", "secret couchdb_ad$0min "),
        &["secret **`couchdb_admin`**", "generated on first deploy"],
    );
}

#[test]
fn hover_on_a_credential_in_secrets() {
    let text = with_cursor(
        "  policy = hardened\n}",
        "  policy = hardened\n  secrets { couchdb_ad$0min = couchdb_admin }\n}",
    );
    check_hover(&text, &["credential **`couchdb_admin`**", "URL-safe"]);
}

#[test]
fn goto_definition_follows_references_extends_and_imports() {
    let (analysis, pos) = fixture(&with_cursor("  policy = hardened", "  policy = har$0dened"));
    let targets = crate::goto_definition(&analysis, pos);
    assert_eq!(targets.len(), 1);
    assert_eq!(
        slice(&analysis, targets[0].file, targets[0].focus_range),
        "hardened"
    );
    assert!(slice(&analysis, targets[0].file, targets[0].full_range)
        .starts_with("policy hardened extends"));

    let (analysis, pos) = fixture(&with_cursor(
        "extends policies.production",
        "extends policies.prod$0uction",
    ));
    let targets = crate::goto_definition(&analysis, pos);
    assert_eq!(
        analysis.workspace.sources.path(targets[0].file),
        "std/policies.hplan"
    );
    assert_eq!(
        slice(&analysis, targets[0].file, targets[0].focus_range),
        "production"
    );

    let (analysis, pos) = fixture(&with_cursor(
        "import \"std/policies\"",
        "import \"std/pol$0icies\"",
    ));
    let targets = crate::goto_definition(&analysis, pos);
    assert_eq!(
        analysis.workspace.sources.path(targets[0].file),
        "std/policies.hplan"
    );
}

#[test]
fn goto_definition_across_plan_files() {
    let text = "//- /plan.hplan\nimport \"./shared.hplan\"\npolicy p extends shared.ba$0se { encryption = at_rest }\n//- /shared.hplan\npolicy base { encryption = none }\n";
    let (analysis, pos) = fixture(text);
    let targets = crate::goto_definition(&analysis, pos);
    assert_eq!(
        analysis.workspace.sources.path(targets[0].file),
        "shared.hplan"
    );
    assert_eq!(
        slice(&analysis, targets[0].file, targets[0].focus_range),
        "base"
    );
}

#[test]
fn references_find_every_use_and_the_declaration() {
    let text = with_cursor("  policy = hardened\n}", "  policy = hardened\n}\n\nenvironment stage {\n  kind   = staging\n  target = compose\n  infra  = local\n  domain = \"s.example.org\"\n  data   = anonymized\n  policy = hardened\n}")
        .replacen("policy hardened", "policy hard$0ened", 1);
    let (analysis, pos) = fixture(&text);
    let spans = crate::references(&analysis, pos, true);
    assert_eq!(spans.len(), 3);
    assert!(spans
        .iter()
        .all(|it| slice(&analysis, it.file, it.range) == "hardened"));
    assert_eq!(crate::references(&analysis, pos, false).len(), 2);
}

#[test]
fn rename_changes_the_declaration_and_qualified_references() {
    let text = "//- /plan.hplan\nimport \"./shared.hplan\"\npolicy p extends shared.ba$0se { encryption = at_rest }\n//- /shared.hplan\npolicy base { encryption = none }\npolicy other extends base {}\n";
    let (analysis, pos) = fixture(text);
    assert_eq!(
        slice(
            &analysis,
            pos.file,
            crate::prepare_rename(&analysis, pos).unwrap()
        ),
        "base"
    );
    let edits = crate::rename(&analysis, pos, "common").unwrap();
    let plan = analysis.workspace.sources.find("plan.hplan").unwrap();
    let shared = analysis.workspace.sources.find("shared.hplan").unwrap();
    let in_file = |file| {
        edits
            .iter()
            .filter(|it| it.span.file == file)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        apply(analysis.workspace.sources.text(plan), &in_file(plan)),
        "import \"./shared.hplan\"\npolicy p extends shared.common { encryption = at_rest }\n"
    );
    assert_eq!(
        apply(analysis.workspace.sources.text(shared), &in_file(shared)),
        "policy common { encryption = none }\npolicy other extends common {}\n"
    );
}

#[test]
fn rename_refuses_the_stdlib_bad_names_clashes_and_name_bound_secrets() {
    let (analysis, pos) = fixture(&with_cursor(
        "extends policies.production",
        "extends policies.pro$0duction",
    ));
    assert!(matches!(
        crate::rename(&analysis, pos, "x"),
        Err(crate::RenameError::NotRenamable(_))
    ));
    let (analysis, pos) = fixture(&with_cursor("policy hardened", "policy hard$0ened"));
    assert!(matches!(
        crate::rename(&analysis, pos, "9lives"),
        Err(crate::RenameError::InvalidName(_))
    ));
    let text = with_cursor("policy hardened", "policy other {}\npolicy hard$0ened");
    let (analysis, pos) = fixture(&text);
    assert!(matches!(
        crate::rename(&analysis, pos, "other"),
        Err(crate::RenameError::Conflict(_))
    ));
    let (analysis, pos) = fixture(&with_cursor(
        "secret couchdb_admin ",
        "secret couchdb_a$0dmin ",
    ));
    let error = crate::rename(&analysis, pos, "admin").unwrap_err();
    assert!(error.to_string().contains("bind it explicitly"), "{error}");
}

#[test]
fn completion_offers_fields_not_yet_set_and_nested_blocks() {
    let labels = completion_labels(&with_cursor(
        "  policy = hardened\n",
        "  policy = hardened\n  $0\n",
    ));
    assert!(labels.contains(&"scale".to_string()), "{labels:?}");
    assert!(labels.contains(&"couchdb".to_string()), "{labels:?}");
    assert!(
        !labels.contains(&"domain".to_string()),
        "domain is already set: {labels:?}"
    );
    let labels = completion_labels(&with_cursor(
        "  encryption = at_rest",
        "  encryption = at_rest\n  ba$0",
    ));
    assert!(
        labels.contains(&"backup".to_string()) && labels.contains(&"restart".to_string()),
        "{labels:?}"
    );
}

#[test]
fn completion_in_an_unclosed_block_while_typing() {
    let text = format!("{PLAN}\nenvironment new {{\n  kind = production\n  $0");
    let labels = completion_labels(&text);
    assert!(
        labels.contains(&"target".to_string()) && !labels.contains(&"kind".to_string()),
        "{labels:?}"
    );
}

#[test]
fn completion_offers_enum_values_constructors_and_booleans() {
    assert_eq!(
        completion_labels(&with_cursor("  data   = real", "  data   = $0")),
        ["synthetic", "anonymized", "real"]
    );
    assert_eq!(
        completion_labels(&with_cursor("  target = compose", "  target = ku$0")),
        ["compose", "kubernetes"]
    );
    assert_eq!(
        completion_labels(&with_cursor(
            "  target = compose",
            "  target = kubernetes($0"
        )),
        ["k3s", "eks", "gke", "aks", "generic"]
    );
    let labels = completion_labels(&with_cursor(
        "encryption = at_rest",
        "encryption = at_rest\n  start_on_boot = $0",
    ));
    assert_eq!(labels, ["true", "false"]);
}

#[test]
fn completion_offers_visible_policies_and_module_members() {
    let labels = completion_labels(&with_cursor("  policy = hardened", "  policy = $0"));
    assert_eq!(
        labels,
        [
            "hardened",
            "policies.development",
            "policies.baseline",
            "policies.production"
        ]
    );
    let (analysis, pos) = fixture(&with_cursor(
        "  policy = hardened",
        "  policy = policies.ba$0",
    ));
    let items = crate::completions(&analysis, pos);
    let baseline = items
        .iter()
        .find(|it| it.label == "policies.baseline")
        .expect("baseline offered");
    assert_eq!(baseline.insert, "baseline");
    assert_eq!(slice(&analysis, pos.file, baseline.replace), "ba");
}

#[test]
fn completion_offers_list_items_alert_conditions_and_environments() {
    let text = with_cursor(
        "  alerting { email",
        "  alerting { on = [downtime(5m), $0], email",
    );
    let labels = completion_labels(&text);
    assert!(
        labels.contains(&"disk_used".to_string()) && labels.contains(&"backup_failed".to_string()),
        "{labels:?}"
    );
    let labels = completion_labels(&format!(
        "{PLAN}\noperator amina {{ role = admin, access = [$0] }}\n"
    ));
    assert_eq!(labels, ["prod"]);
}

#[test]
fn completion_offers_units_of_the_fields_dimension() {
    let text = with_cursor(
        "  encryption = at_rest",
        "  encryption = at_rest\n  backup { every = 24$0 }",
    );
    let labels = completion_labels(&text);
    assert_eq!(labels, ["24s", "24m", "24h", "24d", "24w", "24y"]);
    let labels = completion_labels(&format!(
        "{PLAN}\nenvironment x {{\n  couchdb {{ disk = 100G$0 }}\n}}\n"
    ));
    assert!(
        labels.contains(&"100GiB".to_string()) && !labels.contains(&"100d".to_string()),
        "{labels:?}"
    );
}

#[test]
fn completion_offers_stdlib_modules_extends_parents_credentials_and_top_level_blocks() {
    let labels = completion_labels(&format!("import \"std/$0\"\n{}", &PLAN[17..]));
    assert_eq!(labels, ["std/aws", "std/cht", "std/gcp", "std/policies"]);
    let labels = completion_labels(&format!("{PLAN}\npolicy strict extends $0"));
    assert_eq!(
        labels,
        [
            "hardened",
            "policies.development",
            "policies.baseline",
            "policies.production"
        ]
    );
    let labels = completion_labels(&with_cursor(
        "  policy = hardened\n}",
        "  policy = hardened\n  secrets { $0 }\n}",
    ));
    assert_eq!(
        labels,
        [
            "couchdb_admin",
            "couchdb_secret",
            "postgres",
            "grafana_admin"
        ]
    );
    let labels = completion_labels(&format!("{PLAN}\n$0"));
    assert!(
        labels.contains(&"environment".to_string()) && labels.contains(&"secret".to_string()),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"plan".to_string()),
        "the plan block exists already: {labels:?}"
    );
    let labels = completion_labels(&with_cursor("  cht   = \"5.2.0\"", "  cht   = \"5.$0"));
    assert!(labels.contains(&"5.2.0".to_string()), "{labels:?}");
}

#[test]
fn completion_is_silent_in_comments_and_after_a_complete_value() {
    assert!(completion_labels(&with_cursor(
        "# Hardened for real data.",
        "# Hardened for$0 real data."
    ))
    .is_empty());
    assert!(completion_labels(&with_cursor("  data   = real", "  data   = real $0")).is_empty());
}

#[test]
fn code_actions_apply_diagnostic_fixes() {
    let text = with_cursor(
        "  encryption = at_rest",
        "  encryption = at_rest\n  restrat = always",
    );
    let (analysis, _) = fixture(&text);
    let file = analysis.workspace.sources.find("plan.hplan").unwrap();
    let actions = crate::code_actions(&analysis, file, TextRange::new(0, text.len() as u32));
    let fix = actions
        .iter()
        .find(|it| it.title == "replace with `restart`")
        .expect("did-you-mean fix");
    assert!(apply(&text, &fix.edits).contains("  restart = always"));
}

#[test]
fn code_actions_add_a_missing_required_field() {
    let text = with_cursor("  domain = \"cht.example.org\"\n", "");
    let (analysis, _) = fixture(&text);
    let file = analysis.workspace.sources.find("plan.hplan").unwrap();
    let actions = crate::code_actions(&analysis, file, TextRange::new(0, text.len() as u32));
    let add = actions
        .iter()
        .find(|it| it.title == "add `domain = \"\"`")
        .expect("add-field action");
    assert!(apply(&text, &add.edits)
        .contains("  infra  = local\n  data   = real\n  policy = hardened\n  domain = \"\"\n}"));
    let one_line = format!("{PLAN}\noperator amina {{ access = [prod] }}\n");
    let (analysis, _) = fixture(&one_line);
    let actions = crate::code_actions(&analysis, file, TextRange::new(0, one_line.len() as u32));
    let titles: Vec<&str> = actions.iter().map(|it| it.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "add `role = admin`",
            "add `role = deployer`",
            "add `role = viewer`"
        ]
    );
    assert!(apply(&one_line, &actions[0].edits)
        .ends_with("operator amina { access = [prod], role = admin }\n"));
}

#[test]
fn document_symbols_outline_the_file() {
    let (analysis, pos) = fixture(PLAN);
    let symbols = crate::document_symbols(&analysis, pos.file);
    let names: Vec<&str> = symbols.iter().map(|it| it.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "std/cht",
            "std/policies",
            "demo",
            "population",
            "users",
            "couchdb_admin",
            "couchdb_secret",
            "hardened",
            "prod"
        ]
    );
    let hardened = symbols.iter().find(|it| it.name == "hardened").unwrap();
    assert_eq!(hardened.kind, crate::SymbolKind::Policy);
    assert_eq!(
        hardened.detail.as_deref(),
        Some("policy extends policies.production")
    );
    let children: Vec<&str> = hardened
        .children
        .iter()
        .map(|it| it.name.as_str())
        .collect();
    assert_eq!(children, ["alerting", "encryption"]);
}

#[test]
fn inlay_hints_summarise_each_environment() {
    let (analysis, pos) = fixture(PLAN);
    let hints = crate::inlay_hints(&analysis, pos.file);
    assert_eq!(hints.len(), 1);
    let label = &hints[0].label;
    assert!(
        label.starts_with("compose on local · 1 CouchDB node · ")
            && label.ends_with(" GiB by year 5"),
        "{label}"
    );
    assert_eq!(
        &PLAN[..hints[0].offset as usize]
            .rsplit('\n')
            .next()
            .unwrap(),
        &"environment prod {"
    );
}

#[test]
fn formatting_returns_one_minimal_edit_and_refuses_broken_files() {
    let text = PLAN.replacen("  owner = \"MoH\"", "  owner    =    \"MoH\"", 1);
    let (analysis, pos) = fixture(&text);
    let edit = crate::format_file(&analysis, pos.file)
        .unwrap()
        .expect("an edit");
    assert_eq!(apply(&text, &[edit]), PLAN);
    let (analysis, pos) = fixture(PLAN);
    assert_eq!(crate::format_file(&analysis, pos.file), Ok(None));
    let (analysis, pos) = fixture(&PLAN.replacen("owner = ", "owner ", 1).replacen("}", "", 1));
    assert_eq!(
        crate::format_file(&analysis, pos.file),
        Err(crate::FormatError::SyntaxErrors)
    );
}

#[test]
fn features_never_panic_anywhere_in_a_broken_file() {
    let broken = "plan \"x\" {\n  cht = \"5.\n  owner = [1, (\n}\nenvironment é😀 extends {\n  kind = prod\n  target = kubernetes(\n  infra = onprem { nodes = \n  secrets { a = }\n";
    let (analysis, pos) = fixture(broken);
    for offset in 0..=broken.len() as u32 {
        let pos = FilePosition {
            file: pos.file,
            offset,
        };
        let _ = crate::hover(&analysis, pos);
        let _ = crate::completions(&analysis, pos);
        let _ = crate::goto_definition(&analysis, pos);
        let _ = crate::references(&analysis, pos, true);
        let _ = crate::rename(&analysis, pos, "x");
    }
    let _ = crate::document_symbols(&analysis, pos.file);
    let _ = crate::inlay_hints(&analysis, pos.file);
    let _ = crate::code_actions(&analysis, pos.file, TextRange::new(0, broken.len() as u32));
}

#[test]
fn the_estimate_shows_beside_and_over_each_environment() {
    let on_aws = PLAN
        .replacen(
            "import \"std/policies\"",
            "import \"std/policies\"\nimport \"std/aws\"",
            1,
        )
        .replacen("  target = compose", "  target = kubernetes(eks)", 1)
        .replacen(
            "  infra  = local",
            "  infra  = aws { region = \"af-south-1\" }",
            1,
        )
        .replacen("environment prod {", "environment pr$0od {", 1);
    let (analysis, pos) = fixture(&on_aws);
    let estimate = analysis
        .estimate
        .as_ref()
        .expect("the plan has an estimate");
    let prod = estimate
        .environments
        .iter()
        .find(|it| it.name == "prod")
        .unwrap();
    let storage = hostplan_core::estimate::format::int(prod.years.last().unwrap().storage_gib);
    let cost = hostplan_core::estimate::format::dollars(
        prod.monthly_cost.expect("an instance type fits").cents(),
    );
    let hints = crate::inlay_hints(&analysis, pos.file);
    assert_eq!(
        hints[0].label,
        format!("kubernetes(eks) on aws af-south-1 · 1 CouchDB node · {storage} GiB by year 5 · {cost}/month")
    );
    let hover = crate::hover(&analysis, pos).unwrap().markdown;
    assert!(
        hover.contains(&format!("- cost: {cost}/month (aws prices of ")),
        "{hover}"
    );
    assert!(
        hover.contains(&format!(
            "- storage by year 5: {storage} GiB (CouchDB data "
        )),
        "{hover}"
    );
    assert!(hover.contains("- users served: 100"), "{hover}");
}
