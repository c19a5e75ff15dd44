//! HTTP/1.1 on a decrypted stream: request and response heads (framing by `wire::http`),
//! bodies stepped over, responses matched to requests in order as on plain HTTP
//! ([`Exchanges`]).

use crate::observation::{Exchange, Exchanges};
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::http::{self, Body};

use super::plain::{Feed, MAX_PLAIN_BYTES, PlainBuf};
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
    pending: Exchanges,
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
        out.extend(self.pending.drain());
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
        let head = up.data().get(..req.head_len).unwrap_or_default();
        let ex = Exchange::of_head(feed.ts, true, &req, head, sni);
        if let Some(old) = self.pending.push(ex) {
            feed.weirds.bump(Weird::DecryptHttpPendingFull);
            feed.out.push(old);
        }
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
        let head_request = self.pending.answers_head();
        if let Some(ex) = self.pending.respond(resp.status, head) {
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
                    feed.weirds.bump(Weird::HttpBadChunkedBody);
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
                        feed.weirds.bump(Weird::HttpBadChunkedBody);
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
            feed.weirds.bump(Weird::HttpHeadExceedsBuffer);
            buf.close();
        }
        Parsed::Malformed(w) => {
            feed.weirds.bump(w);
            buf.close();
        }
        Parsed::NotThis | Parsed::Done(()) => {
            feed.weirds.bump(Weird::HttpNotHttp);
            buf.close();
        }
    }
    false
}
