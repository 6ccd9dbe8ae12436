//! The HCL printer for Terraform files.
//!
//! Backends describe a file as typed data ([`Body`], [`Block`], [`Expr`]) and
//! this module prints it in the layout `terraform fmt` produces, so that a
//! user who runs `terraform fmt` on generated files sees no diff:
//!
//! * two spaces per nesting level;
//! * `=` aligned within a run of consecutive single-line attributes (or
//!   object items), where, as in `hclwrite`'s formatter, a run is broken by a
//!   blank line, a comment line, a block, or an attribute whose value spans
//!   several lines (a heredoc does not break a run, because the formatter
//!   sees the whole heredoc as part of its attribute's line);
//! * one space around `=` otherwise, `[a, b]` without inner spaces, `{}` for
//!   an empty block or object;
//! * a blank line before and after every block among its siblings, and a
//!   final newline.
//!
//! Strings are escaped in one place ([`quoted`]): besides the usual
//! backslash escapes, a literal `${` becomes `$${` and `%{` becomes `%%{`, so
//! text from a plan can never turn into a Terraform interpolation. References
//! and function calls are separate expression kinds ([`Expr::Raw`],
//! [`Expr::Call`], [`Template`]) that the backend states explicitly.
//!
//! The printer is written here rather than taken from `hcl-rs` because
//! `hcl-rs` does not align `=` as `terraform fmt` does; `hcl-rs` is used in the
//! tests to parse the output back.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::doc::{is_nonchar, is_unicode_line_break_or_bom, push_spaces, Comment, Document, Float};

/// Spaces per nesting level.
const INDENT: usize = 2;

/// Tuples and call argument lists are kept on one line up to this width.
const MAX_INLINE_WIDTH: usize = 80;

/// A body: the top level of a file or the inside of a block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Body {
    items: Vec<Structure>,
}

/// One element of a body.
#[derive(Clone, Debug, PartialEq)]
pub enum Structure {
    /// `key = value`.
    Attribute(Attribute),
    /// `ident "label" { ... }`.
    Block(Block),
    /// An explicit blank line, to group attributes (it also ends an alignment
    /// run, as it does for `terraform fmt`).
    Blank,
}

/// `key = value`, with a comment printed above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute name; must be an identifier (see [`is_identifier`]).
    pub key: String,
    /// The value.
    pub value: Expr,
    /// Printed on the lines above the attribute.
    pub comment: Comment,
}

/// `ident "label1" "label2" { body }`, with a comment printed above it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// The block type; must be an identifier.
    pub ident: String,
    /// Labels, printed as quoted strings.
    pub labels: Vec<String>,
    /// The content.
    pub body: Body,
    /// Printed on the lines above the block.
    pub comment: Comment,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// A finite float.
    Float(Float),
    /// A literal string, printed quoted with every template sequence escaped.
    Str(String),
    /// A literal multi-line string printed as a `<<EOT` heredoc when it ends
    /// with a line break and has no other control characters; otherwise
    /// printed like [`Expr::Str`]. Template sequences are escaped.
    Heredoc(String),
    /// A string template mixing literal text and interpolations.
    Template(Template),
    /// An expression printed verbatim: a reference (`var.domain`,
    /// `aws_kms_key.backup.arn`, `data.aws_ami.ubuntu.id`), a type
    /// (`list(string)`), a conditional. It must be a valid single-line HCL
    /// expression; the backend is responsible for it.
    Raw(String),
    /// A function call, `name(arg, ...)`.
    Call(String, Vec<Expr>),
    /// `[a, b]`.
    Tuple(Vec<Expr>),
    /// `{ key = value }`, always printed one item per line.
    Object(Object),
}

impl Expr {
    /// A verbatim expression (see [`Expr::Raw`]).
    pub fn raw(text: impl Into<String>) -> Expr {
        Expr::Raw(text.into())
    }

    /// A function call.
    pub fn call(name: impl Into<String>, args: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Call(name.into(), args.into_iter().collect())
    }

    /// A literal multi-line string (see [`Expr::Heredoc`]).
    pub fn heredoc(text: impl Into<String>) -> Expr {
        Expr::Heredoc(text.into())
    }

    /// A float, or `None` for NaN and infinities.
    pub fn float(value: f64) -> Option<Expr> {
        Float::new(value).map(Expr::Float)
    }

    /// A tuple of anything convertible.
    pub fn tuple<T: Into<Expr>>(items: impl IntoIterator<Item = T>) -> Expr {
        Expr::Tuple(items.into_iter().map(Into::into).collect())
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.to_string())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Expr {
        Expr::Str(s.clone())
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Expr {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(i: i64) -> Expr {
        Expr::Int(i)
    }
}

impl From<i32> for Expr {
    fn from(i: i32) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<u32> for Expr {
    fn from(i: u32) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<u16> for Expr {
    fn from(i: u16) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<u8> for Expr {
    fn from(i: u8) -> Expr {
        Expr::Int(i64::from(i))
    }
}

impl From<Float> for Expr {
    fn from(f: Float) -> Expr {
        Expr::Float(f)
    }
}

impl From<Template> for Expr {
    fn from(t: Template) -> Expr {
        Expr::Template(t)
    }
}

impl From<Object> for Expr {
    fn from(o: Object) -> Expr {
        Expr::Object(o)
    }
}

impl<T: Into<Expr>> From<Vec<T>> for Expr {
    fn from(items: Vec<T>) -> Expr {
        Expr::Tuple(items.into_iter().map(Into::into).collect())
    }
}

/// One piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text; escaped when printed.
    Lit(String),
    /// An expression printed verbatim inside `${...}`.
    Interp(String),
}

/// A quoted template such as `"https://${var.domain}/api"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

impl Template {
    /// An empty template (prints as `""`).
    pub fn new() -> Template {
        Template::default()
    }

    /// Appends literal text.
    #[must_use]
    pub fn lit(mut self, text: impl Into<String>) -> Template {
        self.parts.push(TemplatePart::Lit(text.into()));
        self
    }

    /// Appends an interpolation of a verbatim expression.
    #[must_use]
    pub fn interp(mut self, expr: impl Into<String>) -> Template {
        self.parts.push(TemplatePart::Interp(expr.into()));
        self
    }

    /// The parts in order.
    pub fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }
}

/// An object constructor with unique keys in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    entries: Vec<(String, Expr)>,
}

impl Object {
    /// An empty object (prints as `{}`).
    pub fn new() -> Object {
        Object::default()
    }

    /// Builder form of [`Object::insert`].
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Expr>) -> Object {
        self.insert(key, value);
        self
    }

    /// Inserts at the end, or replaces the value of an existing key in place
    /// (HCL rejects duplicate object keys). Returns the replaced value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Expr>) -> Option<Expr> {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&Expr> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Expr)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<Expr>> FromIterator<(K, V)> for Object {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Object {
        let mut object = Object::new();
        for (k, v) in iter {
            object.insert(k, v);
        }
        object
    }
}

impl Body {
    /// An empty body.
    pub fn new() -> Body {
        Body::default()
    }

    /// Builder form of [`Body::insert_attr`].
    #[must_use]
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<Expr>) -> Body {
        self.insert_attr(key, value);
        self
    }

    /// Builder form of [`Body::insert_attr`] that also sets the comment
    /// printed above the attribute.
    #[must_use]
    pub fn attr_commented(
        mut self,
        key: impl Into<String>,
        value: impl Into<Expr>,
        comment: impl Into<Comment>,
    ) -> Body {
        let key = key.into();
        self.insert_attr(key.clone(), value);
        self.set_comment(&key, comment);
        self
    }

    /// Builder form of [`Body::push_block`].
    #[must_use]
    pub fn block(mut self, block: Block) -> Body {
        self.push_block(block);
        self
    }

    /// Builder form of [`Body::push_blank`].
    #[must_use]
    pub fn blank(mut self) -> Body {
        self.push_blank();
        self
    }

    /// Appends an attribute, or replaces the value of an existing attribute
    /// of that name in place (HCL rejects a repeated attribute). Returns the
    /// replaced value.
    pub fn insert_attr(&mut self, key: impl Into<String>, value: impl Into<Expr>) -> Option<Expr> {
        let key = key.into();
        let value = value.into();
        for item in &mut self.items {
            if let Structure::Attribute(attr) = item {
                if attr.key == key {
                    return Some(std::mem::replace(&mut attr.value, value));
                }
            }
        }
        self.items.push(Structure::Attribute(Attribute {
            key,
            value,
            comment: Comment::default(),
        }));
        None
    }

    /// Sets the comment above an existing attribute; false when absent.
    pub fn set_comment(&mut self, key: &str, comment: impl Into<Comment>) -> bool {
        for item in &mut self.items {
            if let Structure::Attribute(attr) = item {
                if attr.key == key {
                    attr.comment = comment.into();
                    return true;
                }
            }
        }
        false
    }

    /// Appends a block (blocks of the same type may repeat).
    pub fn push_block(&mut self, block: Block) {
        self.items.push(Structure::Block(block));
    }

    /// Appends a blank line. Blank lines at the start or end of a body, and
    /// repeated ones, are not printed.
    pub fn push_blank(&mut self) {
        self.items.push(Structure::Blank);
    }

    /// The value of an attribute.
    pub fn get_attr(&self, key: &str) -> Option<&Expr> {
        self.items.iter().find_map(|item| match item {
            Structure::Attribute(attr) if attr.key == key => Some(&attr.value),
            _ => None,
        })
    }

    /// The blocks of one type, in order.
    pub fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.items.iter().filter_map(move |item| match item {
            Structure::Block(block) if block.ident == ident => Some(block),
            _ => None,
        })
    }

    /// The structures in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Structure> {
        self.items.iter()
    }

    /// True when there is nothing but (or not even) blank lines.
    pub fn is_empty(&self) -> bool {
        self.items.iter().all(|s| matches!(s, Structure::Blank))
    }
}

impl Block {
    /// A block of the given type, without labels.
    pub fn new(ident: impl Into<String>) -> Block {
        Block {
            ident: ident.into(),
            ..Block::default()
        }
    }

    /// Appends a label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Block {
        self.labels.push(label.into());
        self
    }

    /// Appends labels.
    #[must_use]
    pub fn with_labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Block {
        self.labels.extend(labels.into_iter().map(Into::into));
        self
    }

    /// Sets the comment printed above the block.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<Comment>) -> Block {
        self.comment = comment.into();
        self
    }

    /// Replaces the body.
    #[must_use]
    pub fn with_body(mut self, body: Body) -> Block {
        self.body = body;
        self
    }

    /// Adds an attribute to the body (see [`Body::attr`]).
    #[must_use]
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<Expr>) -> Block {
        self.body.insert_attr(key, value);
        self
    }

    /// Adds a commented attribute to the body (see [`Body::attr_commented`]).
    #[must_use]
    pub fn attr_commented(
        mut self,
        key: impl Into<String>,
        value: impl Into<Expr>,
        comment: impl Into<Comment>,
    ) -> Block {
        self.body = self.body.attr_commented(key, value, comment);
        self
    }

    /// Adds a nested block to the body.
    #[must_use]
    pub fn block(mut self, block: Block) -> Block {
        self.body.push_block(block);
        self
    }

    /// Adds a blank line to the body.
    #[must_use]
    pub fn blank(mut self) -> Block {
        self.body.push_blank();
        self
    }
}

/// Prints a body as a file (or file fragment) at the top level.
pub fn to_string(body: &Body) -> String {
    let mut out = String::new();
    write_body(&mut out, body, 0);
    out
}

/// Prints a file: the header comment, a blank line, then the body.
pub fn document(doc: &Document<Body>) -> String {
    file(&doc.header, &doc.root)
}

/// Prints a file from its parts, as [`document`] does, for a body that is not
/// in a [`Document`].
pub fn file(header: &Comment, body: &Body) -> String {
    let mut out = String::new();
    header.write_rendered(&mut out, 0);
    if !header.is_empty() && !body.is_empty() {
        // Without the blank line the header would read as the comment of the
        // first block.
        out.push('\n');
    }
    write_body(&mut out, body, 0);
    out
}

/// True when `s` is an identifier this printer writes as is: ASCII letters,
/// digits, `_` and `-`, not starting with a digit or `-`. (HCL allows Unicode
/// identifiers too; Terraform's names are ASCII in practice.)
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Identifier-shaped text made safe to print: invalid characters become `_`,
/// and a leading digit or dash gets a `_` in front. The printer uses it so
/// that a bad name can never produce a file that fails to parse;
/// [`validate`] reports such names so that tests catch them.
fn sanitize_identifier(s: &str) -> Cow<'_, str> {
    if is_identifier(s) {
        return Cow::Borrowed(s);
    }
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    Cow::Owned(out)
}

/// Problems that the printer papers over: attribute names and block types
/// that are not identifiers, and verbatim expressions (raw text,
/// interpolations, function names) that are empty or span several lines.
/// Backend tests assert this is empty.
pub fn validate(body: &Body) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    validate_body(body, "", &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn validate_body(body: &Body, path: &str, problems: &mut Vec<String>) {
    for item in body.iter() {
        match item {
            Structure::Attribute(attr) => {
                let here = format!("{path}{}", attr.key);
                if !is_identifier(&attr.key) {
                    problems.push(format!(
                        "attribute name {:?} is not an identifier",
                        attr.key
                    ));
                }
                validate_expr(&attr.value, &here, problems);
            }
            Structure::Block(block) => {
                if !is_identifier(&block.ident) {
                    problems.push(format!("block type {:?} is not an identifier", block.ident));
                }
                let mut here = format!("{path}{}", block.ident);
                for label in &block.labels {
                    here.push_str(&format!("[{label:?}]"));
                }
                here.push('.');
                validate_body(&block.body, &here, problems);
            }
            Structure::Blank => {}
        }
    }
}

fn validate_expr(expr: &Expr, path: &str, problems: &mut Vec<String>) {
    let check_raw = |text: &str, what: &str, problems: &mut Vec<String>| {
        if text.trim().is_empty() {
            problems.push(format!("{path}: empty {what}"));
        } else if text.contains(['\n', '\r']) {
            problems.push(format!("{path}: {what} {text:?} spans several lines"));
        }
    };
    match expr {
        Expr::Raw(text) => check_raw(text, "raw expression", problems),
        Expr::Call(name, args) => {
            if !is_identifier(name) && !is_namespaced_function(name) {
                problems.push(format!(
                    "{path}: function name {name:?} is not an identifier"
                ));
            }
            for arg in args {
                validate_expr(arg, path, problems);
            }
        }
        Expr::Template(template) => {
            for part in template.parts() {
                if let TemplatePart::Interp(text) = part {
                    check_raw(text, "interpolation", problems);
                }
            }
        }
        Expr::Tuple(items) => {
            for item in items {
                validate_expr(item, path, problems);
            }
        }
        Expr::Object(object) => {
            for (key, value) in object.iter() {
                validate_expr(value, &format!("{path}.{key}"), problems);
            }
        }
        Expr::Null
        | Expr::Bool(_)
        | Expr::Int(_)
        | Expr::Float(_)
        | Expr::Str(_)
        | Expr::Heredoc(_) => {}
    }
}

/// Provider-defined functions are called as `provider::name::function`.
fn is_namespaced_function(name: &str) -> bool {
    let parts: Vec<&str> = name.split("::").collect();
    parts.len() > 1 && parts.iter().all(|p| is_identifier(p))
}

/// The quoted-string form of literal text: backslash escapes for quotes,
/// backslashes and control characters, and `$${` / `%%{` for template
/// sequences.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    push_escaped(&mut out, s);
    out.push('"');
    out
}

/// Escapes literal text for the inside of a quoted string or template.
fn push_escaped(out: &mut String, s: &str) {
    // Printable ASCII without quotes, backslashes or the start of an
    // interpolation, the usual case, is written as it is.
    if s.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && !matches!(b, b'"' | b'\\' | b'$' | b'%'))
    {
        out.push_str(s);
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                // `$${` and `%%{` are HCL's escapes for a literal `${` / `%{`.
                out.push(c);
                out.push(c);
            }
            c if c.is_control() || is_unicode_line_break_or_bom(c) || is_nonchar(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Escapes heredoc content: only template sequences, since backslashes are
/// literal in heredocs.
fn heredoc_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if (c == '$' || c == '%') && chars.peek() == Some(&'{') {
            out.push(c);
        }
        out.push(c);
    }
    out
}

/// The heredoc form of `s`, or `None` when `s` cannot be one exactly: it must
/// end with a line break (the closing marker needs its own line) and contain
/// no control characters other than tabs and line feeds.
fn heredoc(s: &str) -> Option<String> {
    if !s.ends_with('\n') {
        return None;
    }
    if s.chars().any(|c| {
        c != '\n'
            && c != '\t'
            && (c.is_control() || is_unicode_line_break_or_bom(c) || is_nonchar(c))
    }) {
        return None;
    }
    // The marker must not appear alone on a content line, or the heredoc
    // would end there.
    let lines: Vec<&str> = s.lines().map(str::trim).collect();
    let mut marker = String::from("EOT");
    let mut n = 0u32;
    while lines.contains(&marker.as_str()) {
        n += 1;
        marker = format!("EOT{n}");
    }
    Some(format!("<<{marker}\n{}{marker}", heredoc_escaped(s)))
}

/// A template: a lone interpolation is printed as its bare expression, as
/// `terraform fmt` rewrites `"${var.x}"` to `var.x` (HCL gives both the same
/// value). Adjacent literal parts are merged before escaping so that a `$`
/// ending one part and a `{` starting the next are escaped together.
fn render_template(template: &Template) -> String {
    let mut merged: Vec<TemplatePart> = Vec::new();
    for part in template.parts() {
        match (merged.last_mut(), part) {
            (Some(TemplatePart::Lit(prev)), TemplatePart::Lit(text)) => prev.push_str(text),
            (_, TemplatePart::Lit(text)) if text.is_empty() => {}
            _ => merged.push(part.clone()),
        }
    }
    if let [TemplatePart::Interp(expr)] = merged.as_slice() {
        return expr.trim().to_string();
    }
    let mut out = String::from("\"");
    for (i, part) in merged.iter().enumerate() {
        match part {
            TemplatePart::Lit(text) => {
                let next_is_interp = matches!(merged.get(i + 1), Some(TemplatePart::Interp(_)));
                match text.strip_suffix('$').filter(|_| next_is_interp) {
                    // A literal `$` right before `${` would read as the
                    // escape `$${`; it is written as an interpolation of the
                    // string "$" instead.
                    Some(head) => {
                        push_escaped(&mut out, head);
                        out.push_str("${\"$\"}");
                    }
                    None => push_escaped(&mut out, text),
                }
            }
            TemplatePart::Interp(expr) => {
                out.push_str("${");
                out.push_str(expr.trim());
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

/// Display width of a key for alignment, in the grapheme clusters that
/// `hclwrite` counts. Combining marks, zero-width joiners and variation
/// selectors add no width, and a pair of regional indicators is one flag.
fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        // Every ASCII character is one column wide.
        return s.len();
    }
    let mut width = 0;
    let mut pending_regional = false;
    for c in s.chars() {
        let code = c as u32;
        let zero_width = (0x300..=0x36F).contains(&code)
            || code == 0x200D
            || (0xFE00..=0xFE0F).contains(&code)
            || (0x1F3FB..=0x1F3FF).contains(&code)
            || (0xE0020..=0xE007F).contains(&code);
        if zero_width {
            continue;
        }
        if (0x1F1E6..=0x1F1FF).contains(&code) {
            if pending_regional {
                pending_regional = false;
                continue;
            }
            pending_regional = true;
        } else {
            pending_regional = false;
        }
        width += 1;
    }
    width
}

fn pad(out: &mut String, level: usize) {
    push_spaces(out, level * INDENT);
}

fn write_comment(out: &mut String, comment: &Comment, level: usize) {
    comment.write_rendered(out, level * INDENT);
}

/// A rendered `key = value` line (or object item) before alignment.
struct Assignment<'a> {
    key: Cow<'a, str>,
    value: String,
    /// True when `terraform fmt` would put this line in an alignment run:
    /// the value is on one line, or is a heredoc.
    alignable: bool,
}

/// Renders an expression whose first line continues the current line at
/// nesting `level`; later lines carry their own indentation.
/// `heredoc_ok` is false where a heredoc's closing marker could not stand
/// alone on its line (inside tuples and argument lists).
fn render_expr(expr: &Expr, level: usize, heredoc_ok: bool) -> String {
    match expr {
        Expr::Null => "null".to_string(),
        Expr::Bool(b) => b.to_string(),
        Expr::Int(i) => i.to_string(),
        Expr::Float(f) => f.canonical(),
        Expr::Str(s) => quoted(s),
        Expr::Heredoc(s) => match heredoc(s).filter(|_| heredoc_ok) {
            Some(text) => text,
            None => quoted(s),
        },
        Expr::Template(t) => render_template(t),
        Expr::Raw(text) => text.trim().to_string(),
        Expr::Call(name, args) => render_call(name, args, level),
        Expr::Tuple(items) => render_tuple(items, level),
        Expr::Object(object) => render_object(object, level),
    }
}

fn render_call(name: &str, args: &[Expr], level: usize) -> String {
    let name = if is_identifier(name) || is_namespaced_function(name) {
        Cow::Borrowed(name)
    } else {
        sanitize_identifier(name)
    };
    let inline: Vec<String> = args.iter().map(|a| render_expr(a, level, false)).collect();
    let one_line = format!("{name}({})", inline.join(", "));
    if !one_line.contains('\n') && one_line.len() <= MAX_INLINE_WIDTH {
        return one_line;
    }
    // A single collection argument hugs the parentheses, as in the usual
    // `jsonencode({` ... `})`: `terraform fmt` indents its content by one
    // level, because the line opens two brackets at once.
    if let [arg @ (Expr::Object(_) | Expr::Tuple(_))] = args {
        let rendered = render_expr(arg, level, false);
        if rendered.contains('\n') {
            return format!("{name}({rendered})");
        }
    }
    let mut out = format!("{name}(\n");
    for arg in args {
        pad(&mut out, level + 1);
        out.push_str(&render_expr(arg, level + 1, false));
        out.push_str(",\n");
    }
    pad(&mut out, level);
    out.push(')');
    out
}

fn render_tuple(items: &[Expr], level: usize) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    let inline: Vec<String> = items.iter().map(|i| render_expr(i, level, false)).collect();
    let one_line = format!("[{}]", inline.join(", "));
    if !one_line.contains('\n') && one_line.len() <= MAX_INLINE_WIDTH {
        return one_line;
    }
    let mut out = String::from("[\n");
    for item in items {
        pad(&mut out, level + 1);
        out.push_str(&render_expr(item, level + 1, false));
        out.push_str(",\n");
    }
    pad(&mut out, level);
    out.push(']');
    out
}

/// Object keys are bare when they are plain identifiers that cannot be read
/// as a keyword (`for` would start a `for` expression), quoted otherwise.
fn object_key(key: &str) -> Cow<'_, str> {
    let bare = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(key, "true" | "false" | "null" | "for" | "in" | "if");
    if bare {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(quoted(key))
    }
}

fn render_object(object: &Object, level: usize) -> String {
    if object.is_empty() {
        return "{}".to_string();
    }
    let assignments: Vec<Option<Assignment>> = object
        .iter()
        .map(|(key, value)| Some(assignment(object_key(key), value, level + 1)))
        .collect();
    let mut out = String::from("{\n");
    write_assignments(&mut out, &assignments, &[], level + 1);
    pad(&mut out, level);
    out.push('}');
    out
}

fn assignment<'a>(key: Cow<'a, str>, value: &Expr, level: usize) -> Assignment<'a> {
    let rendered = render_expr(value, level, true);
    let is_heredoc = rendered.starts_with("<<") && matches!(value, Expr::Heredoc(_));
    Assignment {
        key,
        alignable: is_heredoc || !rendered.contains('\n'),
        value: rendered,
    }
}

/// Writes a sequence of lines at `level`. `None` entries stand for anything
/// that ends an alignment run and is written by the caller (blocks, blank
/// lines); here they only split runs. `comments[i]` (when present) is written
/// above assignment `i` and also ends the run before it.
fn write_assignments(
    out: &mut String,
    assignments: &[Option<Assignment>],
    comments: &[&Comment],
    level: usize,
) {
    let widths = alignment_widths(assignments, comments);
    for (i, assignment) in assignments.iter().enumerate() {
        let Some(a) = assignment else { continue };
        if let Some(comment) = comments.get(i) {
            write_comment(out, comment, level);
        }
        pad(out, level);
        out.push_str(&a.key);
        let width = widths.get(i).copied().unwrap_or(0);
        let key_width = display_width(&a.key);
        out.extend(std::iter::repeat_n(
            ' ',
            width.saturating_sub(key_width) + 1,
        ));
        out.push_str("= ");
        out.push_str(&a.value);
        out.push('\n');
    }
}

/// For each assignment, the key width its `=` is aligned to: the widest key
/// of its run, or its own width when it is in no run.
fn alignment_widths(assignments: &[Option<Assignment>], comments: &[&Comment]) -> Vec<usize> {
    let mut widths: Vec<usize> = assignments
        .iter()
        .map(|a| a.as_ref().map_or(0, |a| display_width(&a.key)))
        .collect();
    let mut run: Vec<usize> = Vec::new();
    let close = |run: &mut Vec<usize>, widths: &mut Vec<usize>| {
        let max = run.iter().map(|&i| widths[i]).max().unwrap_or(0);
        for &i in run.iter() {
            widths[i] = max;
        }
        run.clear();
    };
    for (i, assignment) in assignments.iter().enumerate() {
        let has_comment = comments.get(i).is_some_and(|c| !c.is_empty());
        match assignment {
            Some(a) if a.alignable => {
                if has_comment {
                    close(&mut run, &mut widths);
                }
                run.push(i);
            }
            _ => close(&mut run, &mut widths),
        }
    }
    close(&mut run, &mut widths);
    widths
}

fn write_body(out: &mut String, body: &Body, level: usize) {
    // Blank lines: none at the edges, at most one in a row, and one around
    // every block.
    let mut items: Vec<&Structure> = Vec::new();
    for item in body.iter() {
        let prev_is_blank = items.last().is_none_or(|p| matches!(p, Structure::Blank));
        match item {
            Structure::Blank if prev_is_blank => {}
            Structure::Blank => items.push(item),
            Structure::Block(_) if !prev_is_blank => {
                items.push(&Structure::Blank);
                items.push(item);
            }
            Structure::Attribute(_) if matches!(items.last(), Some(Structure::Block(_))) => {
                items.push(&Structure::Blank);
                items.push(item);
            }
            _ => items.push(item),
        }
    }
    while matches!(items.last(), Some(Structure::Blank)) {
        items.pop();
    }

    // Render attributes first so that alignment can look at whole runs.
    let assignments: Vec<Option<Assignment>> = items
        .iter()
        .map(|item| match item {
            Structure::Attribute(attr) => Some(assignment(
                sanitize_identifier(&attr.key),
                &attr.value,
                level,
            )),
            _ => None,
        })
        .collect();
    let empty = Comment::default();
    let comments: Vec<&Comment> = items
        .iter()
        .map(|item| match item {
            Structure::Attribute(attr) => &attr.comment,
            _ => &empty,
        })
        .collect();
    let widths = alignment_widths(&assignments, &comments);

    for ((item, assignment), width) in items.iter().zip(&assignments).zip(&widths) {
        match (item, assignment) {
            (Structure::Attribute(attr), Some(a)) => {
                write_comment(out, &attr.comment, level);
                pad(out, level);
                out.push_str(&a.key);
                let key_width = display_width(&a.key);
                out.extend(std::iter::repeat_n(
                    ' ',
                    width.saturating_sub(key_width) + 1,
                ));
                out.push_str("= ");
                out.push_str(&a.value);
                out.push('\n');
            }
            (Structure::Attribute(_), None) => {}
            (Structure::Block(block), _) => write_block(out, block, level),
            (Structure::Blank, _) => out.push('\n'),
        }
    }
}

fn write_block(out: &mut String, block: &Block, level: usize) {
    write_comment(out, &block.comment, level);
    pad(out, level);
    out.push_str(&sanitize_identifier(&block.ident));
    for label in &block.labels {
        out.push(' ');
        out.push_str(&quoted(label));
    }
    if block.body.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    write_body(out, &block.body, level + 1);
    pad(out, level);
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_template_sequences() {
        assert_eq!(quoted("${x}"), r#""$${x}""#);
        assert_eq!(quoted("%{if}"), r#""%%{if}""#);
        assert_eq!(quoted("$${x}"), r#""$$${x}""#);
        assert_eq!(quoted("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(quoted("$ {"), r#""$ {""#);
        assert_eq!(quoted("\u{1}"), r#""\u0001""#);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("instance_type"));
        assert!(is_identifier("for-each"));
        assert!(!is_identifier("1abc"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a.b"));
        assert_eq!(sanitize_identifier("a.b"), "a_b");
        assert_eq!(sanitize_identifier("1x"), "_1x");
        assert_eq!(sanitize_identifier(""), "_");
    }

    #[test]
    fn templates() {
        let t = Template::new().interp("var.domain");
        assert_eq!(render_template(&t), "var.domain");
        let t = Template::new()
            .lit("https://")
            .interp("var.domain")
            .lit("/api");
        assert_eq!(render_template(&t), r#""https://${var.domain}/api""#);
        let t = Template::new().lit("cost $").interp("var.x");
        assert_eq!(render_template(&t), r#""cost ${"$"}${var.x}""#);
        let t = Template::new().lit("a$").lit("{b}").interp("c");
        assert_eq!(render_template(&t), r#""a$${b}${c}""#);
        assert_eq!(render_template(&Template::new()), r#""""#);
    }

    #[test]
    fn heredoc_marker_avoids_content() {
        assert_eq!(heredoc("a\n"), Some("<<EOT\na\nEOT".to_string()));
        assert_eq!(heredoc("EOT\n"), Some("<<EOT1\nEOT\nEOT1".to_string()));
        assert_eq!(heredoc("a"), None);
        assert_eq!(heredoc("${x}\n"), Some("<<EOT\n$${x}\nEOT".to_string()));
    }

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("\"🇬🇧\""), 3);
        assert_eq!(display_width("e\u{301}"), 1);
    }
}
