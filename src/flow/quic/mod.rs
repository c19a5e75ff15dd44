//! QUIC connections: Initial keys per connection and crypto-stream reassembly up to the
//! client's first handshake message, for every version `wire::quic::versions` reads.
//!
//! A connection is born from a client Initial whose keys (derived from its DCID) open it, or
//! from an unencrypted Google QUIC hello packet whose hash checks out (Q043, Q046).
//! It is found again by that DCID, by any later DCID the client switches to (after the
//! server's first reply the client addresses the server's SCID but keeps the original keys),
//! and by its client/server address pair. After a Retry the client's next Initial carries a
//! new DCID and new keys: it opens with fresh keys and replaces the unfinished connection.
//! Once the hello is complete the connection keeps only its identity, so later packets
//! cost a map look-up and no decryption.

mod crypto;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::quic::{
    self, FrameFormat, Frames, Handshake, InitialKeys, LongHeader, Opened, PacketKind, Protected,
    Reading, chlo, gquic, versions,
};
use crate::wire::tls::{self, ClientHello};

use crypto::CryptoStream;

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
/// A datagram of a QUIC version sporfri cannot read says "unreadable" only from this size on:
/// a client's first flight is padded (RFC 9000 §14.1: 1200 bytes; Google QUIC pads its hello
/// to 1024 bytes and more), which a stray UDP packet with the right first bytes rarely is.
pub const MIN_UNREADABLE_DATAGRAM: usize = 1000;

/// A client hello recovered from a client's first packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicHello {
    /// QUIC version of the packets.
    pub version: u32,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// What the hello says (a Google `CHLO` fills in the server name only).
    pub hello: ClientHello,
    /// The user agent a Google `CHLO` names (`UAID`).
    pub user_agent: Option<String>,
    /// The TLS ClientHello's random, which finds the connection's secrets in a key log (lab
    /// decryption); `None` for a `CHLO`.
    pub client_random: Option<[u8; 32]>,
}

/// A complete first handshake message and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicHandshake {
    /// QUIC version of the packets.
    pub version: u32,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// What kind of message it is.
    pub handshake: Handshake,
    /// The reassembled message, exactly as long as its length fields say (a TLS
    /// ClientHello handshake message: type, u24 length, body; or a whole `CHLO`).
    pub message: Vec<u8>,
}

/// What one datagram told the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<T> {
    /// Nothing new.
    Nothing,
    /// The hello is complete (once per connection).
    Hello(T),
    /// A client's first flight of a QUIC version sporfri cannot read.
    Unreadable {
        /// The version.
        version: u32,
    },
}

impl<T> Seen<T> {
    /// The hello, if this was it.
    pub fn hello(self) -> Option<T> {
        match self {
            Seen::Hello(h) => Some(h),
            Seen::Nothing | Seen::Unreadable { .. } => None,
        }
    }
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

/// How a connection's packets are opened.
#[derive(Debug)]
enum Opener {
    /// Initial keys, and the frame format inside.
    Initial(Box<InitialKeys>, FrameFormat),
    /// Google QUIC's null encryption: a hash to check (Q043, Q046).
    Null,
}

#[derive(Debug)]
struct Conn {
    version: u32,
    client: SocketAddr,
    server: SocketAddr,
    /// `None` once the hello is out (or given up): nothing more to decrypt.
    opener: Option<Opener>,
    handshake: Handshake,
    crypto: CryptoStream,
    dcids: Vec<Vec<u8>>,
    last_seen: Timestamp,
}

impl QuicTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        QuicTracker::default()
    }

    /// Feed one UDP datagram from `src` to `dst`; the hello once complete (once per
    /// connection), or word that a client speaks a version sporfri cannot read.
    pub fn ingest(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        datagram: &[u8],
        weirds: &mut Counters,
    ) -> Seen<QuicHello> {
        let hs = match self.ingest_handshake(ts, src, dst, datagram, weirds) {
            Seen::Hello(hs) => hs,
            Seen::Nothing => return Seen::Nothing,
            Seen::Unreadable { version } => return Seen::Unreadable { version },
        };
        let client_random = match hs.handshake {
            Handshake::Tls => crate::decrypt::hello::client_random(&hs.message).done(),
            Handshake::Chlo => None,
        };
        let parsed = match hs.handshake {
            Handshake::Tls => tls::client_hello_from_handshake(&hs.message).map(|h| (h, None)),
            Handshake::Chlo => chlo::parse(&hs.message).map(|c| {
                let hello = ClientHello {
                    sni: c.sni,
                    ..ClientHello::default()
                };
                (hello, c.uaid)
            }),
        };
        match parsed {
            Parsed::Done((hello, user_agent)) => Seen::Hello(QuicHello {
                version: hs.version,
                client: hs.client,
                server: hs.server,
                hello,
                user_agent,
                client_random,
            }),
            Parsed::Malformed(weird) => {
                weirds.bump(weird);
                Seen::Nothing
            }
            Parsed::Incomplete { .. } | Parsed::NotThis => {
                weirds.bump(Weird::QuicBadClientHello);
                Seen::Nothing
            }
        }
    }

    /// Like [`QuicTracker::ingest`], but answers the reassembled handshake message instead
    /// of parsing it.
    pub fn ingest_handshake(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        datagram: &[u8],
        weirds: &mut Counters,
    ) -> Seen<QuicHandshake> {
        if self.by_pair.contains_key(&(dst, src)) {
            // The server's side of a known connection: nothing the observer needs.
            return Seen::Nothing;
        }
        if gquic::looks_like_public_header(datagram) {
            return self.public_header_packet(ts, src, dst, datagram, weirds);
        }
        for packet in quic::coalesced(datagram) {
            let h = match packet {
                Ok(h) => h,
                Err(weird) => {
                    weirds.bump(weird);
                    break;
                }
            };
            let found = match (h.kind, versions::reading(h.version)) {
                (PacketKind::Initial, Some(Reading::Protected(p))) => {
                    self.client_initial(ts, src, dst, &h, p, weirds)
                }
                (PacketKind::Initial, Some(Reading::Q046)) => {
                    let Some((header, rest)) = gquic::q046_parts(&h) else {
                        continue;
                    };
                    let packet = NullPacket {
                        version: h.version,
                        cid: h.dcid,
                        header,
                        rest,
                        pn_len: h.pn_len,
                    };
                    self.null_packet(ts, src, dst, &packet, weirds)
                }
                (PacketKind::VersionNegotiation, _) => {
                    // Counted, not followed: the client's next Initial (another version, same
                    // addresses) starts over.
                    weirds.bump(Weird::QuicVersionNegotiation);
                    None
                }
                (PacketKind::UnknownVersion, _) if datagram.len() >= MIN_UNREADABLE_DATAGRAM => {
                    return Seen::Unreadable { version: h.version };
                }
                _ => None,
            };
            if let Some(hs) = found {
                return Seen::Hello(hs);
            }
        }
        Seen::Nothing
    }

    /// A Google QUIC packet with a public header (Q043; older versions are unreadable).
    fn public_header_packet(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        datagram: &[u8],
        weirds: &mut Counters,
    ) -> Seen<QuicHandshake> {
        match gquic::parse_public_header(datagram) {
            Parsed::Done(ph) => {
                let packet = NullPacket {
                    version: ph.version,
                    cid: ph.cid,
                    header: ph.header,
                    rest: ph.rest,
                    pn_len: ph.pn_len,
                };
                match self.null_packet(ts, src, dst, &packet, weirds) {
                    Some(hs) => Seen::Hello(hs),
                    None => Seen::Nothing,
                }
            }
            Parsed::NotThis if datagram.len() >= MIN_UNREADABLE_DATAGRAM => {
                let version = datagram
                    .get(9..13)
                    .and_then(|v| <[u8; 4]>::try_from(v).ok())
                    .map_or(0, u32::from_be_bytes);
                Seen::Unreadable { version }
            }
            Parsed::Malformed(weird) => {
                weirds.bump(weird);
                Seen::Nothing
            }
            Parsed::NotThis | Parsed::Incomplete { .. } => Seen::Nothing,
        }
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
        p: Protected,
        weirds: &mut Counters,
    ) -> Option<QuicHandshake> {
        let dcid_key = (src, h.version, h.dcid.to_vec());
        if let Some(&id) = self.by_dcid.get(&dcid_key) {
            return match self.open(id, h, ts)? {
                Ok((opened, format)) => {
                    let frames = walk(format, &opened.payload, opened.pn_len);
                    self.absorb(id, &frames, weirds)
                }
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
                Some(Ok((opened, format))) => {
                    self.alias(id, dcid_key);
                    let frames = walk(format, &opened.payload, opened.pn_len);
                    return self.absorb(id, &frames, weirds);
                }
                Some(Err(_)) => {}
            }
        }
        let mut failure = Weird::QuicDecryptFailed;
        for &salt in p.salts {
            self.keys_derived += 1;
            let keys = InitialKeys::client(salt, h.dcid)?;
            match quic::open_initial(&keys, h) {
                Ok(opened) => {
                    let frames = walk(p.frames, &opened.payload, opened.pn_len);
                    let new = NewConn {
                        version: h.version,
                        dcid: h.dcid,
                        opener: Opener::Initial(Box::new(keys), p.frames),
                        handshake: p.handshake,
                    };
                    let id = self.create(ts, src, dst, new, weirds);
                    return self.absorb(id, &frames, weirds);
                }
                Err(weird) => failure = weird,
            }
        }
        weirds.bump(failure);
        None
    }

    /// A null-encrypted Google QUIC packet: check its hash, then take its stream-1 data.
    fn null_packet(
        &mut self,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        packet: &NullPacket<'_>,
        weirds: &mut Counters,
    ) -> Option<QuicHandshake> {
        let key = (src, packet.version, packet.cid.to_vec());
        let known = self
            .by_dcid
            .get(&key)
            .or_else(|| self.by_pair.get(&(src, dst)));
        if let Some(&id) = known {
            let conn = self.conns.get_mut(&id)?;
            conn.last_seen = ts;
            if !matches!(conn.opener, Some(Opener::Null)) {
                // Finished, or another version on the same addresses (counted nowhere).
                return None;
            }
        }
        let payload = match gquic::open_null(packet.header, packet.rest) {
            Ok(payload) => payload,
            Err(weird) => {
                weirds.bump(weird);
                return None;
            }
        };
        let frames = gquic::walk_frames(payload, packet.pn_len);
        let id = match known {
            Some(&id) => id,
            None => {
                let new = NewConn {
                    version: packet.version,
                    dcid: packet.cid,
                    opener: Opener::Null,
                    handshake: Handshake::Chlo,
                };
                self.create(ts, src, dst, new, weirds)
            }
        };
        self.absorb(id, &frames, weirds)
    }

    /// Decrypt with a connection's keys: `None` when it is finished (nothing to do).
    fn open(
        &mut self,
        id: u64,
        h: &LongHeader<'_>,
        ts: Timestamp,
    ) -> Option<Result<(Opened, FrameFormat), Weird>> {
        let conn = self.conns.get_mut(&id)?;
        conn.last_seen = ts;
        let Opener::Initial(keys, format) = conn.opener.as_ref()? else {
            return None;
        };
        let format = *format;
        Some(quic::open_initial(keys, h).map(|o| (o, format)))
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
        new: NewConn<'_>,
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
            if self.remove(oldest).is_some_and(|c| c.opener.is_some()) {
                weirds.bump(Weird::QuicEvicted);
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let conn = Conn {
            version: new.version,
            client,
            server,
            opener: Some(new.opener),
            handshake: new.handshake,
            crypto: CryptoStream::default(),
            dcids: vec![new.dcid.to_vec()],
            last_seen: ts,
        };
        self.by_dcid
            .insert((client, new.version, new.dcid.to_vec()), id);
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

    /// Take the handshake data of one packet's frames; the message once complete.
    fn absorb(
        &mut self,
        id: u64,
        frames: &Frames<'_>,
        weirds: &mut Counters,
    ) -> Option<QuicHandshake> {
        let conn = self.conns.get_mut(&id)?;
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
        match conn.crypto.first_message(conn.handshake) {
            Parsed::Done(message) => {
                let hs = QuicHandshake {
                    version: conn.version,
                    client: conn.client,
                    server: conn.server,
                    handshake: conn.handshake,
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

/// What a new connection starts with.
struct NewConn<'a> {
    version: u32,
    dcid: &'a [u8],
    opener: Opener,
    handshake: Handshake,
}

/// The parts of a null-encrypted Google QUIC packet (Q043 public header or Q046 long header).
struct NullPacket<'a> {
    version: u32,
    /// The connection ID the client chose.
    cid: &'a [u8],
    /// Flags through packet number.
    header: &'a [u8],
    /// Hash and frames.
    rest: &'a [u8],
    pn_len: usize,
}

/// The frames of a decrypted payload, in its version's format.
fn walk(format: FrameFormat, payload: &[u8], pn_len: usize) -> Frames<'_> {
    match format {
        FrameFormat::Ietf => quic::walk_frames(payload),
        FrameFormat::Google => gquic::walk_frames(payload, pn_len),
    }
}

impl Conn {
    /// Drop keys and buffer; the connection stays only to recognise its later packets.
    fn finish(&mut self) {
        self.opener = None;
        self.crypto = CryptoStream::default();
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod versions_tests;
