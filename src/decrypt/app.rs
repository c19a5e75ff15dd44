//! Decrypted application bytes: which HTTP version a connection speaks, and the per-direction
//! plaintext buffers the HTTP parsers read from. Bodies are skipped, never kept.

use super::h1::H1;
use super::h2::H2;
use super::plain::{Feed, PlainBuf};
use crate::observation::Exchange;

/// The HTTP/2 client connection preface (RFC 9113 §3.4).
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

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
