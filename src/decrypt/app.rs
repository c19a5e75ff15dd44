//! Decrypted application bytes: which HTTP version a connection speaks, and the per-direction
//! plaintext buffers the HTTP parsers read from. Bodies are skipped, never kept.

use super::conn::Feed;
use super::h1::H1;
use super::h2::H2;
use crate::observation::Exchange;
use crate::weird::Weird;

/// Plaintext bytes buffered per direction (a request or response head, or an HTTP/2 header
/// block); a head that does not fit ends the following of that connection.
pub const MAX_PLAIN_BYTES: usize = 64 * 1024;

/// The HTTP/2 client connection preface (RFC 9113 §3.4).
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

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
    fn push(&mut self, mut bytes: &[u8], feed: &mut Feed<'_>) {
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

/// The HTTP version, once the client's first bytes tell it.
#[derive(Debug, Default)]
enum Proto {
    #[default]
    Unknown,
    Http1(H1),
    Http2(Box<H2>),
    Other,
}

/// The HTTP layer of one decrypted connection.
#[derive(Debug, Default)]
pub struct AppLayer {
    /// SNI of the connection (the authority when a request carries none).
    pub sni: Option<String>,
    up: PlainBuf,
    down: PlainBuf,
    proto: Proto,
    /// Decrypted application bytes from the client and from the server.
    pub bytes: [u64; 2],
    /// Every decrypted application byte (tests only), client then server.
    #[cfg(test)]
    pub seen: [Vec<u8>; 2],
}

impl AppLayer {
    /// A layer for a connection whose ClientHello named `sni`.
    pub fn new(sni: Option<String>) -> AppLayer {
        AppLayer {
            sni,
            ..AppLayer::default()
        }
    }

    /// Decrypted application data of one direction.
    pub fn data(&mut self, from_client: bool, bytes: &[u8], feed: &mut Feed<'_>) {
        let dir = usize::from(!from_client);
        if let Some(n) = self.bytes.get_mut(dir) {
            *n += bytes.len() as u64;
        }
        #[cfg(test)]
        if let Some(seen) = self.seen.get_mut(dir) {
            seen.extend_from_slice(bytes);
        }
        if matches!(self.proto, Proto::Other) {
            return;
        }
        if from_client {
            self.up.push(bytes, feed);
        } else {
            self.down.push(bytes, feed);
        }
        if matches!(self.proto, Proto::Unknown) {
            self.sniff();
        }
        let sni = self.sni.as_deref();
        match &mut self.proto {
            Proto::Unknown | Proto::Other => {}
            Proto::Http1(h1) => h1.run(&mut self.up, &mut self.down, sni, feed),
            Proto::Http2(h2) => h2.run(&mut self.up, &mut self.down, sni, feed),
        }
    }

    /// End of the connection: requests without responses are handed out.
    pub fn finish(&mut self, out: &mut Vec<Exchange>) {
        match &mut self.proto {
            Proto::Http1(h1) => h1.finish(out),
            Proto::Http2(h2) => h2.finish(out),
            Proto::Unknown | Proto::Other => {}
        }
    }

    fn sniff(&mut self) {
        let head = self.up.data();
        let preface_prefix = head.len().min(H2_PREFACE.len());
        if H2_PREFACE.get(..preface_prefix) == head.get(..preface_prefix) {
            if head.len() >= H2_PREFACE.len() {
                self.up.consume(H2_PREFACE.len());
                self.proto = Proto::Http2(Box::default());
            }
        } else if crate::wire::http::looks_like_request(head) {
            self.proto = Proto::Http1(H1::default());
        } else if head.len() >= 16 {
            self.proto = Proto::Other;
            self.up.close();
            self.down.close();
        }
    }
}
