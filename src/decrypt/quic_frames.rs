//! The frames of a decrypted Handshake, 0-RTT or 1-RTT payload (RFC 9000 §19, RFC 9221 §4,
//! the ACK frequency extension): what HTTP/3 decryption needs (STREAM data, connection IDs,
//! the close), every other frame stepped over by its length.

use crate::weird::Weird;
use crate::wire::quic::read_varint;

/// Frames taken from one packet; a full-size packet holds at most a few hundred.
pub const MAX_FRAMES_PER_PACKET: usize = 512;

/// A frame sporfri uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// STREAM: `data` belongs at `offset` of stream `id`; `fin` marks its end.
    Stream {
        /// Stream id.
        id: u64,
        /// Offset of `data` in the stream.
        offset: u64,
        /// The bytes.
        data: &'a [u8],
        /// The stream ends after `data`.
        fin: bool,
    },
    /// NEW_CONNECTION_ID: the sender may be reached at `cid` from now on.
    NewConnectionId(&'a [u8]),
    /// CONNECTION_CLOSE (transport or application).
    Close,
}

/// Why a walk stopped early (frames before it are kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// A frame ran past the payload or had an impossible field (`decrypt.quic_bad_frame`).
    Malformed,
    /// A frame type sporfri does not know (`decrypt.quic_unknown_frame`).
    Unknown,
    /// More than [`MAX_FRAMES_PER_PACKET`] frames (`decrypt.quic_too_many_frames`).
    TooMany,
}

impl FrameError {
    /// The weird counted for this error.
    pub fn weird(self) -> Weird {
        match self {
            FrameError::Malformed => Weird::DecryptQuicBadFrame,
            FrameError::Unknown => Weird::DecryptQuicUnknownFrame,
            FrameError::TooMany => Weird::DecryptQuicTooManyFrames,
        }
    }
}

/// A cursor over a payload.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn varint(&mut self) -> Option<u64> {
        let (v, n) = read_varint(self.0)?;
        self.0 = self.0.get(n..)?;
        Some(v)
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn varints(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.varint()?;
        }
        Some(())
    }
}

/// Walk the frames of a payload: the frames sporfri uses, in order, and why the walk stopped
/// early, if it did.
pub fn walk(payload: &[u8]) -> (Vec<Frame<'_>>, Option<FrameError>) {
    let mut out = Vec::new();
    let mut c = Cursor(payload);
    let mut count = 0;
    while !c.0.is_empty() {
        count += 1;
        if count > MAX_FRAMES_PER_PACKET {
            return (out, Some(FrameError::TooMany));
        }
        match frame(&mut c) {
            Ok(Some(f)) => out.push(f),
            Ok(None) => {}
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

/// Read one frame; `Ok(None)` for a frame stepped over.
fn frame<'a>(c: &mut Cursor<'a>) -> Result<Option<Frame<'a>>, FrameError> {
    use FrameError::Malformed;
    let kind = c.varint().ok_or(Malformed)?;
    let skipped = match kind {
        // PADDING runs are long: skip them in one step.
        0x00 => {
            let zeros = c.0.iter().take_while(|b| **b == 0).count();
            c.take(zeros as u64)
        }
        0x01 | 0x1e | 0x1f => Some(&[][..]), // PING, HANDSHAKE_DONE, IMMEDIATE_ACK
        0x02 | 0x03 => ack(c, kind == 0x03),
        0x04 => c.varints(3).map(|()| &[][..]), // RESET_STREAM
        0x05 => c.varints(2).map(|()| &[][..]), // STOP_SENDING
        0x06 => {
            c.varint().ok_or(Malformed)?; // CRYPTO offset
            let len = c.varint().ok_or(Malformed)?;
            c.take(len)
        }
        0x07 => {
            let len = c.varint().ok_or(Malformed)?; // NEW_TOKEN
            c.take(len)
        }
        0x08..=0x0f => return stream(c, kind).map(Some).ok_or(Malformed),
        0x10 | 0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x19 => c.varints(1).map(|()| &[][..]),
        0x11 | 0x15 => c.varints(2).map(|()| &[][..]), // MAX_STREAM_DATA, STREAM_DATA_BLOCKED
        0x18 => return new_connection_id(c).map(Some).ok_or(Malformed),
        0x1a | 0x1b => c.take(8), // PATH_CHALLENGE, PATH_RESPONSE
        0x1c | 0x1d => {
            c.varint().ok_or(Malformed)?; // error code
            if kind == 0x1c {
                c.varint().ok_or(Malformed)?; // frame type
            }
            let len = c.varint().ok_or(Malformed)?;
            c.take(len).ok_or(Malformed)?;
            return Ok(Some(Frame::Close));
        }
        0x30 => Some(std::mem::take(&mut c.0)), // DATAGRAM to the end of the packet
        0x31 => {
            let len = c.varint().ok_or(Malformed)?;
            c.take(len)
        }
        0xaf => c.varints(4).map(|()| &[][..]), // ACK_FREQUENCY
        _ => return Err(FrameError::Unknown),
    };
    skipped.map(|_| None).ok_or(Malformed)
}

/// Skip an ACK frame body (RFC 9000 §19.3).
fn ack<'a>(c: &mut Cursor<'a>, ecn: bool) -> Option<&'a [u8]> {
    c.varints(2)?; // largest acknowledged, delay
    let ranges = c.varint()?;
    c.varint()?; // first range
    for _ in 0..ranges {
        // Each range is at least two bytes: a huge count on a short payload ends here.
        c.varints(2)?;
    }
    if ecn {
        c.varints(3)?;
    }
    Some(&[])
}

/// A STREAM frame (RFC 9000 §19.8): type bits OFF (0x04), LEN (0x02), FIN (0x01).
fn stream<'a>(c: &mut Cursor<'a>, kind: u64) -> Option<Frame<'a>> {
    let id = c.varint()?;
    let offset = if kind & 0x04 != 0 { c.varint()? } else { 0 };
    let data = if kind & 0x02 != 0 {
        let len = c.varint()?;
        c.take(len)?
    } else {
        std::mem::take(&mut c.0)
    };
    // A stream never reaches 2^62 bytes (RFC 9000 §19.8).
    offset
        .checked_add(data.len() as u64)
        .filter(|end| *end < 1 << 62)?;
    Some(Frame::Stream {
        id,
        offset,
        data,
        fin: kind & 0x01 != 0,
    })
}

/// A NEW_CONNECTION_ID frame (RFC 9000 §19.15).
fn new_connection_id<'a>(c: &mut Cursor<'a>) -> Option<Frame<'a>> {
    c.varints(2)?; // sequence number, retire prior to
    let len = c.take(1)?.first().copied()?;
    if !(1..=20).contains(&len) {
        return None;
    }
    let cid = c.take(u64::from(len))?;
    c.take(16)?; // stateless reset token
    Some(Frame::NewConnectionId(cid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_frames_of_every_shape() {
        let payload = [
            0x00, 0x00, 0x01, // PADDING, PING
            0x0f, 0x04, 0x40, 0x10, 0x02, b'h', b'i', // OFF LEN FIN: stream 4 at 16
            0x0a, 0x00, 0x01, b'x', // LEN: stream 0 at 0
            0x08, 0x02, b'r', b'e', b's', b't', // no LEN: to the end
        ];
        let (frames, err) = walk(&payload);
        assert_eq!(err, None);
        assert_eq!(
            frames,
            [
                Frame::Stream {
                    id: 4,
                    offset: 16,
                    data: b"hi",
                    fin: true
                },
                Frame::Stream {
                    id: 0,
                    offset: 0,
                    data: b"x",
                    fin: false
                },
                Frame::Stream {
                    id: 2,
                    offset: 0,
                    data: b"rest",
                    fin: false
                },
            ]
        );
    }

    #[test]
    fn control_frames_are_stepped_over() {
        let mut p = vec![0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02]; // ACK, one extra range
        p.extend_from_slice(&[0x04, 0x00, 0x01, 0x02]); // RESET_STREAM
        p.extend_from_slice(&[0x05, 0x00, 0x01]); // STOP_SENDING
        p.extend_from_slice(&[0x06, 0x00, 0x02, 0xaa, 0xbb]); // CRYPTO
        p.extend_from_slice(&[0x07, 0x01, 0xcc]); // NEW_TOKEN
        p.extend_from_slice(&[0x10, 0x05, 0x11, 0x00, 0x05, 0x12, 0x05, 0x1e]); // MAX_*, DONE
        p.extend_from_slice(&[0x1a, 1, 2, 3, 4, 5, 6, 7, 8]); // PATH_CHALLENGE
        p.extend_from_slice(&[0x18, 0x01, 0x00, 0x04, 9, 9, 9, 9]); // NEW_CONNECTION_ID
        p.extend_from_slice(&[0x55; 16]);
        p.extend_from_slice(&[0x40, 0xaf, 0x00, 0x01, 0x02, 0x03]); // ACK_FREQUENCY
        p.extend_from_slice(&[0x31, 0x01, 0x00]); // DATAGRAM with length
        p.extend_from_slice(&[0x1d, 0x00, 0x01, b'x']); // CONNECTION_CLOSE (application)
        let (frames, err) = walk(&p);
        assert_eq!(err, None);
        assert_eq!(frames, [Frame::NewConnectionId(&[9; 4]), Frame::Close]);
    }

    #[test]
    fn broken_and_unknown_frames_stop_the_walk() {
        let (frames, err) = walk(&[0x0a, 0x00, 0x01, b'x', 0x0a, 0x00, 0x05, b'y']);
        assert_eq!((frames.len(), err), (1, Some(FrameError::Malformed)));
        assert_eq!(walk(&[0x21]).1, Some(FrameError::Unknown));
        let bad_cid = [0x18, 0x01, 0x00, 0x00];
        assert_eq!(walk(&bad_cid).1, Some(FrameError::Malformed));
        let huge = [
            0x0e, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, b'z',
        ];
        assert_eq!(walk(&huge).1, Some(FrameError::Malformed));
    }

    #[test]
    fn frames_per_packet_are_bounded() {
        let p = vec![0x01; MAX_FRAMES_PER_PACKET + 1];
        assert_eq!(walk(&p).1, Some(FrameError::TooMany));
        assert_eq!(walk(&p[1..]).1, None);
    }
}
