//! One direction of one QUIC stream as HTTP/3 reads it: STREAM frames put back in order
//! (bounded: data past a gap waits, up to a limit), and the HTTP/3 frames in the bytes
//! (RFC 9114 §7): HEADERS, SETTINGS and GOAWAY kept whole, DATA and the rest stepped over by
//! their length without being buffered.

use std::collections::BTreeMap;

use crate::weird::Weird;
use crate::wire::quic::read_varint;

/// Bytes held past a gap in one stream direction (packets reordered or lost in the capture).
pub const MAX_STREAM_GAP_BYTES: usize = 64 * 1024;
/// Disjoint pieces held past a gap in one stream direction.
pub const MAX_STREAM_GAPS: usize = 64;
/// Largest HTTP/3 frame payload buffered whole (a HEADERS field section, SETTINGS, GOAWAY).
pub const MAX_H3_FRAME: u64 = 64 * 1024;

const DATA: u64 = 0x00;
const HEADERS: u64 = 0x01;
const SETTINGS: u64 = 0x04;
const GOAWAY: u64 = 0x07;

/// Why a stream direction stopped being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamError {
    /// More than [`MAX_STREAM_GAP_BYTES`] or [`MAX_STREAM_GAPS`] waiting past a gap.
    GapTooLarge,
    /// A frame longer than [`MAX_H3_FRAME`] that sporfri would have to buffer.
    FrameTooLarge,
    /// A frame whose payload does not parse.
    Malformed,
}

impl StreamError {
    /// The weird counted for this error.
    pub fn weird(self) -> Weird {
        match self {
            StreamError::GapTooLarge => Weird::DecryptH3StreamGapTooLarge,
            StreamError::FrameTooLarge => Weird::DecryptH3FrameTooLarge,
            StreamError::Malformed => Weird::DecryptH3BadFrame,
        }
    }
}

/// Stream bytes put back in order.
#[derive(Debug, Default)]
pub struct Reassembly {
    /// Offset of the next byte to hand on.
    next: u64,
    /// Pieces past a gap, by offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    ahead_bytes: usize,
}

impl Reassembly {
    /// Place `data` at `offset`; the bytes that are now in order (possibly none).
    pub fn insert(&mut self, offset: u64, data: &[u8]) -> Result<Vec<u8>, StreamError> {
        let end = offset.saturating_add(data.len() as u64);
        if end <= self.next || data.is_empty() {
            return Ok(Vec::new()); // a retransmission of what was handed on
        }
        if offset > self.next {
            return self.hold(offset, data).map(|()| Vec::new());
        }
        let skip = usize::try_from(self.next - offset).unwrap_or(usize::MAX);
        let mut out = data.get(skip..).unwrap_or_default().to_vec();
        self.next = end;
        while let Some(entry) = self.ahead.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let (at, piece) = entry.remove_entry();
            self.ahead_bytes -= piece.len();
            let piece_end = at + piece.len() as u64;
            if piece_end > self.next {
                let from = usize::try_from(self.next - at).unwrap_or(usize::MAX);
                out.extend_from_slice(piece.get(from..).unwrap_or_default());
                self.next = piece_end;
            }
        }
        Ok(out)
    }

    fn hold(&mut self, offset: u64, data: &[u8]) -> Result<(), StreamError> {
        if let Some(old) = self.ahead.get(&offset)
            && old.len() >= data.len()
        {
            return Ok(());
        }
        let replaced = self.ahead.get(&offset).map_or(0, Vec::len);
        if self.ahead_bytes - replaced + data.len() > MAX_STREAM_GAP_BYTES
            || (replaced == 0 && self.ahead.len() >= MAX_STREAM_GAPS)
        {
            return Err(StreamError::GapTooLarge);
        }
        self.ahead_bytes = self.ahead_bytes - replaced + data.len();
        self.ahead.insert(offset, data.to_vec());
        Ok(())
    }

    /// Bytes handed on so far.
    pub fn delivered(&self) -> u64 {
        self.next
    }
}

/// An HTTP/3 frame sporfri reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum H3Frame {
    /// HEADERS: a QPACK field section.
    Headers(Vec<u8>),
    /// DATA of this many bytes (stepped over).
    Data(u64),
    /// SETTINGS: (identifier, value) pairs.
    Settings(Vec<(u64, u64)>),
    /// GOAWAY: the stream or push id after which nothing is processed.
    Goaway(u64),
}

/// Reads HTTP/3 frames from in-order stream bytes.
#[derive(Debug, Default)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// Payload bytes of the current frame still to step over.
    skip: u64,
}

impl FrameReader {
    /// Bytes the next frame still needs (for tests and limits).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Take in-order bytes; the frames they complete.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<H3Frame>, StreamError> {
        let mut out = Vec::new();
        if self.skip > 0 {
            let n = usize::try_from(self.skip).map_or(bytes.len(), |s| s.min(bytes.len()));
            self.skip -= n as u64;
            bytes = bytes.get(n..).unwrap_or_default();
        }
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            let rest = self.buf.get(at..).unwrap_or_default();
            if self.skip > 0 {
                let n = usize::try_from(self.skip).map_or(rest.len(), |s| s.min(rest.len()));
                self.skip -= n as u64;
                at += n;
                if self.skip > 0 {
                    break;
                }
                continue;
            }
            let Some((kind, a)) = read_varint(rest) else {
                break;
            };
            let Some((len, b)) = rest.get(a..).and_then(read_varint) else {
                break;
            };
            let head = a + b;
            if !matches!(kind, HEADERS | SETTINGS | GOAWAY) {
                if kind == DATA {
                    out.push(H3Frame::Data(len));
                }
                at += head;
                self.skip = len;
                continue;
            }
            if len > MAX_H3_FRAME {
                return Err(StreamError::FrameTooLarge);
            }
            let Some(payload) = rest.get(head..head + len as usize) else {
                break;
            };
            out.push(frame(kind, payload)?);
            at += head + len as usize;
        }
        self.buf.drain(..at.min(self.buf.len()));
        Ok(out)
    }
}

fn frame(kind: u64, payload: &[u8]) -> Result<H3Frame, StreamError> {
    Ok(match kind {
        HEADERS => H3Frame::Headers(payload.to_vec()),
        SETTINGS => {
            let mut pairs = Vec::new();
            let mut rest = payload;
            while !rest.is_empty() {
                let (id, a) = read_varint(rest).ok_or(StreamError::Malformed)?;
                rest = rest.get(a..).unwrap_or_default();
                let (value, b) = read_varint(rest).ok_or(StreamError::Malformed)?;
                rest = rest.get(b..).unwrap_or_default();
                pairs.push((id, value));
            }
            H3Frame::Settings(pairs)
        }
        _ => H3Frame::Goaway(read_varint(payload).ok_or(StreamError::Malformed)?.0),
    })
}

/// Read a stream's leading variable-length integer (a unidirectional stream's type) from
/// `bytes`: the value and the rest, or `None` while it is incomplete.
pub fn stream_type(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (v, n) = read_varint(bytes)?;
    Some((v, bytes.get(n..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_pieces_come_out_in_order_once() {
        let mut r = Reassembly::default();
        assert_eq!(r.insert(6, b"world").unwrap(), b"");
        assert_eq!(r.insert(3, b"lo ").unwrap(), b"");
        assert_eq!(r.insert(0, b"hel").unwrap(), b"hello world");
        assert_eq!(r.insert(0, b"hello").unwrap(), b"");
        assert_eq!(r.insert(9, b"ld!").unwrap(), b"!");
        assert_eq!(r.delivered(), 12);
        // Overlapping pieces past a gap.
        assert_eq!(r.insert(14, b"cdef").unwrap(), b"");
        assert_eq!(r.insert(13, b"bc").unwrap(), b"");
        assert_eq!(r.insert(12, b"a").unwrap(), b"abcdef");
    }

    #[test]
    fn bytes_past_a_gap_are_bounded() {
        let mut r = Reassembly::default();
        let piece = vec![0u8; 1024];
        for i in 0..MAX_STREAM_GAP_BYTES / 1024 {
            r.insert(1 + (i * 1024) as u64, &piece).unwrap();
        }
        assert_eq!(r.insert(1 << 20, b"x"), Err(StreamError::GapTooLarge));
        let mut r = Reassembly::default();
        for i in 0..MAX_STREAM_GAPS as u64 {
            r.insert(2 + 2 * i, b"x").unwrap();
        }
        assert_eq!(r.insert(1000, b"x"), Err(StreamError::GapTooLarge));
        // The same piece again is no new gap.
        assert_eq!(r.insert(2, b"x"), Ok(Vec::new()));
    }

    #[test]
    fn frames_split_anywhere_and_data_is_not_buffered() {
        let mut bytes = vec![0x01, 0x03, 0xaa, 0xbb, 0xcc]; // HEADERS
        bytes.extend_from_slice(&[0x00, 0x44, 0x00]); // DATA of 1024 bytes
        bytes.extend(std::iter::repeat_n(0x55, 1024));
        bytes.extend_from_slice(&[0x21, 0x01, 0x00]); // a reserved frame type
        bytes.extend_from_slice(&[0x01, 0x01, 0xdd]); // trailers
        let want = [
            H3Frame::Headers(vec![0xaa, 0xbb, 0xcc]),
            H3Frame::Data(1024),
            H3Frame::Headers(vec![0xdd]),
        ];
        for split in [1, 2, 7, 100, bytes.len()] {
            let mut r = FrameReader::default();
            let mut got = Vec::new();
            for chunk in bytes.chunks(split) {
                got.extend(r.push(chunk).unwrap());
                assert!(r.buffered() <= 8, "split {split}: {}", r.buffered());
            }
            assert_eq!(got, want, "split {split}");
        }
    }

    #[test]
    fn control_frames_and_limits() {
        let mut r = FrameReader::default();
        let control = [0x04, 0x03, 0x01, 0x40, 0x64, 0x07, 0x01, 0x03];
        assert_eq!(
            r.push(&control).unwrap(),
            [H3Frame::Settings(vec![(1, 100)]), H3Frame::Goaway(3)]
        );
        let mut r = FrameReader::default();
        assert_eq!(r.push(&[0x04, 0x01, 0x40]), Err(StreamError::Malformed));
        let mut r = FrameReader::default();
        let too_long = [0x01, 0x80, 0x01, 0x00, 0x01]; // 65537 bytes
        assert_eq!(r.push(&too_long), Err(StreamError::FrameTooLarge));
        assert_eq!(stream_type(&[0x40, 0x02, 9]), Some((2, &[9][..])));
        assert_eq!(stream_type(&[0x40]), None);
    }
}
