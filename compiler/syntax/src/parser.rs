//! The parser: recursive descent over the lexer's tokens, with recovery.
//!
//! Function names follow one convention: `parse_x` parses an `x` that must be there and
//! reports an error when it is not; `at_x` looks ahead without consuming. After an error,
//! the parser skips to the next line that starts a field or block (or to the closing `}` of
//! the current block), so that one mistake gives one diagnostic and every independent
//! mistake in a file is still reported.

use hostplan_diagnostics::{codes, Diagnostic, FileId, Label, Span, TextRange};

use crate::ast::{
    Arg, Attr, Block, BlockLabel, Body, Call, Comment, Construct, Entry, EntryKind, Expr, File,
    Ident, Import, Labelled, List, ListItem, Path, StrLit, TOP_LEVEL_KEYWORDS,
};
use crate::lexer::{lex, Token, TokenKind};

/// The result of parsing a file: a tree, always, and what was wrong with the text.
#[derive(Clone, Debug)]
pub struct Parse {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a file. Never fails and never panics: broken pieces become error nodes.
pub fn parse(file: FileId, text: &str) -> Parse {
    let (tokens, mut diagnostics) = lex(file, text);
    let mut parser = Parser::new(file, text, tokens);
    let entries = parser.parse_entries(None);
    let trailing_comments = parser
        .take_comments_before()
        .into_iter()
        .map(|it| it.comment)
        .collect();
    diagnostics.append(&mut parser.diagnostics);
    Parse {
        file: File {
            entries,
            trailing_comments,
        },
        diagnostics,
    }
}

/// How deeply values and blocks may nest before the parser gives up on the nesting; it keeps
/// adversarial input such as ten thousand `[` from exhausting the stack.
const MAX_DEPTH: u32 = 64;

struct SigComment {
    comment: Comment,
    /// On the same line as the previous significant token: a trailing comment.
    same_line: bool,
}

/// A significant token with the trivia before it.
struct Sig {
    token: Token,
    newlines_before: u32,
    blank_before: bool,
    comments: Vec<SigComment>,
}

struct Parser<'t> {
    file: FileId,
    text: &'t str,
    sigs: Vec<Sig>,
    eof: Sig,
    pos: usize,
    depth: u32,
    diagnostics: Vec<Diagnostic>,
    /// Comments swept up inside the entry being parsed, innermost entry last.
    inner_sinks: Vec<Vec<Comment>>,
}

impl<'t> Parser<'t> {
    fn new(file: FileId, text: &'t str, tokens: Vec<Token>) -> Parser<'t> {
        let mut sigs = Vec::with_capacity(tokens.len());
        let mut newlines = 0;
        let mut newlines_before_comment = 0;
        let mut comments = Vec::new();
        for token in tokens {
            match token.kind {
                TokenKind::Newline => {
                    newlines += 1;
                    if comments.is_empty() {
                        newlines_before_comment += 1;
                    }
                }
                // Unknown characters were diagnosed by the lexer; skipping them here keeps one
                // stray character from also derailing the parse of its line.
                TokenKind::Unknown => {}
                TokenKind::Comment => {
                    let comment_text = text
                        .get(token.range.start as usize..token.range.end as usize)
                        .unwrap_or("#");
                    comments.push(SigComment {
                        comment: Comment {
                            text: comment_text.trim_end().to_string(),
                            range: token.range,
                        },
                        same_line: newlines == 0 && !sigs.is_empty(),
                    });
                }
                _ => {
                    sigs.push(Sig {
                        token,
                        newlines_before: newlines,
                        blank_before: newlines_before_comment >= 2,
                        comments: std::mem::take(&mut comments),
                    });
                    newlines = 0;
                    newlines_before_comment = 0;
                }
            }
        }
        let end = text.len() as u32;
        let eof = Sig {
            token: Token {
                kind: TokenKind::Newline,
                range: TextRange::empty(end),
            },
            newlines_before: newlines,
            blank_before: newlines_before_comment >= 2,
            comments,
        };
        Parser {
            file,
            text,
            sigs,
            eof,
            pos: 0,
            depth: 0,
            diagnostics: Vec::new(),
            inner_sinks: Vec::new(),
        }
    }

    // ----- token access -----

    fn sig(&self, n: usize) -> &Sig {
        self.sigs.get(self.pos + n).unwrap_or(&self.eof)
    }

    fn sig_mut(&mut self) -> &mut Sig {
        match self.sigs.get_mut(self.pos) {
            Some(it) => it,
            None => &mut self.eof,
        }
    }

    fn at_eof(&self) -> bool {
        self.pos >= self.sigs.len()
    }

    fn kind(&self, n: usize) -> Option<&TokenKind> {
        self.sigs.get(self.pos + n).map(|it| &it.token.kind)
    }

    fn range(&self) -> TextRange {
        self.sig(0).token.range
    }

    fn token_text(&self, n: usize) -> &'t str {
        let range = self.sig(n).token.range;
        self.text
            .get(range.start as usize..range.end as usize)
            .unwrap_or("")
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.kind(0) == Some(kind)
    }

    fn at_ident(&self, n: usize) -> bool {
        matches!(self.kind(n), Some(TokenKind::Ident))
    }

    fn at_keyword(&self, n: usize, keyword: &str) -> bool {
        self.at_ident(n) && self.token_text(n) == keyword
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.sig(0).newlines_before > 0
    }

    fn at_column_zero(&self) -> bool {
        let start = self.range().start as usize;
        start == 0 || self.text.as_bytes().get(start - 1) == Some(&b'\n')
    }

    /// Consumes the current token. Comments attached to it that nobody claimed go to the
    /// enclosing entry's inner comments, so that none is ever lost.
    fn bump(&mut self) -> TextRange {
        let range = self.range();
        if self.pos < self.sigs.len() {
            let comments = std::mem::take(&mut self.sig_mut().comments);
            if let Some(sink) = self.inner_sinks.last_mut() {
                sink.extend(comments.into_iter().map(|it| it.comment));
            }
            self.pos += 1;
        }
        range
    }

    /// The value of the current string token, moved out of it; callers consume the token right
    /// after, so nothing reads the value again.
    fn take_str(&mut self) -> String {
        match &mut self.sig_mut().token.kind {
            TokenKind::Str(value) => std::mem::take(value),
            _ => String::new(),
        }
    }

    fn take_comments_before(&mut self) -> Vec<SigComment> {
        std::mem::take(&mut self.sig_mut().comments)
    }

    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range)
    }

    fn describe_current(&self) -> String {
        match self.kind(0) {
            None => "the end of the file".to_string(),
            Some(TokenKind::Str(_)) => "a string".to_string(),
            Some(TokenKind::Number(_))
            | Some(TokenKind::Quantity(..))
            | Some(TokenKind::Money(_)) => {
                format!("`{}`", self.token_text(0))
            }
            Some(TokenKind::Unknown) => "an unexpected character".to_string(),
            Some(_) => format!("`{}`", self.token_text(0)),
        }
    }

    fn error_here(&mut self, message: String, label: &str, help: Option<&str>) {
        let range = if self.at_eof() {
            TextRange::empty(self.text.len() as u32)
        } else {
            self.range()
        };
        let mut diagnostic =
            Diagnostic::error(&codes::E0001, message, Label::new(self.span(range), label));
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        if !self.at_eof() {
            diagnostic = diagnostic.with_value(self.token_text(0));
        }
        self.diagnostics.push(diagnostic);
    }

    /// Skips to the next entry boundary: a token that starts a line, a `,`, or the `}` that
    /// closes the current block. Nested brackets are skipped whole.
    fn recover(&mut self) -> TextRange {
        let start = self.range();
        let mut end = start;
        let mut depth = 0u32;
        let mut first = true;
        while !self.at_eof() {
            if depth == 0 && !first {
                if self.at_line_start() {
                    break;
                }
                if self.at(&TokenKind::Comma) {
                    self.bump();
                    break;
                }
            }
            match self.kind(0) {
                Some(TokenKind::LBrace) | Some(TokenKind::LBracket) | Some(TokenKind::LParen) => {
                    depth += 1
                }
                Some(TokenKind::RBrace) | Some(TokenKind::RBracket) | Some(TokenKind::RParen) => {
                    if depth == 0 {
                        if self.at(&TokenKind::RBrace) {
                            break;
                        }
                    } else {
                        depth -= 1;
                    }
                }
                _ => {}
            }
            first = false;
            end = self.bump();
        }
        start.cover(end)
    }

    // ----- entries -----

    /// Parses entries until the end of the file, or until the `}` of the body opened at `open`.
    fn parse_entries(&mut self, open: Option<TextRange>) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            self.attach_trailing_comment(&mut entries);
            if self.at_eof() {
                break;
            }
            if self.at(&TokenKind::RBrace) {
                if open.is_some() {
                    break;
                }
                self.error_here(
                    "unexpected `}`".into(),
                    "no block is open here",
                    Some("remove this `}`"),
                );
                self.bump();
                continue;
            }
            if open.is_some()
                && self.at_column_zero()
                && self.at_line_start()
                && TOP_LEVEL_KEYWORDS.contains(&self.token_text(0))
                && !matches!(self.kind(1), Some(TokenKind::Eq))
            {
                // A top-level declaration at the start of a line inside a block almost always
                // means the block above was not closed; stopping here keeps the declaration
                // from being misread as a nested block, which would cascade into errors.
                break;
            }
            if self.at(&TokenKind::Comma) {
                self.bump();
                continue;
            }
            let comments_before: Vec<Comment> = self
                .take_comments_before()
                .into_iter()
                .map(|it| it.comment)
                .collect();
            let blank_before = self.sig(0).blank_before && !entries.is_empty();
            self.inner_sinks.push(Vec::new());
            let start = self.range();
            let kind = self.parse_entry();
            let end = self.previous_end().max(start.end);
            let inner_comments = self.inner_sinks.pop().unwrap_or_default();
            entries.push(Entry {
                kind,
                range: TextRange::new(start.start, end),
                comments_before,
                trailing_comment: None,
                inner_comments,
                blank_before,
            });
        }
        entries
    }

    /// A comment on the same line as the end of the previous entry belongs to that entry.
    fn attach_trailing_comment(&mut self, entries: &mut [Entry]) {
        let Some(last) = entries.last_mut() else {
            return;
        };
        if last.trailing_comment.is_some() {
            return;
        }
        let comments = &mut self.sig_mut().comments;
        if comments.first().is_some_and(|it| it.same_line) {
            let first = comments.remove(0);
            last.trailing_comment = Some(first.comment);
        }
    }

    fn previous_end(&self) -> u32 {
        match self.pos.checked_sub(1).and_then(|idx| self.sigs.get(idx)) {
            Some(sig) => sig.token.range.end,
            None => 0,
        }
    }

    fn parse_entry(&mut self) -> EntryKind {
        if !self.at_ident(0) {
            let found = self.describe_current();
            self.error_here(
                format!("expected a field or a block, found {found}"),
                "expected a name here",
                Some("entries are `name = value` or `kind name { ... }`"),
            );
            self.recover();
            return EntryKind::Error;
        }
        if self.at_keyword(0, "import") && matches!(self.kind(1), Some(TokenKind::Str(_))) {
            return self.parse_import();
        }
        let key = self.parse_ident_token();
        match self.kind(0) {
            Some(TokenKind::Eq) => {
                self.bump();
                let value = self.parse_value_after_eq(&key);
                EntryKind::Attr(Attr { key, value })
            }
            Some(TokenKind::LBrace) => self.parse_block(key, None),
            Some(TokenKind::Ident) if self.at_keyword(0, "extends") => self.parse_block(key, None),
            Some(
                TokenKind::Str(_)
                | TokenKind::Number(_)
                | TokenKind::Quantity(..)
                | TokenKind::Money(_)
                | TokenKind::LBracket
                | TokenKind::Ident,
            ) if self.missing_eq() => {
                self.report_missing_eq(&key);
                let value = self.parse_expr();
                EntryKind::Attr(Attr { key, value })
            }
            Some(TokenKind::Ident) => {
                let name = self.parse_ident_token();
                if self.at(&TokenKind::Eq) {
                    self.bump();
                    let value = self.parse_value_after_eq(&name);
                    return EntryKind::Labelled(Labelled {
                        kind: key,
                        name,
                        value,
                    });
                }
                self.parse_block(key, Some(BlockLabel::Ident(name)))
            }
            Some(TokenKind::Str(_)) => {
                let value = self.take_str();
                let range = self.bump();
                self.parse_block(key, Some(BlockLabel::Str(StrLit { value, range })))
            }
            _ => {
                let found = self.describe_current();
                let message = format!("expected `=` or `{{` after `{}`, found {found}", key.name);
                let help = format!(
                    "write `{} = value` for a field or `{} {{ ... }}` for a block",
                    key.name, key.name
                );
                self.error_here(message, "expected `=` or `{` here", Some(&help));
                self.recover();
                EntryKind::Error
            }
        }
    }

    /// Whether the entry is a value written after a name without `=`, such as `cht "5.2.0"`:
    /// the token after the value does not open a block and is not on the same line.
    fn missing_eq(&self) -> bool {
        let value_is_label = matches!(self.kind(0), Some(TokenKind::Str(_) | TokenKind::Ident));
        if self.at_line_start() {
            return false;
        }
        if !value_is_label {
            return true;
        }
        let next = self.sig(1);
        let opens_block = matches!(next.token.kind, TokenKind::LBrace | TokenKind::Eq)
            || (next.token.kind == TokenKind::Ident && self.token_text(1) == "extends");
        !opens_block
            && (next.newlines_before > 0
                || self.pos + 1 >= self.sigs.len()
                || next.token.kind == TokenKind::RBrace
                || next.token.kind == TokenKind::Comma)
    }

    fn report_missing_eq(&mut self, key: &Ident) {
        let insert_at = Span::new(self.file, TextRange::empty(key.range.end));
        self.diagnostics.push(
            Diagnostic::error(
                &codes::E0001,
                format!("missing `=` after `{}`", key.name),
                Label::new(self.span(key.range), "expected `=` after this name"),
            )
            .with_help(format!("write `{} = {}`", key.name, self.token_text(0)))
            .with_fix(hostplan_diagnostics::Fix {
                title: "insert `=`".to_string(),
                edits: vec![hostplan_diagnostics::Edit {
                    span: insert_at,
                    replacement: " =".to_string(),
                }],
            }),
        );
    }

    fn parse_import(&mut self) -> EntryKind {
        self.bump();
        let path = match self.kind(0) {
            Some(TokenKind::Str(_)) => {
                let value = self.take_str();
                let range = self.bump();
                StrLit { value, range }
            }
            _ => StrLit {
                value: String::new(),
                range: TextRange::empty(self.previous_end()),
            },
        };
        let mut alias = None;
        if self.at_keyword(0, "as") {
            self.bump();
            if self.at_ident(0) {
                alias = Some(self.parse_ident_token());
            } else {
                let found = self.describe_current();
                self.error_here(
                    format!("expected a name after `as`, found {found}"),
                    "expected a name",
                    None,
                );
                self.recover();
            }
        }
        EntryKind::Import(Import { path, alias })
    }

    fn parse_block(&mut self, kind: Ident, label: Option<BlockLabel>) -> EntryKind {
        let mut extends = None;
        if self.at_keyword(0, "extends") {
            self.bump();
            if self.at_ident(0) {
                extends = Some(self.parse_path());
            } else {
                let found = self.describe_current();
                self.error_here(
                    format!(
                        "expected the name of what `{}` extends, found {found}",
                        kind.name
                    ),
                    "expected a name",
                    None,
                );
            }
        }
        if !self.at(&TokenKind::LBrace) {
            let found = self.describe_current();
            let what = match &label {
                Some(label) => format!("`{} {}`", kind.name, label.name()),
                None => format!("`{}`", kind.name),
            };
            self.error_here(
                format!("expected `{{` after {what}, found {found}"),
                "expected `{`",
                None,
            );
            self.recover();
            return EntryKind::Error;
        }
        let body = self.parse_body();
        EntryKind::Block(Block {
            kind,
            label,
            extends,
            body,
        })
    }

    fn parse_body(&mut self) -> Body {
        let open = self.bump();
        if self.depth >= MAX_DEPTH {
            self.error_too_deep(open);
            let skipped = self.skip_balanced(open);
            return Body {
                entries: Vec::new(),
                dangling_comments: Vec::new(),
                range: open.cover(skipped),
                single_line: true,
                unclosed: false,
            };
        }
        self.depth += 1;
        let entries = self.parse_entries(Some(open));
        self.depth -= 1;
        let mut dangling = Vec::new();
        let mut unclosed = false;
        let end = if self.at(&TokenKind::RBrace) {
            let trailing_same_line = self.take_comments_before();
            dangling.extend(trailing_same_line.into_iter().map(|it| it.comment));
            self.bump().end
        } else {
            unclosed = true;
            if !self.at_eof() {
                dangling.clear();
            }
            self.diagnostics.push(
                Diagnostic::error(
                    &codes::E0006,
                    "unclosed `{`",
                    Label::new(self.span(open), "this `{` is never closed"),
                )
                .with_secondary(Label::new(
                    self.span(TextRange::empty(self.previous_end())),
                    "expected `}` after this",
                ))
                .with_help("add the missing `}`"),
            );
            self.previous_end().max(open.end)
        };
        let range = TextRange::new(open.start, end);
        let single_line = !self
            .text
            .get(range.start as usize..range.end as usize)
            .unwrap_or("")
            .contains('\n');
        Body {
            entries,
            dangling_comments: dangling,
            range,
            single_line,
            unclosed,
        }
    }

    fn error_too_deep(&mut self, at: TextRange) {
        self.diagnostics.push(
            Diagnostic::error(
                &codes::E0001,
                "nesting is too deep",
                Label::new(self.span(at), "nested too deeply"),
            )
            .with_help(format!("plans nest at most {MAX_DEPTH} levels")),
        );
    }

    /// Skips to the bracket that closes the one at `open`, for input nested too deeply.
    fn skip_balanced(&mut self, open: TextRange) -> TextRange {
        let mut depth = 1u32;
        let mut end = open;
        while !self.at_eof() && depth > 0 {
            match self.kind(0) {
                Some(TokenKind::LBrace) | Some(TokenKind::LBracket) | Some(TokenKind::LParen) => {
                    depth += 1
                }
                Some(TokenKind::RBrace) | Some(TokenKind::RBracket) | Some(TokenKind::RParen) => {
                    depth -= 1
                }
                _ => {}
            }
            end = self.bump();
        }
        end
    }

    fn parse_ident_token(&mut self) -> Ident {
        let name = self.token_text(0).to_string();
        let range = self.bump();
        Ident { name, range }
    }

    fn parse_path(&mut self) -> Path {
        let first = self.parse_ident_token();
        let mut range = first.range;
        let mut segments = vec![first];
        while self.at(&TokenKind::Dot) && self.at_ident(1) {
            self.bump();
            let segment = self.parse_ident_token();
            range = range.cover(segment.range);
            segments.push(segment);
        }
        if self.at(&TokenKind::Dot) {
            let dot = self.bump();
            self.diagnostics.push(
                Diagnostic::error(
                    &codes::E0001,
                    "expected a name after `.`",
                    Label::new(self.span(dot), "a name must follow"),
                )
                .with_help("dotted names look like `policies.production`"),
            );
            range = range.cover(dot);
        }
        Path { segments, range }
    }

    // ----- values -----

    fn parse_value_after_eq(&mut self, key: &Ident) -> Expr {
        if self.can_start_value()
            && !(self.at_line_start()
                && self.at_ident(0)
                && matches!(self.kind(1), Some(TokenKind::Eq)))
        {
            return self.parse_expr();
        }
        let at = TextRange::empty(self.previous_end());
        self.diagnostics.push(
            Diagnostic::error(
                &codes::E0001,
                format!("expected a value for `{}`", key.name),
                Label::new(self.span(key.range.cover(at)), "no value after `=`"),
            )
            .with_help("write a value after `=`: a string, a number, a quantity such as `24h`, a list or a name"),
        );
        if !self.at_line_start() && !self.at(&TokenKind::RBrace) && !self.at_eof() {
            self.recover();
        }
        Expr::Error(at)
    }

    fn can_start_value(&self) -> bool {
        matches!(
            self.kind(0),
            Some(
                TokenKind::Str(_)
                    | TokenKind::Number(_)
                    | TokenKind::Quantity(..)
                    | TokenKind::Money(_)
                    | TokenKind::LBracket
                    | TokenKind::Ident
            )
        )
    }

    fn parse_expr(&mut self) -> Expr {
        let range = self.range();
        match self.kind(0) {
            Some(TokenKind::Str(_)) => {
                let value = self.take_str();
                self.bump();
                Expr::Str(StrLit { value, range })
            }
            Some(&TokenKind::Number(value)) => {
                let text = self.token_text(0).to_string();
                self.bump();
                Expr::Number { value, text, range }
            }
            Some(&TokenKind::Quantity(value, unit)) => {
                let text = self.token_text(0).to_string();
                self.bump();
                Expr::Quantity {
                    value,
                    unit,
                    text,
                    range,
                }
            }
            Some(&TokenKind::Money(value)) => {
                let text = self.token_text(0).to_string();
                self.bump();
                Expr::Money { value, text, range }
            }
            Some(TokenKind::Ident)
                if self.token_text(0) == "true" || self.token_text(0) == "false" =>
            {
                let value = self.token_text(0) == "true";
                self.bump();
                Expr::Bool { value, range }
            }
            Some(TokenKind::Ident) => self.parse_path_expr(),
            Some(TokenKind::LBracket) => self.parse_list(),
            _ => {
                let found = self.describe_current();
                self.error_here(
                    format!("expected a value, found {found}"),
                    "expected a value",
                    Some(
                        "a value is a string, a number, a quantity such as `24h`, a list or a name",
                    ),
                );
                let skipped = self.recover();
                Expr::Error(skipped)
            }
        }
    }

    fn parse_path_expr(&mut self) -> Expr {
        let callee = self.parse_path();
        if self.at(&TokenKind::LParen) {
            return self.parse_call(callee);
        }
        if self.at(&TokenKind::LBrace) {
            if self.depth >= MAX_DEPTH {
                let open = self.bump();
                self.error_too_deep(open);
                let skipped = self.skip_balanced(open);
                return Expr::Error(callee.range.cover(skipped));
            }
            let body = self.parse_body();
            let range = callee.range.cover(body.range);
            return Expr::Construct(Construct {
                callee,
                body,
                range,
            });
        }
        Expr::Path(callee)
    }

    fn parse_call(&mut self, callee: Path) -> Expr {
        let open = self.bump();
        if self.depth >= MAX_DEPTH {
            self.error_too_deep(open);
            let skipped = self.skip_balanced(open);
            return Expr::Error(callee.range.cover(skipped));
        }
        self.depth += 1;
        let mut args = Vec::new();
        let mut end = open.end;
        loop {
            if self.at(&TokenKind::RParen) {
                end = self.bump().end;
                break;
            }
            if self.at_eof()
                || self.at(&TokenKind::RBrace)
                || (self.at_line_start() && !args.is_empty())
            {
                self.report_unclosed(open, "(", ")");
                break;
            }
            let name = if self.at_ident(0) && matches!(self.kind(1), Some(TokenKind::Eq)) {
                let name = self.parse_ident_token();
                self.bump();
                Some(name)
            } else {
                None
            };
            let value = if self.can_start_value() {
                self.parse_expr()
            } else {
                let found = self.describe_current();
                self.error_here(
                    format!("expected an argument, found {found}"),
                    "expected an argument",
                    None,
                );
                self.skip_to_close(&TokenKind::RParen);
                if self.at(&TokenKind::RParen) {
                    end = self.bump().end;
                }
                break;
            };
            args.push(Arg { name, value });
            if self.at(&TokenKind::Comma) {
                self.bump();
            } else if !self.at(&TokenKind::RParen) {
                let found = self.describe_current();
                self.error_here(
                    format!("expected `,` or `)`, found {found}"),
                    "expected `,` or `)`",
                    None,
                );
                self.skip_to_close(&TokenKind::RParen);
                if self.at(&TokenKind::RParen) {
                    end = self.bump().end;
                }
                break;
            }
        }
        self.depth -= 1;
        let range = TextRange::new(callee.range.start, end.max(self.previous_end()));
        Expr::Call(Call {
            callee,
            args,
            range,
        })
    }

    fn parse_list(&mut self) -> Expr {
        let open = self.bump();
        if self.depth >= MAX_DEPTH {
            self.error_too_deep(open);
            let skipped = self.skip_balanced(open);
            return Expr::Error(open.cover(skipped));
        }
        self.depth += 1;
        let mut items: Vec<ListItem> = Vec::new();
        let mut end = open.end;
        let mut dangling_comments = Vec::new();
        loop {
            if let Some(last) = items.last_mut() {
                let comments = &mut self.sig_mut().comments;
                if last.trailing_comment.is_none()
                    && comments.first().is_some_and(|it| it.same_line)
                {
                    last.trailing_comment = Some(comments.remove(0).comment);
                }
            }
            if self.at(&TokenKind::RBracket) {
                dangling_comments = self
                    .take_comments_before()
                    .into_iter()
                    .map(|it| it.comment)
                    .collect();
                end = self.bump().end;
                break;
            }
            if self.at_eof() || self.at(&TokenKind::RBrace) || !self.can_start_value() {
                if self.at_eof() || self.at(&TokenKind::RBrace) || self.at_line_start() {
                    self.report_unclosed(open, "[", "]");
                } else {
                    let found = self.describe_current();
                    self.error_here(
                        format!("expected a list item or `]`, found {found}"),
                        "expected a value",
                        None,
                    );
                    self.skip_to_close(&TokenKind::RBracket);
                    if self.at(&TokenKind::RBracket) {
                        end = self.bump().end;
                    }
                }
                break;
            }
            let comments_before = self
                .take_comments_before()
                .into_iter()
                .map(|it| it.comment)
                .collect();
            let value = self.parse_expr();
            items.push(ListItem {
                value,
                comments_before,
                trailing_comment: None,
            });
            if self.at(&TokenKind::Comma) {
                self.bump();
            } else if !self.at(&TokenKind::RBracket) && !self.at_line_start() {
                let found = self.describe_current();
                self.error_here(
                    format!("expected `,` or `]`, found {found}"),
                    "expected `,` or `]`",
                    None,
                );
                self.skip_to_close(&TokenKind::RBracket);
                if self.at(&TokenKind::RBracket) {
                    end = self.bump().end;
                }
                break;
            }
        }
        self.depth -= 1;
        let range = TextRange::new(open.start, end.max(self.previous_end()));
        let single_line = !self
            .text
            .get(range.start as usize..range.end as usize)
            .unwrap_or("")
            .contains('\n');
        Expr::List(List {
            items,
            range,
            single_line,
            dangling_comments,
        })
    }

    fn report_unclosed(&mut self, open: TextRange, opening: &str, closing: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                &codes::E0006,
                format!("unclosed `{opening}`"),
                Label::new(self.span(open), format!("this `{opening}` is never closed")),
            )
            .with_secondary(Label::new(
                self.span(TextRange::empty(self.previous_end())),
                format!("expected `{closing}` after this"),
            ))
            .with_help(format!("add the missing `{closing}`")),
        );
    }

    /// Skips to `close` on the same nesting level, stopping at a line start, at `}` or at the
    /// end of the file.
    fn skip_to_close(&mut self, close: &TokenKind) {
        let mut depth = 0u32;
        let mut moved = false;
        while !self.at_eof() {
            if depth == 0 {
                if self.at(close) || self.at(&TokenKind::RBrace) {
                    break;
                }
                if moved && self.at_line_start() {
                    break;
                }
            }
            match self.kind(0) {
                Some(TokenKind::LBrace) | Some(TokenKind::LBracket) | Some(TokenKind::LParen) => {
                    depth += 1
                }
                Some(TokenKind::RBrace) | Some(TokenKind::RBracket) | Some(TokenKind::RParen) => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.bump();
            moved = true;
        }
    }
}
