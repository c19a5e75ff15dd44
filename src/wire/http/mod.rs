//! Plaintext HTTP/1.x requests and responses (metadata only: never bodies, never cookie values).
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use super::Parsed;

/// How the body after a header block is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body (or Content-Length: 0).
    None,
    /// Content-Length bytes.
    Length(u64),
    /// Transfer-Encoding: chunked.
    Chunked,
    /// Until the connection closes (responses without length).
    UntilClose,
}

/// An HTTP request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Host header as sent (may carry `:port`).
    pub host: Option<String>,
    /// Request target.
    pub path: String,
    /// Referer header.
    pub referer: Option<String>,
    /// A Cookie header was sent (its value is never kept).
    pub has_cookie: bool,
    /// Bytes of the head, including the final CRLF CRLF.
    pub head_len: usize,
    /// The body that follows.
    pub body: Body,
}

/// An HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Names of cookies set by Set-Cookie headers (values are never kept).
    pub set_cookie_names: Vec<String>,
    /// Bytes of the head, including the final CRLF CRLF.
    pub head_len: usize,
    /// The body that follows.
    pub body: Body,
}

/// Cheap test of the first bytes of a TCP stream: an HTTP request line start (`GET `, ...).
pub fn looks_like_request(stream: &[u8]) -> bool {
    let _ = stream;
    false
}

/// Parse a request head at the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Parsed<Request> {
    let _ = buf;
    Parsed::NotThis
}

/// Parse a response head at the start of `buf`.
pub fn parse_response(buf: &[u8]) -> Parsed<Response> {
    let _ = buf;
    Parsed::NotThis
}

/// Length of a chunked body at the start of `buf` (all chunks, last chunk and trailers).
pub fn chunked_len(buf: &[u8]) -> Parsed<usize> {
    let _ = buf;
    Parsed::NotThis
}
