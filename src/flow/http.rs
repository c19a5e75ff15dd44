//! HTTP/1.x on a flow: the plain-HTTP analyzer (request and response heads of both directions,
//! bodies stepped over), pairing requests with their responses as decrypted HTTP/1.x does
//! ([`Exchanges`](crate::observation::Exchanges)). Each request comes out twice: at once as
//! [`Observation::HttpRequest`] (a contact was reached), and as an [`Observation::Request`] with
//! its response's status and cookies (names and lifetimes, never values) when the response came
//! or the flow ended.

use crate::observation::{Exchange, Observation, Via};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::http::{self, Body};

use super::segment::Sink;
use super::table::Flow;
use super::tcp::{MAX_STREAM_BYTES, StreamBuf};

/// Read the heads a plain-HTTP flow's direction holds, stepping over bodies.
pub(super) fn stream(
    flow: &mut Flow,
    ts: Timestamp,
    from_client: bool,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) {
    loop {
        let stream = if from_client {
            &mut flow.up
        } else {
            &mut flow.down
        };
        if from_client {
            skip_empty_lines(stream);
        }
        if stream.is_closed() || stream.data().is_empty() || !head_may_end(stream) {
            return;
        }
        let step = if from_client {
            request_head(flow, ts, weirds, sink)
        } else {
            response_head(flow, ts, weirds, sink)
        };
        let Some((head_len, body)) = step else {
            return;
        };
        let stream = if from_client {
            &mut flow.up
        } else {
            &mut flow.down
        };
        stream.consume(head_len);
        match body {
            Body::None => {}
            Body::Length(n) => stream.skip(n),
            Body::UntilClose => return stream.close(),
            Body::Chunked => match http::chunked_len(stream.data()) {
                Parsed::Done(n) => stream.consume(n),
                // A chunked body the buffer cannot hold ends what this direction can follow.
                other => {
                    if !matches!(other, Parsed::Incomplete { .. }) {
                        weirds.bump(Weird::HttpBadChunkedBody);
                    } else {
                        weirds.bump(Weird::HttpChunkedBodyNotFollowed);
                    }
                    return stream.close();
                }
            },
        }
    }
}

/// Empty lines before a request line are allowed (RFC 9112 §2.2) and skipped here, once, so
/// that they never make [`head_may_end`] parse again.
fn skip_empty_lines(stream: &mut StreamBuf) {
    let blank = stream
        .data()
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if blank > 0 {
        stream.examine(blank);
        stream.consume(blank);
    }
}

/// Whether the head at the start of `stream` may be whole: at the first look (so that bytes
/// that are not HTTP are told at once), when the bytes not looked at yet end a header block
/// (an empty line), or at the head limit. A head that arrives a byte per segment is so
/// searched once and parsed twice, instead of parsed again from its start at every segment.
fn head_may_end(stream: &mut StreamBuf) -> bool {
    let data = stream.data();
    let (len, looked) = (data.len(), stream.looked());
    let may_end = looked == 0 || len >= http::MAX_HEAD_BYTES || {
        // An end ("\n\n" or "\n\r\n") may straddle what was looked at and what is new.
        let from = looked.saturating_sub(2);
        let fresh = data.get(from..).unwrap_or_default();
        let found =
            fresh.windows(2).any(|w| w == b"\n\n") || fresh.windows(3).any(|w| w == b"\n\r\n");
        stream.examine(len - from);
        found
    };
    stream.look(len);
    if may_end {
        // The parse reads the head from its start.
        stream.examine(len.min(http::MAX_HEAD_BYTES));
    }
    may_end
}

/// The request head at the start of the client stream: observed, and queued for its response.
/// `None` when there is none (yet).
fn request_head(
    flow: &mut Flow,
    ts: Timestamp,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) -> Option<(usize, Body)> {
    let (req, exchange) = match http::parse_request_then(flow.up.data(), |req, headers| {
        Exchange::of_headers(ts, false, req, headers, None)
    }) {
        Parsed::Done(done) => done,
        other => {
            stall(&mut flow.up, other.map(|_| ()), weirds);
            return None;
        }
    };
    if flow.name.is_none()
        && let Some(host) = req.host.as_deref()
    {
        let name = http::host_name(host);
        if !name.is_empty() {
            flow.name = Some((name, Via::Http));
        }
    }
    let step = (req.head_len, req.body);
    sink.observe(Observation::HttpRequest {
        ts,
        device: flow.device,
        flow: flow.key,
        method: req.method,
        host: req.host,
        path: req.path,
        referer: req.referer,
        has_cookie: req.has_cookie,
    });
    let evicted = flow.exchanges.get_or_insert_default().push(exchange);
    if let Some(old) = evicted {
        weirds.bump(Weird::HttpPendingFull);
        emit(flow, old, sink);
    }
    Some(step)
}

/// The response head at the start of the server stream: observed, and the request it answers
/// handed out. `None` when there is none (yet).
fn response_head(
    flow: &mut Flow,
    ts: Timestamp,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) -> Option<(usize, Body)> {
    // The pending requests are read while httparse's header slots still hold the head.
    let exchanges = &mut flow.exchanges;
    let (resp, (head_request, answered)) =
        match http::parse_response_then(flow.down.data(), |resp, headers| {
            let head_request = exchanges.as_ref().is_some_and(|p| p.answers_head());
            let answered = exchanges
                .as_mut()
                .and_then(|p| p.respond_with(resp.status, headers));
            (head_request, answered)
        }) {
            Parsed::Done(done) => done,
            other => {
                stall(&mut flow.down, other.map(|_| ()), weirds);
                return None;
            }
        };
    let body = if head_request { Body::None } else { resp.body };
    let step = (resp.head_len, body);
    sink.observe(Observation::HttpResponse {
        ts,
        device: flow.device,
        flow: flow.key,
        status: resp.status,
        set_cookie_names: resp.set_cookie_names,
    });
    if let Some(ex) = answered {
        emit(flow, ex, sink);
    }
    Some(step)
}

/// Hand out one request with what its response said.
pub(super) fn emit(flow: &Flow, exchange: Exchange, sink: &mut impl Sink) {
    sink.observe(Observation::Request {
        device: flow.device,
        flow: flow.key,
        exchange: Box::new(exchange),
    });
}

/// A head that did not parse: wait for more bytes, or stop following this direction.
fn stall(stream: &mut StreamBuf, outcome: Parsed<()>, weirds: &mut Counters) {
    match outcome {
        Parsed::Incomplete { .. } if stream.data().len() < MAX_STREAM_BYTES => {}
        Parsed::Incomplete { .. } => {
            weirds.bump(Weird::HttpHeadExceedsBuffer);
            stream.close();
        }
        Parsed::Malformed(w) => {
            weirds.bump(w);
            stream.close();
        }
        Parsed::NotThis | Parsed::Done(()) => {
            weirds.bump(Weird::HttpNotHttp);
            stream.close();
        }
    }
}
