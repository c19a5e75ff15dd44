#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::wire::tls::testpcap::streams_to_port;

const BROWSER_GET: &[u8] = b"GET /index.html?q=1 HTTP/1.1\r\n\
Host: www.example.com:8080\r\n\
User-Agent: Mozilla/5.0\r\n\
Accept: */*\r\n\
Referer: http://start.example/\r\n\
Cookie: session=secret-value\r\n\
\r\n";

fn request(buf: &[u8]) -> Request {
    match parse_request(buf) {
        Parsed::Done(r) => r,
        other => panic!("{other:?} for {:?}", String::from_utf8_lossy(buf)),
    }
}

fn response(buf: &[u8]) -> Response {
    match parse_response(buf) {
        Parsed::Done(r) => r,
        other => panic!("{other:?} for {:?}", String::from_utf8_lossy(buf)),
    }
}

#[test]
fn request_methods_are_recognised_cheaply() {
    for start in [
        &b"GET / HTTP/1.1"[..],
        b"POST /x",
        b"PROPFIND / ",
        b"CONNECT a:443 ",
    ] {
        assert!(looks_like_request(start), "{start:?}");
    }
    for start in [
        &b"GET"[..],
        b"GETX /",
        b"get /",
        b"\x16\x03\x01",
        b"",
        b"HTTP/1.1 200",
    ] {
        assert!(!looks_like_request(start), "{start:?}");
    }
    assert!(looks_like_response(b"HTTP/1.1 200 OK\r\n"));
    assert!(!looks_like_response(b"GET / HTTP/1.1"));
}

#[test]
fn browser_request_head() {
    let r = request(BROWSER_GET);
    assert_eq!(r.method, "GET");
    assert_eq!(r.host.as_deref(), Some("www.example.com:8080"));
    assert_eq!(r.path, "/index.html?q=1");
    assert_eq!(r.referer.as_deref(), Some("http://start.example/"));
    assert!(r.has_cookie);
    assert_eq!(r.head_len, BROWSER_GET.len());
    assert_eq!(r.body, Body::None);
    assert!(!format!("{r:?}").contains("secret"));
}

#[test]
fn request_bodies() {
    let post = request(b"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
    assert_eq!(post.body, Body::Length(11));
    assert!(!post.has_cookie);
    let empty = request(b"POST /f HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(empty.body, Body::None);
    let chunked = request(
        b"POST /f HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 3\r\n\r\n",
    );
    assert_eq!(chunked.body, Body::Chunked);
    let same = request(b"PUT /f HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n");
    assert_eq!(same.body, Body::Length(7));
}

#[test]
fn broken_request_framing_is_named() {
    let cases: [(&[u8], Weird); 5] = [
        (
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            Weird::HttpBadContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            Weird::HttpBadContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            Weird::HttpBadContentLength,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            Weird::HttpBadTransferEncoding,
        ),
        (b"GET /\x01 HTTP/1.1\r\n\r\n", Weird::HttpBadRequest),
    ];
    for (buf, weird) in cases {
        assert_eq!(parse_request(buf), Parsed::Malformed(weird));
    }
}

#[test]
fn request_prefixes_are_incomplete() {
    for cut in 0..BROWSER_GET.len() {
        let got = parse_request(&BROWSER_GET[..cut]);
        assert_eq!(got, Parsed::Incomplete { needed: None }, "cut {cut}");
    }
}

#[test]
fn tls_and_binary_are_not_requests() {
    let hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    assert_eq!(parse_request(hello), Parsed::NotThis);
    assert_eq!(parse_request(b"SSH-2.0-OpenSSH_9.6\r\n"), Parsed::NotThis);
    assert_eq!(parse_request(b"\x00\x01\x02\x03"), Parsed::NotThis);
    assert_eq!(parse_response(hello), Parsed::NotThis);
    assert_eq!(parse_response(b"GET / HTTP/1.1\r\n\r\n"), Parsed::NotThis);
}

#[test]
fn pipelined_requests_step_over_bodies() {
    let stream = b"POST /a HTTP/1.1\r\nHost: one.example\r\nContent-Length: 4\r\n\r\nabcd\
GET /b HTTP/1.1\r\nHost: two.example\r\n\r\n";
    let first = request(stream);
    assert_eq!(first.host.as_deref(), Some("one.example"));
    let Body::Length(n) = first.body else {
        panic!("{:?}", first.body)
    };
    let second = request(&stream[first.head_len + n as usize..]);
    assert_eq!(second.host.as_deref(), Some("two.example"));
    assert_eq!(second.path, "/b");
    assert_eq!(first.head_len + n as usize + second.head_len, stream.len());
}

#[test]
fn chunked_request_then_next_request() {
    let stream = b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
4\r\nWiki\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: b\r\n\r\n";
    let first = request(stream);
    assert_eq!(first.body, Body::Chunked);
    let body = &stream[first.head_len..];
    let Parsed::Done(len) = chunked_len(body) else {
        panic!()
    };
    assert_eq!(request(&body[len..]).host.as_deref(), Some("b"));
}

#[test]
fn head_size_is_capped() {
    let mut at_cap = b"GET / HTTP/1.1\r\nX: ".to_vec();
    at_cap.resize(MAX_HEAD_BYTES - 4, b'a');
    at_cap.extend_from_slice(b"\r\n\r\n");
    assert_eq!(request(&at_cap).head_len, MAX_HEAD_BYTES);
    let mut over = at_cap.clone();
    over.insert(20, b'a');
    assert_eq!(
        parse_request(&over),
        Parsed::Malformed(Weird::HttpHeadTooLarge)
    );
    let unfinished = &over[..MAX_HEAD_BYTES];
    assert_eq!(
        parse_request(unfinished),
        Parsed::Malformed(Weird::HttpHeadTooLarge)
    );
    assert_eq!(
        parse_request(&over[..MAX_HEAD_BYTES - 1]),
        Parsed::Incomplete { needed: None }
    );
}

fn with_headers(start: &str, count: usize) -> Vec<u8> {
    let mut head = start.as_bytes().to_vec();
    for i in 0..count {
        head.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    head.extend_from_slice(b"Host: many.example\r\n\r\n");
    head
}

#[test]
fn header_count_is_capped() {
    let many = with_headers("GET / HTTP/1.1\r\n", HEADERS_FIRST_TRY + 10);
    assert_eq!(request(&many).host.as_deref(), Some("many.example"));
    let at_cap = with_headers("GET / HTTP/1.1\r\n", MAX_HEADERS - 1);
    assert_eq!(request(&at_cap).host.as_deref(), Some("many.example"));
    let over = with_headers("GET / HTTP/1.1\r\n", MAX_HEADERS);
    assert_eq!(
        parse_request(&over),
        Parsed::Malformed(Weird::HttpTooManyHeaders)
    );
    let over = with_headers("HTTP/1.1 200 OK\r\n", MAX_HEADERS);
    assert_eq!(
        parse_response(&over),
        Parsed::Malformed(Weird::HttpTooManyHeaders)
    );
}

/// The headers handed to `then` are the ones a second walk of the head finds, in order, and
/// `then` runs once, also when the first header slots were too few.
#[test]
fn headers_of_the_one_parse_are_the_head_s() {
    let walked = |head: &[u8], request: bool| {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        each_header(head, request, |n, v| out.push((n.to_vec(), v.to_vec())));
        out
    };
    let owned = |h: Headers<'_>| -> Vec<(Vec<u8>, Vec<u8>)> {
        h.iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
    };
    let many = with_headers("GET / HTTP/1.1\r\n", HEADERS_FIRST_TRY + 10);
    for head in [BROWSER_GET, &many[..]] {
        let mut calls = 0;
        let Parsed::Done((req, seen)) = parse_request_then(head, |_, h| {
            calls += 1;
            owned(h)
        }) else {
            panic!("request did not parse");
        };
        assert_eq!(calls, 1);
        assert_eq!(seen, walked(&head[..req.head_len], true));
        assert!(seen.len() >= 5);
    }
    let response = with_headers("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\n", HEADERS_FIRST_TRY);
    let mut calls = 0;
    let Parsed::Done((resp, seen)) = parse_response_then(&response, |_, h| {
        calls += 1;
        owned(h)
    }) else {
        panic!("response did not parse");
    };
    assert_eq!(calls, 1);
    assert_eq!(seen, walked(&response[..resp.head_len], false));
    assert_eq!(seen.len(), HEADERS_FIRST_TRY + 2);
}

#[test]
fn set_cookie_names_only() {
    let head = b"HTTP/1.1 200 OK\r\n\
Content-Type: text/html\r\n\
Set-Cookie: _ga=GA1.2.3456; Path=/; Max-Age=63072000\r\n\
set-cookie:  uid = 12345 ; Secure\r\n\
Set-Cookie: novalue\r\n\
Content-Length: 5\r\n\r\nhello";
    let r = response(head);
    assert_eq!(r.status, 200);
    assert_eq!(r.set_cookie_names, ["_ga", "uid"]);
    assert_eq!(r.body, Body::Length(5));
    assert_eq!(r.head_len, head.len() - 5);
    assert!(!format!("{r:?}").contains("GA1"));
}

#[test]
fn set_cookie_names_are_capped() {
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..MAX_SET_COOKIE_NAMES + 5 {
        head.extend_from_slice(format!("Set-Cookie: c{i}=v\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let names = response(&head).set_cookie_names;
    assert_eq!(names.len(), MAX_SET_COOKIE_NAMES);
    assert_eq!(names.last().map(String::as_str), Some("c63"));
}

#[test]
fn response_bodies() {
    let cases: [(&[u8], Body); 7] = [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Body::Chunked,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Body::None),
        (b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", Body::UntilClose),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            Body::UntilClose,
        ),
        (
            b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
            Body::None,
        ),
        (
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
            Body::None,
        ),
        (b"HTTP/1.1 100 Continue\r\n\r\n", Body::None),
    ];
    for (head, body) in cases {
        assert_eq!(
            response(head).body,
            body,
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
}

#[test]
fn response_prefixes_and_broken_responses() {
    let head = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    for cut in 0..head.len() {
        assert_eq!(
            parse_response(&head[..cut]),
            Parsed::Incomplete { needed: None },
            "{cut}"
        );
    }
    assert_eq!(response(head).status, 404);
    let bad = parse_response(b"HTTP/1.1 2x0 OK\r\n\r\n");
    assert_eq!(bad, Parsed::Malformed(Weird::HttpBadResponse));
    let bad_len = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
    assert_eq!(bad_len, Parsed::Malformed(Weird::HttpBadContentLength));
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let body =
        b"7;name=val\r\nMozilla\r\n11 ; x\r\nDeveloper Network\r\n0\r\nExpires: never\r\n\r\nNEXT";
    assert_eq!(chunked_len(body), Parsed::Done(body.len() - 4));
    assert_eq!(chunked_len(b"0\r\n\r\n"), Parsed::Done(5));
    assert_eq!(chunked_len(b"0\n\n"), Parsed::Done(3));
}

#[test]
fn chunked_prefixes_are_incomplete() {
    let body = b"5\r\nhello\r\n0\r\n\r\n";
    for cut in 0..body.len() {
        let needed = if (3..10).contains(&cut) {
            Some(10)
        } else {
            None
        };
        assert_eq!(
            chunked_len(&body[..cut]),
            Parsed::Incomplete { needed },
            "cut {cut}"
        );
    }
    assert_eq!(chunked_len(body), Parsed::Done(body.len()));
}

#[test]
fn broken_chunks_are_named() {
    let cases: [(&[u8], Weird); 5] = [
        (b"zz\r\n", Weird::HttpBadChunkSize),
        (b"\r\n", Weird::HttpBadChunkSize),
        (b"5x\r\nhello\r\n", Weird::HttpBadChunkSize),
        (b"5\r\nhelloXX0\r\n\r\n", Weird::HttpBadChunk),
        (
            b"ffffffffffffffffffffffff\r\n",
            Weird::HttpChunkSizeOverflow,
        ),
    ];
    for (body, weird) in cases {
        assert_eq!(chunked_len(body), Parsed::Malformed(weird), "{weird}");
    }
    let near_max = format!("{:x}\r\n", usize::MAX - 1);
    let got = chunked_len(near_max.as_bytes());
    assert_eq!(got, Parsed::Malformed(Weird::HttpChunkSizeOverflow));
}

#[test]
fn chunk_line_and_trailers_are_capped() {
    let mut line = b"1;".to_vec();
    line.resize(MAX_CHUNK_LINE_BYTES - 2, b'e');
    line.extend_from_slice(b"\r\n");
    let mut body = line.clone();
    body.extend_from_slice(b"x\r\n0\r\n\r\n");
    assert_eq!(chunked_len(&body), Parsed::Done(body.len()));
    let mut over = line;
    over.insert(3, b'e');
    assert_eq!(
        chunked_len(&over),
        Parsed::Malformed(Weird::HttpChunkLineTooLong)
    );

    let mut trailers = b"0\r\nX: ".to_vec();
    trailers.resize(3 + MAX_HEAD_BYTES - 4, b'a');
    trailers.extend_from_slice(b"\r\n\r\n");
    assert_eq!(chunked_len(&trailers), Parsed::Done(trailers.len()));
    trailers.insert(6, b'a');
    assert_eq!(
        chunked_len(&trailers),
        Parsed::Malformed(Weird::HttpTrailersTooLarge)
    );
}

/// Arbitrary bytes never panic (a cheap stand-in for the fuzz target).
#[test]
fn garbage_never_panics() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let alphabet = b"GET HTP/1.0\r\n:;0123456789abcdefxXzZ \t,=";
    for round in 0..3000 {
        let mut buf = match round % 3 {
            0 => b"GET / HTTP/1.1\r\n".to_vec(),
            1 => b"HTTP/1.1 200 OK\r\n".to_vec(),
            _ => Vec::new(),
        };
        for _ in 0..round % 200 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            buf.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let _ = parse_request(&buf);
        let _ = parse_response(&buf);
        let _ = chunked_len(&buf);
    }
}

#[test]
fn capture_pipelined_requests_all_to_mozilla() {
    let streams = streams_to_port("pipelined-requests.pcap", 80);
    let mut seen = 0;
    for stream in &streams {
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let r = request(rest);
            assert_eq!(r.host.as_deref(), Some("www.mozilla.org"));
            let body = match r.body {
                Body::None => 0,
                Body::Length(n) => n as usize,
                other => panic!("{other:?}"),
            };
            rest = &rest[r.head_len + body..];
            seen += 1;
        }
    }
    // tshark counts 5 GET requests in this capture.
    assert_eq!(seen, 5);
}

#[test]
fn capture_request_over_vlan() {
    let streams = streams_to_port("http-vlan-0.pcap", 80);
    let r = request(&streams[0]);
    assert_eq!(r.host.as_deref(), Some("bro.org"));
    assert_eq!(r.method, "GET");
}

#[test]
fn host_name_strips_port_brackets_and_case() {
    assert_eq!(host_name("WWW.Example.com:8080"), "www.example.com");
    assert_eq!(host_name("[2001:db8::1]:80"), "2001:db8::1");
    assert_eq!(host_name("[2001:db8::1]"), "2001:db8::1");
    assert_eq!(host_name("192.168.111.154"), "192.168.111.154");
    assert_eq!(host_name(" example.com. "), "example.com");
}

#[test]
fn each_header_walks_a_complete_head_only() {
    let collect = |head: &[u8], request: bool| {
        let mut seen = Vec::new();
        each_header(head, request, |n, v| {
            seen.push(format!(
                "{}={}",
                String::from_utf8_lossy(n),
                String::from_utf8_lossy(v)
            ))
        });
        seen
    };
    let req = b"GET / HTTP/1.1\r\nHost: a.dk\r\nCookie: x=1\r\n\r\n";
    assert_eq!(collect(req, true), ["Host=a.dk", "Cookie=x=1"]);
    let resp = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\n\r\n";
    assert_eq!(collect(resp, false), ["Set-Cookie=a=1"]);
    assert!(collect(b"GET / HTTP/1.1\r\nHost: a", true).is_empty());
    assert!(collect(resp, true).is_empty(), "a response is no request");
}
