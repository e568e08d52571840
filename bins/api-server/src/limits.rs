//! Limits on the request line and headers, enforced on the connection, before actix parses them.
//!
//! actix's HTTP/1 parser refuses a URL over 64 KiB, more than 96 headers or a head over 128 KiB
//! with an empty `400` or `431`, before any middleware runs, so no route or middleware can explain
//! what was wrong. [`LimitedStream`] wraps each accepted connection and reads the request heads as
//! they arrive (bodies are skipped by their `Content-Length`): a request line over
//! [`MAX_REQUEST_LINE`] is answered `414 uri_too_long`, headers over [`MAX_HEADER_BYTES`] or
//! [`MAX_HEADERS`] `431 request_headers_too_large`, both with the API's JSON error, and the
//! connection is closed. The limits sit below actix's, so a realistic oversized request always gets
//! the JSON answer. A connection whose framing the scan does not follow (a chunked body, an
//! upgrade, `Expect: 100-continue`, an unreadable `Content-Length`) is left to actix's own limits
//! from then on.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::ResponseError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{ApiError, ErrorResponse};

/// The longest request line (method, URL with its query string, version) taken, in bytes.
pub(crate) const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The most bytes of header lines taken in one request.
pub(crate) const MAX_HEADER_BYTES: usize = 32 * 1024;
/// The most header lines taken in one request.
pub(crate) const MAX_HEADERS: usize = 64;
/// How much of the rest of a refused request is read and dropped before the connection closes:
/// closing with unread data makes the kernel reset the connection, and the client could lose the
/// answer. Bounded, so a client cannot keep the connection busy.
const MAX_DISCARD: usize = 1024 * 1024;
/// Enough of a header line to read `Content-Length` and `Transfer-Encoding`.
const PREFIX: usize = 48;

/// Why a request head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    UriTooLong,
    HeadersTooLarge,
    TooManyHeaders,
}

impl Refusal {
    fn error(self) -> ApiError {
        match self {
            Self::UriTooLong => ApiError::UriTooLong(format!(
                "the request URL (path and query string) is longer than the limit of {} KiB: \
                 shorten it, or send long values in a JSON body",
                MAX_REQUEST_LINE / 1024
            )),
            Self::HeadersTooLarge => ApiError::HeadersTooLarge(format!(
                "the request headers are larger than the limit of {} KiB in all: send fewer or \
                 smaller headers (a large Cookie header is the usual cause)",
                MAX_HEADER_BYTES / 1024
            )),
            Self::TooManyHeaders => ApiError::HeadersTooLarge(format!(
                "the request has more than {MAX_HEADERS} headers, the limit: send fewer headers"
            )),
        }
    }

    /// The whole HTTP/1.1 answer: the API's JSON error, then the connection closes.
    fn answer(self) -> Vec<u8> {
        let error = self.error();
        let status = error.status_code();
        let body = serde_json::to_vec(&ErrorResponse {
            success: false,
            error: error.detail(),
        })
        .unwrap_or_default();
        let mut answer = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\nx-content-type-options: nosniff\r\n\
             content-security-policy: {}\r\nx-frame-options: DENY\r\n\
             referrer-policy: no-referrer\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len(),
            crate::headers::DEFAULT_CONTENT_SECURITY_POLICY,
        )
        .into_bytes();
        answer.extend_from_slice(&body);
        answer
    }
}

/// Where the scan is in the stream of requests of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// In a request head.
    Head,
    /// In a body, with this many bytes left.
    Body(u64),
    /// The framing is not followed any more: actix's limits apply.
    Off,
}

/// Follows the request heads of one connection, byte by byte (bodies are skipped whole).
#[derive(Debug)]
struct Scanner {
    position: Position,
    /// Still on the request line (empty lines before it are skipped, as parsers do).
    on_request_line: bool,
    /// Bytes of the current line so far.
    line_len: usize,
    /// The start of the current line.
    prefix: [u8; PREFIX],
    /// Bytes of header lines so far in this head.
    header_bytes: usize,
    /// Header lines so far in this head.
    headers: usize,
    /// The `Content-Length` of this request, once seen.
    content_length: Option<u64>,
}

impl Scanner {
    fn new() -> Self {
        Self {
            position: Position::Head,
            on_request_line: true,
            line_len: 0,
            prefix: [0; PREFIX],
            header_bytes: 0,
            headers: 0,
            content_length: None,
        }
    }

    /// Reads `bytes`, the next ones the client sent: `Err` when the head they belong to breaks a
    /// limit.
    fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Refusal> {
        while !bytes.is_empty() {
            match self.position {
                Position::Off => return Ok(()),
                Position::Body(left) => {
                    let skip = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[skip..];
                    let left = left - skip as u64;
                    self.position = if left == 0 {
                        Position::Head
                    } else {
                        Position::Body(left)
                    };
                }
                Position::Head => {
                    let (byte, rest) = (bytes[0], &bytes[1..]);
                    bytes = rest;
                    self.head_byte(byte)?;
                }
            }
        }
        Ok(())
    }

    fn head_byte(&mut self, byte: u8) -> Result<(), Refusal> {
        if byte == b'\n' {
            self.end_of_line()?;
            self.line_len = 0;
            return Ok(());
        }
        if self.line_len < PREFIX {
            self.prefix[self.line_len] = byte;
        }
        self.line_len += 1;
        if self.on_request_line {
            if self.line_len > MAX_REQUEST_LINE {
                return Err(Refusal::UriTooLong);
            }
        } else {
            self.header_bytes += 1;
            if self.header_bytes > MAX_HEADER_BYTES {
                return Err(Refusal::HeadersTooLarge);
            }
        }
        Ok(())
    }

    fn end_of_line(&mut self) -> Result<(), Refusal> {
        let empty = self.line_len == 0 || (self.line_len == 1 && self.prefix[0] == b'\r');
        if self.on_request_line {
            self.on_request_line = empty;
            return Ok(());
        }
        if empty {
            // The end of the head: skip the body, then a new head starts.
            self.position = match self.content_length.take() {
                Some(0) | None => Position::Head,
                Some(length) => Position::Body(length),
            };
            self.on_request_line = true;
            self.header_bytes = 0;
            self.headers = 0;
            return Ok(());
        }
        self.headers += 1;
        if self.headers > MAX_HEADERS {
            return Err(Refusal::TooManyHeaders);
        }
        self.read_header();
        Ok(())
    }

    /// Notes the framing headers of the line just ended.
    fn read_header(&mut self) {
        let line = &self.prefix[..self.line_len.min(PREFIX)];
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return;
        };
        let name = line[..colon].to_ascii_lowercase();
        match name.as_slice() {
            b"content-length" => {
                let value = std::str::from_utf8(&line[colon + 1..])
                    .ok()
                    .map(|v| v.trim())
                    .and_then(|v| v.parse::<u64>().ok());
                match value {
                    // A truncated line or a second length: actix decides what it means.
                    Some(length) if self.line_len <= PREFIX && self.content_length.is_none() => {
                        self.content_length = Some(length);
                    }
                    _ => self.position = Position::Off,
                }
            }
            // A chunked body, a protocol switch, or a body the client may never send (it waits
            // for `100 Continue`, and an early answer may come instead): the bytes that follow
            // cannot be placed for sure, so they are not judged.
            b"transfer-encoding" | b"upgrade" | b"expect" => self.position = Position::Off,
            _ => {}
        }
    }
}

/// The state of a connection whose head was refused.
#[derive(Debug)]
struct Refusing {
    answer: Vec<u8>,
    written: usize,
    shut_down: bool,
    discarded: usize,
}

/// A connection whose request heads are checked against the limits above as actix reads them.
#[derive(Debug)]
pub(crate) struct LimitedStream<S> {
    inner: S,
    scanner: Scanner,
    refusing: Option<Refusing>,
}

impl<S> LimitedStream<S> {
    /// Wraps a freshly accepted connection.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            scanner: Scanner::new(),
            refusing: None,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> LimitedStream<S> {
    /// Writes the refusal, closes our side, drains a bounded rest; then reports the end of the
    /// stream to actix.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(refusing) = self.refusing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while refusing.written < refusing.answer.len() {
            match ready!(
                Pin::new(&mut self.inner).poll_write(cx, &refusing.answer[refusing.written..])
            ) {
                Ok(0) | Err(_) => return Poll::Ready(Ok(())),
                Ok(n) => refusing.written += n,
            }
        }
        if !refusing.shut_down {
            // Whatever the outcome, the answer has been handed to the kernel.
            let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
            refusing.shut_down = true;
        }
        let mut scratch = [0u8; 8192];
        while refusing.discarded < MAX_DISCARD {
            let mut read = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut read)) {
                Ok(()) if !read.filled().is_empty() => refusing.discarded += read.filled().len(),
                _ => break,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for LimitedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return this.poll_refuse(cx);
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if let Err(refusal) = this.scanner.feed(&buf.filled()[before..]) {
            tracing::info!(reason = ?refusal, "refused an oversized request head");
            // actix never sees these bytes: it reads the end of the stream instead.
            buf.set_filled(before);
            this.refusing = Some(Refusing {
                answer: refusal.answer(),
                written: 0,
                shut_down: false,
                discarded: 0,
            });
            return this.poll_refuse(cx);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LimitedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            // The connection answered the refusal; anything actix writes now is dropped.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]]) -> Result<Scanner, Refusal> {
        let mut scanner = Scanner::new();
        for chunk in chunks {
            scanner.feed(chunk)?;
        }
        Ok(scanner)
    }

    #[test]
    fn long_lines_and_many_headers_are_refused_wherever_the_reads_split() {
        let url = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(scan(&[url.as_bytes()]).err(), Some(Refusal::UriTooLong));
        let (a, b) = url.as_bytes().split_at(100);
        assert_eq!(scan(&[a, b]).err(), Some(Refusal::UriTooLong));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: 1\r\n")).collect();
        let head = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            scan(&[head.as_bytes()]).err(),
            Some(Refusal::TooManyHeaders)
        );
        let big = format!(
            "GET / HTTP/1.1\r\nx: {}\r\n\r\n",
            "b".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(
            scan(&[big.as_bytes()]).err(),
            Some(Refusal::HeadersTooLarge)
        );
    }

    #[test]
    fn bodies_are_skipped_by_their_length_and_the_next_head_is_checked() {
        let body = "c".repeat(MAX_REQUEST_LINE * 2);
        let request = format!(
            "POST /x HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}GET / HTTP/1.1\r\n\r\n",
            body.len()
        );
        let scanner = scan(&[request.as_bytes()]).unwrap();
        assert_eq!(scanner.position, Position::Head);
        let next = format!("GET /{} HTTP/1.1\r\n", "d".repeat(MAX_REQUEST_LINE));
        assert_eq!(
            scan(&[request.as_bytes(), next.as_bytes()]).err(),
            Some(Refusal::UriTooLong)
        );
        let chunked = format!("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{body}\n");
        assert_eq!(scan(&[chunked.as_bytes()]).unwrap().position, Position::Off);
    }

    #[test]
    fn the_answer_is_the_apis_json_error() {
        let answer = String::from_utf8(Refusal::UriTooLong.answer()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}\r\n", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "uri_too_long");
    }
}
