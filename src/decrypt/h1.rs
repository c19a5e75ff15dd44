//! HTTP/1.1 on a decrypted stream: request and response heads (framing by `wire::http`, the
//! extra headers read here), bodies stepped over, responses matched to requests in order.

use std::collections::VecDeque;

use crate::wire::Parsed;
use crate::wire::http::{self, Body, MAX_HEADERS};

use super::app::{MAX_PLAIN_BYTES, PlainBuf};
use super::conn::Feed;
use super::model::{Exchange, HttpVersion, date_of};

/// Requests waiting for their response on one connection (pipelining is rare; more is odd).
pub const MAX_PENDING_REQUESTS: usize = 64;
/// Longest chunk-size line accepted.
pub const MAX_CHUNK_LINE: usize = 1024;

/// Where a chunked body stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data (and its CRLF): bytes left.
    Data(u64),
    /// After the last chunk: trailer lines until an empty one.
    Trailer,
}

/// One direction's body state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    #[default]
    Head,
    Chunked(Chunked),
}

/// HTTP/1.x state of one connection.
#[derive(Debug, Default)]
pub struct H1 {
    pending: VecDeque<Exchange>,
    up_body: BodyState,
    down_body: BodyState,
}

impl H1 {
    /// Parse whatever complete heads both directions hold.
    pub fn run(
        &mut self,
        up: &mut PlainBuf,
        down: &mut PlainBuf,
        sni: Option<&str>,
        feed: &mut Feed<'_>,
    ) {
        while !up.closed && self.step_up(up, sni, feed) {}
        while !down.closed && self.step_down(down, feed) {}
    }

    /// End of connection.
    pub fn finish(&mut self, out: &mut Vec<Exchange>) {
        out.extend(self.pending.drain(..));
    }

    fn step_up(&mut self, up: &mut PlainBuf, sni: Option<&str>, feed: &mut Feed<'_>) -> bool {
        if let BodyState::Chunked(c) = self.up_body {
            return step_chunked(&mut self.up_body, c, up, feed);
        }
        if up.data().is_empty() {
            return false;
        }
        let req = match http::parse_request(up.data()) {
            Parsed::Done(req) => req,
            other => return stall(up, other.map(|_| ()), feed),
        };
        let authority = req.host.as_deref().or(sni).unwrap_or_default();
        let mut ex = Exchange::request(
            feed.ts,
            HttpVersion::Http1,
            &req.method,
            authority,
            &req.path,
        );
        for_headers(
            up.data().get(..req.head_len).unwrap_or_default(),
            true,
            |n, v| {
                ex.request_header(n, v);
            },
        );
        if self.pending.len() >= MAX_PENDING_REQUESTS {
            feed.weirds.bump("decrypt.http_pending_full");
            if let Some(old) = self.pending.pop_front() {
                feed.out.push(old);
            }
        }
        self.pending.push_back(ex);
        up.consume(req.head_len);
        self.up_body = body(up, req.body);
        true
    }

    fn step_down(&mut self, down: &mut PlainBuf, feed: &mut Feed<'_>) -> bool {
        if let BodyState::Chunked(c) = self.down_body {
            return step_chunked(&mut self.down_body, c, down, feed);
        }
        if down.data().is_empty() {
            return false;
        }
        let resp = match http::parse_response(down.data()) {
            Parsed::Done(resp) => resp,
            other => return stall(down, other.map(|_| ()), feed),
        };
        let head = down.data().get(..resp.head_len).unwrap_or_default();
        let informational = (100..200).contains(&resp.status);
        let head_request = self.pending.front().is_some_and(|e| e.method == "HEAD");
        if !informational && let Some(mut ex) = self.pending.pop_front() {
            ex.status = Some(resp.status);
            let mut headers = Vec::new();
            for_headers(head, false, |n, v| headers.push((n.to_vec(), v.to_vec())));
            let date = date_of(headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
            for (n, v) in &headers {
                ex.response_header(n, v, date);
            }
            feed.out.push(ex);
        }
        down.consume(resp.head_len);
        if resp.status == 101 {
            down.close();
            return false;
        }
        self.down_body = if head_request {
            BodyState::Head
        } else {
            body(down, resp.body)
        };
        true
    }
}

/// Apply a head's body framing; returns the state the direction continues in.
fn body(buf: &mut PlainBuf, body: Body) -> BodyState {
    match body {
        Body::None => BodyState::Head,
        Body::Length(n) => {
            buf.skip(n);
            BodyState::Head
        }
        Body::Chunked => BodyState::Chunked(Chunked::Size),
        Body::UntilClose => {
            buf.close();
            BodyState::Head
        }
    }
}

/// Walk a chunked body as far as the bytes go; false when more bytes are needed.
fn step_chunked(
    state: &mut BodyState,
    c: Chunked,
    buf: &mut PlainBuf,
    feed: &mut Feed<'_>,
) -> bool {
    match c {
        Chunked::Data(left) => {
            let have = buf.data().len() as u64;
            if have == 0 {
                return false;
            }
            buf.skip(left.min(have));
            *state = if left > have {
                BodyState::Chunked(Chunked::Data(left - have))
            } else {
                BodyState::Chunked(Chunked::Size)
            };
            true
        }
        Chunked::Size | Chunked::Trailer => {
            let Some(eol) = buf.data().windows(2).position(|w| w == b"\r\n") else {
                if buf.data().len() > MAX_CHUNK_LINE {
                    feed.weirds.bump("http.bad_chunked_body");
                    buf.close();
                }
                return false;
            };
            let line = buf.data().get(..eol).unwrap_or_default();
            let next = if c == Chunked::Trailer {
                if line.is_empty() {
                    BodyState::Head
                } else {
                    BodyState::Chunked(Chunked::Trailer)
                }
            } else {
                let hex = line
                    .split(|&b| b == b';')
                    .next()
                    .unwrap_or_default()
                    .trim_ascii();
                match std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                {
                    Some(0) => BodyState::Chunked(Chunked::Trailer),
                    Some(n) => BodyState::Chunked(Chunked::Data(n.saturating_add(2))),
                    None => {
                        feed.weirds.bump("http.bad_chunked_body");
                        buf.close();
                        return false;
                    }
                }
            };
            buf.consume(eol + 2);
            *state = next;
            true
        }
    }
}

fn stall(buf: &mut PlainBuf, outcome: Parsed<()>, feed: &mut Feed<'_>) -> bool {
    match outcome {
        Parsed::Incomplete { .. } if buf.data().len() < MAX_PLAIN_BYTES => {}
        Parsed::Incomplete { .. } => {
            feed.weirds.bump("http.head_exceeds_buffer");
            buf.close();
        }
        Parsed::Malformed(w) => {
            feed.weirds.bump(w);
            buf.close();
        }
        Parsed::NotThis | Parsed::Done(()) => {
            feed.weirds.bump("http.not_http");
            buf.close();
        }
    }
    false
}

/// Call `f` with each header of a complete head (already validated by `wire::http`).
fn for_headers(head: &[u8], request: bool, mut f: impl FnMut(&[u8], &[u8])) {
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let headers: &[httparse::Header<'_>] = if request {
        let mut req = httparse::Request::new(&mut storage);
        match req.parse(head) {
            Ok(httparse::Status::Complete(_)) => req.headers,
            _ => &[],
        }
    } else {
        let mut resp = httparse::Response::new(&mut storage);
        match resp.parse(head) {
            Ok(httparse::Status::Complete(_)) => resp.headers,
            _ => &[],
        }
    };
    for h in headers {
        f(h.name.as_bytes(), h.value);
    }
}
