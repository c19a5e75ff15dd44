//! HTTP/3 on a decrypted QUIC connection (RFC 9114): request streams give requests and their
//! responses, control streams the SETTINGS that QPACK needs and GOAWAY, the QPACK encoder
//! streams the dynamic tables. Bodies are stepped over by their DATA frames' lengths, never
//! buffered; a stream direction is dropped as soon as its header section is read.
//!
//! Limits, each counted: streams followed, requests waiting for a response, QPACK sections
//! waiting for inserts ("blocked" beyond [`MAX_BLOCKED_SECTIONS`] are dropped).

use std::collections::HashMap;

use super::fields::{self, Field};
use super::h3_stream::{FrameReader, H3Frame, Reassembly, stream_type};
use super::qpack::{Decoded, QpackDecoder};
use crate::observation::{Exchange, HttpVersion};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;

/// Stream directions followed per connection; finished ones make room for new ones.
pub const MAX_H3_STREAMS: usize = 1024;
/// Requests waiting for their response per connection; the oldest goes out without one.
pub const MAX_OPEN_REQUESTS: usize = 256;
/// Field sections per connection waiting for QPACK inserts that have not arrived.
pub const MAX_BLOCKED_SECTIONS: usize = 16;

const SETTINGS_QPACK_MAX_TABLE_CAPACITY: u64 = 0x01;
const UNI_CONTROL: u64 = 0x00;
const UNI_QPACK_ENCODER: u64 = 0x02;

/// What a stream direction carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A request stream (client-initiated, bidirectional).
    Request,
    /// A unidirectional stream whose type has not arrived yet.
    Unknown,
    /// The sender's control stream.
    Control,
    /// The sender's QPACK encoder stream.
    Encoder,
    /// Nothing more to read (header section read, or a stream sporfri does not need).
    Done,
}

#[derive(Debug)]
struct Stream {
    role: Role,
    reasm: Reassembly,
    frames: FrameReader,
    /// Bytes of a unidirectional stream's type, until it is whole.
    head: Vec<u8>,
}

/// A field section waiting for QPACK inserts.
#[derive(Debug)]
struct Blocked {
    from_client: bool,
    stream: u64,
    section: Vec<u8>,
    ts: Timestamp,
}

/// What the caller lends to one call: the packet time, counters and the output.
pub struct H3Feed<'a> {
    /// Time of the packet that brought the bytes.
    pub ts: Timestamp,
    /// Weird counters.
    pub weirds: &'a mut Counters,
    /// Requests completed by this call.
    pub out: &'a mut Vec<Exchange>,
}

/// HTTP/3 state of one QUIC connection.
#[derive(Debug, Default)]
pub struct H3Conn {
    sni: Option<String>,
    /// By (stream id, sent by the client).
    streams: HashMap<(u64, bool), Stream>,
    /// QPACK decoders of the client's and of the server's field sections.
    qpack: [QpackDecoder; 2],
    /// The encoder stream of that side broke: its dynamic table is unknown.
    broken: [bool; 2],
    blocked: Vec<Blocked>,
    open: HashMap<u64, Exchange>,
    goaway: Option<u64>,
}

/// Index of a direction: 0 for the client's bytes, 1 for the server's.
fn side(from_client: bool) -> usize {
    usize::from(!from_client)
}

impl H3Conn {
    /// A connection whose ClientHello named `sni`.
    pub fn new(sni: Option<String>) -> H3Conn {
        H3Conn {
            sni,
            ..H3Conn::default()
        }
    }

    /// The id in the server's GOAWAY, if one came.
    pub fn goaway(&self) -> Option<u64> {
        self.goaway
    }

    /// One STREAM frame's data.
    pub fn stream(
        &mut self,
        from_client: bool,
        id: u64,
        offset: u64,
        data: &[u8],
        feed: &mut H3Feed<'_>,
    ) {
        let (uni, by_client) = (id & 2 != 0, id & 1 == 0);
        // HTTP/3 uses client bidirectional streams and each side's own unidirectional ones.
        if (uni && by_client != from_client) || (!uni && !by_client) {
            return;
        }
        let key = (id, from_client);
        if !self.streams.contains_key(&key) {
            if !self.make_room() {
                feed.weirds.bump(Weird::DecryptH3StreamsFull);
                return;
            }
            let role = if uni { Role::Unknown } else { Role::Request };
            self.streams.insert(
                key,
                Stream {
                    role,
                    reasm: Reassembly::default(),
                    frames: FrameReader::default(),
                    head: Vec::new(),
                },
            );
        }
        let Some(stream) = self.streams.get_mut(&key) else {
            return;
        };
        if stream.role == Role::Done {
            return;
        }
        match stream.reasm.insert(offset, data) {
            Ok(bytes) if bytes.is_empty() => {}
            Ok(bytes) => self.bytes(id, from_client, &bytes, feed),
            Err(e) => {
                feed.weirds.bump(e.weird());
                stream.finish();
            }
        }
    }

    /// In-order bytes of a stream direction.
    fn bytes(&mut self, id: u64, from_client: bool, bytes: &[u8], feed: &mut H3Feed<'_>) {
        let Some(stream) = self.streams.get_mut(&(id, from_client)) else {
            return;
        };
        if stream.role == Role::Unknown {
            stream.head.extend_from_slice(bytes);
            let head = std::mem::take(&mut stream.head);
            let Some((kind, rest)) = stream_type(&head) else {
                stream.head = head;
                return;
            };
            stream.role = match kind {
                UNI_CONTROL => Role::Control,
                UNI_QPACK_ENCODER => Role::Encoder,
                _ => Role::Done, // push, QPACK decoder, reserved and extension streams
            };
            if stream.role == Role::Encoder {
                return self.encoder(from_client, rest, feed);
            }
            return self.frames(id, from_client, rest, feed);
        }
        if stream.role == Role::Encoder {
            return self.encoder(from_client, bytes, feed);
        }
        self.frames(id, from_client, bytes, feed);
    }

    /// HTTP/3 frames of a request or control stream.
    fn frames(&mut self, id: u64, from_client: bool, bytes: &[u8], feed: &mut H3Feed<'_>) {
        let Some(stream) = self.streams.get_mut(&(id, from_client)) else {
            return;
        };
        let role = stream.role;
        if bytes.is_empty() || role == Role::Done {
            return;
        }
        let frames = match stream.frames.push(bytes) {
            Ok(frames) => frames,
            Err(e) => {
                feed.weirds.bump(e.weird());
                return stream.finish();
            }
        };
        for frame in frames {
            let done = match (role, frame) {
                (Role::Request, H3Frame::Headers(section)) => {
                    self.section(from_client, id, section, feed.ts, feed)
                }
                (Role::Control, H3Frame::Settings(pairs)) => {
                    self.settings(from_client, &pairs, feed);
                    false
                }
                (Role::Control, H3Frame::Goaway(last)) => {
                    if !from_client {
                        self.goaway = Some(last);
                    }
                    false
                }
                _ => false,
            };
            if done {
                if let Some(s) = self.streams.get_mut(&(id, from_client)) {
                    s.finish();
                }
                return;
            }
        }
    }

    /// A side's SETTINGS: the table capacity the *other* side's encoder may use.
    fn settings(&mut self, from_client: bool, pairs: &[(u64, u64)], feed: &mut H3Feed<'_>) {
        let capacity = pairs
            .iter()
            .find(|(id, _)| *id == SETTINGS_QPACK_MAX_TABLE_CAPACITY)
            .map_or(0, |(_, v)| *v);
        let encoder_side = side(!from_client);
        if let Some(q) = self.qpack.get_mut(encoder_side) {
            q.set_max_capacity(capacity);
        }
        self.retry_blocked(!from_client, feed);
    }

    /// Encoder-stream bytes of one side.
    fn encoder(&mut self, from_client: bool, bytes: &[u8], feed: &mut H3Feed<'_>) {
        let s = side(from_client);
        let (Some(q), Some(broken)) = (self.qpack.get_mut(s), self.broken.get_mut(s)) else {
            return;
        };
        if *broken || bytes.is_empty() {
            return;
        }
        if let Err(e) = q.encoder_stream(bytes) {
            feed.weirds.bump(e.weird());
            *broken = true;
        }
        self.retry_blocked(from_client, feed);
    }

    /// Decode a header section; true when the stream direction needs nothing more.
    fn section(
        &mut self,
        from_client: bool,
        stream: u64,
        section: Vec<u8>,
        ts: Timestamp,
        feed: &mut H3Feed<'_>,
    ) -> bool {
        let s = side(from_client);
        let broken = self.broken.get(s).copied().unwrap_or(true);
        let Some(q) = self.qpack.get_mut(s) else {
            return true;
        };
        match q.decode(&section) {
            Ok(Decoded::Fields(f)) => self.fields(from_client, stream, &f, ts, feed),
            Ok(Decoded::Blocked) if broken => {
                feed.weirds.bump(Weird::DecryptQpackTableLost);
                true
            }
            Ok(Decoded::Blocked) if self.blocked.len() >= MAX_BLOCKED_SECTIONS => {
                feed.weirds.bump(Weird::DecryptQpackBlockedFull);
                true
            }
            Ok(Decoded::Blocked) => {
                self.blocked.push(Blocked {
                    from_client,
                    stream,
                    section,
                    ts,
                });
                true
            }
            Err(e) => {
                feed.weirds.bump(e.weird());
                true
            }
        }
    }

    /// Try again the sections of one side that waited for inserts or SETTINGS.
    fn retry_blocked(&mut self, from_client: bool, feed: &mut H3Feed<'_>) {
        let (waiting, others): (Vec<Blocked>, Vec<Blocked>) = std::mem::take(&mut self.blocked)
            .into_iter()
            .partition(|b| b.from_client == from_client);
        self.blocked = others;
        for b in waiting {
            self.section(b.from_client, b.stream, b.section, b.ts, feed);
        }
    }

    /// A decoded header section: a request, or a response; true when the stream direction
    /// needs nothing more (anything but an interim 1xx response).
    fn fields(
        &mut self,
        from_client: bool,
        stream: u64,
        f: &[Field],
        ts: Timestamp,
        feed: &mut H3Feed<'_>,
    ) -> bool {
        if from_client {
            let sni = self.sni.as_deref();
            if let Some(ex) = fields::request(ts, HttpVersion::Http3, f, sni) {
                self.open_request(stream, ex, feed);
            }
            return true;
        }
        let Some(status) = fields::status(f) else {
            return true;
        };
        if (100..200).contains(&status) {
            return false;
        }
        match self.open.remove(&stream) {
            Some(mut ex) => {
                fields::respond(&mut ex, status, f);
                feed.out.push(ex);
            }
            None => feed.weirds.bump(Weird::DecryptH3ResponseWithoutRequest),
        }
        true
    }

    fn open_request(&mut self, stream: u64, ex: Exchange, feed: &mut H3Feed<'_>) {
        if self.open.len() >= MAX_OPEN_REQUESTS {
            feed.weirds.bump(Weird::DecryptH3RequestsFull);
            if let Some(&oldest) = self.open.keys().min()
                && let Some(old) = self.open.remove(&oldest)
            {
                feed.out.push(old);
            }
        }
        self.open.insert(stream, ex);
    }

    /// Make room for one more stream direction: forget a finished one when full.
    fn make_room(&mut self) -> bool {
        if self.streams.len() < MAX_H3_STREAMS {
            return true;
        }
        let finished = self
            .streams
            .iter()
            .find(|(_, s)| s.role == Role::Done)
            .map(|(k, _)| *k);
        finished.is_some_and(|k| self.streams.remove(&k).is_some())
    }

    /// The connection ended: requests without responses go out; sections still blocked are
    /// counted (their requests are lost).
    pub fn finish(&mut self, weirds: &mut Counters, out: &mut Vec<Exchange>) {
        if !self.blocked.is_empty() {
            weirds.add(Weird::DecryptQpackBlockedAtEnd, self.blocked.len() as u64);
            self.blocked.clear();
        }
        let mut left: Vec<(u64, Exchange)> = self.open.drain().collect();
        left.sort_by_key(|(id, _)| *id);
        out.extend(left.into_iter().map(|(_, e)| e));
    }
}

impl Stream {
    fn finish(&mut self) {
        self.role = Role::Done;
        self.reasm = Reassembly::default();
        self.frames = FrameReader::default();
        self.head = Vec::new();
    }
}

#[cfg(test)]
#[path = "h3_tests.rs"]
pub(crate) mod tests;
