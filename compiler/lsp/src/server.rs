//! The main loop: notifications update the session, requests are answered from it, and
//! diagnostics are published after every burst of changes.
//!
//! Everything runs on one thread, in message order. Changes that arrive together are
//! applied together and analysed once, and a request always sees every change sent before
//! it. Each message is handled under `catch_unwind`: a bug answers the request with an
//! internal error, and the server goes on with the state it had.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hostplan_diagnostics::{LineIndex, Span};
use hostplan_ide::FilePosition;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self, Notification as _};
use lsp_types::request::{self, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOrCommand, CodeActionProviderCapability, CompletionItemKind,
    CompletionOptions, CompletionTextEdit, DocumentChanges, Documentation, HoverContents,
    HoverProviderCapability, InlayHintLabel, InlayHintTooltip, InsertTextFormat, Location,
    MarkupContent, MarkupKind, OneOf, OptionalVersionedTextDocumentIdentifier,
    PrepareRenameResponse, RenameOptions, ServerCapabilities, ServerInfo, TextDocumentEdit,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::convert::{self, uri_to_path};
use crate::session::{Document, Session};
use crate::Config;

type Failure = (i32, String);

/// Runs the server on `connection` until the client says `exit` or hangs up.
pub(crate) fn run(
    connection: &Connection,
    config: Config,
) -> Result<(), lsp_server::ProtocolError> {
    let (id, params) = connection.initialize_start()?;
    let params: lsp_types::InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let stdlib_dir = config.cache_dir.as_deref().map(crate::stdlib::directory);
    let mut session = Session::new(stdlib_dir);
    #[expect(
        deprecated,
        reason = "root_uri is what older clients send instead of workspace folders"
    )]
    let root_uri = params.root_uri.clone();
    session.workspace_root = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|it| it.uri.clone())
        .or(root_uri)
        .and_then(|uri| uri_to_path(&uri));
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo { name: "hostplan".to_string(), version: Some(env!("CARGO_PKG_VERSION").to_string()) },
    });
    connection.initialize_finish(id, result)?;
    let can_watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|it| it.did_change_watched_files.as_ref())
        .and_then(|it| it.dynamic_registration)
        .unwrap_or(false);
    if can_watch {
        // Plans import other plan files: ask the client to report changes to any of them on
        // disk. Its answer needs no handling.
        let registration = lsp_types::Registration {
            id: "hostplan-watch-plans".to_string(),
            method: notification::DidChangeWatchedFiles::METHOD.to_string(),
            register_options: Some(
                serde_json::json!({ "watchers": [{ "globPattern": "**/*.hplan" }] }),
            ),
        };
        let params = lsp_types::RegistrationParams {
            registrations: vec![registration],
        };
        let request = Request::new(
            RequestId::from("hostplan-watch-plans".to_string()),
            request::RegisterCapability::METHOD.to_string(),
            params,
        );
        let _ = connection.sender.send(Message::Request(request));
    }
    if let Some(dir) = session.stdlib_dir.clone() {
        if let Err(error) = crate::stdlib::write(&dir) {
            log(connection, &format!("cannot write the standard library to {}: {error}; go to definition into it is off", dir.display()));
            session.stdlib_dir = None;
        }
    }
    main_loop(connection, &mut session);
    Ok(())
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                [".", "\"", "/", "(", "[", "="]
                    .iter()
                    .map(|it| it.to_string())
                    .collect(),
            ),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

fn main_loop(connection: &Connection, session: &mut Session) {
    let mut shutting_down = false;
    while let Ok(first) = connection.receiver.recv() {
        let mut batch = vec![first];
        while let Ok(more) = connection.receiver.try_recv() {
            batch.push(more);
        }
        for message in batch {
            match message {
                Message::Notification(it) if it.method == notification::Exit::METHOD => return,
                Message::Notification(it) => {
                    let method = it.method.clone();
                    if catch_unwind(AssertUnwindSafe(|| handle_notification(session, it))).is_err()
                    {
                        log(connection, &format!("internal error in hostplan while handling {method}; the server goes on"));
                    }
                }
                Message::Request(request) => {
                    if !session.changed.is_empty() {
                        refresh_and_publish(connection, session);
                    }
                    let id = request.id.clone();
                    let response = if shutting_down {
                        Response::new_err(
                            id,
                            ErrorCode::InvalidRequest as i32,
                            "the server is shutting down".to_string(),
                        )
                    } else {
                        shutting_down = request.method == request::Shutdown::METHOD;
                        answer(session, request)
                    };
                    if connection.sender.send(Message::Response(response)).is_err() {
                        return;
                    }
                }
                Message::Response(_) => {}
            }
        }
        if !session.changed.is_empty() {
            refresh_and_publish(connection, session);
        }
    }
}

fn answer(session: &mut Session, request: Request) -> Response {
    let Request { id, method, params } = request;
    match catch_unwind(AssertUnwindSafe(|| dispatch(session, &method, params))) {
        Ok(Ok(value)) => Response {
            id,
            result: Some(value),
            error: None,
        },
        Ok(Err((code, message))) => Response::new_err(id, code, message),
        Err(_) => internal_error(id, &method),
    }
}

fn internal_error(id: RequestId, method: &str) -> Response {
    Response::new_err(
        id,
        ErrorCode::InternalError as i32,
        format!("internal error in hostplan while answering {method}: this is a bug in hostplan; the server goes on"),
    )
}

fn log(connection: &Connection, message: &str) {
    let params = lsp_types::LogMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message: message.to_string(),
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            notification::LogMessage::METHOD.to_string(),
            params,
        )));
}

// ----- notifications -----

fn handle_notification(session: &mut Session, notification: Notification) {
    match notification.method.as_str() {
        notification::DidOpenTextDocument::METHOD => {
            let Ok(params) =
                serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(notification.params)
            else {
                return;
            };
            let Some(path) = uri_to_path(&params.text_document.uri) else {
                return;
            };
            if session.std_module(&path).is_some() {
                return;
            }
            let text = Arc::from(params.text_document.text);
            session.documents.insert(
                path.clone(),
                Document {
                    version: params.text_document.version,
                    text,
                },
            );
            session.changed.insert(path);
        }
        notification::DidChangeTextDocument::METHOD => {
            let Ok(params) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(
                notification.params,
            ) else {
                return;
            };
            let Some(path) = uri_to_path(&params.text_document.uri) else {
                return;
            };
            let Some(doc) = session.documents.get_mut(&path) else {
                return;
            };
            let mut text = doc.text.to_string();
            for change in params.content_changes {
                match change.range {
                    Some(range) => {
                        let index = LineIndex::new(&text);
                        let file = convert::FileText {
                            text: &text,
                            index: &index,
                        };
                        let range = file.text_range(range);
                        text.replace_range(range.start as usize..range.end as usize, &change.text);
                    }
                    None => text = change.text,
                }
            }
            doc.text = Arc::from(text);
            doc.version = params.text_document.version;
            session.changed.insert(path);
        }
        notification::DidCloseTextDocument::METHOD => {
            let Ok(params) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(
                notification.params,
            ) else {
                return;
            };
            let Some(path) = uri_to_path(&params.text_document.uri) else {
                return;
            };
            if session.documents.remove(&path).is_some() {
                session.changed_on_disk.insert(path.clone());
                session.changed.insert(path);
            }
        }
        notification::DidSaveTextDocument::METHOD => {
            let Ok(params) =
                serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(notification.params)
            else {
                return;
            };
            if let Some(path) = uri_to_path(&params.text_document.uri) {
                session.changed_on_disk.insert(path.clone());
                session.changed.insert(path);
            }
        }
        notification::DidChangeWatchedFiles::METHOD => {
            let Ok(params) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(
                notification.params,
            ) else {
                return;
            };
            for change in params.changes {
                if let Some(path) = uri_to_path(&change.uri) {
                    session.changed_on_disk.insert(path.clone());
                    session.changed.insert(path);
                }
            }
        }
        _ => {}
    }
}

// ----- diagnostics -----

fn refresh_and_publish(connection: &Connection, session: &mut Session) {
    let done = catch_unwind(AssertUnwindSafe(|| {
        let changed = session.refresh();
        publish(connection, session, &changed);
    }));
    if done.is_err() {
        log(
            connection,
            "internal error in hostplan while checking the plan; the server goes on",
        );
    }
}

/// Publishes the diagnostics of every file that has some, and of every open file that
/// changed (so a client always hears back after an edit); a file whose diagnostics are gone
/// gets an empty list.
fn publish(
    connection: &Connection,
    session: &mut Session,
    changed: &std::collections::BTreeSet<std::path::PathBuf>,
) {
    let mut next: std::collections::BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)> =
        Default::default();
    for root in session.roots.iter().filter(|it| it.std_view.is_none()) {
        for diagnostic in &root.analysis.diagnostics {
            let file = diagnostic.primary.span.file;
            let Some(Some(path)) = root.paths.get(file.0 as usize) else {
                continue;
            };
            let Some(uri) = convert::path_to_uri(path) else {
                continue;
            };
            let Some(text) = root.file_text(file) else {
                continue;
            };
            let locate = |span: Span| location(session, root, span);
            let converted = convert::diagnostic(diagnostic, &text, &locate);
            let slot = next
                .entry(uri.as_str().to_string())
                .or_insert_with(|| (uri.clone(), Vec::new()));
            if !slot.1.contains(&converted) {
                slot.1.push(converted);
            }
        }
    }
    let edited: std::collections::BTreeSet<String> = changed
        .iter()
        .filter(|path| session.documents.contains_key(*path))
        .filter_map(|path| convert::path_to_uri(path))
        .map(|uri| uri.as_str().to_string())
        .collect();
    for (key, (uri, diagnostics)) in &next {
        let differs = session.published.get(key).map(|(_, it)| it) != Some(diagnostics);
        if differs || edited.contains(key) {
            send_diagnostics(connection, session, uri, diagnostics.clone());
        }
    }
    for (key, (uri, _)) in &session.published {
        if !next.contains_key(key) {
            send_diagnostics(connection, session, uri, Vec::new());
        }
    }
    for key in &edited {
        if next.contains_key(key) || session.published.contains_key(key) {
            continue;
        }
        if let Ok(uri) = key.parse::<Uri>() {
            send_diagnostics(connection, session, &uri, Vec::new());
        }
    }
    session.published = next;
}

fn send_diagnostics(
    connection: &Connection,
    session: &Session,
    uri: &Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
) {
    let version = uri_to_path(uri)
        .and_then(|path| session.documents.get(&path))
        .map(|it| it.version);
    let params = lsp_types::PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version,
    };
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            notification::PublishDiagnostics::METHOD.to_string(),
            params,
        )));
}

fn location(session: &Session, root: &crate::session::Root, span: Span) -> Option<Location> {
    let uri = session.uri_of(root, span.file)?;
    let text = root.file_text(span.file)?;
    Some(Location {
        uri,
        range: text.range(span.range),
    })
}

// ----- requests -----

fn params<P: DeserializeOwned>(value: Value) -> Result<P, Failure> {
    serde_json::from_value(value).map_err(|error| {
        (
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {error}"),
        )
    })
}

fn json<T: serde::Serialize>(value: T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|error| (ErrorCode::InternalError as i32, error.to_string()))
}

/// The root and cursor of a document position; `None` when the document is unknown.
fn cursor(
    session: &mut Session,
    uri: &Uri,
    position: lsp_types::Position,
) -> Option<(usize, FilePosition)> {
    let path = uri_to_path(uri)?;
    let (root, file) = session.locate(&path)?;
    let offset = session.roots.get(root)?.file_text(file)?.offset(position);
    Some((root, FilePosition { file, offset }))
}

fn document(session: &mut Session, uri: &Uri) -> Option<(usize, hostplan_diagnostics::FileId)> {
    let path = uri_to_path(uri)?;
    session.locate(&path)
}

fn dispatch(session: &mut Session, method: &str, raw: Value) -> Result<Value, Failure> {
    match method {
        request::Shutdown::METHOD => Ok(Value::Null),
        request::HoverRequest::METHOD => {
            let p: lsp_types::HoverParams = params(raw)?;
            let doc = &p.text_document_position_params;
            let Some((root, pos)) = cursor(session, &doc.text_document.uri, doc.position) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root) else {
                return Ok(Value::Null);
            };
            let Some(hover) = hostplan_ide::hover(&root.analysis, pos) else {
                return Ok(Value::Null);
            };
            let range = root.file_text(pos.file).map(|it| it.range(hover.range));
            json(lsp_types::Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: hover.markdown,
                }),
                range,
            })
        }
        request::Completion::METHOD => {
            let p: lsp_types::CompletionParams = params(raw)?;
            let doc = &p.text_document_position;
            let Some((root, pos)) = cursor(session, &doc.text_document.uri, doc.position) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root) else {
                return Ok(Value::Null);
            };
            let Some(text) = root.file_text(pos.file) else {
                return Ok(Value::Null);
            };
            let items: Vec<lsp_types::CompletionItem> =
                hostplan_ide::completions(&root.analysis, pos)
                    .into_iter()
                    .enumerate()
                    .map(|(idx, item)| completion_item(idx, item, &text))
                    .collect();
            json(items)
        }
        request::GotoDefinition::METHOD => {
            let p: lsp_types::GotoDefinitionParams = params(raw)?;
            let doc = &p.text_document_position_params;
            let Some((root_idx, pos)) = cursor(session, &doc.text_document.uri, doc.position)
            else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            let locations: Vec<Location> = hostplan_ide::goto_definition(&root.analysis, pos)
                .into_iter()
                .filter_map(|target| {
                    location(session, root, Span::new(target.file, target.focus_range))
                })
                .collect();
            json(locations)
        }
        request::References::METHOD => {
            let p: lsp_types::ReferenceParams = params(raw)?;
            let doc = &p.text_document_position;
            let Some((root_idx, pos)) = cursor(session, &doc.text_document.uri, doc.position)
            else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            let locations: Vec<Location> =
                hostplan_ide::references(&root.analysis, pos, p.context.include_declaration)
                    .into_iter()
                    .filter_map(|span| location(session, root, span))
                    .collect();
            json(locations)
        }
        request::PrepareRenameRequest::METHOD => {
            let p: lsp_types::TextDocumentPositionParams = params(raw)?;
            let Some((root_idx, pos)) = cursor(session, &p.text_document.uri, p.position) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            match hostplan_ide::prepare_rename(&root.analysis, pos) {
                Ok(range) => match root.file_text(pos.file) {
                    Some(text) => json(PrepareRenameResponse::Range(text.range(range))),
                    None => Ok(Value::Null),
                },
                Err(error) => Err((ErrorCode::RequestFailed as i32, error.to_string())),
            }
        }
        request::Rename::METHOD => {
            let p: lsp_types::RenameParams = params(raw)?;
            let doc = &p.text_document_position;
            let Some((root_idx, pos)) = cursor(session, &doc.text_document.uri, doc.position)
            else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            match hostplan_ide::rename(&root.analysis, pos, &p.new_name) {
                Ok(edits) => json(workspace_edit(session, root_idx, &edits)),
                Err(error) => Err((ErrorCode::RequestFailed as i32, error.to_string())),
            }
        }
        request::DocumentSymbolRequest::METHOD => {
            let p: lsp_types::DocumentSymbolParams = params(raw)?;
            let Some((root_idx, file)) = document(session, &p.text_document.uri) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            let Some(text) = root.file_text(file) else {
                return Ok(Value::Null);
            };
            let symbols: Vec<lsp_types::DocumentSymbol> =
                hostplan_ide::document_symbols(&root.analysis, file)
                    .into_iter()
                    .map(|it| symbol(it, &text))
                    .collect();
            json(lsp_types::DocumentSymbolResponse::Nested(symbols))
        }
        request::Formatting::METHOD => {
            let p: lsp_types::DocumentFormattingParams = params(raw)?;
            let Some((root_idx, file)) = document(session, &p.text_document.uri) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            match hostplan_ide::format_file(&root.analysis, file) {
                Ok(Some(edit)) => match root.file_text(file) {
                    Some(text) => json(vec![TextEdit {
                        range: text.range(edit.span.range),
                        new_text: edit.replacement,
                    }]),
                    None => Ok(Value::Null),
                },
                // A file with syntax errors is left as it is; the diagnostics say why.
                Ok(None) | Err(_) => json(Vec::<TextEdit>::new()),
            }
        }
        request::CodeActionRequest::METHOD => {
            let p: lsp_types::CodeActionParams = params(raw)?;
            let Some((root_idx, file)) = document(session, &p.text_document.uri) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            let Some(text) = root.file_text(file) else {
                return Ok(Value::Null);
            };
            let range = text.text_range(p.range);
            let mut actions = Vec::new();
            for action in hostplan_ide::code_actions(&root.analysis, file, range) {
                let diagnostic = root.analysis.diagnostics.get(action.diagnostic).map(|it| {
                    let locate = |span: Span| location(session, root, span);
                    convert::diagnostic(it, &text, &locate)
                });
                actions.push(CodeActionOrCommand::CodeAction(lsp_types::CodeAction {
                    title: action.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: diagnostic.map(|it| vec![it]),
                    edit: Some(workspace_edit(session, root_idx, &action.edits)),
                    is_preferred: Some(action.preferred),
                    ..lsp_types::CodeAction::default()
                }));
            }
            json(actions)
        }
        request::InlayHintRequest::METHOD => {
            let p: lsp_types::InlayHintParams = params(raw)?;
            let Some((root_idx, file)) = document(session, &p.text_document.uri) else {
                return Ok(Value::Null);
            };
            let Some(root) = session.roots.get(root_idx) else {
                return Ok(Value::Null);
            };
            let Some(text) = root.file_text(file) else {
                return Ok(Value::Null);
            };
            let range = text.text_range(p.range);
            let hints: Vec<lsp_types::InlayHint> = hostplan_ide::inlay_hints(&root.analysis, file)
                .into_iter()
                .filter(|it| range.contains_inclusive(it.offset))
                .map(|hint| lsp_types::InlayHint {
                    position: text.position(hint.offset),
                    label: InlayHintLabel::String(hint.label),
                    kind: None,
                    text_edits: None,
                    tooltip: Some(InlayHintTooltip::String(hint.tooltip)),
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                })
                .collect();
            json(hints)
        }
        #[cfg(test)]
        "hostplan/testPanic" => panic!("a deliberate panic for the tests"),
        _ => Err((
            ErrorCode::MethodNotFound as i32,
            format!("hostplan does not handle {method}"),
        )),
    }
}

fn completion_item(
    idx: usize,
    item: hostplan_ide::CompletionItem,
    text: &convert::FileText<'_>,
) -> lsp_types::CompletionItem {
    use hostplan_ide::CompletionKind as Kind;
    let kind = match item.kind {
        Kind::Field => CompletionItemKind::FIELD,
        Kind::Block => CompletionItemKind::STRUCT,
        Kind::EnumValue => CompletionItemKind::ENUM_MEMBER,
        Kind::Constructor => CompletionItemKind::CONSTRUCTOR,
        Kind::Reference => CompletionItemKind::REFERENCE,
        Kind::Unit => CompletionItemKind::UNIT,
        Kind::Module => CompletionItemKind::MODULE,
        Kind::Keyword => CompletionItemKind::KEYWORD,
        Kind::Credential => CompletionItemKind::PROPERTY,
        Kind::Rule => CompletionItemKind::VALUE,
    };
    let filter_text = if item.snippet {
        item.label.clone()
    } else {
        item.insert.clone()
    };
    lsp_types::CompletionItem {
        label: item.label,
        kind: Some(kind),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        sort_text: Some(format!("{idx:04}")),
        filter_text: Some(filter_text),
        insert_text_format: Some(if item.snippet {
            InsertTextFormat::SNIPPET
        } else {
            InsertTextFormat::PLAIN_TEXT
        }),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range: text.range(item.replace),
            new_text: item.insert,
        })),
        ..lsp_types::CompletionItem::default()
    }
}

#[expect(
    deprecated,
    reason = "DocumentSymbol::deprecated must be set while the protocol keeps the field"
)]
fn symbol(
    symbol: hostplan_ide::DocumentSymbol,
    text: &convert::FileText<'_>,
) -> lsp_types::DocumentSymbol {
    use hostplan_ide::SymbolKind as Kind;
    let kind = match symbol.kind {
        Kind::Import => lsp_types::SymbolKind::MODULE,
        Kind::Plan => lsp_types::SymbolKind::NAMESPACE,
        Kind::Policy => lsp_types::SymbolKind::CLASS,
        Kind::Environment => lsp_types::SymbolKind::OBJECT,
        Kind::Secret => lsp_types::SymbolKind::KEY,
        Kind::Operator => lsp_types::SymbolKind::STRUCT,
        Kind::Catalogue => lsp_types::SymbolKind::PACKAGE,
        Kind::Block => lsp_types::SymbolKind::STRUCT,
        Kind::Field => lsp_types::SymbolKind::FIELD,
    };
    let children: Vec<lsp_types::DocumentSymbol> = symbol
        .children
        .into_iter()
        .map(|it| self::symbol(it, text))
        .collect();
    lsp_types::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind,
        tags: None,
        deprecated: None,
        range: text.range(symbol.full_range),
        selection_range: text.range(symbol.focus_range),
        children: if children.is_empty() {
            None
        } else {
            Some(children)
        },
    }
}

/// Edits grouped by file, in file order, as a workspace edit.
fn workspace_edit(
    session: &Session,
    root_idx: usize,
    edits: &[hostplan_ide::TextEdit],
) -> WorkspaceEdit {
    let Some(root) = session.roots.get(root_idx) else {
        return WorkspaceEdit::default();
    };
    let mut files: Vec<hostplan_diagnostics::FileId> =
        edits.iter().map(|it| it.span.file).collect();
    files.sort();
    files.dedup();
    let mut changes = Vec::new();
    for file in files {
        let (Some(uri), Some(text)) = (session.uri_of(root, file), root.file_text(file)) else {
            continue;
        };
        let version = uri_to_path(&uri)
            .and_then(|path| session.documents.get(&path))
            .map(|it| it.version);
        let file_edits = edits
            .iter()
            .filter(|it| it.span.file == file)
            .map(|it| {
                OneOf::Left(TextEdit {
                    range: text.range(it.span.range),
                    new_text: it.replacement.clone(),
                })
            })
            .collect();
        changes.push(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: file_edits,
        });
    }
    WorkspaceEdit {
        changes: None,
        document_changes: Some(DocumentChanges::Edits(changes)),
        change_annotations: None,
    }
}
