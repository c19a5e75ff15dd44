//! The byte window the file reader parses from, fed in chunks.
//!
//! A capture file is read in chunks of [`CHUNK_BYTES`], each [`HEADROOM`] bytes into its own
//! buffer. The unparsed tail of the previous chunk (part of one block, usually a few hundred
//! bytes) is copied into that room in front of the new data, so a block that straddles two
//! reads is contiguous without copying the chunk; only a block larger than the headroom is
//! gathered by copying. Swapped-out buffers are reused, or kept for whoever still holds
//! packets in them ([`Input::keep_retired`], the framing thread of
//! [`FileSource`](super::FileSource)).

use std::io::{self, Read};

/// Bytes asked of one `read` call.
pub const CHUNK_BYTES: usize = 256 << 10;
/// Room in front of each chunk for the unparsed tail of the previous one.
pub const HEADROOM: usize = 64 << 10;
/// Chunks a reading thread may hold ready (with two in use: about 2.2 MB in all).
pub const READ_AHEAD_CHUNKS: usize = 5;

/// Size of every chunk buffer.
const CHUNK_BUF: usize = HEADROOM + CHUNK_BYTES;

/// One read: data sits at `buf[HEADROOM..HEADROOM + len]`.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

/// A window over the stream: `available()` are the bytes from the current offset on.
pub struct Input {
    reader: Box<dyn Read + Send>,
    /// Used buffers to read into again.
    spare: Vec<Vec<u8>>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    eof: bool,
    /// Keep buffers that were swapped out instead of reusing them: bytes handed out from them
    /// are still in use elsewhere (see [`Input::take_retired`]).
    keep_retired: bool,
    retired: Vec<Vec<u8>>,
}

/// Most spare buffers kept.
const MAX_SPARE: usize = READ_AHEAD_CHUNKS + 2;

impl Input {
    /// Read `reader` in chunks, on the thread that asks for bytes.
    pub fn new(reader: Box<dyn Read + Send>) -> Input {
        Input {
            reader,
            spare: Vec::new(),
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            keep_retired: false,
            retired: Vec::new(),
        }
    }

    /// From now on, buffers swapped out are kept for [`Input::take_retired`] instead of reused.
    pub fn keep_retired(&mut self) {
        self.keep_retired = true;
    }

    /// Buffers swapped out since the last call, oldest first: bytes of the window before
    /// the swap lie in the first.
    pub fn take_retired(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.retired)
    }

    /// A buffer handed back after use, to read into again.
    pub fn give_back(&mut self, buf: Vec<u8>) {
        self.recycle(buf);
    }

    /// The whole current buffer; the window is `buf()[start()..]`.
    pub fn buf(&self) -> &[u8] {
        self.buf.get(..self.end).unwrap_or(&[])
    }

    /// The current buffer, whole.
    pub fn into_buf(self) -> Vec<u8> {
        self.buf
    }

    /// Where the window starts in [`Input::buf`].
    pub fn start(&self) -> usize {
        self.start
    }

    /// Stream offset of the first unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The unconsumed bytes read so far.
    pub fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// Drop `n` bytes from the front (at most what is available).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Make at least `need` bytes available; false when the stream ends first.
    pub fn fill(&mut self, need: usize) -> io::Result<bool> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            match self.next_chunk()? {
                Some(chunk) => self.append(chunk),
                None => self.eof = true,
            }
        }
        Ok(true)
    }

    /// The next chunk of the stream, `None` at its end.
    fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        let buf = self.spare.pop().unwrap_or_else(|| vec![0; CHUNK_BUF]);
        let chunk = read_chunk(self.reader.as_mut(), buf)?;
        Ok((chunk.len > 0).then_some(chunk))
    }

    /// Put `chunk` behind the unconsumed bytes.
    fn append(&mut self, mut chunk: Chunk) {
        let left = self.end - self.start;
        let data_end = HEADROOM + chunk.len;
        if left <= HEADROOM
            && let (Some(room), Some(tail)) = (
                chunk.buf.get_mut(HEADROOM - left..HEADROOM),
                self.buf.get(self.start..self.end),
            )
        {
            room.copy_from_slice(tail);
            let used = std::mem::replace(&mut self.buf, chunk.buf);
            self.retire(used);
            self.start = HEADROOM - left;
            self.end = data_end;
        } else {
            // A block larger than the headroom: gather it in a buffer of its own.
            let data = chunk.buf.get(HEADROOM..data_end).unwrap_or(&[]);
            let mut big = Vec::with_capacity(left + data.len());
            big.extend_from_slice(self.available());
            big.extend_from_slice(data);
            self.start = 0;
            self.end = big.len();
            let used = std::mem::replace(&mut self.buf, big);
            self.retire(used);
            self.recycle(chunk.buf);
        }
    }

    fn retire(&mut self, used: Vec<u8>) {
        if self.keep_retired {
            self.retired.push(used);
        } else {
            self.recycle(used);
        }
    }

    /// Give a used chunk buffer back to the reader; buffers grown for a large block are freed.
    fn recycle(&mut self, buf: Vec<u8>) {
        if buf.len() != CHUNK_BUF {
            return;
        }
        if self.spare.len() < MAX_SPARE {
            self.spare.push(buf);
        }
    }
}

/// One `read` into `buf` after its headroom (an interrupted read is retried).
fn read_chunk(reader: &mut (dyn Read + Send), mut buf: Vec<u8>) -> io::Result<Chunk> {
    buf.resize(CHUNK_BUF, 0);
    loop {
        match reader.read(buf.get_mut(HEADROOM..).unwrap_or(&mut [])) {
            Ok(len) => return Ok(Chunk { buf, len }),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, as pipes do.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Consume the stream in units of the given sizes, checking every byte and offset.
    fn walk(mut input: Input, data: &[u8], units: &[usize]) {
        let mut at = 0usize;
        for &u in units.iter().cycle() {
            if at == data.len() {
                break;
            }
            let want = u.min(data.len() - at);
            assert!(input.fill(want).unwrap());
            assert_eq!(input.offset(), at as u64);
            assert_eq!(&input.available()[..want], &data[at..at + want]);
            input.consume(want);
            at += want;
        }
        assert!(!input.fill(1).unwrap());
        assert_eq!(input.offset(), data.len() as u64);
    }

    #[test]
    fn units_across_chunk_borders_are_contiguous() {
        let data = pattern(3 * CHUNK_BYTES + 12_345);
        let units = [1500, 60, 9000, 16, 1];
        let trickle = |step| Trickle {
            data: data.clone(),
            at: 0,
            step,
        };
        walk(Input::new(Box::new(trickle(usize::MAX))), &data, &units);
        walk(Input::new(Box::new(trickle(999))), &data, &units);
        walk(Input::new(Box::new(trickle(4096))), &data, &units);
    }

    #[test]
    fn a_unit_larger_than_headroom_and_chunk_is_gathered() {
        let data = pattern(4 * CHUNK_BYTES);
        let big = CHUNK_BYTES + HEADROOM + 17;
        let stream = || std::io::Cursor::new(data.clone());
        walk(Input::new(Box::new(stream())), &data, &[100, big, 3]);
    }

    #[test]
    fn a_short_stream_reports_its_end() {
        let mut input = Input::new(Box::new(std::io::Cursor::new(vec![1, 2, 3])));
        assert!(!input.fill(4).unwrap());
        assert_eq!(input.available(), &[1, 2, 3]);
        assert!(!input.fill(4).unwrap(), "the end stays the end");
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }

    #[test]
    fn a_read_error_reaches_the_caller() {
        let err = Input::new(Box::new(Failing)).fill(1).unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
    }
}
