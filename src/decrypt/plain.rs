//! What the HTTP parsers over decrypted bytes are lent and read from: the [`Feed`] of one call
//! (key log, counters, packet time, output) and a direction's [`PlainBuf`]. A leaf of
//! `decrypt`, so that the connection, the application layer and the HTTP/1.x and HTTP/2
//! parsers need not import each other to share them.

use crate::observation::Exchange;
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;

use super::keylog::KeyLog;

/// Plaintext bytes buffered per direction (a request or response head, or an HTTP/2 header
/// block); a head that does not fit ends the following of that connection.
pub const MAX_PLAIN_BYTES: usize = 64 * 1024;

/// What the caller lends to one call: the key log, counters, the packet time, the output.
pub struct Feed<'a> {
    /// Secrets by client random.
    pub keys: &'a KeyLog,
    /// Weird counters.
    pub weirds: &'a mut Counters,
    /// Time of the packet that brought the bytes.
    pub ts: Timestamp,
    /// Requests completed by this call.
    pub out: &'a mut Vec<Exchange>,
}

/// One direction's decrypted bytes not yet parsed.
#[derive(Debug, Default)]
pub struct PlainBuf {
    buf: Vec<u8>,
    skip: u64,
    /// Set when the buffer overflowed or the parser gave up: nothing more is read.
    pub closed: bool,
}

impl PlainBuf {
    /// Append decrypted bytes, dropping those a skip still covers.
    pub(super) fn push(&mut self, mut bytes: &[u8], feed: &mut Feed<'_>) {
        if self.closed {
            return;
        }
        if self.skip > 0 {
            let n = self.skip.min(bytes.len() as u64) as usize;
            self.skip -= n as u64;
            bytes = bytes.get(n..).unwrap_or_default();
        }
        if self.buf.len() + bytes.len() > MAX_PLAIN_BYTES {
            feed.weirds.bump(Weird::DecryptPlainBufferFull);
            self.close();
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The unparsed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf
    }

    /// Drop `n` parsed bytes.
    pub fn consume(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
    }

    /// Drop the next `n` bytes, buffered or still to come.
    pub fn skip(&mut self, n: u64) {
        let have = self.buf.len() as u64;
        if n <= have {
            self.consume(n as usize);
        } else {
            self.buf.clear();
            self.skip = self.skip.saturating_add(n - have);
        }
    }

    /// Stop reading this direction.
    pub fn close(&mut self) {
        self.closed = true;
        self.buf = Vec::new();
    }
}
