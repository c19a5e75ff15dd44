//! Lab decryption of QUIC: the HTTP/3 requests inside connections whose ClientHello the flow
//! layer found, with the secrets of the key log (RFC 9001, RFC 9369, RFC 9114).
//!
//! A connection is registered by its ClientHello (the client random finds its secrets). Its
//! packets are then found by connection ID: the client's SCID, the server's SCIDs from its long
//! headers, and every CID a NEW_CONNECTION_ID frame announces, so a client that migrates to
//! another address keeps its requests. Zero-length CIDs (Chromium's client uses them) are found
//! by the address pair instead. Handshake and 1-RTT packets are opened in both directions, 0-RTT
//! packets when the key log has the client's early secret;
//! STREAM frames go to the connection's HTTP/3 layer. Requests keep the flow and device of the
//! connection's hello, so they join its contact.
//!
//! A connection without secrets is counted once (`decrypt.quic_no_key`); a packet that does not
//! open is counted (`decrypt.quic_bad_packet`) and skipped. Nothing here runs without a key
//! log: the flow layer only calls it when decryption is on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use super::h3::{H3Conn, H3Feed};
use super::keylog::KeyLog;
use super::quic_conn::{ConnKeys, OpenError, Space};
use super::quic_frames::{self, Frame};
use crate::observation::{DeviceId, Exchange, FlowKey};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::quic::{self, LongHeader, MAX_CID_LEN, PacketKind};

/// Connections decrypted at once; the oldest is ended when a new one needs room.
pub const MAX_QUIC_CONNECTIONS: usize = 1024;
/// Connection IDs remembered per connection (its own and those NEW_CONNECTION_ID announces).
pub const MAX_CIDS_PER_CONNECTION: usize = 32;
/// Address pairs remembered per connection (the first, and those it migrates to).
pub const MAX_PATHS_PER_CONNECTION: usize = 4;
/// A connection without packets for this long is ended.
pub const IDLE_TIMEOUT_SECS: u64 = 120;

/// (packets toward the server, CID bytes, CID length): how a DCID is looked up.
type CidKey = (bool, [u8; MAX_CID_LEN], u8);

type Fast = foldhash::fast::RandomState;

/// A ClientHello the flow layer completed, for a connection to follow.
#[derive(Debug, Clone, Copy)]
pub struct QuicStart<'a> {
    /// The QUIC version of its Initial packets.
    pub version: u32,
    /// The flow of the hello (requests are reported on it).
    pub flow: FlowKey,
    /// The client device.
    pub device: DeviceId,
    /// The ClientHello's random (finds the secrets in the key log).
    pub random: [u8; 32],
    /// SNI of the hello.
    pub sni: Option<&'a str>,
    /// The datagram that completed the hello (its Initial names the client's CID).
    pub datagram: &'a [u8],
    /// Packet time.
    pub ts: Timestamp,
}

/// One UDP datagram of a followed flow.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Packet time.
    pub ts: Timestamp,
    /// The flow's client and server.
    pub client: SocketAddr,
    /// The server.
    pub server: SocketAddr,
    /// Sent by the client.
    pub from_client: bool,
    /// The UDP payload.
    pub payload: &'a [u8],
}

/// A decrypted HTTP/3 request, with the flow and device of its connection's hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H3Request {
    /// The client device.
    pub device: DeviceId,
    /// The flow of the connection's hello.
    pub flow: FlowKey,
    /// The request and its response.
    pub exchange: Exchange,
}

#[derive(Debug)]
struct Conn {
    random: [u8; 32],
    version: u32,
    flow: FlowKey,
    device: DeviceId,
    /// `None` until the first protected packet looks the secrets up.
    keys: Option<ConnKeys>,
    /// Given up: no secret, or secrets that open nothing.
    stopped: bool,
    /// A CONNECTION_CLOSE was seen: requests are out, later packets are ignored.
    closed: bool,
    h3: H3Conn,
    cids: Vec<CidKey>,
    /// Length of the CIDs packets toward the server / toward the client carry.
    cid_len: [Option<u8>; 2],
    paths: Vec<(SocketAddr, SocketAddr)>,
    last_seen: Timestamp,
}

/// The QUIC connections being decrypted.
#[derive(Debug, Default)]
pub struct QuicDecrypt {
    /// By creation order: the first is the oldest.
    conns: BTreeMap<u64, Conn>,
    by_cid: HashMap<CidKey, u64, Fast>,
    by_path: HashMap<(SocketAddr, SocketAddr), u64, Fast>,
    /// CID lengths in use toward the server / toward the client.
    cid_lens: [Vec<u8>; 2],
    next_id: u64,
}

fn cid_key(toward_server: bool, cid: &[u8]) -> Option<CidKey> {
    let len = u8::try_from(cid.len()).ok().filter(|l| *l > 0)?;
    let mut bytes = [0u8; MAX_CID_LEN];
    bytes.get_mut(..cid.len())?.copy_from_slice(cid);
    Some((toward_server, bytes, len))
}

fn dir(toward_server: bool) -> usize {
    usize::from(!toward_server)
}

impl QuicDecrypt {
    /// No connection yet.
    pub fn new() -> QuicDecrypt {
        QuicDecrypt::default()
    }

    /// Connections followed.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no connection is followed.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Follow the connection of a ClientHello (a connection on the same addresses before it
    /// ends first).
    pub fn start(&mut self, s: QuicStart<'_>, weirds: &mut Counters, out: &mut Vec<H3Request>) {
        let path = (s.flow.client, s.flow.server);
        if let Some(&old) = self.by_path.get(&path) {
            self.end(old, weirds, out);
        }
        while self.conns.len() >= MAX_QUIC_CONNECTIONS {
            let Some(&oldest) = self.conns.keys().next() else {
                break;
            };
            weirds.bump(Weird::DecryptQuicEvicted);
            self.end(oldest, weirds, out);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.conns.insert(
            id,
            Conn {
                random: s.random,
                version: s.version,
                flow: s.flow,
                device: s.device,
                keys: None,
                stopped: false,
                closed: false,
                h3: H3Conn::new(s.sni.map(str::to_owned)),
                cids: Vec::new(),
                cid_len: [None; 2],
                paths: vec![path],
                last_seen: s.ts,
            },
        );
        self.by_path.insert(path, id);
        if let Parsed::Done((h, _)) = quic::parse_long_header(s.datagram) {
            self.add_cid(id, false, h.scid, weirds);
        }
    }

    /// Would a datagram on a flow not followed yet belong to a followed connection (a client
    /// that migrated)? Only short headers with a known CID do.
    pub fn knows(&self, payload: &[u8], from_client: bool) -> bool {
        payload.first().is_some_and(|b| b & 0xc0 == 0x40)
            && self.by_known_cid(payload, from_client).is_some()
    }

    /// One datagram of a followed flow: its packets opened, requests completed.
    pub fn datagram(
        &mut self,
        d: Datagram<'_>,
        keys: &KeyLog,
        weirds: &mut Counters,
        out: &mut Vec<H3Request>,
    ) {
        let mut rest = d.payload;
        while let Some(&first) = rest.first() {
            if first & 0x80 == 0 {
                if first & 0x40 != 0 {
                    self.short(rest, &d, keys, weirds, out);
                }
                break; // a short header runs to the end; anything else is padding
            }
            match quic::parse_long_header(rest) {
                Parsed::Done((h, after)) => {
                    self.long(&h, &d, keys, weirds, out);
                    rest = after;
                }
                _ => {
                    weirds.bump(Weird::DecryptQuicBadPacket);
                    break;
                }
            }
        }
    }

    /// Packet time moved on: connections idle too long end.
    pub fn expire(&mut self, now: Timestamp, weirds: &mut Counters, out: &mut Vec<H3Request>) {
        let idle: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| c.last_seen.plus_secs(IDLE_TIMEOUT_SECS) < now)
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            self.end(id, weirds, out);
        }
    }

    /// End of input: every connection ends.
    pub fn finish(&mut self, weirds: &mut Counters, out: &mut Vec<H3Request>) {
        let all: Vec<u64> = self.conns.keys().copied().collect();
        for id in all {
            self.end(id, weirds, out);
        }
    }

    fn end(&mut self, id: u64, weirds: &mut Counters, out: &mut Vec<H3Request>) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return;
        };
        for key in &conn.cids {
            if self.by_cid.get(key) == Some(&id) {
                self.by_cid.remove(key);
            }
        }
        for path in &conn.paths {
            if self.by_path.get(path) == Some(&id) {
                self.by_path.remove(path);
            }
        }
        let mut done = Vec::new();
        conn.h3.finish(weirds, &mut done);
        hand_out(&conn, done, out);
    }

    /// Remember a CID that packets toward the server (or toward the client) will carry.
    fn add_cid(&mut self, id: u64, toward_server: bool, cid: &[u8], weirds: &mut Counters) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Ok(len) = u8::try_from(cid.len()) else {
            return;
        };
        if let Some(l) = conn.cid_len.get_mut(dir(toward_server)) {
            *l = Some(len);
        }
        let Some(key) = cid_key(toward_server, cid) else {
            return; // zero-length: found by the address pair
        };
        if conn.cids.contains(&key) {
            return;
        }
        if conn.cids.len() >= MAX_CIDS_PER_CONNECTION {
            return weirds.bump(Weird::DecryptQuicCidsFull);
        }
        conn.cids.push(key);
        self.by_cid.insert(key, id);
        if let Some(lens) = self.cid_lens.get_mut(dir(toward_server))
            && !lens.contains(&len)
        {
            lens.push(len);
        }
    }

    /// The connection and DCID length of a short header by a CID in use.
    fn by_known_cid(&self, packet: &[u8], toward_server: bool) -> Option<(u64, usize)> {
        let lens = self.cid_lens.get(dir(toward_server))?;
        lens.iter().find_map(|&len| {
            let cid = packet.get(1..1 + usize::from(len))?;
            let id = self.by_cid.get(&cid_key(toward_server, cid)?)?;
            Some((*id, usize::from(len)))
        })
    }

    fn long(
        &mut self,
        h: &LongHeader<'_>,
        d: &Datagram<'_>,
        keys: &KeyLog,
        weirds: &mut Counters,
        out: &mut Vec<H3Request>,
    ) {
        let path = (d.client, d.server);
        let found = self.by_path.get(&path).copied().or_else(|| {
            let key = cid_key(d.from_client, h.dcid)?;
            self.by_cid.get(&key).copied()
        });
        let Some(id) = found else {
            return;
        };
        // The sender's SCID is what the other side will put in its short headers.
        self.add_cid(id, !d.from_client, h.scid, weirds);
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.last_seen = d.ts;
        match h.kind {
            PacketKind::Handshake => {
                // Compatible version negotiation: the Handshake packets carry the version the
                // 1-RTT packets use.
                conn.version = h.version;
                self.packet(
                    id,
                    Space::Handshake,
                    h.packet,
                    h.pn_offset,
                    d,
                    keys,
                    weirds,
                    out,
                );
            }
            PacketKind::ZeroRtt if d.from_client => {
                self.packet(
                    id,
                    Space::Early,
                    h.packet,
                    h.pn_offset,
                    d,
                    keys,
                    weirds,
                    out,
                );
            }
            _ => {}
        }
    }

    fn short(
        &mut self,
        packet: &[u8],
        d: &Datagram<'_>,
        keys: &KeyLog,
        weirds: &mut Counters,
        out: &mut Vec<H3Request>,
    ) {
        let path = (d.client, d.server);
        let found = self.by_known_cid(packet, d.from_client).or_else(|| {
            let id = *self.by_path.get(&path)?;
            let len = self
                .conns
                .get(&id)?
                .cid_len
                .get(dir(d.from_client))
                .copied()??;
            Some((id, usize::from(len)))
        });
        let Some((id, cid_len)) = found else {
            return weirds.bump(Weird::DecryptQuicUnknownConnection);
        };
        if let Some(conn) = self.conns.get_mut(&id)
            && !conn.paths.contains(&path)
            && conn.paths.len() < MAX_PATHS_PER_CONNECTION
        {
            // Migrated: packets toward the client on the new path may carry no CID.
            conn.paths.push(path);
            self.by_path.insert(path, id);
        }
        let pn_offset = 1 + cid_len;
        self.packet(
            id,
            Space::Application,
            packet,
            pn_offset,
            d,
            keys,
            weirds,
            out,
        );
    }

    /// Open one Handshake, 0-RTT or 1-RTT packet of connection `id` and take its frames.
    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        id: u64,
        space: Space,
        packet: &[u8],
        pn_offset: usize,
        d: &Datagram<'_>,
        keys: &KeyLog,
        weirds: &mut Counters,
        out: &mut Vec<H3Request>,
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.last_seen = d.ts;
        let Some(payload) = conn.open(space, packet, pn_offset, d.from_client, keys, weirds) else {
            return;
        };
        let new_cids = conn.frames(space, &payload, d, weirds, out);
        for cid in new_cids {
            // Announced by the sender: the other side addresses it with this CID.
            self.add_cid(id, !d.from_client, &cid, weirds);
        }
    }
}

impl Conn {
    /// Remove a packet's protection, looking the secrets up on the first one; `None` (counted)
    /// when it does not open.
    fn open(
        &mut self,
        space: Space,
        packet: &[u8],
        pn_offset: usize,
        from_client: bool,
        keys: &KeyLog,
        weirds: &mut Counters,
    ) -> Option<Vec<u8>> {
        if self.stopped || self.closed {
            return None;
        }
        if self.keys.is_none() {
            match keys.get(&self.random) {
                Some(s) if ConnKeys::usable(s) => self.keys = Some(ConnKeys::new(s.clone())),
                _ => {
                    self.stopped = true;
                    weirds.bump(Weird::DecryptQuicNoKey);
                    return None;
                }
            }
        }
        let result = self
            .keys
            .as_mut()?
            .open(from_client, space, packet, pn_offset, self.version);
        match result {
            Ok(payload) => return Some(payload),
            // 0-RTT without the early secret: requests may be in it (a resumed connection).
            Err(OpenError::NoKey) if space == Space::Early => {
                weirds.bump(Weird::DecryptQuic0rttSkipped);
            }
            Err(OpenError::NoKey) => {}
            Err(OpenError::Bad) => weirds.bump(Weird::DecryptQuicBadPacket),
            Err(OpenError::GiveUp) => {
                self.stopped = true;
                weirds.bump(Weird::DecryptQuicBadPacket);
            }
        }
        None
    }

    /// The frames of an opened packet: STREAM data to HTTP/3, the close; answers the CIDs
    /// NEW_CONNECTION_ID announced.
    fn frames(
        &mut self,
        space: Space,
        payload: &[u8],
        d: &Datagram<'_>,
        weirds: &mut Counters,
        out: &mut Vec<H3Request>,
    ) -> Vec<Vec<u8>> {
        let (frames, err) = quic_frames::walk(payload);
        if let Some(e) = err {
            weirds.bump(e.weird());
        }
        let mut new_cids = Vec::new();
        let mut done = Vec::new();
        let mut feed = H3Feed {
            ts: d.ts,
            weirds,
            out: &mut done,
        };
        for frame in frames {
            match frame {
                Frame::Stream {
                    id, offset, data, ..
                } if space != Space::Handshake => {
                    self.h3.stream(d.from_client, id, offset, data, &mut feed);
                }
                Frame::NewConnectionId(cid) => new_cids.push(cid.to_vec()),
                Frame::Close => self.closed = true,
                Frame::Stream { .. } => feed.weirds.bump(Weird::DecryptQuicBadFrame),
            }
        }
        if self.closed {
            self.h3.finish(weirds, &mut done);
        }
        hand_out(self, done, out);
        new_cids
    }
}

/// Requests of a connection, with its hello's flow and device.
fn hand_out(conn: &Conn, done: Vec<Exchange>, out: &mut Vec<H3Request>) {
    out.extend(done.into_iter().map(|exchange| H3Request {
        device: conn.device,
        flow: conn.flow,
        exchange,
    }));
}

#[cfg(test)]
#[path = "quic_tests.rs"]
mod tests;
