//! Checks that generated files are valid for the tools that consume them.
//!
//! The test suites call these on every output Hostplan writes:
//!
//! * YAML is read with a real YAML 1.2 parser (saphyr-parser) into JSON,
//!   rejecting duplicate keys, and every plain scalar is checked against the
//!   YAML 1.1 rules of PyYAML (docker-compose v1) and go-yaml v2 (`kubectl`):
//!   a scalar those readers resolve differently from a YAML 1.2 reader (`yes`,
//!   `0755`, `22:22`, `2024-01-01`, ...) is reported as a trap.
//! * Compose files are checked against the Compose specification schema
//!   (draft-07), plus the cross references `docker compose config` checks
//!   (services in `depends_on`, named volumes, networks, secrets, configs).
//! * Kubernetes manifests are checked document by document against the
//!   strict Kubernetes 1.33 schema of their `apiVersion` and `kind` (unknown
//!   fields rejected; an unknown kind is an error).
//! * SARIF logs are checked against the SARIF 2.1.0 schema (draft-04).
//! * HCL is parsed with hcl-rs, which rejects repeated attributes as
//!   HashiCorp's parser does.
//!
//! Schemas are embedded from `tests/schemas/` (see its `SOURCES.md`) and
//! compiled once per process, so calling the helpers in a loop is cheap.

use regex::Regex;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// YAML reading

/// Reads a single-document YAML text as JSON (YAML 1.2 core schema, key
/// order kept). Errors on syntax errors, duplicate keys, complex keys,
/// unsupported tags, NaN or infinities, and on a stream that does not hold
/// exactly one document. YAML 1.1 traps are not errors here; see
/// [`check_yaml11_traps`].
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let mut docs = parse_yaml(text)?;
    if docs.len() != 1 {
        return Err(format!("expected one YAML document, found {}", docs.len()));
    }
    Ok(docs.remove(0).value)
}

/// Reads every document of a YAML stream as JSON, with the same rules as
/// [`yaml_to_json`].
pub fn yaml_documents_to_json(text: &str) -> Result<Vec<Value>, String> {
    Ok(parse_yaml(text)?.into_iter().map(|d| d.value).collect())
}

/// Reports every plain scalar that a YAML 1.1 reader (PyYAML, go-yaml v2)
/// resolves differently from a YAML 1.2 reader, and syntax errors.
pub fn check_yaml11_traps(text: &str) -> Result<(), Vec<String>> {
    let docs = parse_yaml(text).map_err(|e| vec![e])?;
    let traps: Vec<String> = docs.into_iter().flat_map(|d| d.traps).collect();
    if traps.is_empty() {
        Ok(())
    } else {
        Err(traps)
    }
}

struct ParsedDoc {
    value: Value,
    traps: Vec<String>,
}

enum Frame {
    Seq {
        anchor: usize,
        items: Vec<Value>,
    },
    Map {
        anchor: usize,
        entries: Map<String, Value>,
        /// The key waiting for its value, and whether it is the merge key.
        pending: Option<(String, bool)>,
        merges: Vec<Value>,
        line: usize,
    },
}

struct YamlReader {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    traps: Vec<String>,
}

impl YamlReader {
    /// Places a finished value into the enclosing collection (or as the
    /// document root), remembering it under its anchor.
    fn place(&mut self, value: Value, anchor: usize, line: usize) -> Result<(), String> {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending,
                merges,
                ..
            }) => match pending.take() {
                None => Err(format!(
                    "line {line}: a collection or alias used as a mapping key is not supported"
                )),
                Some((_, true)) => {
                    merges.push(value);
                    Ok(())
                }
                Some((key, false)) => {
                    if entries.contains_key(&key) {
                        return Err(format!("line {line}: duplicate key {key:?}"));
                    }
                    entries.insert(key, value);
                    Ok(())
                }
            },
        }
    }

    /// True when the next scalar is a mapping key.
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending: None, .. }))
    }
}

fn parse_yaml(text: &str) -> Result<Vec<ParsedDoc>, String> {
    let mut docs = Vec::new();
    let mut reader = YamlReader {
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        traps: Vec::new(),
    };
    for event in Parser::new_from_str(text) {
        let (event, span): (Event, Span) = event.map_err(|e| {
            format!(
                "YAML syntax error at line {}, column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            )
        })?;
        let line = span.start.line();
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_) => {
                reader.root = None;
                reader.anchors.clear();
                reader.traps.clear();
            }
            Event::DocumentEnd => {
                docs.push(ParsedDoc {
                    value: reader.root.take().unwrap_or(Value::Null),
                    traps: std::mem::take(&mut reader.traps),
                });
            }
            Event::Alias(id) => {
                let value = reader
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("line {line}: alias to an unknown anchor"))?;
                reader.place(value, 0, line)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain && tag.is_none();
                // A plain `<<` key is a merge key on purpose (Compose files use
                // it, and Compose reads it as one); anywhere else it is a trap.
                let merge_key = plain && text == "<<" && reader.expecting_key();
                if plain && !merge_key {
                    if let Some(trap) = yaml11_trap(&text) {
                        reader.traps.push(format!(
                            "line {line}: plain scalar {text:?} {trap}; quote it"
                        ));
                    }
                }
                if reader.expecting_key() {
                    if tag.as_deref().is_some_and(|t| !is_str_tag(t)) {
                        return Err(format!(
                            "line {line}: tagged mapping keys are not supported"
                        ));
                    }
                    let is_merge = plain && text == "<<";
                    if let Some(Frame::Map { pending, .. }) = reader.stack.last_mut() {
                        *pending = Some((text.to_string(), is_merge));
                    }
                    if anchor != 0 {
                        reader
                            .anchors
                            .insert(anchor, Value::String(text.to_string()));
                    }
                } else {
                    let value = resolve_scalar(&text, style, tag.as_deref())
                        .map_err(|e| format!("line {line}: {e}"))?;
                    reader.place(value, anchor, line)?;
                }
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", line)?;
                if reader.expecting_key() {
                    return Err(format!(
                        "line {line}: a sequence used as a mapping key is not supported"
                    ));
                }
                reader.stack.push(Frame::Seq {
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", line)?;
                if reader.expecting_key() {
                    return Err(format!(
                        "line {line}: a mapping used as a mapping key is not supported"
                    ));
                }
                reader.stack.push(Frame::Map {
                    anchor,
                    entries: Map::new(),
                    pending: None,
                    merges: Vec::new(),
                    line,
                });
            }
            Event::SequenceEnd => match reader.stack.pop() {
                Some(Frame::Seq { anchor, items }) => {
                    reader.place(Value::Array(items), anchor, line)?
                }
                _ => return Err(format!("line {line}: unbalanced sequence end")),
            },
            Event::MappingEnd => match reader.stack.pop() {
                Some(Frame::Map {
                    anchor,
                    mut entries,
                    merges,
                    line: start,
                    ..
                }) => {
                    apply_merges(&mut entries, merges, start)?;
                    reader.place(Value::Object(entries), anchor, line)?;
                }
                _ => return Err(format!("line {line}: unbalanced mapping end")),
            },
        }
    }
    Ok(docs)
}

/// Applies YAML merge keys (`<<: *defaults`): merged entries never override
/// keys written in the mapping itself, and earlier merge sources win over
/// later ones.
fn apply_merges(
    entries: &mut Map<String, Value>,
    merges: Vec<Value>,
    line: usize,
) -> Result<(), String> {
    let mut sources = Vec::new();
    for merge in merges {
        match merge {
            Value::Object(map) => sources.push(map),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(map) => sources.push(map),
                        _ => return Err(format!("line {line}: merge key needs mappings")),
                    }
                }
            }
            _ => return Err(format!("line {line}: merge key needs a mapping")),
        }
    }
    for source in sources {
        for (k, v) in source {
            if !entries.contains_key(&k) {
                entries.insert(k, v);
            }
        }
    }
    Ok(())
}

fn is_str_tag(tag: &Tag) -> bool {
    tag.is_yaml_core_schema() && tag.suffix == "str"
}

fn check_collection_tag(tag: Option<&Tag>, expected: &str, line: usize) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if t.is_yaml_core_schema() && t.suffix == expected => Ok(()),
        Some(t) => Err(format!("line {line}: unsupported tag {t}")),
    }
}

/// A scalar as JSON under the YAML 1.2 core schema.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(format!("unsupported tag {tag}"));
        }
        let resolved = resolve_yaml12(text);
        return match (tag.suffix.as_str(), resolved) {
            ("str", _) => Ok(Value::String(text.to_string())),
            ("null", Resolved::Null)
            | ("bool", Resolved::Bool(_))
            | ("int", Resolved::Int(_))
            | ("float", Resolved::Int(_) | Resolved::Float(_)) => {
                to_json_value(text, resolve_yaml12(text))
            }
            (suffix, _) => Err(format!("{text:?} is not a valid !!{suffix}")),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    to_json_value(text, resolve_yaml12(text))
}

fn to_json_value(text: &str, resolved: Resolved) -> Result<Value, String> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => {
            if let Ok(v) = i64::try_from(i) {
                Value::from(v)
            } else if let Ok(v) = u64::try_from(i) {
                Value::from(v)
            } else {
                return Err(format!("integer {text} does not fit in 64 bits"));
            }
        }
        Resolved::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{text} is not a finite number; JSON cannot hold it"))?,
        Resolved::Str
        | Resolved::Timestamp
        | Resolved::Merge
        | Resolved::ValueKey
        | Resolved::LoadError => Value::String(text.to_string()),
    })
}

// ---------------------------------------------------------------------------
// Scalar resolution under YAML 1.2 and the two YAML 1.1 readers that matter

/// What a reader makes of a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Timestamp,
    /// The YAML 1.1 merge key `<<`.
    Merge,
    /// PyYAML's `=` "value" type, which its safe loader cannot construct.
    ValueKey,
    /// Matches a number pattern but has no digits (`0x_`): PyYAML fails to
    /// load the document.
    LoadError,
    Str,
}

impl Resolved {
    fn describe(self) -> String {
        match self {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => format!("boolean {b}"),
            Resolved::Int(i) => format!("integer {i}"),
            Resolved::Float(f) => format!("float {f}"),
            Resolved::Timestamp => "a timestamp".into(),
            Resolved::Merge => "the merge key".into(),
            Resolved::ValueKey => "a 'value' node".into(),
            Resolved::LoadError => "a load error".into(),
            Resolved::Str => "a string".into(),
        }
    }

    /// Same reading. Numbers compare by value, so that `1.0` and `1.` agree,
    /// and so do an integer and an integral float: once converted to JSON
    /// (as kubectl does) they are the same number.
    fn same(self, other: Resolved) -> bool {
        match (self, other) {
            (Resolved::Float(a), Resolved::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Resolved::Int(i), Resolved::Float(f)) | (Resolved::Float(f), Resolved::Int(i)) => {
                f.fract() == 0.0 && f == i as f64
            }
            (a, b) => a == b,
        }
    }
}

struct Patterns {
    y12_int: Regex,
    y12_float: Regex,
    py_int: Regex,
    py_float: Regex,
    py_timestamp: Regex,
    go_float: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: OnceLock<Option<Patterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some(Patterns {
                y12_int: Regex::new(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$").ok()?,
                y12_float: Regex::new(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$").ok()?,
                // PyYAML's resolver patterns (yaml/resolver.py), YAML 1.1.
                // PyYAML 6 reads `._5` as a string (it wants a digit right
                // after the dot); the wider pattern of the YAML 1.1 spec is
                // kept so that every PyYAML version is covered. Otherwise
                // these agreed with PyYAML 6.0.3 on 10,000 generated scalars.
                py_int: Regex::new(
                    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
                )
                .ok()?,
                py_float: Regex::new(
                    r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
                )
                .ok()?,
                py_timestamp: Regex::new(
                    r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
                )
                .ok()?,
                // go-yaml v2's float pattern (resolve.go), applied after
                // removing underscores.
                go_float: Regex::new(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$").ok()?,
            })
        })
        .as_ref()
}

/// The YAML 1.2 core schema.
fn resolve_yaml12(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let Some(p) = patterns() else {
        return Resolved::Str;
    };
    if p.y12_int.is_match(s) {
        let parsed = if let Some(oct) = s.strip_prefix("0o") {
            i128::from_str_radix(oct, 8)
        } else if let Some(hex) = s.strip_prefix("0x") {
            i128::from_str_radix(hex, 16)
        } else {
            s.parse::<i128>()
        };
        return match parsed {
            Ok(i) => Resolved::Int(i),
            Err(_) => s.parse::<f64>().map_or(Resolved::Str, Resolved::Float),
        };
    }
    if p.y12_float.is_match(s) {
        return s.parse::<f64>().map_or(Resolved::Str, Resolved::Float);
    }
    Resolved::Str
}

/// Base-60 value of `a:b:c` (PyYAML's sexagesimal numbers).
fn sexagesimal(digits: &str) -> Option<f64> {
    let mut value = 0.0;
    for part in digits.split(':') {
        value = value * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(value)
}

/// PyYAML's `SafeLoader` (YAML 1.1), as docker-compose v1 reads files.
fn resolve_pyyaml(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        "<<" => return Resolved::Merge,
        "=" => return Resolved::ValueKey,
        _ => {}
    }
    let Some(p) = patterns() else {
        return Resolved::Str;
    };
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    if p.py_int.is_match(s) {
        let digits = body.replace('_', "");
        let value = if digits == "0" {
            Some(0)
        } else if let Some(bin) = digits.strip_prefix("0b") {
            i128::from_str_radix(bin, 2).ok()
        } else if let Some(hex) = digits.strip_prefix("0x") {
            i128::from_str_radix(hex, 16).ok()
        } else if digits.starts_with('0') {
            i128::from_str_radix(&digits, 8).ok()
        } else if digits.contains(':') {
            sexagesimal(&digits).map(|v| v as i128)
        } else {
            digits.parse::<i128>().ok()
        };
        return value.map_or(Resolved::LoadError, |v| Resolved::Int(sign * v));
    }
    if p.py_float.is_match(s) {
        let digits = body.replace('_', "").to_ascii_lowercase();
        let sign = sign as f64;
        let value = match digits.as_str() {
            ".inf" => Some(f64::INFINITY),
            ".nan" => Some(f64::NAN),
            d if d.contains(':') => sexagesimal(d),
            d => d.parse::<f64>().ok(),
        };
        return value.map_or(Resolved::LoadError, |v| Resolved::Float(sign * v));
    }
    if p.py_timestamp.is_match(s) {
        return Resolved::Timestamp;
    }
    Resolved::Str
}

/// go-yaml v2 (YAML 1.1, as `kubectl` and Helm read manifests), decoding
/// into generic values. Checked against go-yaml v2.4.0 on generated scalars.
fn resolve_goyaml_v2(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Resolved::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        // go-yaml v2 treats `<<` as the merge key only in key position; as
        // a value it stays a string (checked against go-yaml v2.4.0).
        _ => {}
    }
    let Some(p) = patterns() else {
        return Resolved::Str;
    };
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-' || c == '.') {
        return Resolved::Str;
    }
    // Go's ParseFloat fails on out-of-range values, where Rust's parse
    // returns an infinity; go-yaml v2 then keeps the string.
    let go_float = |text: &str| match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Resolved::Float(f),
        _ => Resolved::Str,
    };
    if s.starts_with('.') {
        // A leading dot is tried as a float only, underscores included.
        return if p.go_float.is_match(s) {
            go_float(s)
        } else {
            Resolved::Str
        };
    }
    // Timestamps are not resolved: decoding into generic values, as
    // sigs.k8s.io/yaml does for kubectl, go-yaml v2 keeps them as strings.
    let plain = s.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if p.go_float.is_match(&plain) {
        return go_float(&plain);
    }
    Resolved::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`, `0o`, `0b` or a
/// leading `0` (octal) prefix, else decimal.
fn go_parse_int(s: &str) -> Option<i128> {
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    if body.is_empty() {
        return None;
    }
    // Rust's `from_str_radix` accepts a sign of its own; Go does not after
    // the prefix, so only bare digits are passed on.
    let digits = |text: &str, radix: u32| -> Option<i128> {
        if text.is_empty() || !text.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        i128::from_str_radix(text, radix).ok()
    };
    let lower = body.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        digits(hex, 16)?
    } else if let Some(oct) = lower.strip_prefix("0o") {
        digits(oct, 8)?
    } else if let Some(bin) = lower.strip_prefix("0b") {
        digits(bin, 2)?
    } else if lower.len() > 1 && lower.starts_with('0') {
        digits(&lower[1..], 8)?
    } else {
        digits(&lower, 10)?
    };
    let value = sign * value;
    (i64::MIN as i128..=u64::MAX as i128)
        .contains(&value)
        .then_some(value)
}

/// How the readers disagree about a plain scalar, if they do.
fn yaml11_trap(s: &str) -> Option<String> {
    let y12 = resolve_yaml12(s);
    let py = resolve_pyyaml(s);
    let go = resolve_goyaml_v2(s);
    if py.same(y12) && go.same(y12) {
        return None;
    }
    Some(format!(
        "is read as {} by PyYAML (YAML 1.1), {} by go-yaml v2 (YAML 1.1) and {} by YAML 1.2 readers",
        py.describe(),
        go.describe(),
        y12.describe()
    ))
}

// ---------------------------------------------------------------------------
// JSON Schema validation

/// Formats up to `limit` schema errors as `at /json/pointer: message`.
fn schema_errors(validator: &jsonschema::Validator, instance: &Value, prefix: &str) -> Vec<String> {
    const LIMIT: usize = 20;
    let mut out: Vec<String> = validator
        .iter_errors(instance)
        .take(LIMIT + 1)
        .map(|e| {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            format!("{prefix}at {path}: {e}")
        })
        .collect();
    if out.len() > LIMIT {
        out.truncate(LIMIT);
        out.push(format!("{prefix}(more errors not shown)"));
    }
    out
}

fn compile(
    schema_text: &str,
    draft: jsonschema::Draft,
    name: &str,
) -> Result<jsonschema::Validator, String> {
    let schema: Value =
        serde_json::from_str(schema_text).map_err(|e| format!("schema {name} is not JSON: {e}"))?;
    jsonschema::options()
        .with_draft(draft)
        .build(&schema)
        .map_err(|e| format!("schema {name} does not compile: {e}"))
}

fn compose_validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            compile(
                include_str!("../schemas/compose-spec.json"),
                jsonschema::Draft::Draft7,
                "compose-spec.json",
            )
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn sarif_validator() -> Result<&'static jsonschema::Validator, String> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            compile(
                include_str!("../schemas/sarif-schema-2.1.0.json"),
                jsonschema::Draft::Draft4,
                "sarif-schema-2.1.0.json",
            )
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Validates a SARIF log against the SARIF 2.1.0 schema.
pub fn validate_sarif(log: &Value) -> Result<(), Vec<String>> {
    let validator = sarif_validator().map_err(|e| vec![e])?;
    let errors = schema_errors(validator, log, "");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------
// Docker Compose

/// Validates a Compose file: YAML syntax, YAML 1.1 traps, the Compose
/// specification schema, and cross references (see
/// [`validate_compose_json`]).
pub fn validate_compose_yaml(text: &str) -> Result<(), Vec<String>> {
    let docs = parse_yaml(text).map_err(|e| vec![e])?;
    let [doc] = docs.as_slice() else {
        return Err(vec![format!(
            "a Compose file holds one YAML document, found {}",
            docs.len()
        )]);
    };
    let mut problems = doc.traps.clone();
    if let Err(more) = validate_compose_json(&doc.value) {
        problems.extend(more);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Validates Compose data against the Compose specification schema and
/// checks the references `docker compose config` rejects: services named in
/// `depends_on`, named volumes, networks, secrets and configs used by a
/// service must be defined in the file.
pub fn validate_compose_json(compose: &Value) -> Result<(), Vec<String>> {
    let validator = compose_validator().map_err(|e| vec![e])?;
    let mut problems = schema_errors(validator, compose, "");
    problems.extend(compose_reference_problems(compose));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Names used by a service field that is either a list of names (or of
/// objects with `source`) or a map keyed by name.
fn names_in(field: Option<&Value>, object_key: &str) -> Vec<String> {
    match field {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get(object_key).and_then(Value::as_str).map(String::from),
                _ => None,
            })
            .collect(),
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The named volume a service volume entry uses, if any (bind mounts,
/// anonymous volumes and interpolated sources are skipped).
fn named_volume(entry: &Value) -> Option<String> {
    let source = match entry {
        Value::String(s) => {
            let (source, _) = s.split_once(':')?;
            source.to_string()
        }
        Value::Object(o) => {
            if o.get("type").and_then(Value::as_str).unwrap_or("volume") != "volume" {
                return None;
            }
            o.get("source")?.as_str()?.to_string()
        }
        _ => return None,
    };
    let is_path = source.is_empty()
        || source.starts_with(['.', '/', '~', '$'])
        || source.contains(['/', '\\', '$']);
    (!is_path).then_some(source)
}

fn compose_reference_problems(compose: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(services) = compose.get("services").and_then(Value::as_object) else {
        return problems;
    };
    let declared = |section: &str| -> Vec<String> {
        compose
            .get(section)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let volumes = declared("volumes");
    let networks = declared("networks");
    let secrets = declared("secrets");
    let configs = declared("configs");
    for (name, service) in services {
        for dep in names_in(service.get("depends_on"), "") {
            if !services.contains_key(&dep) {
                problems.push(format!(
                    "service {name:?} depends on undefined service {dep:?}"
                ));
            }
        }
        if let Some(Value::Array(entries)) = service.get("volumes") {
            for volume in entries.iter().filter_map(named_volume) {
                if !volumes.contains(&volume) {
                    problems.push(format!(
                        "service {name:?} uses named volume {volume:?}, which is not declared under top-level volumes"
                    ));
                }
            }
        }
        for network in names_in(service.get("networks"), "") {
            if network != "default" && !networks.contains(&network) {
                problems.push(format!(
                    "service {name:?} uses network {network:?}, which is not declared under top-level networks"
                ));
            }
        }
        for (field, known) in [("secrets", &secrets), ("configs", &configs)] {
            for used in names_in(service.get(field), "source") {
                if !known.contains(&used) {
                    problems.push(format!(
                        "service {name:?} uses {field} entry {used:?}, which is not declared under top-level {field}"
                    ));
                }
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------
// Kubernetes

/// The strict Kubernetes 1.33 schemas copied into `tests/schemas/`, by
/// `apiVersion` and `kind`.
const K8S_SCHEMAS: &[(&str, &str, &str)] = &[
    (
        "v1",
        "Namespace",
        include_str!("../schemas/kubernetes-v1.33.0-strict/namespace-v1.json"),
    ),
    (
        "apps/v1",
        "Deployment",
        include_str!("../schemas/kubernetes-v1.33.0-strict/deployment-apps-v1.json"),
    ),
    (
        "apps/v1",
        "StatefulSet",
        include_str!("../schemas/kubernetes-v1.33.0-strict/statefulset-apps-v1.json"),
    ),
    (
        "v1",
        "Service",
        include_str!("../schemas/kubernetes-v1.33.0-strict/service-v1.json"),
    ),
    (
        "v1",
        "ConfigMap",
        include_str!("../schemas/kubernetes-v1.33.0-strict/configmap-v1.json"),
    ),
    (
        "v1",
        "Secret",
        include_str!("../schemas/kubernetes-v1.33.0-strict/secret-v1.json"),
    ),
    (
        "v1",
        "PersistentVolumeClaim",
        include_str!("../schemas/kubernetes-v1.33.0-strict/persistentvolumeclaim-v1.json"),
    ),
    (
        "v1",
        "PersistentVolume",
        include_str!("../schemas/kubernetes-v1.33.0-strict/persistentvolume-v1.json"),
    ),
    (
        "networking.k8s.io/v1",
        "Ingress",
        include_str!("../schemas/kubernetes-v1.33.0-strict/ingress-networking-v1.json"),
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        include_str!("../schemas/kubernetes-v1.33.0-strict/networkpolicy-networking-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "Role",
        include_str!("../schemas/kubernetes-v1.33.0-strict/role-rbac-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        include_str!("../schemas/kubernetes-v1.33.0-strict/rolebinding-rbac-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        include_str!("../schemas/kubernetes-v1.33.0-strict/clusterrole-rbac-v1.json"),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        include_str!("../schemas/kubernetes-v1.33.0-strict/clusterrolebinding-rbac-v1.json"),
    ),
    (
        "v1",
        "ServiceAccount",
        include_str!("../schemas/kubernetes-v1.33.0-strict/serviceaccount-v1.json"),
    ),
    (
        "batch/v1",
        "CronJob",
        include_str!("../schemas/kubernetes-v1.33.0-strict/cronjob-batch-v1.json"),
    ),
    (
        "batch/v1",
        "Job",
        include_str!("../schemas/kubernetes-v1.33.0-strict/job-batch-v1.json"),
    ),
    (
        "storage.k8s.io/v1",
        "StorageClass",
        include_str!("../schemas/kubernetes-v1.33.0-strict/storageclass-storage-v1.json"),
    ),
    (
        "policy/v1",
        "PodDisruptionBudget",
        include_str!("../schemas/kubernetes-v1.33.0-strict/poddisruptionbudget-policy-v1.json"),
    ),
];

/// The URI the kind schemas' `$ref`s resolve to (their `$id` is
/// `https://kubernetes.io/api/<kind>/...` and the refs are
/// `/api/_definitions.json#/$defs/...`).
const K8S_DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

/// The `(apiVersion, kind)` pairs [`validate_k8s_yaml`] knows.
pub fn k8s_kinds() -> Vec<(&'static str, &'static str)> {
    K8S_SCHEMAS.iter().map(|(v, k, _)| (*v, *k)).collect()
}

fn k8s_registry() -> Result<&'static jsonschema::Registry<'static>, String> {
    static REGISTRY: OnceLock<Result<jsonschema::Registry<'static>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let definitions: Value = serde_json::from_str(include_str!(
                "../schemas/kubernetes-v1.33.0-strict/_definitions.json"
            ))
            .map_err(|e| format!("_definitions.json is not JSON: {e}"))?;
            jsonschema::Registry::new()
                .draft(jsonschema::Draft::Draft202012)
                .add(K8S_DEFINITIONS_URI, definitions)
                .and_then(|builder| builder.prepare())
                .map_err(|e| format!("_definitions.json cannot be registered: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The compiled validator of one kind, compiled on first use.
fn k8s_validator(
    api_version: &str,
    kind: &str,
) -> Option<Result<&'static jsonschema::Validator, String>> {
    type Slot = OnceLock<Result<jsonschema::Validator, String>>;
    static SLOTS: OnceLock<Vec<Slot>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| K8S_SCHEMAS.iter().map(|_| OnceLock::new()).collect());
    let index = K8S_SCHEMAS
        .iter()
        .position(|(v, k, _)| *v == api_version && *k == kind)?;
    let (_, _, text) = K8S_SCHEMAS[index];
    let slot = slots.get(index)?;
    Some(
        slot.get_or_init(|| {
            let registry = k8s_registry()?;
            let schema: Value = serde_json::from_str(text)
                .map_err(|e| format!("schema of {kind} is not JSON: {e}"))?;
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .with_registry(registry)
                .build(&schema)
                .map_err(|e| format!("schema of {kind} does not compile: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone),
    )
}

/// Validates a multi-document Kubernetes manifest: YAML syntax, YAML 1.1
/// traps, each document against the strict schema of its `apiVersion` and
/// `kind` plus the API server's naming and consistency rules (see
/// [`validate_k8s_object`]), and no two objects with the same identity.
/// Empty documents are skipped, but a stream without any object is an
/// error, as is a kind without a schema here.
pub fn validate_k8s_yaml(text: &str) -> Result<(), Vec<String>> {
    let docs = parse_yaml(text).map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    let mut objects = 0;
    let mut identities: Vec<(usize, (String, String, String, String))> = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let label = format!("document {}", i + 1);
        problems.extend(doc.traps.iter().map(|t| format!("{label}: {t}")));
        if doc.value.is_null() {
            continue;
        }
        objects += 1;
        let identity = object_identity(&doc.value);
        if let Some((first, _)) = identities.iter().find(|(_, id)| *id == identity) {
            problems.push(format!(
                "{label}: same kind, namespace and name as document {first}"
            ));
        }
        identities.push((i + 1, identity));
        if let Err(more) = validate_k8s_object(&doc.value) {
            problems.extend(more.into_iter().map(|p| format!("{label}: {p}")));
        }
    }
    if objects == 0 && problems.is_empty() {
        problems.push("no Kubernetes object in the manifest".to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// API group, kind, namespace and name: two objects with the same identity
/// in one manifest overwrite each other when applied.
fn object_identity(object: &Value) -> (String, String, String, String) {
    let text = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let api_version = text("/apiVersion");
    let group = api_version
        .split_once('/')
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    (
        group,
        text("/kind"),
        text("/metadata/namespace"),
        text("/metadata/name"),
    )
}

/// Validates one Kubernetes object against the strict schema of its
/// `apiVersion` and `kind`, and against the API server rules the schemas do
/// not encode: valid object, namespace, container and label names, selector
/// labels present in the pod template, valid resource quantities, ports in
/// range, no duplicate container names.
pub fn validate_k8s_object(object: &Value) -> Result<(), Vec<String>> {
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    let kind = object.get("kind").and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(vec!["object without string apiVersion and kind".to_string()]);
    };
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>");
    let prefix = format!("{kind}/{name}: ");
    let validator = match k8s_validator(api_version, kind) {
        None => {
            return Err(vec![format!(
                "{prefix}no schema for kind {kind:?} with apiVersion {api_version:?} (known: {})",
                k8s_kinds()
                    .iter()
                    .map(|(v, k)| format!("{v} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )])
        }
        Some(Err(e)) => return Err(vec![e]),
        Some(Ok(v)) => v,
    };
    let mut errors = schema_errors(validator, object, &prefix);
    errors.extend(
        api_server_problems(object)
            .into_iter()
            .map(|p| format!("{prefix}API server rule: {p}")),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

struct K8sPatterns {
    dns1123_label: Regex,
    dns1123_subdomain: Regex,
    dns1035_label: Regex,
    label_name: Regex,
    label_value: Regex,
    quantity: Regex,
}

fn k8s_patterns() -> Option<&'static K8sPatterns> {
    static PATTERNS: OnceLock<Option<K8sPatterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some(K8sPatterns {
                dns1123_label: Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").ok()?,
                dns1123_subdomain: Regex::new(
                    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
                )
                .ok()?,
                dns1035_label: Regex::new(r"^[a-z]([-a-z0-9]*[a-z0-9])?$").ok()?,
                label_name: Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").ok()?,
                label_value: Regex::new(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$").ok()?,
                quantity: Regex::new(
                    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$",
                )
                .ok()?,
            })
        })
        .as_ref()
}

fn label_key_ok(p: &K8sPatterns, key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 || !p.dns1123_subdomain.is_match(prefix) {
            return false;
        }
    }
    !name.is_empty() && name.len() <= 63 && p.label_name.is_match(name)
}

fn check_labels(p: &K8sPatterns, at: &str, labels: Option<&Value>, problems: &mut Vec<String>) {
    let Some(Value::Object(labels)) = labels else {
        return;
    };
    for (key, value) in labels {
        if !label_key_ok(p, key) {
            problems.push(format!("{at}: invalid label key {key:?}"));
        }
        match value.as_str() {
            Some(v) if v.len() <= 63 && p.label_value.is_match(v) => {}
            Some(v) => problems.push(format!("{at}: invalid label value {v:?} for {key:?}")),
            None => problems.push(format!(
                "{at}: label {key:?} has a non-string value {value}"
            )),
        }
    }
}

/// Rules the Kubernetes API server enforces that the JSON schemas do not
/// encode (the same set the project's output-checking harness applies):
/// object, namespace, container and label names, selector labels matching
/// the pod template, resource quantities, port ranges, and duplicate
/// container names.
fn api_server_problems(object: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(p) = k8s_patterns() else {
        return problems;
    };
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let metadata = object.get("metadata");
    match metadata.and_then(|m| m.get("name")) {
        None => {
            if metadata.and_then(|m| m.get("generateName")).is_none() {
                problems.push("metadata.name is missing".to_string());
            }
        }
        Some(name) => {
            let (rule, pattern, max) = match kind {
                "Service" => ("DNS-1035 label", &p.dns1035_label, 63),
                "Namespace" => ("DNS-1123 label", &p.dns1123_label, 63),
                _ => ("DNS-1123 subdomain", &p.dns1123_subdomain, 253),
            };
            match name.as_str() {
                Some(n) if n.len() <= max && pattern.is_match(n) => {}
                _ => problems.push(format!("metadata.name {name} is not a valid {rule}")),
            }
        }
    }
    if let Some(ns) = metadata.and_then(|m| m.get("namespace")) {
        match ns.as_str() {
            Some(n) if n.len() <= 63 && p.dns1123_label.is_match(n) => {}
            _ => problems.push(format!(
                "metadata.namespace {ns} is not a valid DNS-1123 label"
            )),
        }
    }
    check_labels(
        p,
        "metadata.labels",
        metadata.and_then(|m| m.get("labels")),
        &mut problems,
    );

    let spec = object.get("spec");
    if matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    ) {
        let template_labels = spec.and_then(|s| s.pointer("/template/metadata/labels"));
        check_labels(
            p,
            "spec.template.metadata.labels",
            template_labels,
            &mut problems,
        );
        if let Some(Value::Object(selector)) = spec.and_then(|s| s.pointer("/selector/matchLabels"))
        {
            for (key, value) in selector {
                if template_labels.and_then(|t| t.get(key)) != Some(value) {
                    problems.push(format!(
                        "spec.selector.matchLabels {key}={value} does not match spec.template.metadata.labels"
                    ));
                }
            }
        }
    }
    let pod_spec = match kind {
        "Pod" => spec.map(|s| ("spec", s)),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => spec
            .and_then(|s| s.pointer("/template/spec"))
            .map(|s| ("spec.template.spec", s)),
        "CronJob" => spec
            .and_then(|s| s.pointer("/jobTemplate/spec/template/spec"))
            .map(|s| ("spec.jobTemplate.spec.template.spec", s)),
        _ => None,
    };
    if let Some((at, pod_spec)) = pod_spec {
        let mut seen: Vec<&str> = Vec::new();
        for group in ["initContainers", "containers"] {
            let Some(Value::Array(containers)) = pod_spec.get(group) else {
                continue;
            };
            for (i, container) in containers.iter().enumerate() {
                let here = format!("{at}.{group}[{i}]");
                if let Some(name) = container.get("name").and_then(Value::as_str) {
                    if seen.contains(&name) {
                        problems.push(format!("{here}.name {name:?} is duplicated"));
                    }
                    seen.push(name);
                    if name.len() > 63 || !p.dns1123_label.is_match(name) {
                        problems.push(format!(
                            "{here}.name {name:?} is not a valid DNS-1123 label"
                        ));
                    }
                }
                for part in ["requests", "limits"] {
                    let Some(Value::Object(amounts)) =
                        container.pointer(&format!("/resources/{part}"))
                    else {
                        continue;
                    };
                    for (resource, amount) in amounts {
                        let text = match amount {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        if !p.quantity.is_match(&text) {
                            problems.push(format!(
                                "{here}.resources.{part}.{resource} {amount} is not a valid quantity"
                            ));
                        }
                    }
                }
                if let Some(Value::Array(ports)) = container.get("ports") {
                    for (j, port) in ports.iter().enumerate() {
                        if let Some(n) = port.get("containerPort").and_then(Value::as_i64) {
                            if !(1..=65535).contains(&n) {
                                problems.push(format!(
                                    "{here}.ports[{j}].containerPort {n} is out of range"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    if kind == "Service" {
        if let Some(Value::Array(ports)) = spec.and_then(|s| s.get("ports")) {
            for (j, port) in ports.iter().enumerate() {
                if let Some(n) = port.get("port").and_then(Value::as_i64) {
                    if !(1..=65535).contains(&n) {
                        problems.push(format!("spec.ports[{j}].port {n} is out of range"));
                    }
                }
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------
// HCL

/// Parses HCL with hcl-rs, which, like HashiCorp's parser, also rejects a
/// body that sets the same attribute twice.
pub fn parse_hcl(text: &str) -> Result<(), String> {
    hcl::parse(text)
        .map(|_| ())
        .map_err(|e| format!("HCL syntax error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_agree_on_ordinary_scalars() {
        for s in [
            "web",
            "1",
            "-5",
            "1.5",
            "true",
            "false",
            "null",
            "",
            "~",
            "nginx:1.27.0",
            "${X:-80}:80",
        ] {
            assert_eq!(yaml11_trap(s), None, "{s:?}");
        }
    }

    #[test]
    fn resolvers_catch_the_yaml_1_1_traps() {
        for s in [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "0755",
            "1_000",
            "22:22",
            "190:20:30.15",
            "2024-01-01",
            "0b101",
            "0o17",
            "0x_1F",
            "<<",
            "=",
            "1e3",
            "09",
            "0x_",
        ] {
            assert!(yaml11_trap(s).is_some(), "{s:?}");
        }
    }

    #[test]
    fn go_parse_int_follows_strconv() {
        assert_eq!(go_parse_int("0755"), Some(493));
        assert_eq!(go_parse_int("0x1F"), Some(31));
        assert_eq!(go_parse_int("-0b11"), Some(-3));
        assert_eq!(go_parse_int("0o17"), Some(15));
        assert_eq!(go_parse_int("0"), Some(0));
        assert_eq!(go_parse_int("08"), None);
        assert_eq!(go_parse_int("1.5"), None);
        assert_eq!(go_parse_int("-"), None);
        assert_eq!(go_parse_int("0-7"), None);
        assert_eq!(go_parse_int("0x+1"), None);
        assert_eq!(go_parse_int("+12"), Some(12));
    }
}
