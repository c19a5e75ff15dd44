//! Every `MAX_*` bound of decryption and the HTTP layer is hit and counted.

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;

use super::keylog::KeyLog;
use super::tests::{Run, h2_frame, plain_record};
use super::{Exchange, Feed, Stop};

/// An HTTP layer fed directly, for the bounds of the HTTP parsers.
struct App {
    app: super::app::AppLayer,
    weirds: Counters,
    out: Vec<Exchange>,
    keys: KeyLog,
}

impl App {
    fn new() -> App {
        App {
            app: super::app::AppLayer::new(Some("sni.example".into())),
            weirds: Counters::default(),
            out: Vec::new(),
            keys: KeyLog::new(),
        }
    }

    fn data(&mut self, from_client: bool, bytes: &[u8]) {
        let mut feed = Feed {
            keys: &self.keys,
            weirds: &mut self.weirds,
            ts: Timestamp(0),
            out: &mut self.out,
        };
        self.app.data(from_client, bytes, &mut feed);
    }
}

#[test]
fn oversized_record_is_a_bad_record() {
    let mut run = Run::new(KeyLog::new());
    let len = (super::MAX_CIPHERTEXT + 1) as u16;
    run.push(true, &[22, 3, 1, (len >> 8) as u8, len as u8]);
    assert_eq!(run.conn.stopped(), Some(Stop::BadRecord));
}

#[test]
fn hello_gathering_is_capped() {
    let mut run = Run::new(KeyLog::new());
    // A ClientHello claiming to be huge, sent in full records that never complete the random.
    let chunk = plain_record(22, &[0; 16_000]);
    for _ in 0..=super::conn::MAX_HELLO_GATHER / 16_000 {
        run.push(true, &chunk);
    }
    assert_eq!(run.conn.stopped(), Some(Stop::BadRecord));
}

#[test]
fn plaintext_buffer_is_capped() {
    let mut app = App::new();
    let head = format!(
        "GET / HTTP/1.1\r\nX: {}",
        "a".repeat(super::MAX_PLAIN_BYTES)
    );
    app.data(true, head.as_bytes());
    assert_eq!(app.weirds.get(Weird::DecryptPlainBufferFull), 1);
}

#[test]
fn pending_http1_requests_are_capped() {
    let mut app = App::new();
    let req = b"GET /r HTTP/1.1\r\nHost: a.dk\r\n\r\n"
        .repeat(crate::observation::MAX_PENDING_REQUESTS + 1);
    app.data(true, &req);
    assert_eq!(app.weirds.get(Weird::DecryptHttpPendingFull), 1);
    assert_eq!(
        app.out.len(),
        1,
        "the oldest request is handed out without a response"
    );
}

#[test]
fn chunk_size_line_is_capped() {
    let mut app = App::new();
    app.data(true, b"GET / HTTP/1.1\r\nHost: a.dk\r\n\r\n");
    app.data(
        false,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    app.data(false, &vec![b'f'; super::h1::MAX_CHUNK_LINE + 1]);
    assert_eq!(app.weirds.get(Weird::HttpBadChunkedBody), 1);
}

fn h2_request(enc: &mut loona_hpack::Encoder<'_>, path: &[u8]) -> Vec<u8> {
    enc.encode([
        (&b":method"[..], &b"GET"[..]),
        (b":path", path),
        (b":authority", b"a.dk"),
    ])
}

#[test]
fn open_h2_streams_are_capped() {
    let mut app = App::new();
    let mut enc = loona_hpack::Encoder::new();
    app.data(true, super::app::H2_PREFACE);
    for i in 0..=super::MAX_OPEN_STREAMS as u32 {
        app.data(
            true,
            &h2_frame(1, 0x5, 2 * i + 1, &h2_request(&mut enc, b"/")),
        );
    }
    assert_eq!(app.weirds.get(Weird::DecryptH2StreamsFull), 1);
    assert_eq!(app.out.len(), 1);
}

#[test]
fn h2_header_block_is_capped_across_continuations() {
    let mut app = App::new();
    app.data(true, super::app::H2_PREFACE);
    let part = vec![0u8; 16_000];
    app.data(true, &h2_frame(1, 0, 1, &part));
    for _ in 0..super::MAX_HEADER_BLOCK / 16_000 {
        app.data(true, &h2_frame(9, 0, 1, &part));
    }
    assert_eq!(app.weirds.get(Weird::DecryptH2HeaderBlockTooLarge), 1);
}

#[test]
fn hpack_table_size_beyond_the_cap_is_an_error() {
    let mut app = App::new();
    app.data(true, super::app::H2_PREFACE);
    // Dynamic table size update (001xxxxx) to MAX_HPACK_TABLE + 1, then an indexed :method GET.
    let mut block = loona_hpack::encoder::encode_integer(super::MAX_HPACK_TABLE + 1, 5);
    block[0] |= 0x20;
    block.push(0x82);
    app.data(true, &h2_frame(1, 0x5, 1, &block));
    assert_eq!(app.weirds.get(Weird::DecryptHpackError), 1);
}

#[test]
fn h2_data_frames_are_skipped_without_buffering() {
    let mut app = App::new();
    let mut enc = loona_hpack::Encoder::new();
    app.data(true, super::app::H2_PREFACE);
    // A 1 MiB DATA frame announced, its bytes arriving later, then the next request.
    let mut big = vec![0x10, 0x00, 0x00, 0, 0, 0, 0, 0, 1];
    big.extend(vec![0u8; 1 << 20]);
    for part in big.chunks(10_000) {
        app.data(true, part);
    }
    app.data(true, &h2_frame(1, 0x5, 3, &h2_request(&mut enc, b"/after")));
    app.app.finish(&mut app.out);
    assert_eq!(app.out.len(), 1, "{:?}", app.weirds);
    assert_eq!(app.out[0].url, "https://a.dk/after");
}
