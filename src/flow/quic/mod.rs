//! QUIC connections: Initial keys per connection and CRYPTO reassembly up to the ClientHello.
//!
//! A connection is born from a client Initial whose keys (derived from its DCID) open it.
//! It is found again by that DCID, by any later DCID the client switches to (after the
//! server's first reply the client addresses the server's SCID but keeps the original keys),
//! and by its client/server address pair. After a Retry the client's next Initial carries a
//! new DCID and new keys: it opens with fresh keys and replaces the unfinished connection.
//! Once the ClientHello is complete the connection keeps only its identity, so later packets
//! cost a map look-up and no decryption.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::Parsed;
use crate::wire::quic::{self, Family, InitialKeys, LongHeader, Opened, PacketKind};
use crate::wire::tls::{self, ClientHello};

/// Handshakes tracked at once; the oldest is evicted (`quic.evicted` if still unfinished).
pub const MAX_CONNECTIONS: usize = 4_096;
/// CRYPTO bytes buffered per connection (a post-quantum ClientHello is ~2 KB).
pub const MAX_CRYPTO_BYTES: usize = 16 * 1024;
/// Disjoint CRYPTO ranges held per connection while waiting for gaps to fill.
pub const MAX_CRYPTO_RANGES: usize = 64;
/// DCIDs remembered per connection (the first, plus the ones the client switches to).
pub const MAX_DCIDS_PER_CONNECTION: usize = 4;
/// A handshake with no client Initial for this long is forgotten.
pub const IDLE_TIMEOUT_SECS: u64 = 30;

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

/// A complete ClientHello handshake message (type, u24 length, body) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicHandshake {
    /// QUIC version of the Initial packets.
    pub version: u32,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// The reassembled message, exactly as long as its length field says.
    pub message: Vec<u8>,
}

/// Tracks QUIC handshakes in progress.
#[derive(Debug, Default)]
pub struct QuicTracker {
    /// By creation order, so the first entry is the oldest.
    conns: BTreeMap<u64, Conn>,
    by_dcid: HashMap<DcidKey, u64, foldhash::fast::RandomState>,
    by_pair: HashMap<(SocketAddr, SocketAddr), u64, foldhash::fast::RandomState>,
    next_id: u64,
    keys_derived: u64,
}

/// (client, version, DCID): a DCID is chosen by one client for one version.
type DcidKey = (SocketAddr, u32, Vec<u8>);

#[derive(Debug)]
struct Conn {
    version: u32,
    client: SocketAddr,
    server: SocketAddr,
    /// `None` once the ClientHello is out (or given up): nothing more to decrypt.
    keys: Option<InitialKeys>,
    crypto: CryptoStream,
    dcids: Vec<Vec<u8>>,
    last_seen: Timestamp,
}

impl QuicTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        QuicTracker::default()
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
        let hs = self.ingest_handshake(ts, src, dst, datagram, weirds)?;
        match tls::client_hello_from_handshake(&hs.message) {
            Parsed::Done(hello) => Some(QuicHello {
                version: hs.version,
                client: hs.client,
                server: hs.server,
                hello,
            }),
            Parsed::Malformed(weird) => {
                weirds.bump(weird);
                None
            }
            Parsed::Incomplete { .. } | Parsed::NotThis => {
                weirds.bump("quic.bad_client_hello");
                None
            }
        }
    }

    /// Like [`QuicTracker::ingest`], but returns the reassembled handshake message instead
    /// of parsing it (once per connection).
    pub fn ingest_handshake(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        datagram: &[u8],
        weirds: &mut Counters,
    ) -> Option<QuicHandshake> {
        if self.by_pair.contains_key(&(dst, src)) {
            // The server's side of a known connection: nothing the observer needs.
            return None;
        }
        for packet in quic::coalesced(datagram) {
            match packet {
                Err(weird) => {
                    weirds.bump(weird);
                    break;
                }
                Ok(h) if h.kind == PacketKind::Initial => {
                    if let Some(hs) = self.client_initial(ts, src, dst, &h, weirds) {
                        return Some(hs);
                    }
                }
                Ok(h) if h.kind == PacketKind::UnknownVersion => {
                    weirds.bump("quic.unsupported_version");
                }
                Ok(_) => {}
            }
        }
        None
    }

    /// Forget handshakes idle for too long.
    pub fn expire(&mut self, now: Timestamp) {
        let stale: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| c.last_seen.plus_secs(IDLE_TIMEOUT_SECS) < now)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.remove(id);
        }
    }

    /// Connections tracked (finished ones included until they expire).
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no connection is tracked.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Initial key derivations so far. Each costs tens of thousands of instructions, so a
    /// connection derives once (again only after a Retry); its later Initials reuse the keys.
    pub fn keys_derived(&self) -> u64 {
        self.keys_derived
    }

    /// One client Initial: find or create its connection, decrypt, reassemble.
    fn client_initial(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        h: &LongHeader<'_>,
        weirds: &mut Counters,
    ) -> Option<QuicHandshake> {
        let dcid_key = (src, h.version, h.dcid.to_vec());
        if let Some(&id) = self.by_dcid.get(&dcid_key) {
            return match self.open(id, h, ts)? {
                Ok(opened) => self.absorb(id, &opened, weirds),
                Err(weird) => {
                    weirds.bump(weird);
                    None
                }
            };
        }
        if let Some(&id) = self.by_pair.get(&(src, dst)) {
            // A new DCID on a known pair: the client now addresses the server's SCID but
            // keeps the original keys — unless a Retry or a new connection changed them.
            match self.open(id, h, ts) {
                None => {
                    // Finished: remember the DCID so its next packets stop here at once.
                    self.alias(id, dcid_key);
                    return None;
                }
                Some(Ok(opened)) => {
                    self.alias(id, dcid_key);
                    return self.absorb(id, &opened, weirds);
                }
                Some(Err(_)) => {}
            }
        }
        let family = Family::of(h.version)?;
        self.keys_derived += 1;
        let keys = InitialKeys::client(family, h.dcid)?;
        match quic::open_initial(&keys, h) {
            Ok(opened) => {
                let id = self.create(ts, src, dst, h, keys, weirds);
                self.absorb(id, &opened, weirds)
            }
            Err(weird) => {
                weirds.bump(weird);
                None
            }
        }
    }

    /// Decrypt with a connection's keys: `None` when it is finished (nothing to do).
    fn open(
        &mut self,
        id: u64,
        h: &LongHeader<'_>,
        ts: Timestamp,
    ) -> Option<Result<Opened, &'static str>> {
        let conn = self.conns.get_mut(&id)?;
        conn.last_seen = ts;
        let keys = conn.keys.as_ref()?;
        Some(quic::open_initial(keys, h))
    }

    /// Remember another DCID of a connection (up to [`MAX_DCIDS_PER_CONNECTION`]; later
    /// ones are still found through the address pair).
    fn alias(&mut self, id: u64, key: DcidKey) {
        if let Some(conn) = self.conns.get_mut(&id)
            && conn.dcids.len() < MAX_DCIDS_PER_CONNECTION
        {
            conn.dcids.push(key.2.clone());
            self.by_dcid.insert(key, id);
        }
    }

    fn create(
        &mut self,
        ts: Timestamp,
        client: SocketAddr,
        server: SocketAddr,
        h: &LongHeader<'_>,
        keys: InitialKeys,
        weirds: &mut Counters,
    ) -> u64 {
        if let Some(&old) = self.by_pair.get(&(client, server)) {
            // Superseded (after a Retry, or a new connection on the same ports).
            self.remove(old);
        }
        while self.conns.len() >= MAX_CONNECTIONS {
            let Some((&oldest, _)) = self.conns.first_key_value() else {
                break;
            };
            if self.remove(oldest).is_some_and(|c| c.keys.is_some()) {
                weirds.bump("quic.evicted");
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let conn = Conn {
            version: h.version,
            client,
            server,
            keys: Some(keys),
            crypto: CryptoStream::default(),
            dcids: vec![h.dcid.to_vec()],
            last_seen: ts,
        };
        self.by_dcid
            .insert((client, h.version, h.dcid.to_vec()), id);
        self.by_pair.insert((client, server), id);
        self.conns.insert(id, conn);
        id
    }

    fn remove(&mut self, id: u64) -> Option<Conn> {
        let conn = self.conns.remove(&id)?;
        for dcid in &conn.dcids {
            let key = (conn.client, conn.version, dcid.clone());
            if self.by_dcid.get(&key) == Some(&id) {
                self.by_dcid.remove(&key);
            }
        }
        let pair = (conn.client, conn.server);
        if self.by_pair.get(&pair) == Some(&id) {
            self.by_pair.remove(&pair);
        }
        Some(conn)
    }

    /// Take the CRYPTO frames of a decrypted Initial; the message once complete.
    fn absorb(&mut self, id: u64, opened: &Opened, weirds: &mut Counters) -> Option<QuicHandshake> {
        let conn = self.conns.get_mut(&id)?;
        let frames = quic::walk_frames(&opened.payload);
        if let Some(weird) = frames.weird {
            weirds.bump(weird);
        }
        for chunk in &frames.crypto {
            if let Err(weird) = conn.crypto.insert(chunk.offset, chunk.data) {
                weirds.bump(weird);
                conn.finish();
                return None;
            }
        }
        match conn.crypto.client_hello() {
            Parsed::Done(message) => {
                let hs = QuicHandshake {
                    version: conn.version,
                    client: conn.client,
                    server: conn.server,
                    message,
                };
                conn.finish();
                Some(hs)
            }
            Parsed::Incomplete { .. } | Parsed::NotThis => None,
            Parsed::Malformed(weird) => {
                weirds.bump(weird);
                conn.finish();
                None
            }
        }
    }
}

impl Conn {
    /// Drop keys and buffer; the connection stays only to recognise its later packets.
    fn finish(&mut self) {
        self.keys = None;
        self.crypto = CryptoStream::default();
    }
}

/// The Initial crypto stream of one connection, filled out of order.
#[derive(Debug, Default)]
struct CryptoStream {
    bytes: Vec<u8>,
    /// Received ranges, sorted, disjoint and not touching.
    ranges: Vec<(usize, usize)>,
}

impl CryptoStream {
    /// Place `data` at `offset`; overlapping retransmissions simply overwrite.
    fn insert(&mut self, offset: u64, data: &[u8]) -> Result<(), &'static str> {
        const TOO_BIG: &str = "quic.crypto_too_big";
        if data.is_empty() {
            return Ok(());
        }
        let start = usize::try_from(offset).map_err(|_| TOO_BIG)?;
        let end = start.checked_add(data.len()).ok_or(TOO_BIG)?;
        if end > MAX_CRYPTO_BYTES {
            return Err(TOO_BIG);
        }
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
        }
        self.bytes
            .get_mut(start..end)
            .ok_or(TOO_BIG)?
            .copy_from_slice(data);
        self.ranges.push((start, end));
        self.ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
        if self.ranges.len() > MAX_CRYPTO_RANGES {
            return Err("quic.crypto_too_fragmented");
        }
        Ok(())
    }

    /// The bytes received without a gap from offset 0.
    fn prefix(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.bytes.get(..end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The ClientHello handshake message once all of it is here.
    fn client_hello(&self) -> Parsed<Vec<u8>> {
        let prefix = self.prefix();
        let Some(&[kind, a, b, c]) = prefix.get(..4).and_then(|h| <&[u8; 4]>::try_from(h).ok())
        else {
            return Parsed::Incomplete { needed: None };
        };
        if kind != 0x01 {
            return Parsed::Malformed("quic.not_client_hello");
        }
        let needed = 4 + (usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c));
        if needed > MAX_CRYPTO_BYTES {
            return Parsed::Malformed("quic.crypto_too_big");
        }
        match prefix.get(..needed) {
            Some(message) => Parsed::Done(message.to_vec()),
            None => Parsed::Incomplete {
                needed: Some(needed),
            },
        }
    }
}

#[cfg(test)]
mod tests;
