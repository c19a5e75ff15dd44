//! The byte window the file reader parses from, fed in chunks.
//!
//! A capture file is read in chunks of [`CHUNK_BYTES`], each [`HEADROOM`] bytes into its own
//! buffer. The unparsed tail of the previous chunk (part of one block, usually a few hundred
//! bytes) is copied into that room in front of the new data, so a block that straddles two
//! reads is contiguous without copying the chunk; only a block larger than the headroom is
//! gathered by copying. Swapped-out buffers are reused, or kept for whoever still holds
//! packets in them ([`Input::keep_retired`], the framing thread of
//! [`FileSource`](super::FileSource)).
//!
//! Every buffer is made of whole pages ([`PageBuf`]) and the headroom is too, so each `read`
//! lands on a page boundary: on some CPUs the kernel copies file data into page-aligned
//! destinations several times faster than into the allocator's usual address 16 bytes past a
//! page (README § Performance).

use std::io::{self, Read};

/// Bytes asked of one `read` call.
pub const CHUNK_BYTES: usize = 256 << 10;
/// Room in front of each chunk for the unparsed tail of the previous one.
pub const HEADROOM: usize = 64 << 10;
/// Chunks a reading thread may hold ready (with two in use: about 2.2 MB in all).
pub const READ_AHEAD_CHUNKS: usize = 5;

/// Size of every chunk buffer.
const CHUNK_BUF: usize = HEADROOM + CHUNK_BYTES;
/// Bytes of a page: buffers start on a page boundary, and the headroom is whole pages.
pub const PAGE_BYTES: usize = 4096;
const _: () = assert!(HEADROOM % PAGE_BYTES == 0 && CHUNK_BUF % PAGE_BYTES == 0);

/// One page; its alignment is what places a [`PageBuf`] on a page boundary.
#[derive(Clone, Copy, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C, align(4096))]
struct Page([u8; PAGE_BYTES]);

/// A byte buffer of whole pages that starts on a page boundary (no `unsafe`: the pages are
/// viewed as bytes through `bytemuck`).
#[derive(Clone, Default)]
pub(super) struct PageBuf {
    pages: Vec<Page>,
}

impl PageBuf {
    /// At least `len` zero bytes (rounded up to whole pages).
    pub(super) fn zeroed(len: usize) -> PageBuf {
        PageBuf {
            pages: vec![Page([0; PAGE_BYTES]); len.div_ceil(PAGE_BYTES)],
        }
    }

    /// The bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.pages)
    }

    /// The bytes, to write.
    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut(&mut self.pages)
    }

    /// Size in bytes (whole pages).
    pub(super) fn len(&self) -> usize {
        self.pages.len() * PAGE_BYTES
    }
}

/// One read: data sits at `buf[HEADROOM..HEADROOM + len]`.
struct Chunk {
    buf: PageBuf,
    len: usize,
}

/// A window over the stream: `available()` are the bytes from the current offset on.
pub struct Input {
    reader: Box<dyn Read + Send>,
    /// Used buffers to read into again.
    spare: Vec<PageBuf>,
    buf: PageBuf,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    eof: bool,
    /// Keep buffers that were swapped out instead of reusing them: bytes handed out from them
    /// are still in use elsewhere (see [`Input::take_retired`]).
    keep_retired: bool,
    retired: Vec<PageBuf>,
}

/// Most spare buffers kept.
const MAX_SPARE: usize = READ_AHEAD_CHUNKS + 2;

impl Input {
    /// Read `reader` in chunks, on the thread that asks for bytes.
    pub fn new(reader: Box<dyn Read + Send>) -> Input {
        Input {
            reader,
            spare: Vec::new(),
            buf: PageBuf::default(),
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
    pub fn take_retired(&mut self) -> Vec<PageBuf> {
        std::mem::take(&mut self.retired)
    }

    /// A buffer handed back after use, to read into again.
    pub fn give_back(&mut self, buf: PageBuf) {
        self.recycle(buf);
    }

    /// The whole current buffer; the window is `buf()[start()..]`.
    pub fn buf(&self) -> &[u8] {
        self.buf.bytes().get(..self.end).unwrap_or(&[])
    }

    /// The current buffer, whole.
    pub fn into_buf(self) -> PageBuf {
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
        self.buf.bytes().get(self.start..self.end).unwrap_or(&[])
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
        let buf = self
            .spare
            .pop()
            .unwrap_or_else(|| PageBuf::zeroed(CHUNK_BUF));
        let chunk = read_chunk(self.reader.as_mut(), buf)?;
        Ok((chunk.len > 0).then_some(chunk))
    }

    /// Put `chunk` behind the unconsumed bytes.
    fn append(&mut self, mut chunk: Chunk) {
        let left = self.end - self.start;
        let data_end = HEADROOM + chunk.len;
        if left <= HEADROOM
            && let (Some(room), Some(tail)) = (
                chunk.buf.bytes_mut().get_mut(HEADROOM - left..HEADROOM),
                self.buf.bytes().get(self.start..self.end),
            )
        {
            room.copy_from_slice(tail);
            let used = std::mem::replace(&mut self.buf, chunk.buf);
            self.retire(used);
            self.start = HEADROOM - left;
            self.end = data_end;
        } else {
            // A block larger than the headroom: gather it in a buffer of its own.
            let data = chunk.buf.bytes().get(HEADROOM..data_end).unwrap_or(&[]);
            let mut big = PageBuf::zeroed(left + data.len());
            let (head, rest) = big.bytes_mut().split_at_mut(left);
            head.copy_from_slice(self.available());
            if let Some(tail) = rest.get_mut(..data.len()) {
                tail.copy_from_slice(data);
            }
            self.start = 0;
            self.end = left + data.len();
            let used = std::mem::replace(&mut self.buf, big);
            self.retire(used);
            self.recycle(chunk.buf);
        }
    }

    fn retire(&mut self, used: PageBuf) {
        if self.keep_retired {
            self.retired.push(used);
        } else {
            self.recycle(used);
        }
    }

    /// Give a used chunk buffer back to the reader; buffers grown for a large block are freed.
    fn recycle(&mut self, buf: PageBuf) {
        if buf.len() != CHUNK_BUF {
            return;
        }
        if self.spare.len() < MAX_SPARE {
            self.spare.push(buf);
        }
    }
}

/// One `read` into `buf` after its headroom (an interrupted read is retried).
fn read_chunk(reader: &mut (dyn Read + Send), mut buf: PageBuf) -> io::Result<Chunk> {
    loop {
        match reader.read(buf.bytes_mut().get_mut(HEADROOM..).unwrap_or(&mut [])) {
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

    /// A reader that notes the address of every buffer it is asked to fill.
    struct Noting {
        data: std::io::Cursor<Vec<u8>>,
        seen: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
    }

    impl Read for Noting {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.seen.lock().unwrap().push(out.as_ptr().addr());
            self.data.read(out)
        }
    }

    #[test]
    fn every_read_lands_on_a_page_boundary() {
        let data = pattern(6 * CHUNK_BYTES + 999);
        let seen = std::sync::Arc::default();
        let reader = Noting {
            data: std::io::Cursor::new(data.clone()),
            seen: std::sync::Arc::clone(&seen),
        };
        // Units that cross chunk borders, and one larger than a chunk (gathered apart), so
        // fresh, recycled and gathered-around buffers are all read into.
        let big = CHUNK_BYTES + HEADROOM + 17;
        walk(
            Input::new(Box::new(reader)),
            &data,
            &[1500, 60, big, 9000, 3],
        );
        let seen = seen.lock().unwrap();
        assert!(seen.len() > 6, "{} reads", seen.len());
        assert!(
            seen.iter().all(|a| a % PAGE_BYTES == 0),
            "read destinations off a page boundary: {:x?}",
            seen.iter().map(|a| a % PAGE_BYTES).collect::<Vec<_>>()
        );
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
