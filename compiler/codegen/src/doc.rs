//! The typed output tree that the YAML printer (and anything else that wants a
//! JSON-like document) prints from.
//!
//! Backends build a [`Node`] tree with the builders here and never format text
//! themselves, so quoting, indentation and ordering rules live in one place
//! ([`crate::yaml`]). Maps keep insertion order: the order in which a backend
//! inserts keys is the order in which they are printed, which keeps output
//! deterministic without sorting and lets backends follow the upstream key
//! order (CHT's own Compose files, Kubernetes' `apiVersion`/`kind`/`metadata`
//! convention).
//!
//! Comments are part of the tree so that backends can explain their choices
//! next to the value they chose: a [`Document`] carries a header comment, and
//! every map entry and sequence item can carry a comment that is printed on the
//! lines above it.

use std::fmt::{self, Write as _};

/// A finite floating-point number.
///
/// Output formats have no portable spelling for NaN or infinities (YAML 1.1
/// and 1.2 differ, HCL and JSON have none), so the tree cannot hold them.
/// Negative zero is normalised to zero because `-0` reads as a surprise in a
/// generated file and means the same thing to every consumer.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Float(f64);

impl Float {
    /// Returns `None` for NaN and infinities.
    pub fn new(value: f64) -> Option<Float> {
        if value.is_finite() {
            // Adding zero turns -0.0 into +0.0 and leaves every other value
            // unchanged.
            Some(Float(value + 0.0))
        } else {
            None
        }
    }

    /// The wrapped value.
    pub fn get(self) -> f64 {
        self.0
    }

    /// The canonical spelling shared by the YAML and HCL printers: the
    /// shortest decimal that reads back as the same `f64`, always with a
    /// decimal point (so no reader takes it for an integer) and, when an
    /// exponent is needed, with an explicitly signed exponent (YAML 1.1
    /// readers such as PyYAML only accept `1.0e+300`, not `1e300`).
    pub fn canonical(self) -> String {
        // `{:?}` gives the shortest round-tripping representation and switches
        // to exponent notation for very large and very small magnitudes.
        let text = format!("{:?}", self.0);
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m.to_string(), Some(e.to_string())),
            None => (text, None),
        };
        let mantissa = if mantissa.contains('.') {
            mantissa
        } else {
            format!("{mantissa}.0")
        };
        match exponent {
            None => mantissa,
            Some(e) if e.starts_with('-') || e.starts_with('+') => format!("{mantissa}e{e}"),
            Some(e) => format!("{mantissa}e+{e}"),
        }
    }
}

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// A comment: zero or more lines of free text.
///
/// Printers write each line behind `# `. Text is stored as given; the
/// printers make it safe (line breaks split lines, control characters are
/// escaped) so that no comment can break the file it is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comment {
    lines: Vec<String>,
}

impl Comment {
    /// A comment with the given text; `\n` separates lines.
    pub fn new(text: &str) -> Comment {
        if text.is_empty() {
            return Comment::default();
        }
        Comment {
            lines: text
                .split('\n')
                .map(|line| line.strip_suffix('\r').unwrap_or(line).to_string())
                .collect(),
        }
    }

    /// True when there is nothing to print.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines as given.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Appends the lines of `text` below the existing ones.
    pub fn push(&mut self, text: &str) {
        self.lines.extend(Comment::new(text).lines);
    }

    /// Each line rendered as `# text` (or `#` for an empty line), with
    /// characters that would end the line or are not printable escaped.
    pub fn rendered_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|line| {
                let mut out = String::new();
                push_rendered_line(&mut out, line);
                out
            })
            .collect()
    }

    /// Writes [`Comment::rendered_lines`] into `out`, each line after `indent`
    /// spaces and followed by a line break, without building the lines apart.
    pub(crate) fn write_rendered(&self, out: &mut String, indent: usize) {
        for line in &self.lines {
            push_spaces(out, indent);
            push_rendered_line(out, line);
            out.push('\n');
        }
    }
}

/// Appends `# line` (or `#` when nothing is left of the line once it is made
/// safe and its trailing white space dropped).
fn push_rendered_line(out: &mut String, line: &str) {
    let start = out.len();
    out.push_str("# ");
    push_sanitized_comment_line(out, line);
    let text_len = out.get(start + 2..).map_or(0, |text| text.trim_end().len());
    if text_len == 0 {
        out.truncate(start);
        out.push('#');
    } else {
        out.truncate(start + 2 + text_len);
    }
}

/// Appends `count` spaces.
pub(crate) fn push_spaces(out: &mut String, count: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = count;
    while left > 0 {
        let chunk = left.min(SPACES.len());
        out.push_str(SPACES.get(..chunk).unwrap_or(""));
        left -= chunk;
    }
}

impl From<&str> for Comment {
    fn from(text: &str) -> Comment {
        Comment::new(text)
    }
}

impl From<String> for Comment {
    fn from(text: String) -> Comment {
        Comment::new(&text)
    }
}

impl From<&String> for Comment {
    fn from(text: &String) -> Comment {
        Comment::new(text)
    }
}

/// Appends `line` with characters that a YAML or HCL reader would treat as a
/// line break, or that are not allowed in a YAML stream at all, replaced by a
/// visible escape.
fn push_sanitized_comment_line(out: &mut String, line: &str) {
    // Printable ASCII and tabs, the usual case, need no escape.
    if line
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        out.push_str(line);
        return;
    }
    for c in line.chars() {
        if c == '\t' || (!c.is_control() && !is_unicode_line_break_or_bom(c) && !is_nonchar(c)) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// U+0085, U+2028 and U+2029 are line breaks for YAML 1.1 readers, and a
/// byte-order mark inside a stream is an error for some of them.
pub(crate) fn is_unicode_line_break_or_bom(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// U+FFFE and U+FFFF are outside YAML's printable set.
pub(crate) fn is_nonchar(c: char) -> bool {
    matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// A value in the output tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// An explicit null (`null` in YAML).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// A finite float.
    Float(Float),
    /// A string; printers decide how to quote it.
    Str(String),
    /// An ordered list.
    Seq(Seq),
    /// An ordered map with unique string keys.
    Map(Map),
}

impl Node {
    /// A float node, or `None` for NaN and infinities.
    pub fn float(value: f64) -> Option<Node> {
        Float::new(value).map(Node::Float)
    }

    /// The string inside a `Str` node.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The map inside a `Map` node.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The map inside a `Map` node, mutably.
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence inside a `Seq` node.
    pub fn as_seq(&self) -> Option<&Seq> {
        match self {
            Node::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The sequence inside a `Seq` node, mutably.
    pub fn as_seq_mut(&mut self) -> Option<&mut Seq> {
        match self {
            Node::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Follows a path of map keys; `None` as soon as one is missing or a
    /// node on the way is not a map. Handy in backend tests.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        let mut node = self;
        for key in path {
            node = node.as_map()?.get(key)?;
        }
        Some(node)
    }

    /// The same data as JSON, dropping comments. Tests use it to compare a
    /// tree with what a YAML reader made of the printed text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            // A `Float` is finite by construction, so `from_f64` cannot fail;
            // null is only a formal fallback.
            Node::Float(f) => serde_json::Number::from_f64(f.get())
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(seq) => Value::Array(seq.iter().map(|item| item.value.to_json()).collect()),
            Node::Map(map) => Value::Object(
                map.iter()
                    .map(|entry| (entry.key.to_string(), entry.value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl From<&serde_json::Value> for Node {
    /// Converts JSON data (for example a value a backend received already as
    /// JSON) into a tree, keeping object key order. Integers that do not fit
    /// in an `i64` become floats, as they would for any JSON reader.
    fn from(value: &serde_json::Value) -> Node {
        use serde_json::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Node::Int(i)
                } else {
                    n.as_f64().and_then(Node::float).unwrap_or(Node::Null)
                }
            }
            Value::String(s) => Node::Str(s.clone()),
            Value::Array(items) => Node::Seq(items.iter().map(Node::from).collect()),
            Value::Object(fields) => Node::Map(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<serde_json::Value> for Node {
    fn from(value: serde_json::Value) -> Node {
        Node::from(&value)
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Str(s.to_string())
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Str(s)
    }
}

impl From<&String> for Node {
    fn from(s: &String) -> Node {
        Node::Str(s.clone())
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Bool(b)
    }
}

impl From<i64> for Node {
    fn from(i: i64) -> Node {
        Node::Int(i)
    }
}

impl From<i32> for Node {
    fn from(i: i32) -> Node {
        Node::Int(i64::from(i))
    }
}

impl From<u32> for Node {
    fn from(i: u32) -> Node {
        Node::Int(i64::from(i))
    }
}

impl From<u16> for Node {
    fn from(i: u16) -> Node {
        Node::Int(i64::from(i))
    }
}

impl From<u8> for Node {
    fn from(i: u8) -> Node {
        Node::Int(i64::from(i))
    }
}

impl From<Float> for Node {
    fn from(f: Float) -> Node {
        Node::Float(f)
    }
}

impl From<Map> for Node {
    fn from(m: Map) -> Node {
        Node::Map(m)
    }
}

impl From<Seq> for Node {
    fn from(s: Seq) -> Node {
        Node::Seq(s)
    }
}

impl<T: Into<Node>> From<Option<T>> for Node {
    /// `None` becomes an explicit null.
    fn from(value: Option<T>) -> Node {
        value.map_or(Node::Null, Into::into)
    }
}

impl<T: Into<Node>> From<Vec<T>> for Node {
    fn from(items: Vec<T>) -> Node {
        Node::Seq(items.into_iter().collect())
    }
}

/// A map key: most keys are literals of the backends, which are borrowed rather than copied.
pub type Key = std::borrow::Cow<'static, str>;

/// One key of a [`Map`], with its value and the comment printed above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: Key,
    /// The value.
    pub value: Node,
    /// Printed on the lines above the key.
    pub comment: Comment,
}

/// An ordered map with unique keys.
///
/// The key list is private so that the uniqueness invariant holds: inserting
/// an existing key replaces its value in place (keeping its position and
/// comment), as `IndexMap::insert` does. Duplicate keys would make the output
/// invalid for YAML 1.2 readers and ambiguous for the others.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
}

impl Map {
    /// An empty map (printed as `{}` when left empty).
    pub fn new() -> Map {
        Map::default()
    }

    /// Builder form of [`Map::insert`].
    #[must_use]
    pub fn with(mut self, key: impl Into<Key>, value: impl Into<Node>) -> Map {
        self.insert(key, value);
        self
    }

    /// Builder form of [`Map::insert_commented`].
    #[must_use]
    pub fn with_commented(
        mut self,
        key: impl Into<Key>,
        value: impl Into<Node>,
        comment: impl Into<Comment>,
    ) -> Map {
        self.insert_commented(key, value, comment);
        self
    }

    /// Inserts at the end, or replaces the value of an existing key in place.
    /// Returns the replaced value.
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Node>) -> Option<Node> {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => Some(std::mem::replace(&mut entry.value, value)),
            None => {
                self.entries.push(Entry {
                    key,
                    value,
                    comment: Comment::default(),
                });
                None
            }
        }
    }

    /// Like [`Map::insert`], and sets the comment printed above the key
    /// (replacing any earlier comment of that key).
    pub fn insert_commented(
        &mut self,
        key: impl Into<Key>,
        value: impl Into<Node>,
        comment: impl Into<Comment>,
    ) -> Option<Node> {
        let key = key.into();
        let comment = comment.into();
        let old = self.insert(key.clone(), value);
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
            entry.comment = comment;
        }
        old
    }

    /// Sets the comment above an existing key; false when the key is absent.
    pub fn set_comment(&mut self, key: &str, comment: impl Into<Comment>) -> bool {
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => {
                entry.comment = comment.into();
                true
            }
            None => false,
        }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    /// The value of a key, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    /// The whole entry of a key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Removes a key, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let index = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(index).value)
    }

    /// True when the key is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_ref())
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl<K: Into<Key>, V: Into<Node>> FromIterator<(K, V)> for Map {
    /// Later duplicates replace earlier values, as with [`Map::insert`].
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Map {
        let mut map = Map::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

/// One element of a [`Seq`], with the comment printed above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The value.
    pub value: Node,
    /// Printed on the lines above the item's `- `.
    pub comment: Comment,
}

/// An ordered list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seq {
    items: Vec<Item>,
}

impl Seq {
    /// An empty list (printed as `[]` when left empty).
    pub fn new() -> Seq {
        Seq::default()
    }

    /// Builder form of [`Seq::push`].
    #[must_use]
    pub fn with(mut self, value: impl Into<Node>) -> Seq {
        self.push(value);
        self
    }

    /// Builder form of [`Seq::push_commented`].
    #[must_use]
    pub fn with_commented(mut self, value: impl Into<Node>, comment: impl Into<Comment>) -> Seq {
        self.push_commented(value, comment);
        self
    }

    /// Appends a value.
    pub fn push(&mut self, value: impl Into<Node>) {
        self.items.push(Item {
            value: value.into(),
            comment: Comment::default(),
        });
    }

    /// Appends a value with a comment printed above it.
    pub fn push_commented(&mut self, value: impl Into<Node>, comment: impl Into<Comment>) {
        self.items.push(Item {
            value: value.into(),
            comment: comment.into(),
        });
    }

    /// The value at an index.
    pub fn get(&self, index: usize) -> Option<&Node> {
        self.items.get(index).map(|i| &i.value)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Item> {
        self.items.iter()
    }

    /// Values in order.
    pub fn values(&self) -> impl Iterator<Item = &Node> {
        self.items.iter().map(|i| &i.value)
    }
}

impl<'a> IntoIterator for &'a Seq {
    type Item = &'a Item;
    type IntoIter = std::slice::Iter<'a, Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T: Into<Node>> FromIterator<T> for Seq {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Seq {
        let mut seq = Seq::new();
        for v in iter {
            seq.push(v);
        }
        seq
    }
}

/// A whole output file: a header comment and a root.
///
/// Generic so that the YAML printer (`Document<Node>`) and the HCL printer
/// (`Document<hcl::Body>`) share one notion of a file header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document<T = Node> {
    /// Printed at the very top, e.g. `Generated by hostplan from plans/national.hplan. Do not edit.`
    pub header: Comment,
    /// The content.
    pub root: T,
}

impl<T> Document<T> {
    /// A document without a header.
    pub fn new(root: impl Into<T>) -> Document<T> {
        Document {
            header: Comment::default(),
            root: root.into(),
        }
    }

    /// Sets the header comment (replacing any earlier one).
    #[must_use]
    pub fn with_header(mut self, header: impl Into<Comment>) -> Document<T> {
        self.header = header.into();
        self
    }
}

/// Wraps text at spaces so that no line is longer than `width` characters, unless a single
/// word is; explicit line breaks are kept. The Kubernetes and Terraform backends wrap their
/// comments with it.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, paragraph) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        // The characters on the current line, counted as words are added.
        let mut line = 0;
        for word in paragraph.split_whitespace() {
            let chars = word.chars().count();
            if line > 0 && width < line + 1 + chars {
                out.push('\n');
                line = 0;
            }
            if line > 0 {
                out.push(' ');
                line += 1;
            }
            out.push_str(word);
            line += chars;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_rejects_non_finite_and_normalises_negative_zero() {
        assert!(Float::new(f64::NAN).is_none());
        assert!(Float::new(f64::INFINITY).is_none());
        assert!(Float::new(f64::NEG_INFINITY).is_none());
        assert_eq!(Float::new(-0.0).map(|f| f.canonical()), Some("0.0".into()));
    }

    #[test]
    fn float_spelling_is_readable_by_yaml_1_1_and_1_2() {
        let cases = [
            (41.5, "41.5"),
            (41.0, "41.0"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
            (1e300, "1.0e+300"),
            (1.5e-7, "1.5e-7"),
            (123456789.0, "123456789.0"),
            (1e16, "1.0e+16"),
        ];
        for (value, expected) in cases {
            let f = Float::new(value).map(|f| f.canonical());
            assert_eq!(f.as_deref(), Some(expected), "{value}");
            // The spelling must read back as the same number.
            let back: f64 = expected.parse().unwrap_or(f64::NAN);
            assert_eq!(back, value);
        }
    }

    #[test]
    fn map_insert_keeps_order_and_replaces_in_place() {
        let mut map = Map::new().with("b", 1).with("a", 2).with("c", 3);
        assert_eq!(map.insert("a", 20), Some(Node::Int(2)));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a", "c"]);
        assert_eq!(map.get("a"), Some(&Node::Int(20)));
        assert_eq!(map.remove("b"), Some(Node::Int(1)));
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert!(map.set_comment("c", "why c"));
        assert!(!map.set_comment("zzz", "absent"));
        assert_eq!(map.entry("c").map(|e| e.comment.lines().len()), Some(1));
    }

    #[test]
    fn from_iter_deduplicates_keys() {
        let map: Map = vec![("a", 1), ("b", 2), ("a", 3)].into_iter().collect();
        assert_eq!(map.len(), 2);
        assert_eq!(map.get("a"), Some(&Node::Int(3)));
    }

    #[test]
    fn comment_lines_are_sanitised() {
        let c = Comment::new("first\r\nsecond \n\nbell\u{7} and\u{2028}sep");
        assert_eq!(
            c.rendered_lines(),
            ["# first", "# second", "#", "# bell\\u{7} and\\u{2028}sep"]
        );
        assert!(Comment::new("").is_empty());
    }

    #[test]
    fn json_conversion_round_trips() {
        let json = serde_json::json!({"b": [1, 2.5, "x", null, true], "a": {"z": {}}});
        let node = Node::from(&json);
        assert_eq!(node.to_json(), json);
        assert_eq!(
            node.as_map().map(|m| m.keys().collect::<Vec<_>>()),
            Some(vec!["b", "a"])
        );
        assert_eq!(node.get_path(&["a", "z"]), Some(&Node::Map(Map::new())));
    }
}
