//! The real `hostplan lsp` process: stdout carries only protocol frames, malformed input is
//! answered and survived, and `shutdown` and `exit` end it cleanly.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn frame(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// Splits stdout into frame bodies, failing on anything that is not a frame.
fn bodies(stdout: &[u8]) -> Vec<serde_json::Value> {
    let mut rest = stdout;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let text = std::str::from_utf8(rest).unwrap();
        let header_end = text.find("\r\n\r\n").expect("a header");
        let length: usize = text[..header_end]
            .strip_prefix("Content-Length: ")
            .expect("only Content-Length")
            .parse()
            .unwrap();
        let body = &rest[header_end + 4..header_end + 4 + length];
        out.push(serde_json::from_slice(body).expect("a JSON body"));
        rest = &rest[header_end + 4 + length..];
    }
    out
}

#[test]
fn stdout_is_protocol_only_and_the_server_survives_malformed_input() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.hplan");
    std::fs::write(&plan, "plan \"x\" {\n  cht = \"5.2.0\"\n}\n").unwrap();
    let uri = format!("file://{}", plan.display());
    // `--stdio` is what VS Code's client adds to the command line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hostplan"))
        .args(["lsp", "--stdio"])
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
    ));
    input.push_str(&frame("{ this is not json"));
    input.push_str("Content-Type: nonsense\r\n\r\n");
    input.push_str(&frame(
        r#"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":1}}"#,
    ));
    let open = serde_json::json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":"hostplan","version":1,"text":"plan \"x\" {\n  cht = \"5.2.0\"\n  ownr = \"me\"\n}\n"}}});
    input.push_str(&frame(&open.to_string()));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","id":3,"method":"shutdown"}"#));
    input.push_str(&frame(r#"{"jsonrpc":"2.0","method":"exit"}"#));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    assert!(status.success(), "exit status {status}");
    let messages = bodies(&stdout);
    let by_id = |id: i64| {
        messages
            .iter()
            .find(|it| it["id"] == id)
            .unwrap_or_else(|| panic!("no response {id}: {messages:?}"))
    };
    assert!(by_id(1)["result"]["capabilities"]["hoverProvider"] == true);
    assert_eq!(by_id(2)["error"]["code"], -32602);
    assert!(by_id(3)["error"].is_null());
    let parse_error = messages
        .iter()
        .find(|it| it["error"]["code"] == -32700)
        .expect("a parse error reply");
    assert!(parse_error["id"].is_null());
    let published = messages
        .iter()
        .find(|it| it["method"] == "textDocument/publishDiagnostics")
        .expect("diagnostics");
    let codes: Vec<&str> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|it| it["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"E2103"), "{codes:?}");
}
