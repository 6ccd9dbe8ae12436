//! The editor integrations stay in step with the language: the VS Code grammar and language
//! configuration are valid JSON and cover every block kind, unit, comment and keyword; the
//! Neovim syntax names every block kind; the Helix snippet starts the server.

use std::path::Path;

use hostplan_core::schema::ALL_BLOCKS;
use hostplan_syntax::ast::Unit;
use serde_json::Value;

fn editors() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors")
}

fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(editors().join(path)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not valid JSON: {error}"))
}

/// Every `match`, `begin` and `end` pattern of the grammar, with the scope it gives.
fn patterns(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for key in ["match", "begin", "end"] {
                if let Some(Value::String(pattern)) = map.get(key) {
                    let name = map
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    out.push((pattern.clone(), name));
                }
            }
            map.values().for_each(|it| patterns(it, out));
        }
        Value::Array(items) => items.iter().for_each(|it| patterns(it, out)),
        _ => {}
    }
}

#[test]
fn vscode_grammar_covers_blocks_units_comments_and_keywords() {
    let grammar = read_json("vscode/syntaxes/hplan.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.hostplan");
    let mut all = Vec::new();
    patterns(&grammar, &mut all);
    let text = serde_json::to_string(&grammar).unwrap();
    let block_kinds = all
        .iter()
        .find(|(pattern, _)| pattern.contains("plan|population|users"))
        .map(|(pattern, _)| pattern.clone())
        .expect("a pattern listing block kinds");
    for block in ALL_BLOCKS {
        let as_constructor = matches!(block.kind, "aws" | "gcp" | "onprem");
        assert!(
            as_constructor
                || block_kinds
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .any(|it| it == block.kind),
            "the grammar does not know the block kind `{}`",
            block.kind
        );
    }
    let unit_pattern = all
        .iter()
        .find(|(pattern, _)| pattern.contains("KiB|MiB"))
        .map(|(pattern, _)| pattern.clone())
        .expect("a pattern for units");
    for (_, suffix) in Unit::ALL {
        assert!(
            unit_pattern.split(['|', '(', ')']).any(|it| it == *suffix),
            "the grammar does not know the unit `{suffix}`"
        );
    }
    assert!(
        all.iter()
            .any(|(pattern, name)| pattern == "#.*$" && name.starts_with("comment.line")),
        "comments"
    );
    for keyword in ["import", "extends", "secret", "true|false"] {
        assert!(text.contains(keyword), "keyword {keyword}");
    }
    assert!(text.contains("constant.character.escape"), "string escapes");
    // Every scope is one of the language's own, so themes colour it predictably.
    assert!(all
        .iter()
        .all(|(_, name)| name.is_empty() || name.ends_with(".hostplan")));
}

#[test]
fn vscode_manifest_and_language_configuration_agree() {
    let manifest = read_json("vscode/package.json");
    assert_eq!(manifest["contributes"]["languages"][0]["id"], "hostplan");
    assert_eq!(
        manifest["contributes"]["languages"][0]["extensions"][0],
        ".hplan"
    );
    assert_eq!(
        manifest["contributes"]["grammars"][0]["path"],
        "./syntaxes/hplan.tmLanguage.json"
    );
    assert_eq!(
        manifest["contributes"]["grammars"][0]["scopeName"],
        "source.hostplan"
    );
    assert!(manifest["dependencies"]["vscode-languageclient"].is_string());
    let config = read_json("vscode/language-configuration.json");
    assert_eq!(config["comments"]["lineComment"], "#");
    let extension = std::fs::read_to_string(editors().join("vscode/src/extension.ts")).unwrap();
    assert!(
        extension.contains("args: [\"lsp\"]"),
        "the client starts `hostplan lsp`"
    );
}

#[test]
fn neovim_and_helix_configurations_start_the_server() {
    let syntax = std::fs::read_to_string(editors().join("nvim/syntax/hostplan.vim")).unwrap();
    for block in ALL_BLOCKS
        .iter()
        .filter(|it| !matches!(it.kind, "aws" | "gcp" | "onprem"))
    {
        assert!(
            syntax.contains(&format!("\\|{}\\|", block.kind))
                || syntax.contains(&format!("\\({}\\|", block.kind))
                || syntax.contains(&format!("\\|{}\\)", block.kind)),
            "nvim syntax lacks `{}`",
            block.kind
        );
    }
    let ftdetect = std::fs::read_to_string(editors().join("nvim/ftdetect/hostplan.vim")).unwrap();
    assert!(ftdetect.contains("*.hplan") && ftdetect.contains("setfiletype hostplan"));
    let lua = std::fs::read_to_string(editors().join("nvim/lua/hostplan/init.lua")).unwrap();
    assert!(lua.contains("{ \"hostplan\", \"lsp\" }"));
    let helix = std::fs::read_to_string(editors().join("helix/languages.toml")).unwrap();
    assert!(
        helix.contains("file-types = [\"hplan\"]")
            && helix.contains("command = \"hostplan\"")
            && helix.contains("args = [\"lsp\"]")
    );
}
