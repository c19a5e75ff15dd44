//! The flow table: one entry per transport 5-tuple, with counters, idle eviction and a hard cap.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::observation::{DeviceId, EchSeen, FlowKey, FlowSummary, Proto, Via, addr_text};
use crate::time::Timestamp;

use super::tcp::StreamBuf;

/// Flows tracked at once; past this the least recently active eighth is ended early.
pub const MAX_FLOWS: usize = 131_072;
/// A TCP flow without packets for this long is ended.
pub const TCP_IDLE_SECS: u64 = 300;
/// A UDP flow without packets for this long is ended.
pub const UDP_IDLE_SECS: u64 = 120;
/// A TCP flow that saw RST or FIN both ways is ended after this much quiet.
pub const CLOSED_LINGER_SECS: u64 = 5;

/// Which analyzer reads a flow's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum App {
    /// No payload from the client yet.
    #[default]
    Undecided,
    /// TLS: waiting for the ClientHello.
    Tls,
    /// Plaintext HTTP/1.x: every request and response head.
    Http,
    /// DNS-family messages (UDP, or TCP with length prefixes).
    Dns,
    /// QUIC: waiting for the ClientHello in Initial packets.
    Quic,
    /// Nothing more to read.
    Done,
    /// TLS with a key log: both directions are decrypted by `flow.tls`.
    Decrypt,
    /// QUIC with a key log: every datagram goes to the engine's QUIC decryption.
    QuicDecrypt,
}

/// State of one flow.
#[derive(Debug)]
pub struct Flow {
    /// Client and server.
    pub key: FlowKey,
    /// The client device.
    pub device: DeviceId,
    /// First packet.
    pub first: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// IP bytes client → server.
    pub bytes_up: u64,
    /// IP bytes server → client.
    pub bytes_down: u64,
    /// Packets client → server.
    pub packets_up: u64,
    /// Packets server → client.
    pub packets_down: u64,
    /// Name from the flow's own payload (SNI, Host) and how it was seen.
    pub name: Option<(String, Via)>,
    /// Name of the server address from the DNS cache, looked up when the flow began.
    pub cached_name: Option<String>,
    /// What the hello showed of ECH, when it carried the extension.
    pub ech: Option<Box<EchSeen>>,
    /// The client speaks a QUIC version sporfri cannot read (and no readable hello came).
    pub quic_unreadable: Option<u32>,
    /// The analyzer.
    pub app: App,
    /// Client → server bytes.
    pub up: StreamBuf,
    /// Server → client bytes.
    pub down: StreamBuf,
    /// FIN seen from the client / from the server, or RST.
    pub fin_up: bool,
    /// FIN seen from the server.
    pub fin_down: bool,
    /// RST seen.
    pub rst: bool,
    /// Decryption state when a key log is loaded and the flow is TLS.
    pub tls: Option<Box<crate::decrypt::TlsConn>>,
    /// Plain-HTTP requests waiting for their responses.
    pub exchanges: Option<Box<crate::observation::Exchanges>>,
    /// Where the client's TLS records stand until the ClientHello is whole.
    pub hello: Option<Box<crate::wire::tls::HelloRecords>>,
}

impl Flow {
    /// A new flow whose first packet arrived at `ts`.
    pub fn new(key: FlowKey, device: DeviceId, ts: Timestamp) -> Flow {
        Flow {
            key,
            device,
            first: ts,
            last: ts,
            bytes_up: 0,
            bytes_down: 0,
            packets_up: 0,
            packets_down: 0,
            name: None,
            cached_name: None,
            ech: None,
            quic_unreadable: None,
            app: App::Undecided,
            up: StreamBuf::default(),
            down: StreamBuf::default(),
            fin_up: false,
            fin_down: false,
            rst: false,
            tls: None,
            exchanges: None,
            hello: None,
        }
    }

    /// Count one packet of `wire_len` IP bytes.
    pub fn count(&mut self, ts: Timestamp, from_client: bool, wire_len: u32) {
        self.last = self.last.max(ts);
        if from_client {
            self.packets_up += 1;
            self.bytes_up += u64::from(wire_len);
        } else {
            self.packets_down += 1;
            self.bytes_down += u64::from(wire_len);
        }
    }

    fn closed(&self) -> bool {
        self.rst || (self.fin_up && self.fin_down)
    }

    fn idle_limit_secs(&self) -> u64 {
        match (self.key.proto, self.closed()) {
            (Proto::Tcp, true) => CLOSED_LINGER_SECS,
            (Proto::Tcp, false) => TCP_IDLE_SECS,
            (Proto::Udp, _) => UDP_IDLE_SECS,
        }
    }

    /// Totals and name of a flow that ends: the flow's own name first, else the DNS cache's,
    /// else the address. The names move into the summary instead of being copied.
    pub fn into_summary(mut self) -> FlowSummary {
        let (name, via) = match (self.name.take(), self.cached_name.take()) {
            (Some((n, v)), _) => (n, v),
            (None, Some(cached)) => (cached, Via::DnsCache),
            (None, None) => (addr_text(self.key.server.ip()), Via::Ip),
        };
        FlowSummary {
            key: self.key,
            device: self.device,
            first: self.first,
            last: self.last,
            bytes_up: self.bytes_up,
            bytes_down: self.bytes_down,
            packets_up: self.packets_up,
            packets_down: self.packets_down,
            name,
            via,
            ech: self.ech.map(|e| *e),
            quic_unreadable: self.quic_unreadable,
            dns: self.app == App::Dns,
        }
    }
}

/// Order-independent identity of a 5-tuple, so both directions find one entry. Packed into
/// integers because hashing it is on every packet's path (`SocketAddr`'s own hash is slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Canon {
    lo: u128,
    hi: u128,
    ports: u32,
    proto: u8,
}

impl Canon {
    fn of(proto: Proto, a: SocketAddr, b: SocketAddr) -> Canon {
        Canon::of_parts(proto, (a.ip(), a.port()), (b.ip(), b.port()))
    }

    /// The identity of the flow between two (address, port) ends. Taking the parts the packet
    /// was decoded into, rather than `SocketAddr`s built from them a moment before, spares a
    /// store-forwarding stall per packet (the compiler reads those back at odd offsets).
    pub fn of_parts(proto: Proto, a: (IpAddr, u16), b: (IpAddr, u16)) -> Canon {
        let pack = |(ip, port): (IpAddr, u16)| {
            let ip = match ip {
                IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
                IpAddr::V6(v6) => u128::from(v6),
            };
            (ip, port)
        };
        let (pa, pb) = (pack(a), pack(b));
        let ((lo, lo_port), (hi, hi_port)) = if pa <= pb { (pa, pb) } else { (pb, pa) };
        Canon {
            lo,
            hi,
            ports: (u32::from(lo_port) << 16) | u32::from(hi_port),
            proto: proto as u8,
        }
    }
}

/// All live flows.
#[derive(Debug, Default)]
pub struct FlowTable {
    // foldhash: fast, and seeded per process so crafted 5-tuples cannot flood one bucket.
    // Boxed: the table keeps up to twice as many buckets as flows, and an empty bucket then
    // costs a pointer instead of a whole flow.
    flows: HashMap<Canon, Box<Flow>, foldhash::fast::RandomState>,
}

impl FlowTable {
    /// The flow between `a` and `b`, if tracked.
    pub fn get_mut(&mut self, proto: Proto, a: SocketAddr, b: SocketAddr) -> Option<&mut Flow> {
        self.flows
            .get_mut(&Canon::of(proto, a, b))
            .map(|f| &mut **f)
    }

    /// End the flow between `a` and `b`, returning it.
    pub fn remove(&mut self, proto: Proto, a: SocketAddr, b: SocketAddr) -> Option<Flow> {
        self.flows.remove(&Canon::of(proto, a, b)).map(|f| *f)
    }

    /// The flow between `a` and `b`, made by `start` if it is new (one hash lookup either way).
    /// When the table is full, the least recently active flows are evicted first and returned
    /// so their totals are not lost.
    pub fn find_or_start(
        &mut self,
        proto: Proto,
        a: SocketAddr,
        b: SocketAddr,
        start: impl FnOnce() -> Flow,
    ) -> (Vec<Flow>, &mut Flow) {
        self.find_or_start_at(Canon::of(proto, a, b), start)
    }

    /// [`FlowTable::find_or_start`] by the flow's [`Canon`] identity.
    pub fn find_or_start_at(
        &mut self,
        canon: Canon,
        start: impl FnOnce() -> Flow,
    ) -> (Vec<Flow>, &mut Flow) {
        let evicted = if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&canon) {
            self.evict_least_recent(MAX_FLOWS / 8)
        } else {
            Vec::new()
        };
        let flow = self.flows.entry(canon).or_insert_with(|| Box::new(start()));
        (evicted, &mut **flow)
    }

    /// Track a new flow, replacing one on the same 5-tuple.
    pub fn insert(&mut self, flow: Flow) -> (Vec<Flow>, &mut Flow) {
        let key = flow.key;
        self.remove(key.proto, key.client, key.server);
        self.find_or_start(key.proto, key.client, key.server, || flow)
    }

    /// Remove flows idle past their limit at `now`.
    pub fn expire(&mut self, now: Timestamp) -> Vec<Flow> {
        let idle: Vec<Canon> = self
            .flows
            .iter()
            .filter(|(_, f)| now.since(f.last) > f.idle_limit_secs() * 1_000_000_000)
            .map(|(c, _)| *c)
            .collect();
        idle.iter()
            .filter_map(|c| self.flows.remove(c))
            .map(|f| *f)
            .collect()
    }

    /// Remove every flow (end of input), oldest first.
    pub fn drain(&mut self) -> Vec<Flow> {
        let mut all: Vec<Flow> = self.flows.drain().map(|(_, f)| *f).collect();
        all.sort_by_key(|f| (f.first, f.key));
        all
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    fn evict_least_recent(&mut self, n: usize) -> Vec<Flow> {
        let mut by_age: Vec<(Timestamp, Canon)> =
            self.flows.iter().map(|(c, f)| (f.last, *c)).collect();
        let n = n.clamp(1, by_age.len().max(1));
        if n < by_age.len() {
            by_age.select_nth_unstable_by_key(n, |(t, _)| *t);
        }
        by_age
            .iter()
            .take(n)
            .filter_map(|(_, c)| self.flows.remove(c))
            .map(|f| *f)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn addr(host: u8, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)), port)
    }

    fn flow(port: u16, ts: u64) -> Flow {
        let key = FlowKey {
            proto: Proto::Tcp,
            client: addr(1, port),
            server: addr(2, 443),
        };
        Flow::new(key, DeviceId::Ip(key.client.ip()), Timestamp(ts))
    }

    #[test]
    fn both_directions_find_the_same_flow() {
        let mut t = FlowTable::default();
        t.insert(flow(5000, 0));
        assert!(t.get_mut(Proto::Tcp, addr(2, 443), addr(1, 5000)).is_some());
        assert!(t.get_mut(Proto::Tcp, addr(1, 5000), addr(2, 443)).is_some());
        assert!(t.get_mut(Proto::Udp, addr(1, 5000), addr(2, 443)).is_none());
    }

    #[test]
    fn idle_flows_expire_and_closed_ones_sooner() {
        let mut t = FlowTable::default();
        t.insert(flow(1, 0));
        let (_, f) = t.insert(flow(2, 0));
        f.rst = true;
        let ended = t.expire(Timestamp::from_parts(CLOSED_LINGER_SECS + 1, 0));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].key.client.port(), 2);
        assert_eq!(
            t.expire(Timestamp::from_parts(TCP_IDLE_SECS + 1, 0)).len(),
            1
        );
        assert!(t.is_empty());
    }

    #[test]
    fn full_table_ends_the_least_recent_flows_first() {
        let mut t = FlowTable::default();
        for i in 0..MAX_FLOWS {
            let port = (i % 60_000) as u16;
            let host = (i / 60_000) as u8 + 1;
            let mut f = flow(port, i as u64);
            f.key.client = addr(host, port);
            t.insert(f);
        }
        assert_eq!(t.len(), MAX_FLOWS);
        let (evicted, _) = t.insert(flow(65_000, u64::MAX));
        assert_eq!(evicted.len(), MAX_FLOWS / 8);
        let newest_evicted = evicted.iter().map(|f| f.last).max().unwrap();
        assert!(newest_evicted.0 <= (MAX_FLOWS / 8) as u64);
        assert_eq!(t.len(), MAX_FLOWS - MAX_FLOWS / 8 + 1);
    }

    #[test]
    fn summary_prefers_own_name_then_cache_then_address() {
        let with = |cached: Option<&str>, own: Option<&str>| {
            let mut f = flow(1, 0);
            f.cached_name = cached.map(Into::into);
            f.name = own.map(|n| (n.into(), Via::Tls));
            let s = f.into_summary();
            (s.name, s.via)
        };
        assert_eq!(with(None, None), ("10.0.0.2".into(), Via::Ip));
        let cdn = Some("cdn.example");
        assert_eq!(with(cdn, None), ("cdn.example".into(), Via::DnsCache));
        let own = Some("www.example");
        assert_eq!(with(cdn, own), ("www.example".into(), Via::Tls));
    }
}
