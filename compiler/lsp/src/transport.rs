//! The stdio transport: LSP frames on stdin and stdout, robust against malformed input.
//!
//! `lsp_server::Connection::stdio` stops reading at the first payload that is not valid
//! JSON-RPC. A language server must outlive a client's mistake, so this transport answers
//! such a payload with the JSON-RPC parse error, skips malformed headers, and goes on. Only
//! whole frames are ever written to stdout, under one lock, so the reader's error replies and
//! the server's messages never interleave.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use lsp_server::{Connection, Message};

/// The threads behind a stdio connection; join them after the server loop returns.
pub(crate) struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl IoThreads {
    pub(crate) fn join(self) {
        let _ = self.writer.join();
        // The reader blocks on stdin until the client closes it; it is not waited for.
        drop(self.reader);
    }
}

/// A connection over the process's stdin and stdout.
pub(crate) fn stdio() -> (Connection, IoThreads) {
    let (server, client) = Connection::memory();
    let stdout = Arc::new(Mutex::new(io::stdout()));
    let reader_stdout = stdout.clone();
    let to_server = client.sender;
    let reader = thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        loop {
            match read_frame(&mut input) {
                Frame::Eof => break,
                Frame::BadHeader => continue,
                Frame::Body(body) => match serde_json::from_slice::<Message>(&body) {
                    Ok(message) => {
                        let is_exit =
                            matches!(&message, Message::Notification(it) if it.method == "exit");
                        if to_server.send(message).is_err() || is_exit {
                            break;
                        }
                    }
                    Err(error) => {
                        // JSON that is not a JSON-RPC message is an invalid request, answered
                        // with its id when it has one; text that is not JSON is a parse error.
                        let (code, id) = match serde_json::from_slice::<serde_json::Value>(&body) {
                            Ok(value) => (
                                -32600,
                                value.get("id").cloned().unwrap_or(serde_json::Value::Null),
                            ),
                            Err(_) => (-32700, serde_json::Value::Null),
                        };
                        let reply = serde_json::json!({
                            "jsonrpc": "2.0",
                            "id": id,
                            "error": { "code": code, "message": format!("malformed message: {error}") },
                        });
                        write_frame(&reader_stdout, &reply.to_string());
                    }
                },
            }
        }
    });
    let from_server = client.receiver;
    let writer = thread::spawn(move || {
        for message in from_server {
            match serde_json::to_string(&message) {
                Ok(text) => write_frame(&stdout, &text),
                Err(_) => continue,
            }
        }
    });
    (server, IoThreads { reader, writer })
}

enum Frame {
    Body(Vec<u8>),
    BadHeader,
    Eof,
}

/// Reads one frame: headers up to an empty line, then `Content-Length` bytes.
fn read_frame(input: &mut impl BufRead) -> Frame {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) => return Frame::Eof,
            Ok(_) => {}
            // A header that is not UTF-8: skip it and keep looking for the blank line.
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                saw_header = true;
                continue;
            }
            Err(_) => return Frame::Eof,
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let Some(length) = length else {
        return Frame::BadHeader;
    };
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => Frame::Body(body),
        Err(_) => Frame::Eof,
    }
}

fn write_frame(stdout: &Mutex<io::Stdout>, text: &str) {
    let Ok(mut out) = stdout.lock() else { return };
    let _ = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::{read_frame, Frame};

    #[test]
    fn frames_survive_garbage_headers() {
        let input = b"garbage\r\n\r\nContent-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\nContent-Length: 4\r\n\r\nnull";
        let mut reader = &input[..];
        assert!(matches!(read_frame(&mut reader), Frame::BadHeader));
        assert!(matches!(read_frame(&mut reader), Frame::Body(body) if body == b"{}"));
        assert!(matches!(read_frame(&mut reader), Frame::BadHeader));
        assert!(matches!(read_frame(&mut reader), Frame::Body(body) if body == b"null"));
        assert!(matches!(read_frame(&mut reader), Frame::Eof));
    }
}
