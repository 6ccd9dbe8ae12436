//! Files, byte ranges and line/column arithmetic.

use std::sync::{Arc, OnceLock};

/// An opaque handle to a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A half-open byte range `[start, end)` within one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    /// Builds a range; an inverted range is normalised so that `start <= end` always holds.
    pub fn new(start: u32, end: u32) -> TextRange {
        if end < start {
            return TextRange {
                start: end,
                end: start,
            };
        }
        TextRange { start, end }
    }

    /// An empty range at `offset`.
    pub fn empty(offset: u32) -> TextRange {
        TextRange {
            start: offset,
            end: offset,
        }
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `offset` lies inside the range, counting its end (a cursor just after a word
    /// is still "on" the word for editor features).
    pub fn contains_inclusive(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
}

/// A range in a particular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: TextRange,
}

impl Span {
    pub fn new(file: FileId, range: TextRange) -> Span {
        Span { file, range }
    }
}

/// A zero-based line and a zero-based column counted in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Line starts of a text, for converting byte offsets to lines and columns.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        // Every file of a compilation is indexed, the standard library's 65 KB included, so
        // line breaks are found with SIMD rather than byte by byte.
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|idx| idx as u32 + 1));
        LineIndex {
            line_starts,
            len: text.len() as u32,
        }
    }

    /// The line and byte column of `offset`; offsets past the end clamp to the end.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.len);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        LineCol {
            line: line as u32,
            col: offset - start,
        }
    }

    /// The byte offset where `line` starts, if the line exists.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.line_starts.get(line as usize).copied()
    }

    /// The number of lines; an empty text has one.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset of the end of the text.
    pub fn text_len(&self) -> u32 {
        self.len
    }

    /// Converts a byte offset to a line and a column counted in UTF-16 code units, as the
    /// language server protocol counts them.
    pub fn utf16_line_col(&self, text: &str, offset: u32) -> (u32, u32) {
        let LineCol { line, col } = self.line_col(offset);
        let start = self.line_start(line).unwrap_or(0) as usize;
        let end = (start + col as usize).min(text.len());
        let slice = text.get(start..end).unwrap_or("");
        let units: usize = slice.chars().map(char::len_utf16).sum();
        (line, units as u32)
    }

    /// Converts a line and a UTF-16 column back to a byte offset. A column past the end of
    /// the line clamps to the line end, and a column inside a surrogate pair clamps to the
    /// start of that character, so any input maps to a valid character boundary.
    pub fn offset_of_utf16(&self, text: &str, line: u32, col16: u32) -> u32 {
        let Some(start) = self.line_start(line) else {
            return self.len;
        };
        let line_end = self
            .line_start(line + 1)
            .map(|next| next - 1)
            .unwrap_or(self.len);
        let slice = text.get(start as usize..line_end as usize).unwrap_or("");
        let mut units = 0u32;
        for (idx, ch) in slice.char_indices() {
            let width = ch.len_utf16() as u32;
            if col16 < units + width {
                return start + idx as u32;
            }
            units += width;
        }
        line_end
    }
}

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path shown to users: relative to the entry plan's directory, with `/`, or
    /// `std/NAME.hplan` for the standard library.
    pub path: String,
    pub text: Arc<str>,
    /// Made on first use: a build with no diagnostics to show never needs one, and the
    /// standard library's 1,100-line catalogue is part of every analysis.
    line_index: OnceLock<LineIndex>,
}

impl SourceFile {
    /// Where the file's lines start.
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }
}

/// Every file of a compilation, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: String, text: Arc<str>) -> FileId {
        self.files.push(SourceFile {
            path,
            text,
            line_index: OnceLock::new(),
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// Replaces the text of an existing file, keeping its id.
    pub fn replace(&mut self, file: FileId, text: Arc<str>) {
        if let Some(slot) = self.files.get_mut(file.0 as usize) {
            slot.line_index = OnceLock::new();
            slot.text = text;
        }
    }

    pub fn get(&self, file: FileId) -> Option<&SourceFile> {
        self.files.get(file.0 as usize)
    }

    pub fn path(&self, file: FileId) -> &str {
        self.get(file)
            .map(|it| it.path.as_str())
            .unwrap_or("<unknown>")
    }

    pub fn text(&self, file: FileId) -> &str {
        self.get(file).map(|it| &*it.text).unwrap_or("")
    }

    /// The text a span covers, or an empty string when the span is out of bounds.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.file)
            .get(span.range.start as usize..span.range.end as usize)
            .unwrap_or("")
    }

    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|it| it.path == path)
            .map(|idx| FileId(idx as u32))
    }

    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|idx| FileId(idx as u32))
    }

    /// The one-based line and column of a byte offset, as people read them.
    pub fn location(&self, file: FileId, offset: u32) -> (u32, u32) {
        match self.get(file) {
            Some(it) => {
                let LineCol { line, col } = it.line_index().line_col(offset);
                let start = it.line_index().line_start(line).unwrap_or(0) as usize;
                let end = (start + col as usize).min(it.text.len());
                let chars = it
                    .text
                    .get(start..end)
                    .map(|s| s.chars().count())
                    .unwrap_or(0);
                (line + 1, chars as u32 + 1)
            }
            None => (1, 1),
        }
    }
}

impl<'a> codespan_reporting::files::Files<'a> for Sources {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|it| it.path.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|it| &*it.text)
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let file = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        Ok(file.line_index().line_col(byte_index as u32).line as usize)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        let file = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        let count = file.line_index().line_count();
        if line_index >= count {
            return Err(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: count - 1,
            });
        }
        let start = file.line_index().line_start(line_index as u32).unwrap_or(0) as usize;
        let end = file
            .line_index()
            .line_start(line_index as u32 + 1)
            .map(|it| it as usize)
            .unwrap_or(file.text.len());
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a = \"é😀x\"\nb";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(index.utf16_line_col(text, x), (0, 8));
        assert_eq!(index.offset_of_utf16(text, 0, 8), x);
        // A column inside the surrogate pair lands on the emoji's first byte.
        let emoji = text.find('😀').unwrap() as u32;
        assert_eq!(index.offset_of_utf16(text, 0, 7), emoji);
        assert_eq!(index.offset_of_utf16(text, 1, 99), text.len() as u32);
        assert_eq!(index.offset_of_utf16(text, 7, 0), text.len() as u32);
    }

    #[test]
    fn locations_are_one_based_characters() {
        let mut sources = Sources::default();
        let file = sources.add("p.hplan".into(), "é = 1\nab".into());
        assert_eq!(sources.location(file, 3), (1, 3));
        assert_eq!(sources.location(file, 8), (2, 2));
        assert_eq!(sources.location(file, 999), (2, 3));
    }

    #[test]
    fn the_line_index_is_made_on_first_use_and_again_after_a_replace() {
        let mut sources = Sources::default();
        let file = sources.add("p.hplan".into(), "a\nb\nc".into());
        assert!(sources.get(file).unwrap().line_index.get().is_none());
        assert_eq!(sources.location(file, 4), (3, 1));
        assert_eq!(sources.get(file).unwrap().line_index().line_count(), 3);
        // The index of the old text must not outlive it.
        sources.replace(file, "abcd\ne".into());
        assert_eq!(sources.location(file, 4), (1, 5));
        assert_eq!(sources.get(file).unwrap().line_index().line_count(), 2);
    }
}

/// An edit's effect on positions: in `file`, everything from byte `from` on moved by
/// `delta` bytes. An incremental analysis applies it to the results it keeps from the
/// previous analysis, which all lie before or after the edited region, never across it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shift {
    pub file: FileId,
    pub from: u32,
    pub delta: i64,
}

impl Shift {
    /// A shift that moves nothing.
    pub fn none() -> Shift {
        Shift {
            file: FileId(u32::MAX),
            from: u32::MAX,
            delta: 0,
        }
    }

    pub fn is_none(&self) -> bool {
        self.delta == 0
    }

    #[inline]
    pub fn span(&self, span: &mut Span) {
        if self.delta != 0 && span.file == self.file && span.range.start >= self.from {
            span.range.start = (span.range.start as i64 + self.delta).max(0) as u32;
            span.range.end = (span.range.end as i64 + self.delta).max(0) as u32;
        }
    }

    pub fn diagnostic(&self, diagnostic: &mut crate::Diagnostic) {
        if self.delta == 0 {
            return;
        }
        self.span(&mut diagnostic.primary.span);
        for label in &mut diagnostic.secondary {
            self.span(&mut label.span);
        }
        if let Some(fix) = &mut diagnostic.fix {
            for edit in &mut fix.edits {
                self.span(&mut edit.span);
            }
        }
    }
}
