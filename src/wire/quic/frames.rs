//! The frames of a decrypted Initial payload (RFC 9000 §12.4, §19).

use crate::weird::Weird;

use super::Reader;

/// The most CRYPTO frames taken from one packet; a real Initial carries at most a dozen.
pub const MAX_CRYPTO_FRAMES_PER_PACKET: usize = 64;

/// One CRYPTO frame: `data` belongs at `offset` of the Initial crypto stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoChunk<'a> {
    /// Offset in the crypto stream.
    pub offset: u64,
    /// The bytes.
    pub data: &'a [u8],
}

/// What the frames of one Initial payload say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frames<'a> {
    /// CRYPTO frames in packet order.
    pub crypto: Vec<CryptoChunk<'a>>,
    /// A CONNECTION_CLOSE frame was seen.
    pub connection_close: bool,
    /// Set when the walk stopped at a broken or unexpected frame; earlier frames are kept.
    pub weird: Option<Weird>,
}

/// Read a variable-length integer (RFC 9000 §16): its value and its length in bytes.
pub fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = 1usize << (first >> 6);
    let tail = bytes.get(1..len)?;
    let v = tail
        .iter()
        .fold(u64::from(first & 0x3f), |acc, b| (acc << 8) | u64::from(*b));
    Some((v, len))
}

/// Walk the frames of an Initial payload, collecting CRYPTO data.
///
/// Only frames allowed in Initial packets are understood (PADDING, PING, ACK, CRYPTO,
/// CONNECTION_CLOSE); anything else ends the walk as `quic.bad_frame`.
pub fn walk_frames(payload: &[u8]) -> Frames<'_> {
    let mut out = Frames::default();
    let mut r = Reader::new(payload);
    while !r.remaining().is_empty() {
        if let Err(weird) = frame(&mut r, &mut out) {
            out.weird = Some(weird);
            break;
        }
    }
    out
}

/// Consume one frame.
fn frame<'a>(r: &mut Reader<'a>, out: &mut Frames<'a>) -> Result<(), Weird> {
    const BAD: Weird = Weird::QuicBadFrame;
    let kind = r.varint().ok_or(BAD)?;
    match kind {
        // PADDING runs are common (hundreds of bytes): skip them in one step.
        0x00 => {
            let zeros = leading_zeros(r.remaining());
            r.take(zeros as u64).ok_or(BAD)?;
        }
        0x01 => {}
        0x02 | 0x03 => ack(r, kind == 0x03).ok_or(BAD)?,
        0x06 => {
            let offset = r.varint().ok_or(BAD)?;
            let len = r.varint().ok_or(BAD)?;
            let data = r.take(len).ok_or(BAD)?;
            if offset.checked_add(len).is_none_or(|end| end >= 1 << 62) {
                return Err(BAD);
            }
            if out.crypto.len() >= MAX_CRYPTO_FRAMES_PER_PACKET {
                return Err(Weird::QuicTooManyCryptoFrames);
            }
            out.crypto.push(CryptoChunk { offset, data });
        }
        0x1c | 0x1d => {
            r.varint().ok_or(BAD)?;
            if kind == 0x1c {
                r.varint().ok_or(BAD)?;
            }
            let reason = r.varint().ok_or(BAD)?;
            r.take(reason).ok_or(BAD)?;
            out.connection_close = true;
        }
        _ => return Err(BAD),
    }
    Ok(())
}

/// The zero bytes `bytes` starts with, sixteen at a time: an Initial is padded to 1,200
/// bytes, and counting the padding a byte at a time cost more than the rest of the frames.
fn leading_zeros(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(16);
    let mut zeros = 0;
    for chunk in chunks.by_ref() {
        let word = <[u8; 16]>::try_from(chunk).map_or(1, u128::from_ne_bytes);
        if word != 0 {
            return zeros + chunk.iter().take_while(|b| **b == 0).count();
        }
        zeros += 16;
    }
    zeros + chunks.remainder().iter().take_while(|b| **b == 0).count()
}

/// Skip an ACK frame body (RFC 9000 §19.3).
fn ack(r: &mut Reader<'_>, ecn: bool) -> Option<()> {
    r.varint()?; // largest acknowledged
    r.varint()?; // delay
    let ranges = r.varint()?;
    r.varint()?; // first range
    for _ in 0..ranges {
        // Each range is at least two bytes: a huge count on a short payload ends here.
        r.varint()?;
        r.varint()?;
    }
    if ecn {
        for _ in 0..3 {
            r.varint()?;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_of_every_length() {
        assert_eq!(read_varint(&[0x25]), Some((37, 1)));
        assert_eq!(read_varint(&[0x7b, 0xbd]), Some((15_293, 2)));
        assert_eq!(
            read_varint(&[0x9d, 0x7f, 0x3e, 0x7d]),
            Some((494_878_333, 4))
        );
        let eight = [0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c];
        assert_eq!(read_varint(&eight), Some((151_288_809_941_952_652, 8)));
        assert_eq!(read_varint(&[0x40]), None);
        assert_eq!(read_varint(&[]), None);
    }

    #[test]
    fn walks_padding_ping_ack_crypto_close() {
        let payload = [
            0x00, 0x00, 0x01, // PADDING, PING
            0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02, // ACK with one extra range
            0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, // ACK_ECN
            0x06, 0x40, 0x05, 0x02, 0xaa, 0xbb, // CRYPTO offset 5, 2 bytes
            0x1c, 0x0a, 0x06, 0x01, b'x', // CONNECTION_CLOSE
            0x00, 0x00,
        ];
        let f = walk_frames(&payload);
        assert_eq!(f.weird, None);
        assert!(f.connection_close);
        assert_eq!(
            f.crypto,
            vec![CryptoChunk {
                offset: 5,
                data: &[0xaa, 0xbb]
            }]
        );
    }

    #[test]
    fn stream_frame_in_initial_is_bad_but_keeps_earlier_crypto() {
        let f = walk_frames(&[0x06, 0x00, 0x01, 0x01, 0x08, 0x00]);
        assert_eq!(f.crypto.len(), 1);
        assert_eq!(f.weird, Some(Weird::QuicBadFrame));
    }

    #[test]
    fn truncated_crypto_and_huge_ack_are_bad() {
        assert_eq!(
            walk_frames(&[0x06, 0x00, 0x05, 0x01]).weird,
            Some(Weird::QuicBadFrame)
        );
        let ack = [0x02, 0x00, 0x00, 0xbf, 0xff, 0xff, 0xff, 0x00, 0x00];
        assert_eq!(walk_frames(&ack).weird, Some(Weird::QuicBadFrame));
    }

    #[test]
    fn crypto_frames_per_packet_are_bounded() {
        let mut payload = Vec::new();
        for i in 0..=MAX_CRYPTO_FRAMES_PER_PACKET {
            payload.extend_from_slice(&[0x06, 0x40, i as u8, 0x01, 0x00]);
        }
        let f = walk_frames(&payload);
        assert_eq!(f.crypto.len(), MAX_CRYPTO_FRAMES_PER_PACKET);
        assert_eq!(f.weird, Some(Weird::QuicTooManyCryptoFrames));
    }

    #[test]
    fn padding_is_counted_to_the_first_nonzero_byte() {
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 700] {
            for nonzero in [
                None,
                Some(0),
                Some(1),
                Some(15),
                Some(16),
                Some(17),
                Some(len / 2),
            ] {
                let mut bytes = vec![0u8; len];
                if let Some(at) = nonzero.filter(|&at| at < len) {
                    bytes[at] = 0x06;
                }
                let expected = bytes.iter().take_while(|b| **b == 0).count();
                assert_eq!(leading_zeros(&bytes), expected, "{len} {nonzero:?}");
            }
        }
    }
}
