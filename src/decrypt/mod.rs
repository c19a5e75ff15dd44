//! Lab decryption: with the TLS secrets a browser exports (an NSS key log, `SSLKEYLOGFILE`),
//! the requests and cookies third parties receive become visible.
//!
//! Flow: the flow layer hands each TLS connection's reassembled bytes to a [`TlsConn`]; it reads
//! the randoms and the cipher suite from the hellos, derives record keys from the
//! [`KeyLog`] (TLS 1.2 PRF or TLS 1.3 HKDF, ring's primitives), decrypts records in both
//! directions and passes application data to HTTP/1.1 or HTTP/2 parsers. Each request comes out
//! as an [`Exchange`] of the observation vocabulary (URL, status, cookies set and sent by name).
//! Decrypted bytes are parsed as they stream and never kept; bodies are skipped; cookie values
//! are never stored. A connection without a key, or with a record that does not decrypt, is
//! counted (`decrypt.no_key`, `decrypt.bad_record`) and stays metadata.
//!
//! QUIC connections (HTTP/3) are decrypted the same way from the same key log: [`QuicDecrypt`]
//! opens Handshake and 1-RTT packets, puts STREAM frames back in order and reads HTTP/3 with
//! QPACK; its requests are `h3` exchanges, counted as `decrypt.quic_no_key` and
//! `decrypt.quic_bad_packet` when they cannot be read.
//!
//! An analyzer like the rest of `flow`: it raises exchanges and applies no policy (which
//! requests hit tracker endpoints, and whose hosts they are, is attribution's business).

mod app;
#[cfg(test)]
mod bounds_tests;
pub mod conn;
mod fields;
mod h1;
mod h2;
pub mod h3;
pub mod h3_stream;
pub mod hello;
pub mod keylog;
mod plain;
pub mod qpack;
mod qpack_static;
pub mod quic;
mod quic_conn;
mod quic_frames;
pub mod quic_keys;
#[cfg(test)]
mod quic_testing;
#[cfg(test)]
mod rfc8448;
pub mod schedule;
#[cfg(test)]
mod tests;

pub use conn::{MAX_CIPHERTEXT, Stop, TlsConn};
pub use h2::{MAX_HEADER_BLOCK, MAX_HPACK_TABLE, MAX_OPEN_STREAMS};
pub use keylog::{KeyLog, KeyLogStats, Secrets};
pub use plain::{Feed, MAX_PLAIN_BYTES, PlainBuf};
pub use quic::{Datagram, H3Request, QuicDecrypt, QuicStart};

use crate::observation::Exchange;

/// Run the HTTP layer over plaintext as if it had been decrypted: `chunks` are (from client,
/// bytes) in arrival order. For fuzzing the HTTP/1.1 and HTTP/2 parsers without keys.
pub fn plaintext_exchanges(
    host: Option<String>,
    chunks: &[(bool, &[u8])],
    weirds: &mut crate::stats::Counters,
) -> Vec<Exchange> {
    let keys = KeyLog::new();
    let mut out = Vec::new();
    let mut app = app::AppLayer::new(host);
    for (from_client, bytes) in chunks {
        let mut feed = Feed {
            keys: &keys,
            weirds: &mut *weirds,
            ts: crate::time::Timestamp::default(),
            out: &mut out,
        };
        app.data(*from_client, bytes, &mut feed);
    }
    app.finish(&mut out);
    out
}

/// Run QUIC frames and HTTP/3 over 1-RTT payloads as if they had been decrypted: `packets` are
/// (from client, payload) in arrival order. For fuzzing the frame walk, stream reassembly,
/// HTTP/3 and QPACK without keys.
pub fn plaintext_h3(
    packets: &[(bool, &[u8])],
    weirds: &mut crate::stats::Counters,
) -> Vec<Exchange> {
    let mut conn = h3::H3Conn::new(Some("fuzz.example".into()));
    let mut out = Vec::new();
    for (from_client, payload) in packets {
        let (frames, _) = quic_frames::walk(payload);
        let mut feed = h3::H3Feed {
            ts: crate::time::Timestamp::default(),
            weirds: &mut *weirds,
            out: &mut out,
        };
        for frame in frames {
            if let quic_frames::Frame::Stream {
                id, offset, data, ..
            } = frame
            {
                conn.stream(*from_client, id, offset, data, &mut feed);
            }
        }
    }
    conn.finish(weirds, &mut out);
    out
}
