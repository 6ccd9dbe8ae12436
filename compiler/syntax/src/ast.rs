//! The syntax tree. It is faithful to the source: nothing is desugared, every node has a
//! range, and comments are attached to the entries they precede or follow so that the
//! formatter can keep them and hover can show them as documentation.

use hostplan_diagnostics::TextRange;

/// A whole file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub entries: Vec<Entry>,
    /// Comments after the last entry.
    pub trailing_comments: Vec<Comment>,
}

/// A `#` comment; `text` includes the `#`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub text: String,
    pub range: TextRange,
}

/// One item of a file or a block body, with the comments around it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub kind: EntryKind,
    pub range: TextRange,
    /// Comments on the lines just before the entry.
    pub comments_before: Vec<Comment>,
    /// A comment on the same line, after the entry.
    pub trailing_comment: Option<Comment>,
    /// Comments found inside the entry where the formatter has no other place for them.
    pub inner_comments: Vec<Comment>,
    /// Whether a blank line separates the entry from the one before it.
    pub blank_before: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntryKind {
    Import(Import),
    /// `key = value`
    Attr(Attr),
    /// `kind label extends parent { body }`
    Block(Block),
    /// `kind name = value`, as in `secret couchdb_admin = env("X")`.
    Labelled(Labelled),
    /// Text that could not be parsed; it was diagnosed, and is kept verbatim by the
    /// formatter.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: StrLit,
    pub alias: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub key: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub kind: Ident,
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub kind: Ident,
    pub label: Option<BlockLabel>,
    pub extends: Option<Path>,
    pub body: Body,
}

/// The name of a block: an identifier or a string.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockLabel {
    Ident(Ident),
    Str(StrLit),
}

impl BlockLabel {
    pub fn name(&self) -> &str {
        match self {
            BlockLabel::Ident(it) => &it.name,
            BlockLabel::Str(it) => &it.value,
        }
    }

    pub fn range(&self) -> TextRange {
        match self {
            BlockLabel::Ident(it) => it.range,
            BlockLabel::Str(it) => it.range,
        }
    }
}

/// The inside of `{ ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub entries: Vec<Entry>,
    /// Comments after the last entry, before `}`.
    pub dangling_comments: Vec<Comment>,
    /// The range from `{` to `}` (or to where the body was cut off).
    pub range: TextRange,
    /// Whether the source wrote the whole body on one line; the formatter keeps short
    /// one-line bodies on one line.
    pub single_line: bool,
    /// Whether the closing `}` is missing (already diagnosed).
    pub unclosed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    pub value: String,
    pub range: TextRange,
}

/// A value.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(StrLit),
    /// A plain number; `text` keeps the digits as written (`2_400_000`).
    Number {
        value: f64,
        text: String,
        range: TextRange,
    },
    /// A number with a unit; `unit` is `None` when the unit was unknown (already diagnosed).
    Quantity {
        value: f64,
        unit: Option<Unit>,
        text: String,
        range: TextRange,
    },
    Money {
        value: f64,
        text: String,
        range: TextRange,
    },
    Bool {
        value: bool,
        range: TextRange,
    },
    List(List),
    /// A name or dotted name: a reference or an enum value.
    Path(Path),
    /// `name(args)`
    Call(Call),
    /// `name { body }`
    Construct(Construct),
    /// A missing or broken value (already diagnosed).
    Error(TextRange),
}

impl Expr {
    pub fn range(&self) -> TextRange {
        match self {
            Expr::Str(it) => it.range,
            Expr::Number { range, .. }
            | Expr::Quantity { range, .. }
            | Expr::Money { range, .. }
            | Expr::Bool { range, .. } => *range,
            Expr::List(it) => it.range,
            Expr::Path(it) => it.range,
            Expr::Call(it) => it.range,
            Expr::Construct(it) => it.range,
            Expr::Error(range) => *range,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct List {
    pub items: Vec<ListItem>,
    pub range: TextRange,
    pub single_line: bool,
    pub dangling_comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    pub value: Expr,
    pub comments_before: Vec<Comment>,
    pub trailing_comment: Option<Comment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub range: TextRange,
}

impl Path {
    /// The path as written, segments joined by dots.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (idx, segment) in self.segments.iter().enumerate() {
            if idx > 0 {
                out.push('.');
            }
            out.push_str(&segment.name);
        }
        out
    }

    /// The last segment, which names the thing referred to.
    pub fn last(&self) -> Option<&Ident> {
        self.segments.last()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub callee: Path,
    pub args: Vec<Arg>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Construct {
    pub callee: Path,
    pub body: Body,
    pub range: TextRange,
}

/// The kind of quantity a unit measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    Duration,
    Size,
    Percent,
}

/// A unit suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Year,
    Byte,
    Kilobyte,
    Megabyte,
    Gigabyte,
    Terabyte,
    Kibibyte,
    Mebibyte,
    Gibibyte,
    Tebibyte,
    Percent,
}

impl Unit {
    /// Every unit with its suffix, in the order the language reference lists them.
    pub const ALL: &'static [(Unit, &'static str)] = &[
        (Unit::Second, "s"),
        (Unit::Minute, "m"),
        (Unit::Hour, "h"),
        (Unit::Day, "d"),
        (Unit::Week, "w"),
        (Unit::Year, "y"),
        (Unit::Byte, "B"),
        (Unit::Kilobyte, "KB"),
        (Unit::Megabyte, "MB"),
        (Unit::Gigabyte, "GB"),
        (Unit::Terabyte, "TB"),
        (Unit::Kibibyte, "KiB"),
        (Unit::Mebibyte, "MiB"),
        (Unit::Gibibyte, "GiB"),
        (Unit::Tebibyte, "TiB"),
        (Unit::Percent, "%"),
    ];

    pub fn from_suffix(suffix: &str) -> Option<Unit> {
        Unit::ALL
            .iter()
            .find(|(_, it)| *it == suffix)
            .map(|(unit, _)| *unit)
    }

    pub fn suffix(self) -> &'static str {
        Unit::ALL
            .iter()
            .find(|(unit, _)| *unit == self)
            .map(|(_, it)| *it)
            .unwrap_or("")
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Second | Unit::Minute | Unit::Hour | Unit::Day | Unit::Week | Unit::Year => {
                Dimension::Duration
            }
            Unit::Percent => Dimension::Percent,
            _ => Dimension::Size,
        }
    }

    /// How many base units (seconds, bytes, or hundredths for percentages) one of this unit is.
    pub fn factor(self) -> f64 {
        match self {
            Unit::Second => 1.0,
            Unit::Minute => 60.0,
            Unit::Hour => 3_600.0,
            Unit::Day => 86_400.0,
            Unit::Week => 604_800.0,
            Unit::Year => 31_536_000.0,
            Unit::Byte => 1.0,
            Unit::Kilobyte => 1e3,
            Unit::Megabyte => 1e6,
            Unit::Gigabyte => 1e9,
            Unit::Terabyte => 1e12,
            Unit::Kibibyte => 1024.0,
            Unit::Mebibyte => 1_048_576.0,
            Unit::Gibibyte => 1_073_741_824.0,
            Unit::Tebibyte => 1_099_511_627_776.0,
            Unit::Percent => 0.01,
        }
    }
}

/// Keywords and top-level block kinds that, found at the start of a line inside a block,
/// mean that the block was not closed. The parser uses this only to recover.
pub const TOP_LEVEL_KEYWORDS: &[&str] = &[
    "import",
    "plan",
    "population",
    "users",
    "secret",
    "policy",
    "environment",
    "operator",
    "assumptions",
    "release",
    "layout",
    "provider",
];
