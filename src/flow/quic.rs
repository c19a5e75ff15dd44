//! QUIC connections: Initial keys per connection and CRYPTO reassembly up to the ClientHello.
//!
//! PLACEHOLDER SIGNATURES (the QUIC helper replaces the bodies; the types are the contract).

use std::net::SocketAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::tls::ClientHello;

/// A ClientHello recovered from a client's Initial packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicHello {
    /// QUIC version of the Initial packets.
    pub version: u32,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// What the ClientHello says.
    pub hello: ClientHello,
}

/// Tracks QUIC handshakes in progress.
#[derive(Debug, Default)]
pub struct QuicTracker {}

impl QuicTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        QuicTracker {}
    }

    /// Feed one UDP datagram from `src` to `dst`; returns the ClientHello once complete
    /// (once per connection).
    pub fn ingest(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        datagram: &[u8],
        weirds: &mut Counters,
    ) -> Option<QuicHello> {
        let _ = (ts, src, dst, datagram, weirds);
        None
    }

    /// Forget handshakes idle for too long.
    pub fn expire(&mut self, now: Timestamp) {
        let _ = now;
    }
}
