//! Chunked transfer coding (RFC 9112 §7.1): only the length of the coded body, never its data.
//!
//! Lines may end in CRLF or a bare LF (as servers and httparse tolerate); chunk data must be
//! followed by CRLF.

use super::MAX_HEAD_BYTES;
use crate::weird::Weird;
use crate::wire::Parsed;

/// Longest chunk-size line (size, extensions, CRLF) accepted.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// Length of a chunked body at the start of `buf` (all chunks, last chunk and trailers).
///
/// `Incomplete { needed }` gives, while inside chunk data, the total length up to the end of
/// that chunk's CRLF (a lower bound on the body length); `None` while a size or trailer line is
/// unfinished. The trailer section is capped at [`MAX_HEAD_BYTES`].
pub fn chunked_len(buf: &[u8]) -> Parsed<usize> {
    let mut pos = 0usize;
    loop {
        let (size, data_start) = match size_line(buf, pos) {
            Parsed::Done(line) => line,
            Parsed::Incomplete { needed } => return Parsed::Incomplete { needed },
            Parsed::NotThis => return Parsed::NotThis,
            Parsed::Malformed(weird) => return Parsed::Malformed(weird),
        };
        if size == 0 {
            return trailers(buf, data_start);
        }
        let Some(data_end) = data_start
            .checked_add(size)
            .and_then(|end| end.checked_add(2))
        else {
            return Parsed::Malformed(Weird::HttpChunkSizeOverflow);
        };
        match buf.get(data_end - 2..data_end) {
            None => {
                return Parsed::Incomplete {
                    needed: Some(data_end),
                };
            }
            Some(b"\r\n") => pos = data_end,
            Some(_) => return Parsed::Malformed(Weird::HttpBadChunk),
        }
    }
}

/// One line starting at `pos`: its content without the line end, and where the next line starts.
fn line(buf: &[u8], pos: usize, max: usize) -> Result<Option<(&[u8], usize)>, ()> {
    let rest = buf.get(pos..).unwrap_or_default();
    let window = rest.get(..max).unwrap_or(rest);
    match window.iter().position(|&b| b == b'\n') {
        Some(lf) => {
            let content = window.get(..lf).unwrap_or_default();
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            Ok(Some((content, pos + lf + 1)))
        }
        None if window.len() >= max => Err(()),
        None => Ok(None),
    }
}

/// A chunk-size line: hex size, then optional `;`-extensions after optional whitespace.
fn size_line(buf: &[u8], pos: usize) -> Parsed<(usize, usize)> {
    let (content, next) = match line(buf, pos, MAX_CHUNK_LINE_BYTES) {
        Ok(Some(found)) => found,
        Ok(None) => return Parsed::Incomplete { needed: None },
        Err(()) => return Parsed::Malformed(Weird::HttpChunkLineTooLong),
    };
    let digits = content.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, after) = content.split_at(digits);
    let after = after.trim_ascii_start();
    if hex.is_empty() || !(after.is_empty() || after.starts_with(b";")) {
        return Parsed::Malformed(Weird::HttpBadChunkSize);
    }
    let size = hex.iter().try_fold(0usize, |n, &d| {
        let digit = char::from(d).to_digit(16)?;
        n.checked_mul(16)?.checked_add(usize::try_from(digit).ok()?)
    });
    match size {
        Some(size) => Parsed::Done((size, next)),
        None => Parsed::Malformed(Weird::HttpChunkSizeOverflow),
    }
}

/// Trailer fields after the last chunk, up to and including the empty line.
fn trailers(buf: &[u8], start: usize) -> Parsed<usize> {
    let mut pos = start;
    loop {
        let budget = MAX_HEAD_BYTES.saturating_sub(pos - start);
        match line(buf, pos, budget) {
            Ok(Some((b"", next))) => return Parsed::Done(next),
            Ok(Some((_, next))) => pos = next,
            Ok(None) => return Parsed::Incomplete { needed: None },
            Err(()) => return Parsed::Malformed(Weird::HttpTrailersTooLarge),
        }
    }
}
