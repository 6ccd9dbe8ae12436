//! `hostplan fmt` is idempotent on every example and standard library file, keeps every
//! comment, and the committed files are already formatted.

use hostplan_diagnostics::FileId;

fn plan_files() -> Vec<(String, String)> {
    let root = hostplan_tests::repo_root();
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests/suite/format"] {
        for entry in walkdir::WalkDir::new(root.join(dir))
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if entry.path().extension().is_some_and(|it| it == "hplan") {
                files.push((
                    entry.path().display().to_string(),
                    std::fs::read_to_string(entry.path()).unwrap_or_default(),
                ));
            }
        }
    }
    files
}

fn comments(text: &str) -> Vec<String> {
    let parse = hostplan_syntax::parse(FileId(0), text);
    let (tokens, _) = hostplan_syntax::lex(FileId(0), text);
    assert!(!parse.has_errors());
    tokens
        .iter()
        .filter(|it| it.kind == hostplan_syntax::TokenKind::Comment)
        .map(|it| {
            text[it.range.start as usize..it.range.end as usize]
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn formatting_is_idempotent_and_keeps_every_comment() {
    let files = plan_files();
    assert!(files.len() >= 6);
    for (path, text) in files {
        let parse = hostplan_syntax::parse(FileId(0), &text);
        assert!(
            !parse.has_errors(),
            "{path} has syntax errors: {:?}",
            parse.diagnostics
        );
        let once = hostplan_syntax::format(&parse.file, &text);
        let twice = hostplan_syntax::format(&hostplan_syntax::parse(FileId(0), &once).file, &once);
        assert_eq!(once, twice, "formatting {path} twice differs");
        assert_eq!(
            comments(&text),
            comments(&once),
            "formatting {path} lost or reordered comments"
        );
    }
}

#[test]
fn committed_examples_and_stdlib_are_formatted() {
    for (path, text) in plan_files() {
        if path.contains("tests/suite/format") {
            continue;
        }
        let parse = hostplan_syntax::parse(FileId(0), &text);
        let formatted = hostplan_syntax::format(&parse.file, &text);
        assert!(
            formatted == text,
            "{path} is not formatted; run `hostplan fmt {path}`"
        );
    }
}
