//! Protocol tests: a client talks to the server over an in-memory connection, with plan
//! files in a temporary directory. Fixtures mark the cursor with `$0`.

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

use crate::convert::path_to_uri;
use crate::Config;

/// A plan without findings. Its one environment is a development environment, where the
/// hosting-guide rules are silent, so that each test sees only the diagnostics it provokes.
const PLAN: &str = r#"import "std/cht"
import "std/policies"

plan "démo" {
  cht   = "5.2.0"
  owner = "Ministère de la Santé 😀"
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
  kind   = development
  target = compose
  infra  = local
  domain = "cht.example.org"
  data   = synthetic
  policy = hardened
}
"#;

const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    conn: Connection,
    server: Option<JoinHandle<()>>,
    dir: tempfile::TempDir,
    next_id: i32,
    /// Notifications received while waiting for something else.
    pending: Vec<Notification>,
}

impl Client {
    /// Writes `files` into a fresh directory and starts an initialized server.
    fn start(files: &[(&str, &str)]) -> Client {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            std::fs::write(dir.path().join(path), text).unwrap();
        }
        let (server_conn, conn) = Connection::memory();
        let cache_dir = dir.path().join(".cache");
        let server = std::thread::spawn(move || {
            crate::run(
                &server_conn,
                Config {
                    cache_dir: Some(cache_dir),
                },
            )
            .unwrap();
        });
        let mut client = Client {
            conn,
            server: Some(server),
            dir,
            next_id: 0,
            pending: Vec::new(),
        };
        let root = path_to_uri(client.dir.path()).unwrap();
        let result = client.request("initialize", json!({ "capabilities": {}, "rootUri": root }));
        assert!(result.error.is_none(), "{result:?}");
        client.notify("initialized", json!({}));
        client
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn uri(&self, name: &str) -> String {
        path_to_uri(&self.path(name)).unwrap().as_str().to_string()
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.to_string(),
                params,
            )))
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.to_string(),
                params,
            )))
            .unwrap();
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(TIMEOUT)
                .expect("a response in time")
            {
                Message::Response(response) if response.id == id => return response,
                Message::Notification(it) => self.pending.push(it),
                _ => {}
            }
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(
            response.error.is_none(),
            "{method} failed: {:?}",
            response.error
        );
        response.result.unwrap_or(Value::Null)
    }

    fn open(&self, name: &str, text: &str) {
        self.notify("textDocument/didOpen", json!({
            "textDocument": { "uri": self.uri(name), "languageId": "hostplan", "version": 1, "text": text }
        }));
    }

    fn change(&self, name: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": self.uri(name), "version": version },
                "contentChanges": [{ "text": text }]
            }),
        );
    }

    /// The next diagnostics published for `name`.
    fn diagnostics(&mut self, name: &str) -> Vec<Value> {
        let uri = self.uri(name);
        let matches = |it: &Notification| {
            it.method == "textDocument/publishDiagnostics" && it.params["uri"] == uri.as_str()
        };
        if let Some(idx) = self.pending.iter().position(matches) {
            let it = self.pending.remove(idx);
            return it.params["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(TIMEOUT)
                .expect("diagnostics in time")
            {
                Message::Notification(it) if matches(&it) => {
                    return it.params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                }
                Message::Notification(it) => self.pending.push(it),
                _ => {}
            }
        }
    }

    fn position_params(&self, name: &str, position: Value) -> Value {
        json!({ "textDocument": { "uri": self.uri(name) }, "position": position })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let response = self.request("shutdown", Value::Null);
        assert!(response.error.is_none());
        self.notify("exit", Value::Null);
        if let Some(server) = self.server.take() {
            server.join().unwrap();
        }
    }
}

/// Removes the `$0` marker and returns the text with the marker's position in UTF-16.
fn cursor(text: &str) -> (String, Value) {
    let offset = text.find("$0").expect("a $0 marker");
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column: usize = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    (
        text.replacen("$0", "", 1),
        json!({ "line": line, "character": column }),
    )
}

/// Applies one protocol text edit to `text`.
fn apply(text: &str, edit: &Value) -> String {
    let index = hostplan_diagnostics::LineIndex::new(text);
    let file = crate::convert::FileText {
        text,
        index: &index,
    };
    let range: lsp_types::Range = serde_json::from_value(edit["range"].clone()).unwrap();
    let range = file.text_range(range);
    let mut out = text.to_string();
    out.replace_range(
        range.start as usize..range.end as usize,
        edit["newText"].as_str().unwrap(),
    );
    out
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|it| it["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diagnostics_on_open_and_change_with_codes_ranges_and_labels_then_cleared() {
    let mut client = Client::start(&[]);
    let broken = PLAN.replacen(
        "  owner = \"Ministère de la Santé 😀\"",
        "  owner = \"Ministère de la Santé 😀\", horizn = 5y",
        1,
    );
    client.open("plan.hplan", &broken);
    let diagnostics = client.diagnostics("plan.hplan");
    assert_eq!(codes(&diagnostics), ["E2103"]);
    let line = broken.lines().position(|it| it.contains("horizn")).unwrap();
    let column: usize = broken
        .lines()
        .nth(line)
        .unwrap()
        .split("horizn")
        .next()
        .unwrap()
        .chars()
        .map(char::len_utf16)
        .sum();
    assert_eq!(
        diagnostics[0]["range"],
        json!({ "start": { "line": line, "character": column }, "end": { "line": line, "character": column + 6 } })
    );
    assert!(diagnostics[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown field `horizn` in `plan`\nhelp: did you mean `horizon`?"));
    assert_eq!(
        diagnostics[0]["relatedInformation"][0]["message"],
        "unknown field"
    );

    // A duplicate field has a secondary label, which becomes related information.
    let twice = PLAN.replacen(
        "  data   = synthetic",
        "  data   = synthetic\n  data   = synthetic",
        1,
    );
    client.change("plan.hplan", 2, &twice);
    let diagnostics = client.diagnostics("plan.hplan");
    assert_eq!(codes(&diagnostics), ["E2107"]);
    let related = diagnostics[0]["relatedInformation"].as_array().unwrap();
    assert_eq!(
        related
            .iter()
            .map(|it| it["message"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["set again here", "first set here"]
    );
    assert_eq!(related[1]["location"]["uri"], client.uri("plan.hplan"));

    client.change("plan.hplan", 3, PLAN);
    assert!(client.diagnostics("plan.hplan").is_empty());
}

#[test]
fn incremental_changes_use_utf16_ranges_on_non_ascii_lines() {
    let mut client = Client::start(&[]);
    client.open("plan.hplan", PLAN);
    assert!(client.diagnostics("plan.hplan").is_empty());
    // Insert `, horizn = 5y` after the closing quote of the owner, on a line with an emoji.
    let line = PLAN.lines().position(|it| it.contains("owner")).unwrap();
    let column: usize = PLAN
        .lines()
        .nth(line)
        .unwrap()
        .chars()
        .map(char::len_utf16)
        .sum();
    client.notify("textDocument/didChange", json!({
        "textDocument": { "uri": client.uri("plan.hplan"), "version": 2 },
        "contentChanges": [{ "range": { "start": { "line": line, "character": column }, "end": { "line": line, "character": column } }, "text": ", horizn = 5y" }]
    }));
    let diagnostics = client.diagnostics("plan.hplan");
    assert_eq!(codes(&diagnostics), ["E2103"]);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({ "line": line, "character": column + 2 })
    );
}

#[test]
fn hover_shows_field_docs_and_the_effective_policy() {
    let mut client = Client::start(&[]);
    let (text, position) =
        cursor(&PLAN.replacen("  policy = hardened", "  policy = hard$0ened", 1));
    client.open("plan.hplan", &text);
    let hover = client.result(
        "textDocument/hover",
        client.position_params("plan.hplan", position.clone()),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.contains(
            "Effective policy, after extending `policies.production` → `policies.baseline`"
        ),
        "{markdown}"
    );
    assert_eq!(hover["range"]["start"]["character"], 11);

    // On a line after non-ASCII text, the cursor is counted in UTF-16 units.
    let (text, position) = cursor(&PLAN.replacen(
        "  owner = \"Ministère de la Santé 😀\"",
        "  owner = \"Ministère de la Santé 😀\", hori$0zon = 5y",
        1,
    ));
    client.change("plan.hplan", 2, &text);
    let hover = client.result(
        "textDocument/hover",
        client.position_params("plan.hplan", position),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("**`horizon`**: duration · default `5y`"),
        "{hover}"
    );
}

#[test]
fn completion_offers_schema_values_with_edits() {
    let mut client = Client::start(&[]);
    let (text, position) = cursor(&PLAN.replacen("  data   = synthetic", "  data   = an$0", 1));
    client.open("plan.hplan", &text);
    let items = client.result(
        "textDocument/completion",
        client.position_params("plan.hplan", position.clone()),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|it| it["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["synthetic", "anonymized", "real"]);
    let edit = &items[1]["textEdit"];
    assert_eq!(edit["newText"], "anonymized");
    assert_eq!(edit["range"]["start"]["character"], 11);
    assert_eq!(edit["range"]["end"], position);
}

#[test]
fn definition_references_and_rename() {
    let mut client = Client::start(&[]);
    let (text, position) =
        cursor(&PLAN.replacen("  policy = hardened", "  policy = hard$0ened", 1));
    client.open("plan.hplan", &text);
    let line_of = |needle: &str| text.lines().position(|it| it.contains(needle)).unwrap();

    let locations = client.result(
        "textDocument/definition",
        client.position_params("plan.hplan", position.clone()),
    );
    assert_eq!(locations[0]["uri"], client.uri("plan.hplan"));
    assert_eq!(
        locations[0]["range"]["start"],
        json!({ "line": line_of("policy hardened"), "character": 7 })
    );

    let mut params = client.position_params("plan.hplan", position.clone());
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.result("textDocument/references", params);
    assert_eq!(references.as_array().unwrap().len(), 2);

    let prepared = client.result(
        "textDocument/prepareRename",
        client.position_params("plan.hplan", position.clone()),
    );
    assert_eq!(prepared["start"]["character"], 11);
    let mut params = client.position_params("plan.hplan", position);
    params["newName"] = json!("strict");
    let edit = client.result("textDocument/rename", params);
    let changes = edit["documentChanges"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["textDocument"]["version"], 1);
    let edits = changes[0]["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    assert!(edits.iter().all(|it| it["newText"] == "strict"));
}

#[test]
fn definition_into_the_standard_library_opens_a_real_file() {
    let mut client = Client::start(&[]);
    let (text, position) = cursor(&PLAN.replacen(
        "extends policies.production",
        "extends policies.prod$0uction",
        1,
    ));
    client.open("plan.hplan", &text);
    let locations = client.result(
        "textDocument/definition",
        client.position_params("plan.hplan", position.clone()),
    );
    let uri = locations[0]["uri"].as_str().unwrap().to_string();
    let path = crate::convert::uri_to_path(&uri.parse().unwrap()).unwrap();
    assert!(path.starts_with(client.path(".cache")), "{uri}");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let line = locations[0]["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(on_disk
        .lines()
        .nth(line)
        .unwrap()
        .starts_with("policy production"));

    // Requests inside the standard library file work too, and it cannot be renamed.
    let std_uri = uri.clone();
    let hover = client.result(
        "textDocument/hover",
        json!({ "textDocument": { "uri": std_uri }, "position": locations[0]["range"]["start"] }),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("policy **`production`**"));
    let response = client.request(
        "textDocument/prepareRename",
        client.position_params("plan.hplan", position),
    );
    assert!(response.error.unwrap().message.contains("standard library"));
}

#[test]
fn symbols_formatting_code_actions_and_inlay_hints() {
    let mut client = Client::start(&[]);
    let messy = PLAN.replacen("  kind   = development", "  kind = development", 1);
    let messy = messy.replacen(
        "  encryption = at_rest",
        "  encryption = at_rest\n  restrat = always",
        1,
    );
    client.open("plan.hplan", &messy);
    assert_eq!(codes(&client.diagnostics("plan.hplan")), ["E2103"]);
    let doc = json!({ "textDocument": { "uri": client.uri("plan.hplan") } });

    let symbols = client.result("textDocument/documentSymbol", doc.clone());
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|it| it["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "std/cht",
            "std/policies",
            "démo",
            "population",
            "users",
            "couchdb_admin",
            "couchdb_secret",
            "hardened",
            "prod"
        ]
    );

    let mut params = doc.clone();
    params["options"] = json!({ "tabSize": 2, "insertSpaces": true });
    let edits = client.result("textDocument/formatting", params);
    assert_eq!(edits.as_array().unwrap().len(), 1);
    let formatted = apply(&messy, &edits[0]);
    assert!(
        formatted.contains("  encryption = at_rest\n  restrat    = always\n}"),
        "{formatted}"
    );
    assert!(
        formatted.contains("environment prod {\n  kind   = development\n"),
        "{formatted}"
    );
    assert_eq!(formatted.len(), messy.len() + 5);

    let mut params = doc.clone();
    params["range"] =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 60, "character": 0 } });
    params["context"] = json!({ "diagnostics": [] });
    let actions = client.result("textDocument/codeAction", params);
    assert_eq!(actions[0]["title"], "replace with `restart`");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["diagnostics"][0]["code"], "E2103");
    assert_eq!(
        actions[0]["edit"]["documentChanges"][0]["edits"][0]["newText"],
        "restart"
    );

    let mut params = doc;
    params["range"] =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 60, "character": 0 } });
    let hints = client.result("textDocument/inlayHint", params);
    let label = hints[0]["label"].as_str().unwrap();
    assert!(
        label.starts_with("compose on local · 1 CouchDB node · ")
            && label.ends_with(" GiB by year 5"),
        "{label}"
    );
    assert_eq!(
        hints[0]["position"]["line"],
        messy
            .lines()
            .position(|it| it == "environment prod {")
            .unwrap()
    );
}

#[test]
fn unsaved_buffers_shadow_the_disk_including_imports() {
    let plan = PLAN
        .replacen(
            "import \"std/policies\"",
            "import \"std/policies\"\nimport \"./shared.hplan\"",
            1,
        )
        .replacen("policy = hardened", "policy = shared.common", 1);
    let shared =
        "policy common extends policies.baseline { alerting { email = [\"ops@example.org\"] } }\n";
    let shared = format!("import \"std/policies\"\n{shared}");
    let mut client = Client::start(&[("plan.hplan", &plan), ("shared.hplan", &shared)]);
    client.open("plan.hplan", &plan);
    assert_eq!(
        codes(&client.diagnostics("plan.hplan")),
        ["W0001"],
        "the unused policy `hardened` is the only finding"
    );
    // The imported file is opened and edited without saving: the plan sees the edit.
    client.open("shared.hplan", &shared);
    client.change(
        "shared.hplan",
        2,
        &shared.replacen("policy common", "policy renamed", 1),
    );
    let diagnostics = client.diagnostics("plan.hplan");
    assert_eq!(codes(&diagnostics), ["W0001", "E1002"]);
    assert!(diagnostics[1]["message"]
        .as_str()
        .unwrap()
        .starts_with("no policy named `shared.common`"));
    // Closing the buffer without saving goes back to the file on disk.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": client.uri("shared.hplan") } }),
    );
    assert_eq!(codes(&client.diagnostics("plan.hplan")), ["W0001"]);
}

#[test]
fn an_imported_file_opened_alone_is_checked_as_part_of_its_plan() {
    let plan = PLAN
        .replacen(
            "import \"std/policies\"",
            "import \"std/policies\"\nimport \"./shared.hplan\"",
            1,
        )
        .replacen("policy = hardened", "policy = shared.common", 1);
    let shared = "import \"std/policies\"\npolicy common extends policies.baseline { alerting { email = [\"ops@example.org\"] } }\n";
    let mut client = Client::start(&[("plan.hplan", &plan), ("shared.hplan", shared)]);
    client.open("shared.hplan", &shared.replacen("email", "emial", 1));
    let diagnostics = client.diagnostics("shared.hplan");
    assert_eq!(
        codes(&diagnostics),
        ["E2103"],
        "no complaint that the file has no plan block"
    );
}

#[test]
fn the_server_survives_bad_params_panics_random_text_and_random_bytes_on_disk() {
    let plan = PLAN.replacen(
        "import \"std/policies\"",
        "import \"std/policies\"\nimport \"./shared.hplan\"",
        1,
    );
    let shared = "policy common { encryption = at_rest }\n";
    let mut client = Client::start(&[("plan.hplan", &plan), ("shared.hplan", shared)]);
    client.open("plan.hplan", &plan);
    client.diagnostics("plan.hplan");

    let response = client.request("textDocument/hover", json!({ "textDocument": 42 }));
    assert_eq!(
        response.error.unwrap().code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    let response = client.request("hostplan/testPanic", Value::Null);
    assert_eq!(
        response.error.unwrap().code,
        lsp_server::ErrorCode::InternalError as i32
    );
    let response = client.request("textDocument/unknownThing", json!({}));
    assert_eq!(
        response.error.unwrap().code,
        lsp_server::ErrorCode::MethodNotFound as i32
    );

    // The buffer becomes random text, including control characters and astral characters.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let random: String = (0..4000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from_u32((state % 0x1_0000) as u32 | if state & 7 == 0 { 0x1_f000 } else { 0 })
                .unwrap_or('\u{fffd}')
        })
        .collect();
    client.change("plan.hplan", 2, &random);
    client.diagnostics("plan.hplan");
    for line in 0..5 {
        let params = client.position_params("plan.hplan", json!({ "line": line, "character": 3 }));
        for method in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
        ] {
            let response = client.request(method, params.clone());
            assert!(response.error.is_none(), "{method}: {:?}", response.error);
        }
    }

    // An imported file on disk is replaced by bytes that are not text.
    client.change("plan.hplan", 3, &plan);
    let bytes: Vec<u8> = (0..2000u32)
        .map(|it| (it.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(client.path("shared.hplan"), bytes).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri("shared.hplan"), "type": 2 }] }),
    );
    let diagnostics = client.diagnostics("plan.hplan");
    assert!(
        codes(&diagnostics).contains(&"E1001".to_string()),
        "{diagnostics:?}"
    );
    let (text, position) =
        cursor(&plan.replacen("  policy = hardened", "  policy = hard$0ened", 1));
    client.change("plan.hplan", 4, &text);
    let hover = client.result(
        "textDocument/hover",
        client.position_params("plan.hplan", position),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("policy **`hardened`**"));
}

#[test]
fn stdlib_directory_is_named_by_content() {
    let root = Path::new("/cache");
    assert_eq!(
        crate::stdlib::directory(root),
        crate::stdlib::directory(root)
    );
    assert!(crate::stdlib::directory(root)
        .to_str()
        .unwrap()
        .starts_with("/cache/std-"));
}

#[test]
fn a_file_created_on_disk_satisfies_a_pending_import() {
    let plan = PLAN.replacen(
        "import \"std/policies\"",
        "import \"std/policies\"\nimport \"./later.hplan\"",
        1,
    );
    let mut client = Client::start(&[("plan.hplan", &plan)]);
    client.open("plan.hplan", &plan);
    assert_eq!(codes(&client.diagnostics("plan.hplan")), ["E1001"]);
    std::fs::write(client.path("later.hplan"), "# Nothing yet.\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri("later.hplan"), "type": 1 }] }),
    );
    assert!(client.diagnostics("plan.hplan").is_empty());
}

#[test]
fn the_server_asks_a_capable_client_to_watch_plan_files() {
    let (server_conn, conn) = Connection::memory();
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join(".cache");
    let server = std::thread::spawn(move || {
        crate::run(
            &server_conn,
            Config {
                cache_dir: Some(cache_dir),
            },
        )
        .unwrap();
    });
    let capabilities =
        json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let initialize = Request::new(
        RequestId::from(1),
        "initialize".to_string(),
        json!({ "capabilities": capabilities }),
    );
    conn.sender.send(Message::Request(initialize)).unwrap();
    let mut registration = None;
    while registration.is_none() {
        match conn.receiver.recv_timeout(TIMEOUT).unwrap() {
            Message::Response(_) => conn
                .sender
                .send(Message::Notification(Notification::new(
                    "initialized".to_string(),
                    json!({}),
                )))
                .unwrap(),
            Message::Request(request) => registration = Some(request),
            Message::Notification(_) => {}
        }
    }
    let registration = registration.unwrap();
    assert_eq!(registration.method, "client/registerCapability");
    assert_eq!(
        registration.params["registrations"][0]["method"],
        "workspace/didChangeWatchedFiles"
    );
    assert_eq!(
        registration.params["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"],
        "**/*.hplan"
    );
    conn.sender
        .send(Message::Response(Response::new_ok(
            registration.id,
            Value::Null,
        )))
        .unwrap();
    conn.sender
        .send(Message::Request(Request::new(
            RequestId::from(2),
            "shutdown".to_string(),
            Value::Null,
        )))
        .unwrap();
    conn.sender
        .send(Message::Notification(Notification::new(
            "exit".to_string(),
            Value::Null,
        )))
        .unwrap();
    server.join().unwrap();
}

#[test]
fn a_quick_fix_adds_a_missing_required_field() {
    let mut client = Client::start(&[]);
    let text = PLAN.replacen("  domain = \"cht.example.org\"\n", "", 1);
    client.open("plan.hplan", &text);
    assert_eq!(codes(&client.diagnostics("plan.hplan")), ["E2102"]);
    let line = text
        .lines()
        .position(|it| it == "environment prod {")
        .unwrap();
    let params = json!({
        "textDocument": { "uri": client.uri("plan.hplan") },
        "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 0 } },
        "context": { "diagnostics": [] },
    });
    let actions = client.result("textDocument/codeAction", params);
    assert_eq!(actions[0]["title"], "add `domain = \"\"`");
    assert_eq!(actions[0]["isPreferred"], true);
    let edit = &actions[0]["edit"]["documentChanges"][0]["edits"][0];
    let fixed = apply(&text, edit);
    assert!(
        fixed.contains("  policy = hardened\n  domain = \"\"\n}"),
        "{fixed}"
    );
    client.change("plan.hplan", 2, &fixed);
    assert_eq!(
        codes(&client.diagnostics("plan.hplan")),
        ["E2112"],
        "an empty domain is the next thing to fix"
    );
}

/// The diagnostics `hostplan check` gives for `text` as `plan.hplan`, as codes and UTF-16
/// ranges, for comparison with what the server published.
fn full_check(text: &str) -> Vec<(String, Value)> {
    let loader = hostplan_core::MemoryLoader {
        files: vec![("plan.hplan".to_string(), std::sync::Arc::from(text))],
    };
    let analysis = hostplan_core::analyze(
        &loader,
        "plan.hplan",
        &mut hostplan_core::modules::ParseCache::default(),
    )
    .unwrap();
    let index = hostplan_diagnostics::LineIndex::new(text);
    let file = crate::convert::FileText {
        text,
        index: &index,
    };
    let mut out: Vec<(String, Value)> = analysis
        .diagnostics
        .iter()
        .filter(|it| analysis.workspace.sources.path(it.primary.span.file) == "plan.hplan")
        .map(|it| {
            let range = serde_json::to_value(file.range(it.primary.span.range)).unwrap();
            (it.code.code.to_string(), range)
        })
        .collect();
    out.sort_by_key(|(code, range)| format!("{range}{code}"));
    out
}

#[test]
fn after_random_incremental_edits_the_server_agrees_with_a_full_check() {
    let mut client = Client::start(&[]);
    let mut text = PLAN.to_string();
    client.open("plan.hplan", &text);
    client.diagnostics("plan.hplan");
    let snippets = [
        "}",
        "{",
        "\"",
        "x",
        "\n",
        " = ",
        "é😀",
        "# c\n",
        "[",
        "5d",
        "policy q {}\n",
        "",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for version in 2..60 {
        // Positions in UTF-16 units, sometimes inside a surrogate pair or past a line's end,
        // as a careless client might send them; the server clamps them as `offset_of_utf16`
        // does, and the test applies the same edit the same way.
        let index = hostplan_diagnostics::LineIndex::new(&text);
        let lines = index.line_count() as u64;
        let line = (next() % lines) as u32;
        let start = lsp_types::Position {
            line,
            character: (next() % 40) as u32,
        };
        let end_line = (line + (next() % 2) as u32).min(lines as u32 - 1);
        let end = lsp_types::Position {
            line: end_line,
            character: (next() % 40) as u32,
        };
        let new_text = snippets[(next() % snippets.len() as u64) as usize];
        let file = crate::convert::FileText {
            text: &text,
            index: &index,
        };
        let range = file.text_range(lsp_types::Range { start, end });
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": client.uri("plan.hplan"), "version": version },
                "contentChanges": [{ "range": { "start": start, "end": end }, "text": new_text }]
            }),
        );
        text.replace_range(range.start as usize..range.end as usize, new_text);
        let mut published: Vec<(String, Value)> = client
            .diagnostics("plan.hplan")
            .iter()
            .map(|it| {
                (
                    it["code"].as_str().unwrap().to_string(),
                    it["range"].clone(),
                )
            })
            .collect();
        published.sort_by_key(|(code, range)| format!("{range}{code}"));
        assert_eq!(
            published,
            full_check(&text),
            "after edit {version}, the text is:\n{text}"
        );
    }
}
