//! TCP stream reassembly for one direction, only as far as the analyzers need.
//!
//! A `StreamBuf` turns segments that arrive out of order, overlapping or retransmitted into the
//! contiguous bytes at the head of the stream. Analyzers consume what they parsed and may skip
//! bodies they do not read, so a long HTTP connection is followed without buffering it. Once an
//! analyzer is done (a ClientHello parsed), the stream is closed and frees its memory.
//!
//! Every step is linear in the bytes of the stream, however a sender cuts it up: consuming
//! moves a start offset (the buffer is compacted only when the consumed part is at least as
//! large as what remains), and an analyzer may note how far it has looked ([`StreamBuf::look`])
//! so that the next segment is searched from there, not from the start. [`StreamBuf::examined`]
//! counts what analyzers read, for tests to bound.

use crate::stats::Counters;
use crate::weird::Weird;

/// Contiguous bytes buffered per direction; a parser that needs more gives up.
pub const MAX_STREAM_BYTES: usize = 32 * 1024;
/// Out-of-order bytes held per direction while waiting for a gap to fill.
pub const MAX_PENDING_BYTES: usize = 64 * 1024;
/// Out-of-order segments held per direction.
pub const MAX_PENDING_SEGMENTS: usize = 64;

/// One direction of a TCP connection.
#[derive(Debug, Default, Clone)]
pub struct StreamBuf {
    /// Sequence number of the next byte expected after `buf`.
    next_seq: Option<u32>,
    /// Contiguous bytes; those before `start` were consumed.
    buf: Vec<u8>,
    /// Consumed bytes still at the front of `buf`.
    start: usize,
    /// Unconsumed bytes an analyzer has already looked at without finding what it waits for.
    looked: usize,
    /// Bytes analyzers read, over the stream's life.
    examined: u64,
    /// Bytes still to be dropped as they arrive (a body nobody reads).
    skip: u64,
    /// Segments beyond a gap: (seq, data).
    pending: Vec<(u32, Vec<u8>)>,
    pending_bytes: usize,
    closed: bool,
}

impl StreamBuf {
    /// Set the initial sequence number from a SYN.
    pub fn syn(&mut self, seq: u32) {
        if self.next_seq.is_none() {
            self.next_seq = Some(seq.wrapping_add(1));
        }
    }

    /// True once [`StreamBuf::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The contiguous bytes not yet consumed.
    pub fn data(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// How many of [`StreamBuf::data`] an analyzer has looked at without finding the end of
    /// what it waits for (0 after every consume).
    pub fn looked(&self) -> usize {
        self.looked
    }

    /// Note that the first `n` bytes of [`StreamBuf::data`] were searched in vain.
    pub fn look(&mut self, n: usize) {
        self.looked = n.min(self.data().len());
    }

    /// Count `n` bytes read by an analyzer (its work, linear in the stream).
    pub fn examine(&mut self, n: usize) {
        self.examined += n as u64;
    }

    /// Bytes analyzers read over the stream's life.
    pub fn examined(&self) -> u64 {
        self.examined
    }

    /// Add a segment. Returns true when new contiguous bytes became available.
    pub fn push(&mut self, seq: u32, data: &[u8], weirds: &mut Counters) -> bool {
        if self.closed || data.is_empty() {
            return false;
        }
        let next = *self.next_seq.get_or_insert(seq);
        let ahead = seq.wrapping_sub(next) as i32;
        if ahead > 0 {
            self.hold(seq, data, weirds);
            return false;
        }
        // Retransmitted or overlapping: keep only the bytes past what we have.
        let already = ahead.unsigned_abs() as usize;
        let Some(fresh) = data.get(already..) else {
            return false;
        };
        if fresh.is_empty() {
            return false;
        }
        self.append(fresh, weirds);
        self.drain_pending(weirds);
        true
    }

    /// Drop `n` bytes from the head (they were parsed).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.data().len());
        self.start += n;
        self.looked = 0;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Drop the next `n` bytes of the stream, buffered or not yet arrived.
    pub fn skip(&mut self, n: u64) {
        let have = self.data().len() as u64;
        if n <= have {
            self.consume(n as usize);
        } else {
            self.consume(have as usize);
            self.skip = self.skip.saturating_add(n - have);
        }
    }

    /// Stop reassembling and free the buffers.
    pub fn close(&mut self) {
        self.closed = true;
        self.buf = Vec::new();
        self.start = 0;
        self.looked = 0;
        self.pending = Vec::new();
        self.pending_bytes = 0;
    }

    /// Move the unconsumed bytes to the front once the consumed ones are at least as many:
    /// each byte is moved at most as often as bytes before it were consumed, so linear overall.
    fn compact(&mut self) {
        if self.start > 0 && self.start >= self.buf.len() - self.start {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    fn append(&mut self, mut fresh: &[u8], weirds: &mut Counters) {
        if let Some(next) = self.next_seq.as_mut() {
            *next = next.wrapping_add(fresh.len() as u32);
        }
        if self.skip > 0 {
            let dropped = (self.skip.min(fresh.len() as u64)) as usize;
            self.skip -= dropped as u64;
            fresh = fresh.get(dropped..).unwrap_or_default();
        }
        self.compact();
        let room = MAX_STREAM_BYTES.saturating_sub(self.data().len());
        if fresh.len() > room {
            weirds.bump(Weird::TcpStreamBufferFull);
        }
        self.buf
            .extend_from_slice(fresh.get(..room.min(fresh.len())).unwrap_or_default());
    }

    fn hold(&mut self, seq: u32, data: &[u8], weirds: &mut Counters) {
        if self.pending.len() >= MAX_PENDING_SEGMENTS
            || self.pending_bytes + data.len() > MAX_PENDING_BYTES
        {
            weirds.bump(Weird::TcpPendingFull);
            return;
        }
        if self
            .pending
            .iter()
            .any(|(s, d)| *s == seq && d.len() >= data.len())
        {
            return;
        }
        self.pending_bytes += data.len();
        self.pending.push((seq, data.to_vec()));
    }

    fn drain_pending(&mut self, weirds: &mut Counters) {
        while let Some(next) = self.next_seq {
            // The held segment that starts at or before the next expected byte.
            let Some(i) = self
                .pending
                .iter()
                .position(|(s, _)| next.wrapping_sub(*s) as i32 >= 0)
            else {
                return;
            };
            let (seq, data) = self.pending.swap_remove(i);
            self.pending_bytes -= data.len();
            let already = next.wrapping_sub(seq) as usize;
            if let Some(fresh) = data.get(already..).filter(|f| !f.is_empty()) {
                self.append(fresh, weirds);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(s: &mut StreamBuf, seq: u32, data: &[u8]) -> bool {
        s.push(seq, data, &mut Counters::default())
    }

    #[test]
    fn in_order_segments_join() {
        let mut s = StreamBuf::default();
        s.syn(99);
        assert!(push(&mut s, 100, b"hel"));
        assert!(push(&mut s, 103, b"lo"));
        assert_eq!(s.data(), b"hello");
    }

    #[test]
    fn out_of_order_waits_for_the_gap() {
        let mut s = StreamBuf::default();
        s.syn(0);
        assert!(!push(&mut s, 4, b"lo wo"));
        assert!(!push(&mut s, 9, b"rld"));
        assert!(push(&mut s, 1, b"hel"));
        assert_eq!(s.data(), b"hello world");
    }

    #[test]
    fn retransmissions_and_overlaps_add_only_new_bytes() {
        let mut s = StreamBuf::default();
        s.syn(0);
        push(&mut s, 1, b"abcd");
        assert!(!push(&mut s, 1, b"abcd"));
        assert!(push(&mut s, 3, b"cdef"));
        assert_eq!(s.data(), b"abcdef");
    }

    #[test]
    fn overlapping_held_segments_are_trimmed() {
        let mut s = StreamBuf::default();
        s.syn(0);
        push(&mut s, 5, b"efgh");
        push(&mut s, 3, b"cdef");
        push(&mut s, 1, b"ab");
        assert_eq!(s.data(), b"abcdefgh");
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut s = StreamBuf::default();
        s.syn(u32::MAX - 1);
        push(&mut s, u32::MAX, b"ab");
        push(&mut s, 1, b"cd");
        assert_eq!(s.data(), b"abcd");
    }

    #[test]
    fn without_syn_the_first_segment_starts_the_stream() {
        let mut s = StreamBuf::default();
        push(&mut s, 5000, b"GET ");
        push(&mut s, 5004, b"/");
        assert_eq!(s.data(), b"GET /");
    }

    #[test]
    fn skip_drops_a_body_across_segments() {
        let mut s = StreamBuf::default();
        s.syn(0);
        push(&mut s, 1, b"HEAD12");
        s.consume(4);
        s.skip(5);
        push(&mut s, 7, b"345NEXT");
        assert_eq!(s.data(), b"NEXT");
    }

    #[test]
    fn buffer_is_capped_and_counted() {
        let mut s = StreamBuf::default();
        let mut w = Counters::default();
        s.syn(0);
        let big = vec![0u8; MAX_STREAM_BYTES + 10];
        s.push(1, &big, &mut w);
        assert_eq!(s.data().len(), MAX_STREAM_BYTES);
        assert_eq!(w.get(Weird::TcpStreamBufferFull), 1);
    }

    #[test]
    fn pending_segments_are_capped_and_counted() {
        let mut s = StreamBuf::default();
        let mut w = Counters::default();
        s.syn(0);
        for i in 0..=MAX_PENDING_SEGMENTS as u32 {
            s.push(100 + i * 10, b"x", &mut w);
        }
        assert_eq!(w.get(Weird::TcpPendingFull), 1);
    }

    #[test]
    fn consuming_in_small_steps_keeps_the_rest_and_frees_the_front() {
        let mut s = StreamBuf::default();
        s.syn(0);
        let body: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        push(&mut s, 1, &body);
        for &b in &body[..9_990] {
            assert_eq!(s.data()[0], b);
            s.consume(1);
        }
        assert_eq!(s.data(), &body[9_990..]);
        push(&mut s, 10_001, b"more");
        assert_eq!(&s.data()[10..], b"more");
        // The consumed front was dropped when the new bytes came.
        assert!(s.buf.len() < 100, "{}", s.buf.len());
    }

    #[test]
    fn the_buffer_cap_counts_unconsumed_bytes_only() {
        let mut s = StreamBuf::default();
        let mut w = Counters::default();
        s.syn(0);
        s.push(1, &vec![1u8; MAX_STREAM_BYTES], &mut w);
        s.consume(MAX_STREAM_BYTES - 10);
        s.push(1 + MAX_STREAM_BYTES as u32, &[2u8; 100], &mut w);
        assert_eq!(s.data().len(), 110);
        assert_eq!(w.get(Weird::TcpStreamBufferFull), 0);
    }

    #[test]
    fn what_was_looked_at_is_forgotten_on_consume() {
        let mut s = StreamBuf::default();
        s.syn(0);
        push(&mut s, 1, b"GET / HTTP/1.1\r\n");
        s.look(100);
        assert_eq!(s.looked(), 16);
        s.consume(4);
        assert_eq!(s.looked(), 0);
    }

    #[test]
    fn closed_stream_ignores_data_and_frees_memory() {
        let mut s = StreamBuf::default();
        push(&mut s, 1, b"abc");
        s.close();
        assert!(!push(&mut s, 4, b"def"));
        assert!(s.data().is_empty());
    }
}
