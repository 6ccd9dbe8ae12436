//! A compact binary form of a syntax tree, so that a tree made at build time can be loaded
//! at run time without parsing again.
//!
//! The standard library is parsed in every process that checks a plan, and that parse was
//! half of a national build's analysis; `hostplan-core` snapshots the library's trees when it
//! is compiled and [`decode`]s them instead, which builds the same tree with a fraction of the
//! work (no lexing, no token lists, no recovery). The form is private to one build of the
//! workspace: it has no version, since the encoder and the decoder always come from the same
//! source.
//!
//! Layout: integers are LEB128, strings a length and UTF-8 bytes, `f64` its eight
//! little-endian bytes, options and enums a tag byte, lists a length and their items, a
//! range its start and end. [`decode`] checks everything it reads and returns `None` for
//! bytes it did not write, never panicking.

use hostplan_diagnostics::TextRange;

use crate::ast::{
    Arg, Attr, Block, BlockLabel, Body, Call, Comment, Construct, Entry, EntryKind, Expr, File,
    Ident, Import, Labelled, List, ListItem, Path, StrLit, Unit,
};

/// `file` in the compact form.
pub fn encode(file: &File) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(64 * 1024));
    out.file(file);
    out.0
}

/// The tree [`encode`] wrote into `bytes`, or `None` if `bytes` is not such a tree.
pub fn decode(bytes: &[u8]) -> Option<File> {
    let mut reader = Reader { bytes, pos: 0 };
    let file = reader.file()?;
    (reader.pos == bytes.len()).then_some(file)
}

struct Writer(Vec<u8>);

impl Writer {
    fn int(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn len(&mut self, len: usize) {
        self.int(len as u64);
    }

    fn flag(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }

    fn text(&mut self, text: &str) {
        self.len(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    fn float(&mut self, value: f64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn range(&mut self, range: TextRange) {
        self.int(u64::from(range.start));
        self.int(u64::from(range.end));
    }

    fn file(&mut self, file: &File) {
        self.entries(&file.entries);
        self.comments(&file.trailing_comments);
    }

    fn comment(&mut self, comment: &Comment) {
        self.text(&comment.text);
        self.range(comment.range);
    }

    fn comments(&mut self, comments: &[Comment]) {
        self.len(comments.len());
        for comment in comments {
            self.comment(comment);
        }
    }

    fn optional_comment(&mut self, comment: Option<&Comment>) {
        self.flag(comment.is_some());
        if let Some(comment) = comment {
            self.comment(comment);
        }
    }

    fn entries(&mut self, entries: &[Entry]) {
        self.len(entries.len());
        for entry in entries {
            self.entry(entry);
        }
    }

    fn entry(&mut self, entry: &Entry) {
        match &entry.kind {
            EntryKind::Import(import) => {
                self.0.push(0);
                self.str_lit(&import.path);
                self.optional_ident(import.alias.as_ref());
            }
            EntryKind::Attr(attr) => {
                self.0.push(1);
                self.ident(&attr.key);
                self.expr(&attr.value);
            }
            EntryKind::Block(block) => {
                self.0.push(2);
                self.block(block);
            }
            EntryKind::Labelled(labelled) => {
                self.0.push(3);
                self.ident(&labelled.kind);
                self.ident(&labelled.name);
                self.expr(&labelled.value);
            }
            EntryKind::Error => self.0.push(4),
        }
        self.range(entry.range);
        self.comments(&entry.comments_before);
        self.optional_comment(entry.trailing_comment.as_ref());
        self.comments(&entry.inner_comments);
        self.flag(entry.blank_before);
    }

    fn block(&mut self, block: &Block) {
        self.ident(&block.kind);
        match &block.label {
            None => self.0.push(0),
            Some(BlockLabel::Ident(ident)) => {
                self.0.push(1);
                self.ident(ident);
            }
            Some(BlockLabel::Str(text)) => {
                self.0.push(2);
                self.str_lit(text);
            }
        }
        self.flag(block.extends.is_some());
        if let Some(path) = &block.extends {
            self.path(path);
        }
        self.body(&block.body);
    }

    fn body(&mut self, body: &Body) {
        self.entries(&body.entries);
        self.comments(&body.dangling_comments);
        self.range(body.range);
        self.flag(body.single_line);
        self.flag(body.unclosed);
    }

    fn ident(&mut self, ident: &Ident) {
        self.text(&ident.name);
        self.range(ident.range);
    }

    fn optional_ident(&mut self, ident: Option<&Ident>) {
        self.flag(ident.is_some());
        if let Some(ident) = ident {
            self.ident(ident);
        }
    }

    fn str_lit(&mut self, text: &StrLit) {
        self.text(&text.value);
        self.range(text.range);
    }

    fn path(&mut self, path: &Path) {
        self.len(path.segments.len());
        for segment in &path.segments {
            self.ident(segment);
        }
        self.range(path.range);
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Str(text) => {
                self.0.push(0);
                self.str_lit(text);
            }
            Expr::Number { value, text, range } => {
                self.0.push(1);
                self.float(*value);
                self.text(text);
                self.range(*range);
            }
            Expr::Quantity {
                value,
                unit,
                text,
                range,
            } => {
                self.0.push(2);
                self.float(*value);
                // 0 for no unit, else one more than the unit's place in `Unit::ALL`.
                let place = unit.and_then(|unit| Unit::ALL.iter().position(|(it, _)| *it == unit));
                self.len(place.map_or(0, |it| it + 1));
                self.text(text);
                self.range(*range);
            }
            Expr::Money { value, text, range } => {
                self.0.push(3);
                self.float(*value);
                self.text(text);
                self.range(*range);
            }
            Expr::Bool { value, range } => {
                self.0.push(4);
                self.flag(*value);
                self.range(*range);
            }
            Expr::List(list) => {
                self.0.push(5);
                self.len(list.items.len());
                for item in &list.items {
                    self.expr(&item.value);
                    self.comments(&item.comments_before);
                    self.optional_comment(item.trailing_comment.as_ref());
                }
                self.range(list.range);
                self.flag(list.single_line);
                self.comments(&list.dangling_comments);
            }
            Expr::Path(path) => {
                self.0.push(6);
                self.path(path);
            }
            Expr::Call(call) => {
                self.0.push(7);
                self.path(&call.callee);
                self.len(call.args.len());
                for arg in &call.args {
                    self.optional_ident(arg.name.as_ref());
                    self.expr(&arg.value);
                }
                self.range(call.range);
            }
            Expr::Construct(construct) => {
                self.0.push(8);
                self.path(&construct.callee);
                self.body(&construct.body);
                self.range(construct.range);
            }
            Expr::Error(range) => {
                self.0.push(9);
                self.range(*range);
            }
        }
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn int(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn len(&mut self) -> Option<usize> {
        let len = usize::try_from(self.int()?).ok()?;
        // A length can never exceed the bytes left: every item takes at least one byte.
        (len <= self.bytes.len() - self.pos).then_some(len)
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.int()?).ok()
    }

    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<String> {
        let len = self.len()?;
        let bytes = self.bytes.get(self.pos..self.pos + len)?;
        self.pos += len;
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }

    fn float(&mut self) -> Option<f64> {
        let bytes: [u8; 8] = self.bytes.get(self.pos..self.pos + 8)?.try_into().ok()?;
        self.pos += 8;
        Some(f64::from_le_bytes(bytes))
    }

    fn range(&mut self) -> Option<TextRange> {
        Some(TextRange::new(self.u32()?, self.u32()?))
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let len = self.len()?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(item(self)?);
        }
        Some(items)
    }

    fn file(&mut self) -> Option<File> {
        Some(File {
            entries: self.list(Self::entry)?,
            trailing_comments: self.list(Self::comment)?,
        })
    }

    fn comment(&mut self) -> Option<Comment> {
        Some(Comment {
            text: self.text()?,
            range: self.range()?,
        })
    }

    fn optional<T>(&mut self, item: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.flag()? {
            false => Some(None),
            true => item(self).map(Some),
        }
    }

    fn entry(&mut self) -> Option<Entry> {
        let kind = match self.byte()? {
            0 => EntryKind::Import(Import {
                path: self.str_lit()?,
                alias: self.optional(Self::ident)?,
            }),
            1 => EntryKind::Attr(Attr {
                key: self.ident()?,
                value: self.expr()?,
            }),
            2 => EntryKind::Block(self.block()?),
            3 => EntryKind::Labelled(Labelled {
                kind: self.ident()?,
                name: self.ident()?,
                value: self.expr()?,
            }),
            4 => EntryKind::Error,
            _ => return None,
        };
        Some(Entry {
            kind,
            range: self.range()?,
            comments_before: self.list(Self::comment)?,
            trailing_comment: self.optional(Self::comment)?,
            inner_comments: self.list(Self::comment)?,
            blank_before: self.flag()?,
        })
    }

    fn block(&mut self) -> Option<Block> {
        let kind = self.ident()?;
        let label = match self.byte()? {
            0 => None,
            1 => Some(BlockLabel::Ident(self.ident()?)),
            2 => Some(BlockLabel::Str(self.str_lit()?)),
            _ => return None,
        };
        Some(Block {
            kind,
            label,
            extends: self.optional(Self::path)?,
            body: self.body()?,
        })
    }

    fn body(&mut self) -> Option<Body> {
        Some(Body {
            entries: self.list(Self::entry)?,
            dangling_comments: self.list(Self::comment)?,
            range: self.range()?,
            single_line: self.flag()?,
            unclosed: self.flag()?,
        })
    }

    fn ident(&mut self) -> Option<Ident> {
        Some(Ident {
            name: self.text()?,
            range: self.range()?,
        })
    }

    fn str_lit(&mut self) -> Option<StrLit> {
        Some(StrLit {
            value: self.text()?,
            range: self.range()?,
        })
    }

    fn path(&mut self) -> Option<Path> {
        Some(Path {
            segments: self.list(Self::ident)?,
            range: self.range()?,
        })
    }

    fn expr(&mut self) -> Option<Expr> {
        Some(match self.byte()? {
            0 => Expr::Str(self.str_lit()?),
            1 => Expr::Number {
                value: self.float()?,
                text: self.text()?,
                range: self.range()?,
            },
            2 => {
                let value = self.float()?;
                let unit = match self.int()? {
                    0 => None,
                    place => Some(Unit::ALL.get(usize::try_from(place - 1).ok()?)?.0),
                };
                Expr::Quantity {
                    value,
                    unit,
                    text: self.text()?,
                    range: self.range()?,
                }
            }
            3 => Expr::Money {
                value: self.float()?,
                text: self.text()?,
                range: self.range()?,
            },
            4 => Expr::Bool {
                value: self.flag()?,
                range: self.range()?,
            },
            5 => {
                let items = self.list(|reader| {
                    Some(ListItem {
                        value: reader.expr()?,
                        comments_before: reader.list(Self::comment)?,
                        trailing_comment: reader.optional(Self::comment)?,
                    })
                })?;
                Expr::List(List {
                    items,
                    range: self.range()?,
                    single_line: self.flag()?,
                    dangling_comments: self.list(Self::comment)?,
                })
            }
            6 => Expr::Path(self.path()?),
            7 => {
                let callee = self.path()?;
                let args = self.list(|reader| {
                    Some(Arg {
                        name: reader.optional(Self::ident)?,
                        value: reader.expr()?,
                    })
                })?;
                Expr::Call(Call {
                    callee,
                    args,
                    range: self.range()?,
                })
            }
            8 => Expr::Construct(Construct {
                callee: self.path()?,
                body: self.body()?,
                range: self.range()?,
            }),
            9 => Expr::Error(self.range()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use hostplan_diagnostics::FileId;

    use super::{decode, encode};
    use crate::parse;

    /// Every plan of the repository, the standard library's modules among them.
    fn plans() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut found = Vec::new();
        let mut dirs = vec![
            root.join("stdlib"),
            root.join("examples"),
            root.join("tests"),
        ];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|it| it == "hplan") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    found.push((path.display().to_string(), text));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn a_decoded_tree_equals_the_tree_that_was_encoded() {
        let plans = plans();
        assert!(plans.len() > 20, "only {} plans found", plans.len());
        for (path, text) in &plans {
            let tree = parse(FileId(0), text).file;
            assert_eq!(decode(&encode(&tree)).as_ref(), Some(&tree), "{path}");
        }
        // Trees with error nodes, comments everywhere and every kind of expression.
        let broken = "a = [1, 2,, \"x\" # c\n]\nb { c = f(x = 1MiB, 2) d = T { e = $3 } }\n= =\n";
        let tree = parse(FileId(0), broken).file;
        assert_eq!(decode(&encode(&tree)), Some(tree));
    }

    #[test]
    fn bytes_that_are_not_a_tree_are_refused_without_a_panic() {
        let text = &plans()[0].1;
        let bytes = encode(&parse(FileId(0), text).file);
        assert!(decode(&[]).is_none());
        assert!(decode(&[0xff; 16]).is_none());
        // Every truncation, and a sample of single-byte corruptions.
        for end in 0..bytes.len() {
            assert!(decode(&bytes[..end]).is_none(), "truncated at {end}");
        }
        for index in (0..bytes.len()).step_by(7) {
            let mut corrupted = bytes.clone();
            corrupted[index] ^= 0x5a;
            let _ = decode(&corrupted);
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }
}
