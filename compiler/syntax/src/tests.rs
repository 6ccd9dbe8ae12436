//! Unit tests of the lexer, parser and formatter.

use hostplan_diagnostics::FileId;

use crate::ast::EntryKind;
use crate::{format, parse};

fn codes(text: &str) -> Vec<(String, String)> {
    let mut parse = parse(FileId(0), text);
    hostplan_diagnostics::sort_and_dedup(&mut parse.diagnostics);
    parse
        .diagnostics
        .iter()
        .map(|it| {
            let range = it.primary.span.range;
            (
                it.code.code.to_string(),
                text[range.start as usize..range.end as usize].to_string(),
            )
        })
        .collect()
}

fn fmt(text: &str) -> String {
    let parse = parse(FileId(0), text);
    assert!(parse.diagnostics.is_empty(), "{:?}", parse.diagnostics);
    format(&parse.file, text)
}

#[test]
fn parses_blocks_fields_and_labelled_entries() {
    let text = "plan \"moh\" { cht = \"5.2.0\", horizon = 5y }\nsecret admin = env(\"X\")\npolicy p extends policies.production { backup { every = 24h } }\n";
    let parse = parse(FileId(0), text);
    assert!(parse.diagnostics.is_empty());
    assert_eq!(parse.file.entries.len(), 3);
    assert!(matches!(parse.file.entries[1].kind, EntryKind::Labelled(_)));
    let EntryKind::Block(policy) = &parse.file.entries[2].kind else {
        panic!("not a block")
    };
    assert_eq!(
        policy.extends.as_ref().map(|it| it.text()),
        Some("policies.production".to_string())
    );
}

#[test]
fn reports_each_independent_error_once() {
    let text = "plan \"x\" {\n  cht \"5.2.0\"\n  owner = \n  horizon = 5y\n}\nenvironment dev {\n  kind = ;\n  target = compose\n}\n";
    assert_eq!(
        codes(text),
        vec![
            ("E0001".to_string(), "cht".to_string()),
            ("E0001".to_string(), "owner =".to_string()),
            ("E0001".to_string(), "kind =".to_string()),
            ("E0004".to_string(), ";".to_string()),
        ]
    );
}

#[test]
fn unclosed_block_stops_at_next_top_level_declaration() {
    let text = "environment dev {\n  kind = development\n\nenvironment uat {\n  kind = test\n}\n";
    let parse = parse(FileId(0), text);
    let found: Vec<&str> = parse.diagnostics.iter().map(|it| it.code.code).collect();
    assert_eq!(found, vec!["E0006"]);
    assert_eq!(parse.file.entries.len(), 2);
}

#[test]
fn lexes_units_money_and_escapes() {
    assert_eq!(
        codes("a = 24hours"),
        vec![("E0005".to_string(), "hours".to_string())]
    );
    assert_eq!(
        codes("a = \"x\\q\""),
        vec![("E0003".to_string(), "\\q".to_string())]
    );
    assert_eq!(
        codes("a = \"open\nb = 1"),
        vec![("E0002".to_string(), "\"open".to_string())]
    );
    assert!(codes("a = $20.85, b = 512MiB, c = 80%, d = 2_400_000, e = \"\\u{1F600}\"").is_empty());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("a = {}", "[".repeat(10_000));
    let parse = parse(FileId(0), &text);
    assert!(parse
        .diagnostics
        .iter()
        .any(|it| it.message == "nesting is too deep"));
}

#[test]
fn formatter_aligns_and_keeps_comments() {
    let text = "# head\nplan \"moh\" {\ncht = \"5.2.0\" # release\n  horizon=5y\n# tail\n}\nusers { role chw { count = 9_000, sync = offline } }\n";
    let expected = "# head\nplan \"moh\" {\n  cht     = \"5.2.0\"  # release\n  horizon = 5y\n  # tail\n}\n\nusers { role chw { count = 9_000, sync = offline } }\n";
    assert_eq!(fmt(text), expected);
    assert_eq!(fmt(expected), expected);
}

#[test]
fn formatter_breaks_multi_line_lists_with_comments() {
    let text = "a = [\n  downtime(5m), # down\n  backup_failed\n]\n";
    let expected = "a = [\n  downtime(5m),  # down\n  backup_failed,\n]\n";
    assert_eq!(fmt(text), expected);
}

#[test]
fn strings_end_at_their_closing_quote_or_at_the_end_of_their_line() {
    use crate::lexer::{lex, TokenKind};
    // (text, the string token's text, its value)
    let cases = [
        (r#""plain" x"#, r#""plain""#, "plain"),
        (r#""say \"hi\"" x"#, r#""say \"hi\"""#, r#"say "hi""#),
        (r#""a\\" x"#, r#""a\\""#, r"a\"),
        (r#""é\"ü" x"#, r#""é\"ü""#, r#"é"ü"#),
        ("\"open\nx", "\"open", "open"),
        ("\"open at the end", "\"open at the end", "open at the end"),
        (
            "\"backslash at the end\\",
            "\"backslash at the end\\",
            "backslash at the end",
        ),
        ("\"line \\\nx", "\"line \\", "line "),
    ];
    for (text, token_text, value) in cases {
        let (tokens, _) = lex(FileId(0), text);
        let first = tokens.first().expect("a token");
        let range = first.range.start as usize..first.range.end as usize;
        assert_eq!(&text[range], token_text, "{text:?}");
        match &first.kind {
            TokenKind::Str(it) => assert_eq!(it, value, "{text:?}"),
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}
