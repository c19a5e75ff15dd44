//! HTTP/2 on a decrypted stream (RFC 9113): frames walked, header blocks (HEADERS,
//! CONTINUATION, PUSH_PROMISE) joined and decoded with HPACK, DATA and the rest stepped over.
//!
//! HPACK is stateful: every header block of a direction must be decoded in order, including the
//! ones sporfri has no use for, or later blocks decode wrong.

use std::collections::HashMap;

use loona_hpack::Decoder;

use super::fields::{self, Field};
use super::plain::{Feed, PlainBuf};
use crate::observation::{Exchange, HttpVersion};
use crate::weird::Weird;

/// Streams with a request waiting for its response, per connection.
pub const MAX_OPEN_STREAMS: usize = 256;
/// Largest header block accepted (HEADERS plus CONTINUATION frames).
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Largest HPACK dynamic table a peer may ask for (the default is 4096).
pub const MAX_HPACK_TABLE: usize = 64 * 1024;

const FRAME_HEADER_LEN: usize = 9;
const HEADERS: u8 = 0x1;
const PUSH_PROMISE: u8 = 0x5;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// One direction's frame reader and HPACK decoder.
struct Reader {
    hpack: Decoder<'static>,
    /// A header block in progress: stream id and the fragments so far.
    block: Option<(u32, Vec<u8>)>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("block", &self.block.as_ref().map(|b| b.0))
            .finish_non_exhaustive()
    }
}

impl Default for Reader {
    fn default() -> Reader {
        let mut hpack = Decoder::new();
        hpack.set_max_allowed_table_size(MAX_HPACK_TABLE);
        Reader { hpack, block: None }
    }
}

/// HTTP/2 state of one connection.
#[derive(Debug, Default)]
pub struct H2 {
    up: Reader,
    down: Reader,
    open: HashMap<u32, Exchange>,
}

/// A complete header block, decoded.
struct Block {
    stream: u32,
    headers: Vec<Field>,
}

impl H2 {
    /// Read every complete frame of both directions.
    pub fn run(
        &mut self,
        up: &mut PlainBuf,
        down: &mut PlainBuf,
        sni: Option<&str>,
        feed: &mut Feed<'_>,
    ) {
        while let Some(block) = next_block(&mut self.up, up, feed) {
            self.request(block, sni, feed);
        }
        while let Some(block) = next_block(&mut self.down, down, feed) {
            self.response(block, feed);
        }
    }

    /// End of connection.
    pub fn finish(&mut self, out: &mut Vec<Exchange>) {
        let mut left: Vec<(u32, Exchange)> = self.open.drain().collect();
        left.sort_by_key(|(id, _)| *id);
        out.extend(left.into_iter().map(|(_, e)| e));
    }

    fn request(&mut self, block: Block, sni: Option<&str>, feed: &mut Feed<'_>) {
        if self.open.contains_key(&block.stream) {
            return; // trailers
        }
        let Some(ex) = fields::request(feed.ts, HttpVersion::Http2, &block.headers, sni) else {
            return;
        };
        if self.open.len() >= MAX_OPEN_STREAMS {
            feed.weirds.bump(Weird::DecryptH2StreamsFull);
            if let Some(&oldest) = self.open.keys().min() {
                if let Some(old) = self.open.remove(&oldest) {
                    feed.out.push(old);
                }
            }
        }
        self.open.insert(block.stream, ex);
    }

    fn response(&mut self, block: Block, feed: &mut Feed<'_>) {
        let Some(status) = fields::status(&block.headers) else {
            return; // trailers or a push promise
        };
        if (100..200).contains(&status) {
            return;
        }
        let Some(mut ex) = self.open.remove(&block.stream) else {
            return;
        };
        fields::respond(&mut ex, status, &block.headers);
        feed.out.push(ex);
    }
}

/// The next complete header block of a direction, walking over other frames.
fn next_block(r: &mut Reader, buf: &mut PlainBuf, feed: &mut Feed<'_>) -> Option<Block> {
    loop {
        if buf.closed {
            return None;
        }
        let &[l1, l2, l3, kind, flags, s1, s2, s3, s4] = buf.data().get(..FRAME_HEADER_LEN)? else {
            return None;
        };
        let len = usize::from(l1) << 16 | usize::from(l2) << 8 | usize::from(l3);
        let stream = u32::from_be_bytes([s1 & 0x7f, s2, s3, s4]);
        let carries_block = matches!(kind, HEADERS | PUSH_PROMISE | CONTINUATION);
        if !carries_block {
            buf.skip((FRAME_HEADER_LEN + len) as u64);
            continue;
        }
        if len > MAX_HEADER_BLOCK {
            return give_up(buf, feed, Weird::DecryptH2HeaderBlockTooLarge);
        }
        let payload = buf
            .data()
            .get(FRAME_HEADER_LEN..FRAME_HEADER_LEN + len)?
            .to_vec();
        buf.consume(FRAME_HEADER_LEN + len);
        let Some(fragment) = fragment(kind, flags, &payload) else {
            return give_up(buf, feed, Weird::DecryptH2BadFrame);
        };
        let block = match (kind, r.block.take()) {
            (CONTINUATION, Some((id, mut so_far))) if id == stream => {
                so_far.extend_from_slice(fragment);
                so_far
            }
            (CONTINUATION, _) | (HEADERS | PUSH_PROMISE, Some(_)) => {
                return give_up(buf, feed, Weird::DecryptH2BadFrame);
            }
            _ => fragment.to_vec(),
        };
        if block.len() > MAX_HEADER_BLOCK {
            return give_up(buf, feed, Weird::DecryptH2HeaderBlockTooLarge);
        }
        if flags & END_HEADERS == 0 {
            r.block = Some((stream, block));
            continue;
        }
        let mut headers = Vec::new();
        let decoded = r.hpack.decode_with_cb(&block, |n, v| {
            headers.push((n.into_owned(), v.into_owned()))
        });
        if decoded.is_err() {
            return give_up(buf, feed, Weird::DecryptHpackError);
        }
        if kind == PUSH_PROMISE {
            continue;
        }
        return Some(Block { stream, headers });
    }
}

fn give_up(buf: &mut PlainBuf, feed: &mut Feed<'_>, weird: Weird) -> Option<Block> {
    feed.weirds.bump(weird);
    buf.close();
    None
}

/// The header block fragment of a HEADERS, PUSH_PROMISE or CONTINUATION payload.
fn fragment(kind: u8, flags: u8, payload: &[u8]) -> Option<&[u8]> {
    if kind == CONTINUATION {
        return Some(payload);
    }
    let (pad, rest) = if flags & PADDED != 0 {
        (usize::from(*payload.first()?), payload.get(1..)?)
    } else {
        (0, payload)
    };
    let skip = match kind {
        HEADERS if flags & PRIORITY != 0 => 5,
        PUSH_PROMISE => 4,
        _ => 0,
    };
    rest.get(skip..rest.len().checked_sub(pad)?)
}
