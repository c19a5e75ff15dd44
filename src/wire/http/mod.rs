//! Plaintext HTTP/1.x requests and responses (metadata only: never bodies, never cookie values).
//!
//! Owns reading request and response heads (httparse) and telling the caller how the body after
//! a head is delimited, so that pipelined messages on one connection can be stepped over.

mod chunked;
pub mod cookie;
pub mod date;
#[cfg(test)]
mod tests;

pub use chunked::{MAX_CHUNK_LINE_BYTES, chunked_len};
pub use cookie::{SetCookieHeader, cookie_names, parse_set_cookie};
pub use date::{date_of, http_date};

use std::mem::MaybeUninit;

use crate::weird::Weird;

use super::Parsed;

/// Largest request or response head accepted (browsers send a few KiB; servers cap near 8 KiB).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Headers in the first parse attempt; enough for every browser request seen.
pub const HEADERS_FIRST_TRY: usize = 64;
/// Headers in the second attempt after httparse reports too many; more is malformed.
pub const MAX_HEADERS: usize = 256;
/// Cookie names kept per response; later Set-Cookie headers are ignored.
pub const MAX_SET_COOKIE_NAMES: usize = 64;

/// Request methods recognised by [`looks_like_request`] (RFC 9110 and WebDAV).
const METHODS: [&[u8]; 18] = [
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
];

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
    /// Names of cookies set by Set-Cookie headers (values are never kept; at most
    /// [`MAX_SET_COOKIE_NAMES`]).
    pub set_cookie_names: Vec<String>,
    /// Bytes of the head, including the final CRLF CRLF.
    pub head_len: usize,
    /// The body that follows.
    pub body: Body,
}

/// Cheap test of the first bytes of a TCP stream: an HTTP request line start (`GET `, ...).
///
/// False while fewer bytes than the method and its space are there.
pub fn looks_like_request(stream: &[u8]) -> bool {
    METHODS.iter().any(|m| {
        stream
            .strip_prefix(*m)
            .is_some_and(|rest| rest.first() == Some(&b' '))
    })
}

/// Cheap test of the first bytes of a server stream: an HTTP/1.x status line start.
pub fn looks_like_response(stream: &[u8]) -> bool {
    stream.starts_with(b"HTTP/1.")
}

/// Parse a request head at the start of `buf` (empty lines before it are skipped and counted
/// in `head_len`). TLS and other non-HTTP bytes answer `NotThis`.
pub fn parse_request(buf: &[u8]) -> Parsed<Request> {
    parse_request_then(buf, |_, _| ()).map(|(req, ())| req)
}

/// [`parse_request`], and `then` called once with the request and its headers while httparse's
/// header slots still hold them: a caller that reads more headers does not parse the head again.
pub fn parse_request_then<T>(
    buf: &[u8],
    mut then: impl FnMut(&Request, Headers<'_>) -> T,
) -> Parsed<(Request, T)> {
    if super::tls::looks_like_tls(buf) {
        return Parsed::NotThis;
    }
    // Uninitialised header slots: httparse fills what it uses, so the array is not zeroed
    // for every head.
    let mut first = [const { MaybeUninit::uninit() }; HEADERS_FIRST_TRY];
    let outcome = match request_head(buf, &mut first, &mut then) {
        Err(httparse::Error::TooManyHeaders) => {
            let mut more = vec![MaybeUninit::uninit(); MAX_HEADERS];
            request_head(buf, &mut more, &mut then)
        }
        other => other,
    };
    match outcome {
        Ok(parsed) => parsed,
        Err(httparse::Error::TooManyHeaders) => Parsed::Malformed(Weird::HttpTooManyHeaders),
        Err(_) if looks_like_request(buf) => Parsed::Malformed(Weird::HttpBadRequest),
        Err(_) => Parsed::NotThis,
    }
}

/// Parse a response head at the start of `buf`; anything not starting `HTTP/` is `NotThis`.
pub fn parse_response(buf: &[u8]) -> Parsed<Response> {
    parse_response_then(buf, |_, _| ()).map(|(resp, ())| resp)
}

/// [`parse_response`], and `then` called once with the response and its headers (as
/// [`parse_request_then`]).
pub fn parse_response_then<T>(
    buf: &[u8],
    mut then: impl FnMut(&Response, Headers<'_>) -> T,
) -> Parsed<(Response, T)> {
    let start = buf.get(..5).unwrap_or(buf);
    if !b"HTTP/".starts_with(start) {
        return Parsed::NotThis;
    }
    let mut first = [const { MaybeUninit::uninit() }; HEADERS_FIRST_TRY];
    let outcome = match response_head(buf, &mut first, &mut then) {
        Err(httparse::Error::TooManyHeaders) => {
            let mut more = vec![MaybeUninit::uninit(); MAX_HEADERS];
            response_head(buf, &mut more, &mut then)
        }
        other => other,
    };
    match outcome {
        Ok(parsed) => parsed,
        Err(httparse::Error::TooManyHeaders) => Parsed::Malformed(Weird::HttpTooManyHeaders),
        Err(_) => Parsed::Malformed(Weird::HttpBadResponse),
    }
}

/// The headers of a parsed head, in order, borrowed from it.
#[derive(Clone, Copy)]
pub struct Headers<'h>(&'h [httparse::Header<'h>]);

impl<'h> Headers<'h> {
    /// Name and value of each header.
    pub fn iter(self) -> impl Iterator<Item = (&'h [u8], &'h [u8])> + Clone {
        self.0.iter().map(|h| (h.name.as_bytes(), h.value))
    }
}

/// Call `f` with the name and value of each header of a complete request head (`request`) or
/// response head, one [`parse_request`] or [`parse_response`] accepted; nothing for other bytes.
/// The names and values are borrowed from `head`, and the header slots are uninitialised ones
/// on the stack as in [`parse_request`] (a second, larger try only when a head has more).
pub fn each_header<'h>(head: &'h [u8], request: bool, mut f: impl FnMut(&'h [u8], &'h [u8])) {
    let mut first = [const { MaybeUninit::uninit() }; HEADERS_FIRST_TRY];
    if let Err(httparse::Error::TooManyHeaders) = headers_of(head, request, &mut first, &mut f) {
        let mut more = vec![MaybeUninit::uninit(); MAX_HEADERS];
        let _ = headers_of(head, request, &mut more, &mut f);
    }
}

/// [`each_header`] with these slots: `TooManyHeaders` when they are too few (`f` not called).
fn headers_of<'h>(
    head: &'h [u8],
    request: bool,
    slots: &mut Slots<'h>,
    f: &mut impl FnMut(&'h [u8], &'h [u8]),
) -> Result<(), httparse::Error> {
    let config = httparse::ParserConfig::default();
    let headers: &[httparse::Header<'h>] = if request {
        let mut req = httparse::Request::new(&mut []);
        match config.parse_request_with_uninit_headers(&mut req, head, slots)? {
            httparse::Status::Complete(_) => req.headers,
            httparse::Status::Partial => &[],
        }
    } else {
        let mut resp = httparse::Response::new(&mut []);
        match config.parse_response_with_uninit_headers(&mut resp, head, slots)? {
            httparse::Status::Complete(_) => resp.headers,
            httparse::Status::Partial => &[],
        }
    };
    for h in headers {
        f(h.name.as_bytes(), h.value);
    }
    Ok(())
}

/// The name part of a Host header or `:authority`: lower case, without port, IPv6 brackets or
/// trailing dot.
pub fn host_name(host: &str) -> String {
    let host = host.trim();
    let bare = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        }
    };
    bare.trim_end_matches('.').to_ascii_lowercase()
}

/// What an unfinished head means: more bytes to come, or a head beyond [`MAX_HEAD_BYTES`].
fn unfinished_head<T>(buf: &[u8]) -> Parsed<T> {
    if buf.len() >= MAX_HEAD_BYTES {
        Parsed::Malformed(Weird::HttpHeadTooLarge)
    } else {
        Parsed::Incomplete { needed: None }
    }
}

/// Header slots for httparse (filled by the parse, not before).
type Slots<'b> = [MaybeUninit<httparse::Header<'b>>];

fn request_head<'b, T>(
    buf: &'b [u8],
    headers: &mut Slots<'b>,
    then: &mut impl FnMut(&Request, Headers<'_>) -> T,
) -> Result<Parsed<(Request, T)>, httparse::Error> {
    let head = buf.get(..MAX_HEAD_BYTES).unwrap_or(buf);
    let mut req = httparse::Request::new(&mut []);
    let httparse::Status::Complete(head_len) = req.parse_with_uninit_headers(head, headers)? else {
        return Ok(unfinished_head(buf));
    };
    let fields = Fields::scan(req.headers, |_| {});
    let body = match fields.framing() {
        Ok(Framing::Chunked) => Body::Chunked,
        Ok(Framing::Length(n)) if n > 0 => Body::Length(n),
        Ok(Framing::Length(_) | Framing::Unspecified) => Body::None,
        // RFC 9112 §6.3: a request whose final coding is not chunked has no knowable end.
        Ok(Framing::OtherEncoding) => return Ok(Parsed::Malformed(Weird::HttpBadTransferEncoding)),
        Err(weird) => return Ok(Parsed::Malformed(weird)),
    };
    let request = Request {
        method: req.method.unwrap_or_default().to_owned(),
        host: fields.host.map(lossy),
        path: req.path.unwrap_or_default().to_owned(),
        referer: fields.referer.map(lossy),
        has_cookie: fields.cookie,
        head_len,
        body,
    };
    let more = then(&request, Headers(req.headers));
    Ok(Parsed::Done((request, more)))
}

fn response_head<'b, T>(
    buf: &'b [u8],
    headers: &mut Slots<'b>,
    then: &mut impl FnMut(&Response, Headers<'_>) -> T,
) -> Result<Parsed<(Response, T)>, httparse::Error> {
    let head = buf.get(..MAX_HEAD_BYTES).unwrap_or(buf);
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut res, head, headers)?;
    let httparse::Status::Complete(head_len) = parsed else {
        return Ok(unfinished_head(buf));
    };
    let status = res.code.unwrap_or_default();
    let mut set_cookie_names = Vec::new();
    let fields = Fields::scan(res.headers, |value| {
        if set_cookie_names.len() < MAX_SET_COOKIE_NAMES
            && let Some(name) = cookie_name(value)
        {
            set_cookie_names.push(name);
        }
    });
    let body = match fields.framing() {
        // RFC 9112 §6.3: these never carry content, whatever the headers say.
        _ if (100..200).contains(&status) || status == 204 || status == 304 => Body::None,
        Ok(Framing::Chunked) => Body::Chunked,
        Ok(Framing::Length(0)) => Body::None,
        Ok(Framing::Length(n)) => Body::Length(n),
        Ok(Framing::OtherEncoding | Framing::Unspecified) => Body::UntilClose,
        Err(weird) => return Ok(Parsed::Malformed(weird)),
    };
    let response = Response {
        status,
        set_cookie_names,
        head_len,
        body,
    };
    let more = then(&response, Headers(res.headers));
    Ok(Parsed::Done((response, more)))
}

/// The body delimitation the headers announce (RFC 9112 §6.3).
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length(u64),
    /// Transfer-Encoding whose final coding is not chunked.
    OtherEncoding,
    Unspecified,
}

/// The headers sporfri reads, found in one pass over a head (by name length first: most
/// headers are none of these and cost one compare).
struct Fields<'b> {
    /// The first Host header.
    host: Option<&'b [u8]>,
    /// The first Referer header.
    referer: Option<&'b [u8]>,
    /// A Cookie header was sent.
    cookie: bool,
    /// The last Transfer-Encoding header (it wins over Content-Length).
    transfer_encoding: Option<&'b [u8]>,
    /// The Content-Length all values agree on so far; an error once one is bad or differs.
    length: Result<Option<u64>, Weird>,
}

impl<'b> Fields<'b> {
    /// Scan `headers`; Set-Cookie values go to `set_cookie`, in order.
    fn scan(headers: &[httparse::Header<'b>], mut set_cookie: impl FnMut(&'b [u8])) -> Self {
        let mut f = Fields {
            host: None,
            referer: None,
            cookie: false,
            transfer_encoding: None,
            length: Ok(None),
        };
        for h in headers {
            let is = |name: &str| h.name.eq_ignore_ascii_case(name);
            match h.name.len() {
                4 if f.host.is_none() && is("host") => f.host = Some(h.value),
                6 if is("cookie") => f.cookie = true,
                7 if f.referer.is_none() && is("referer") => f.referer = Some(h.value),
                10 if is("set-cookie") => set_cookie(h.value),
                14 if is("content-length") => f.add_length(h.value),
                17 if is("transfer-encoding") => f.transfer_encoding = Some(h.value),
                _ => {}
            }
        }
        f
    }

    /// One Content-Length header: comma-separated values that must all agree (RFC 9112 §6.3
    /// item 5) with each other and with earlier headers.
    fn add_length(&mut self, value: &[u8]) {
        for part in value.split(|&b| b == b',') {
            let Ok(length) = self.length else {
                return;
            };
            self.length = match decimal(part.trim_ascii()) {
                Some(n) if length.is_none_or(|prev| prev == n) => Ok(Some(n)),
                _ => Err(Weird::HttpBadContentLength),
            };
        }
    }

    fn framing(&self) -> Result<Framing, Weird> {
        // Transfer-Encoding wins over Content-Length; the final coding decides.
        if let Some(te) = self.transfer_encoding {
            let last = te.rsplit(|&b| b == b',').next().unwrap_or_default();
            return Ok(if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                Framing::Chunked
            } else {
                Framing::OtherEncoding
            });
        }
        self.length
            .map(|length| length.map_or(Framing::Unspecified, Framing::Length))
    }
}

/// A non-empty run of ASCII digits as u64 (overflow is `None`).
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let digit = char::from(d).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The cookie name of a Set-Cookie value: the token before the first `=` (RFC 6265 §5.2).
fn cookie_name(value: &[u8]) -> Option<String> {
    let eq = value.iter().position(|&b| b == b'=')?;
    let name = value.get(..eq)?.trim_ascii();
    (!name.is_empty()).then(|| lossy(name))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
