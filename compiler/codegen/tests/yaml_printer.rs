//! The YAML printer against real readers: everything it prints must read back
//! as the tree it was given, with a YAML 1.2 reader (saphyr) always and with
//! a YAML 1.1 reader (PyYAML, as used by docker-compose v1) when one is
//! installed; YAML 1.1 traps must be quoted; and the layout is pinned by
//! exact expected outputs.

use hostplan_codegen::doc::{Document, Map, Node, Seq};
use hostplan_codegen::yaml;
use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use serde_json::Value;

/// Strings that have tripped YAML emitters or readers.
fn tricky_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "", " ", "  leading", "trailing ", "\t", "tab\tinside", "plain", "two words",
        // YAML 1.1 booleans and nulls in several cases.
        "yes", "Yes", "YES", "yEs", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y",
        "Y", "n", "N", "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL",
        "~",
        // Numbers in every notation.
        "0", "1", "-1", "+1", "007", "0755", "0o7", "0o17", "0x1F", "0xff", "0b101",
        "0b1010_0111", "1_000", "1__0", "1,000", ".5", "-.5", "+.5", "5.", "1e3", "1E3", "1e+3",
        "1.0e+3", "6.8523015e+5", "685.230_15e+03", ".inf", "-.inf", "+.Inf", ".NaN", ".nan",
        "NaN", "inf", "Infinity", "0.1", "1.27.0", "5.2.0", "3d", "12abc",
        // Base-60 numbers, ports and addresses.
        "22:22", "190:20:30", "190:20:30.15", "1:2", "12:30:45", "0:0", "8080:80",
        "127.0.0.1:8080:80", "8080:80/tcp", "[::1]:80",
        // Dates and timestamps.
        "2024-01-01", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14",
        "20240101", "2024-1-1",
        // Indicators and structure.
        "<<", "=", "-", "--", "---", "----", "...", "....", "- item", "-item", "--flag",
        "--max-old-space-size=4096", "?", "? x", "?x", ":", ":x", "x:", "x: y", "x:y", "a #b",
        "a#b", "#x", "# comment", "&anchor", "*alias", "!tag", "!!str", "|", "|-", ">", ">-",
        "'single'", "\"double\"", "it's", "say \"hi\"", "%YAML", "%x", "@at", "`tick`", "[a]",
        "{a: 1}", "a, b", "a,b", "{", "}", "[", "]", ",x", "a]", "a}", "x:\ty", "x :y",
        // Compose interpolation and URLs.
        "${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}", "${NGINX_HTTP_PORT:-80}:80",
        "${API_PORT:-5988}", "$HOME", "COUCH_URL=http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD}@haproxy:${HAPROXY_PORT:-5984}/medic",
        "http://example.com:8080/path?q=1#frag", "https://x.y/a b", "cht-ssl:${SSL_VOLUME_MOUNT_PATH:-/etc/nginx/private/}",
        // Multi-line text.
        "line\nbreak", "two\nlines\n", "keep\n\n", "keep more\n\n\n", "\nleading newline",
        "  indented\nblock\n", "\n  indented after blank\n", "trailing space \nline", "\r\n",
        "cr\rcr", "multi\nline with: colon\n- dash\n# hash\n", "---\n...\n", "tab\tin\nblock\n",
        "\tleading tab\nx\n", "\n", "\n\n", "a\n \nb", "#!/bin/sh\nset -eu\necho \"${X}\"\n",
        // Characters outside plain ASCII.
        "nel\u{85}x", "ls\u{2028}x", "ps\u{2029}x", "bom\u{feff}x", "\u{feff}", "nul\0x",
        "bell\u{7}", "del\u{7f}", "c1\u{9f}", "nbsp\u{a0}", "\u{a0}edge", "emoji 🙂", "中文",
        "Zürich", "e\u{301}", "\u{fffe}", "\u{ffff}", "\u{10ffff}", "𝒜",
        // Backslashes.
        "\\backslash", "back\\slash\\", "\\n literal", "a\\\"b", "C:\\path\\x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(2000));
    v.push(format!("{}: y", "k".repeat(1500)));
    v.push(format!("long\n{}\n", "z ".repeat(600).trim_end()));
    v
}

/// A deterministic generator of many strings built from dangerous
/// fragments, so the round trip is exercised far beyond the hand-made list.
fn generated_strings(count: usize) -> Vec<String> {
    const FRAGMENTS: &[&str] = &[
        "a", "Z", "yes", "no", "on", "0", "1", "9", "0x", "0o", "0b", "e", "E", "_", ".", ":",
        ": ", " ", "  ", "#", " #", "-", "- ", "?", "!", "&", "*", "|", ">", "'", "\"", "%", "@",
        "`", ",", "[", "]", "{", "}", "${", "$", "\\", "\n", "\n\n", "\t", "\r", "\u{85}", "é",
        "🙂", "null", "~", "<<", "=", "---", "...", "2024-", "inf", "nan", "\0",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let parts = 1 + (next() % 6) as usize;
            (0..parts)
                .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
                .collect::<String>()
        })
        .collect()
}

/// What a YAML 1.2 reader made of the text, as JSON with key order kept.
fn read_back(text: &str) -> Vec<Value> {
    let docs = YamlOwned::load_from_str(text)
        .unwrap_or_else(|e| panic!("saphyr rejected the output: {e}\n---\n{text}"));
    docs.iter().map(|d| to_json(d, text)).collect()
}

fn to_json(node: &YamlOwned, text: &str) -> Value {
    match node {
        YamlOwned::Value(ScalarOwned::Null) => Value::Null,
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Value::Bool(*b),
        YamlOwned::Value(ScalarOwned::Integer(i)) => Value::from(*i),
        YamlOwned::Value(ScalarOwned::FloatingPoint(f)) => {
            serde_json::Number::from_f64(f.into_inner())
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(format!("non-finite {f}")))
        }
        YamlOwned::Value(ScalarOwned::String(s)) => Value::String(s.clone()),
        YamlOwned::Sequence(items) => {
            Value::Array(items.iter().map(|i| to_json(i, text)).collect())
        }
        YamlOwned::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    YamlOwned::Value(ScalarOwned::String(s)) => s.clone(),
                    other => panic!("non-string key {other:?} in\n{text}"),
                };
                out.insert(key, to_json(v, text));
            }
            Value::Object(out)
        }
        other => panic!("unexpected node {other:?} in\n{text}"),
    }
}

/// Compares as serialized text so that key order counts.
fn assert_same(expected: &Value, actual: &Value, text: &str) {
    let e = serde_json::to_string(expected).unwrap_or_default();
    let a = serde_json::to_string(actual).unwrap_or_default();
    assert_eq!(e, a, "printed text:\n{text}");
}

/// Trees that put `s` in every position the printer treats differently.
fn trees_for(s: &str) -> Vec<Node> {
    vec![
        Node::from(Map::new().with("key", s)),
        Node::from(Map::new().with(s.to_string(), "value")),
        Node::from(Map::new().with(s.to_string(), Map::new().with(s.to_string(), s))),
        Node::from(
            Seq::new()
                .with(s)
                .with(Map::new().with("k", s).with(s.to_string(), s))
                .with(Seq::new().with(s)),
        ),
        Node::from(
            Map::new().with(
                "a",
                Seq::new().with(
                    Map::new()
                        .with("b", s)
                        .with("c", Seq::new().with(s).with(s)),
                ),
            ),
        ),
        Node::from(s),
    ]
}

fn check_round_trip(strings: &[String]) -> usize {
    let mut checked = 0;
    for s in strings {
        for tree in trees_for(s) {
            let text = yaml::to_string(&tree);
            let docs = read_back(&text);
            assert_eq!(docs.len(), 1, "one document expected:\n{text}");
            assert_same(&tree.to_json(), &docs[0], &text);
            checked += 1;
        }
    }
    checked
}

#[test]
fn tricky_strings_round_trip_through_a_yaml_1_2_reader() {
    let checked = check_round_trip(&tricky_strings());
    assert!(checked > 1000);
}

#[test]
fn generated_strings_round_trip_through_a_yaml_1_2_reader() {
    let checked = check_round_trip(&generated_strings(3000));
    assert_eq!(checked, 3000 * 6);
}

#[test]
fn yaml_1_1_traps_are_always_quoted() {
    // Each of these is a string to a YAML 1.2 reader but something else to a
    // YAML 1.1 reader (go-yaml v2 in kubectl, PyYAML in docker-compose v1).
    let traps = [
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "y",
        "Y",
        "n",
        "N",
        "0755",
        "0b101",
        "0b1010_0111",
        "1_000",
        "+685_230",
        "22:22",
        "190:20:30",
        "190:20:30.15",
        "1e3",
        "6.8523015e+5",
        "685.230_15e+03",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "<<",
        "=",
        ".5",
        "+.5",
        "0x1F",
        "0o7",
        "1.0",
        "-0",
    ];
    for trap in traps {
        assert!(!yaml::is_plain_safe(trap), "{trap:?} must be quoted");
        let value = yaml::to_string(&Node::from(Map::new().with("k", trap)));
        assert_eq!(value, format!("k: \"{trap}\"\n"));
        let key = yaml::to_string(&Node::from(Map::new().with(trap, "v")));
        assert_eq!(key, format!("\"{trap}\": v\n"));
    }
}

#[test]
fn compose_interpolations_stay_plain_and_round_trip() {
    let values = [
        "${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}",
        "${NGINX_HTTP_PORT:-80}:80",
        "cht-ssl:${SSL_VOLUME_MOUNT_PATH:-/etc/nginx/private/}",
        "COUCH_URL=http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD}@haproxy:${HAPROXY_PORT:-5984}/medic",
    ];
    for v in values {
        assert!(yaml::is_plain_safe(v), "{v} should need no quotes");
    }
    check_round_trip(&values.map(String::from));
}

/// Runs PyYAML (a YAML 1.1 reader) over every printed document, when Python
/// with PyYAML is installed; the project's test command does not require it,
/// so its absence is reported and the test passes.
#[test]
fn printed_yaml_reads_the_same_in_pyyaml_when_available() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let script = r#"
import json, sys
try:
    import yaml
except ImportError:
    print("NO-PYYAML")
    sys.exit(0)
out = []
for text in json.load(sys.stdin):
    try:
        out.append(json.dumps(yaml.safe_load(text), default=repr, ensure_ascii=False))
    except Exception as e:
        out.append("ERROR " + type(e).__name__ + ": " + str(e))
print(json.dumps(out))
"#;
    let mut strings = tricky_strings();
    strings.extend(generated_strings(1000));
    let mut texts = Vec::new();
    let mut expected = Vec::new();
    for s in &strings {
        for tree in trees_for(s) {
            texts.push(yaml::to_string(&tree));
            expected.push(tree.to_json());
        }
    }
    let child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    let input = serde_json::to_string(&texts).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).ok();
    }
    let output = child.wait_with_output().expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if stdout.trim() == "NO-PYYAML" || !output.status.success() {
        eprintln!("skipped: PyYAML is not installed");
        return;
    }
    let results: Vec<String> = serde_json::from_str(stdout.trim()).expect("PyYAML output is JSON");
    assert_eq!(results.len(), texts.len());
    let mut failures = Vec::new();
    for ((text, want), got) in texts.iter().zip(&expected).zip(&results) {
        let want = serde_json::to_string(want).unwrap_or_default();
        let got_value: Option<Value> = serde_json::from_str(got).ok();
        let got_norm = got_value.map(|v| serde_json::to_string(&v).unwrap_or_default());
        if got_norm.as_deref() != Some(want.as_str()) {
            failures.push(format!("printed:\n{text}want: {want}\ngot:  {got}\n"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents read differently by PyYAML:\n{}",
        failures.len(),
        texts.len(),
        failures.iter().take(10).cloned().collect::<String>()
    );
}

#[test]
fn layout_of_a_compose_like_document() {
    let service = Map::new()
        .with("image", "public.ecr.aws/medic/cht-api:5.2.0")
        .with_commented("restart", "always", "Restart after crashes and host reboots.")
        .with("depends_on", Seq::new().with("haproxy"))
        .with(
            "environment",
            Seq::new()
                .with("COUCH_URL=http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}@haproxy:5984/medic")
                .with("API_PORT=5988"),
        )
        .with("ports", Seq::new().with("${NGINX_HTTP_PORT:-80}:80").with("22:22"))
        .with(
            "logging",
            Map::new().with("driver", "local").with(
                "options",
                Map::new().with("max-size", "50m").with("max-file", "20"),
            ),
        )
        .with("deploy", Map::new().with("resources", Map::new().with("limits", Map::new().with("memory", "1G"))));
    let root = Map::new()
        .with("services", Map::new().with("api", service))
        .with("volumes", Map::new().with("cht-ssl", Map::new()))
        .with(
            "networks",
            Map::new().with("cht-net", Map::new().with("name", "cht-net")),
        );
    let doc = Document::new(root)
        .with_header("Generated by hostplan from plans/national.hplan. Do not edit.");
    let expected = r#"# Generated by hostplan from plans/national.hplan. Do not edit.
services:
  api:
    image: public.ecr.aws/medic/cht-api:5.2.0
    # Restart after crashes and host reboots.
    restart: always
    depends_on:
      - haproxy
    environment:
      - COUCH_URL=http://${COUCHDB_USER:-admin}:${COUCHDB_PASSWORD:?COUCHDB_PASSWORD must be set}@haproxy:5984/medic
      - API_PORT=5988
    ports:
      - ${NGINX_HTTP_PORT:-80}:80
      - "22:22"
    logging:
      driver: local
      options:
        max-size: 50m
        max-file: "20"
    deploy:
      resources:
        limits:
          memory: 1G
volumes:
  cht-ssl: {}
networks:
  cht-net:
    name: cht-net
"#;
    assert_eq!(yaml::document(&doc), expected);
}

#[test]
fn layout_of_kubernetes_documents() {
    let deployment = Map::new()
        .with("apiVersion", "apps/v1")
        .with("kind", "Deployment")
        .with(
            "metadata",
            Map::new()
                .with("name", "api")
                .with("labels", Map::new().with("app.kubernetes.io/name", "api")),
        )
        .with(
            "spec",
            Map::new().with("replicas", 2).with(
                "template",
                Map::new().with(
                    "spec",
                    Map::new().with(
                        "containers",
                        Seq::new().with_commented(
                            Map::new()
                                .with_commented(
                                    "name",
                                    "api",
                                    "The API serves the app and the REST API.",
                                )
                                .with("image", "public.ecr.aws/medic/cht-api:5.2.0")
                                .with(
                                    "args",
                                    Seq::new().with("--max-old-space-size=4096").with("-v"),
                                )
                                .with(
                                    "ports",
                                    Seq::new().with(Map::new().with("containerPort", 5988)),
                                )
                                .with(
                                    "env",
                                    Seq::new().with(
                                        Map::new().with("name", "COUCH_URL").with(
                                            "valueFrom",
                                            Map::new().with(
                                                "secretKeyRef",
                                                Map::new()
                                                    .with("name", "cht-couchdb")
                                                    .with("key", "COUCH_URL"),
                                            ),
                                        ),
                                    ),
                                )
                                .with(
                                    "resources",
                                    Map::new().with(
                                        "limits",
                                        Map::new().with("cpu", "1").with("memory", "2Gi"),
                                    ),
                                ),
                            "One container per pod.",
                        ),
                    ),
                ),
            ),
        );
    let config = Map::new()
        .with("apiVersion", "v1")
        .with("kind", "ConfigMap")
        .with("metadata", Map::new().with("name", "flags"))
        .with(
            "data",
            Map::new()
                .with("FEATURE", "yes")
                .with("MODE", "0755")
                .with("script.sh", "#!/bin/sh\nset -eu\n  indented\n")
                .with("banner", "  starts with spaces\nsecond")
                .with("empty", "")
                .with("list", Seq::new())
                .with("nothing", Node::Null)
                .with("ratio", Node::float(0.5).unwrap_or(Node::Null))
                .with("on", true),
        );
    let text = yaml::documents(&[
        Document::new(deployment)
            .with_header("Generated by hostplan from plan.hplan. Do not edit."),
        Document::new(config),
    ]);
    let expected = r#"# Generated by hostplan from plan.hplan. Do not edit.
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    app.kubernetes.io/name: api
spec:
  replicas: 2
  template:
    spec:
      containers:
        # One container per pod.
        # The API serves the app and the REST API.
        - name: api
          image: public.ecr.aws/medic/cht-api:5.2.0
          args:
            - --max-old-space-size=4096
            - -v
          ports:
            - containerPort: 5988
          env:
            - name: COUCH_URL
              valueFrom:
                secretKeyRef:
                  name: cht-couchdb
                  key: COUCH_URL
          resources:
            limits:
              cpu: "1"
              memory: 2Gi
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
data:
  FEATURE: "yes"
  MODE: "0755"
  script.sh: |
    #!/bin/sh
    set -eu
      indented
  banner: |2-
      starts with spaces
    second
  empty: ""
  list: []
  nothing: null
  ratio: 0.5
  "on": true
"#;
    assert_eq!(text, expected);
    let docs = read_back(&text);
    assert_eq!(docs.len(), 2);
}

#[test]
fn nested_sequences_and_hoisted_comments() {
    let tree = Node::from(
        Seq::new()
            .with_commented(Seq::new().with_commented("a", "inner").with("b"), "outer")
            .with(Seq::new())
            .with(Map::new())
            .with(
                Seq::new().with(
                    Map::new()
                        .with_commented("x", 1, "x's comment")
                        .with("y", 2),
                ),
            ),
    );
    let expected = r#"# outer
# inner
- - a
  - b
- []
- {}
# x's comment
- - x: 1
    "y": 2
"#;
    let text = yaml::to_string(&tree);
    assert_eq!(text, expected);
    assert_same(&tree.to_json(), &read_back(&text)[0], &text);
}

#[test]
fn scalars_at_the_root_and_empty_streams() {
    assert_eq!(yaml::to_string(&Node::Null), "null\n");
    assert_eq!(yaml::to_string(&Node::from(Map::new())), "{}\n");
    assert_eq!(yaml::to_string(&Node::from(Seq::new())), "[]\n");
    assert_eq!(yaml::to_string(&Node::from("a\nb")), "\"a\\nb\"\n");
    assert_eq!(
        yaml::to_string(&Node::Int(i64::MIN)),
        "-9223372036854775808\n"
    );
    assert_eq!(yaml::documents(&[]), "");
    assert_eq!(yaml::documents(&[Document::new(Node::Null)]), "---\nnull\n");
}

#[test]
fn very_long_keys_use_the_explicit_form() {
    let key = "k".repeat(1200);
    let tree = Node::from(
        Map::new()
            .with(key.clone(), Map::new().with("a", 1))
            .with("b", "x\ny\n"),
    );
    let text = yaml::to_string(&tree);
    assert!(text.starts_with(&format!("? {key}\n:\n  a: 1\n")), "{text}");
    assert_same(&tree.to_json(), &read_back(&text)[0], &text);
}

#[test]
fn printing_is_deterministic() {
    let strings = generated_strings(200);
    let tree = Node::from(
        strings
            .iter()
            .map(|s| (s.clone(), Node::from(s)))
            .collect::<Map>(),
    );
    assert_eq!(yaml::to_string(&tree), yaml::to_string(&tree.clone()));
}
