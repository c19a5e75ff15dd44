//! The engine: packets in, observations out. One per capture; replay and live share it.

use std::net::{IpAddr, SocketAddr};

use crate::capture::Packet;
use crate::decrypt::{KeyLog, QuicDecrypt};
use crate::observation::{DeviceId, FlowKey, Observation, Proto};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::link::{self, IpPacket, TcpFlags, Transport};

use super::analyze;
use super::dns_cache::DnsCache;
use super::ipfrag::Defragmenter;
use super::quic::QuicTracker;
use super::segment::Segment;
pub use super::segment::Sink;
use super::table::{Canon, Flow, FlowTable};

/// How often (in packet time) idle flows and stale reassemblies are swept.
const SWEEP_SECS: u64 = 5;

/// Counts of what went through the engine.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EngineStats {
    /// Packets ingested.
    pub packets: u64,
    /// Packets without IP (ARP, LLDP, ...).
    pub non_ip: u64,
    /// Flows started.
    pub flows: u64,
}

/// The analysis engine.
#[derive(Debug, Default)]
pub struct Engine {
    pub(super) flows: FlowTable,
    pub(super) dns: DnsCache,
    defrag: Defragmenter,
    pub(super) quic: QuicTracker,
    /// QUIC connections decrypted with the key log (empty without one).
    h3: QuicDecrypt,
    pub(super) weirds: Counters,
    /// The DNS message being analyzed, kept between packets for its buffers.
    dns_msg: crate::wire::dns::Message,
    stats: EngineStats,
    now: Timestamp,
    next_sweep: Timestamp,
    /// TLS secrets; `Some` turns on decryption of TLS flows.
    keys: Option<Box<KeyLog>>,
}

/// Link-layer facts of the packet being processed, by reference: read only once the
/// transport header is parsed, when the decoder's stores to them have retired (copied at once,
/// they cost a store-forwarding stall per packet).
#[derive(Debug, Clone, Copy)]
struct Macs<'f> {
    src: &'f Option<[u8; 6]>,
    dst: &'f Option<[u8; 6]>,
}

impl Engine {
    /// A fresh engine.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Decrypt TLS flows with these secrets (lab use: `--keylog`).
    pub fn set_key_log(&mut self, keys: KeyLog) {
        self.keys = Some(Box::new(keys));
    }

    /// Add key log lines (a pcapng Decryption Secrets Block); turns decryption on.
    pub fn add_key_log_text(&mut self, text: &[u8]) {
        self.keys.get_or_insert_default().add(text);
    }

    /// The secrets loaded, if decryption is on.
    pub fn key_log(&self) -> Option<&KeyLog> {
        self.keys.as_deref()
    }

    /// Malformed input and limits hit, by kind.
    pub fn weirds(&self) -> &Counters {
        &self.weirds
    }

    /// Packet, flow and skip counts.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Analyze one packet.
    pub fn ingest(&mut self, packet: &Packet<'_>, sink: &mut impl Sink) {
        self.stats.packets += 1;
        self.tick(packet.ts, sink);
        // Borrowed where it lies: copying the freshly written frame out costs a
        // store-forwarding stall per packet (its fields are written piecewise).
        let decoded = link::decode(packet.link, packet.data);
        let frame = match &decoded {
            Parsed::Done(frame) => frame,
            Parsed::NotThis => {
                self.stats.non_ip += 1;
                return;
            }
            Parsed::Incomplete { .. } => return self.weirds.bump(Weird::LinkTruncated),
            Parsed::Malformed(w) => return self.weirds.bump(*w),
        };
        let macs = Macs {
            src: &frame.src_mac,
            dst: &frame.dst_mac,
        };
        let ip = &frame.ip;
        match ip.fragment {
            None => self.ip(packet.ts, macs, ip, sink),
            Some(fragment) => {
                let whole = self.defrag.push(
                    packet.ts,
                    ip.src,
                    ip.dst,
                    ip.protocol,
                    fragment,
                    ip.payload,
                    &mut self.weirds,
                );
                if let Some(payload) = whole {
                    let joined = IpPacket {
                        fragment: None,
                        payload: &payload,
                        wire_len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                        ..*ip
                    };
                    let inner = link::unwrap_tunnels(joined);
                    self.ip(packet.ts, macs, &inner, sink);
                }
            }
        }
    }

    /// Advance packet time; ends idle flows.
    pub fn tick(&mut self, now: Timestamp, sink: &mut impl Sink) {
        self.now = self.now.max(now);
        if self.now < self.next_sweep {
            return;
        }
        self.next_sweep = self.now.plus_secs(SWEEP_SECS);
        for flow in self.flows.expire(self.now) {
            end_flow(flow, sink);
        }
        self.defrag.expire(self.now, &mut self.weirds);
        self.quic.expire(self.now);
        if !self.h3.is_empty() {
            let mut out = Vec::new();
            self.h3.expire(self.now, &mut self.weirds, &mut out);
            super::h3::emit(out, sink);
        }
    }

    /// End of input: every open flow ends.
    pub fn finish(&mut self, sink: &mut impl Sink) {
        let mut out = Vec::new();
        self.h3.finish(&mut self.weirds, &mut out);
        super::h3::emit(out, sink);
        for flow in self.flows.drain() {
            end_flow(flow, sink);
        }
    }

    fn ip(&mut self, ts: Timestamp, macs: Macs<'_>, ip: &IpPacket<'_>, sink: &mut impl Sink) {
        let Some((proto, seg)) = self.segment(ts, macs, ip) else {
            return;
        };
        let (sport, dport) = (seg.src.port(), seg.dst.port());
        let canon = Canon::of_parts(proto, (ip.src, sport), (ip.dst, dport));
        if proto == Proto::Tcp && seg.flags.syn && !seg.flags.ack {
            self.restart_reused(proto, &seg, sink);
        }
        let Engine {
            flows,
            dns,
            quic,
            h3,
            weirds,
            stats,
            keys,
            dns_msg,
            ..
        } = self;
        let (evicted, flow) = flows.find_or_start_at(canon, || {
            stats.flows += 1;
            start_flow(proto, &seg, macs, dns)
        });
        if !evicted.is_empty() {
            weirds.add(Weird::FlowEvictedTableFull, evicted.len() as u64);
            for old in evicted {
                end_flow(old, sink);
            }
        }
        let from_client = flow.key.client.port() == sport && flow.key.client.ip() == ip.src;
        flow.count(ts, from_client, ip.wire_len);
        let keys = keys.as_deref();
        let mut ctx = analyze::Context {
            dns,
            quic,
            h3,
            weirds,
            keys,
            dns_msg,
        };
        match proto {
            Proto::Tcp => analyze::tcp(flow, &seg, from_client, &mut ctx, sink),
            Proto::Udp => analyze::udp(flow, &seg, from_client, &mut ctx, sink),
        }
    }

    /// The packet's transport segment, or `None` when it has none sporfri follows (a
    /// truncated or malformed transport header is counted).
    ///
    /// Inlined into its one caller so the segment is built where `ip` keeps it: returned, it
    /// was copied out (a `memcpy` of the whole segment on every packet).
    #[inline(always)]
    fn segment<'p>(
        &mut self,
        ts: Timestamp,
        macs: Macs<'_>,
        ip: &IpPacket<'p>,
    ) -> Option<(Proto, Segment<'p>)> {
        let (proto, sport, dport, payload, flags, seq) = match link::transport(ip) {
            Parsed::Done(Transport::Tcp {
                src_port,
                dst_port,
                seq,
                flags,
                payload,
            }) => (Proto::Tcp, src_port, dst_port, payload, flags, seq),
            Parsed::Done(Transport::Udp {
                src_port,
                dst_port,
                payload,
            }) => (
                Proto::Udp,
                src_port,
                dst_port,
                payload,
                TcpFlags::default(),
                0,
            ),
            Parsed::Done(Transport::Other(_)) | Parsed::NotThis => return None,
            Parsed::Incomplete { .. } => {
                self.weirds.bump(Weird::TransportTruncated);
                return None;
            }
            Parsed::Malformed(w) => {
                self.weirds.bump(w);
                return None;
            }
        };
        let seg = Segment {
            ts,
            src: SocketAddr::new(ip.src, sport),
            dst: SocketAddr::new(ip.dst, dport),
            src_device: device_of(*macs.src, ip.src),
            dst_device: device_of(*macs.dst, ip.dst),
            payload,
            flags,
            seq,
        };
        Some((proto, seg))
    }

    /// A SYN on a 5-tuple that already carried a connection starts a new flow.
    fn restart_reused(&mut self, proto: Proto, seg: &Segment<'_>, sink: &mut impl Sink) {
        let reused = self
            .flows
            .get_mut(proto, seg.src, seg.dst)
            .is_some_and(|f| f.packets_up + f.packets_down > 2 || f.key.client != seg.src);
        if reused && let Some(old) = self.flows.remove(proto, seg.src, seg.dst) {
            end_flow(old, sink);
        }
    }
}

/// A flow ends: requests still waiting for a response first, then its totals.
fn end_flow(mut flow: Flow, sink: &mut impl Sink) {
    analyze::flush_requests(&mut flow, sink);
    sink.observe(Observation::FlowEnd(flow.into_summary()));
}

/// A new flow from its first packet: who is the client, which device, what DNS named the server.
fn start_flow(proto: Proto, seg: &Segment<'_>, macs: Macs<'_>, dns: &DnsCache) -> Flow {
    let (client, server, mac) = if client_is_src(proto, seg) {
        (seg.src, seg.dst, *macs.src)
    } else {
        (seg.dst, seg.src, *macs.dst)
    };
    let key = FlowKey {
        proto,
        client,
        server,
    };
    let device = device_of(mac, client.ip());
    let mut flow = Flow::new(key, device, seg.ts);
    flow.cached_name = dns
        .lookup(device, server.ip(), seg.ts)
        .map(|r| r.name.clone());
    flow
}

fn device_of(mac: Option<[u8; 6]>, ip: IpAddr) -> DeviceId {
    match mac {
        // Broadcast/multicast MACs never name a device.
        Some(m) if m[0] & 1 == 0 && m != [0; 6] => DeviceId::Mac(m),
        _ => DeviceId::Ip(ip),
    }
}

/// Ports on which a well-known service answers, so the other side is the client.
fn is_service_port(port: u16) -> bool {
    port < 1024
        || matches!(
            port,
            1900 | 3478
                | 4433
                | 4789
                | 5060
                | 5222
                | 5223
                | 5228
                | 5353
                | 5355
                | 8008
                | 8080
                | 8443
                | 8883
                | 19302
        )
}

/// Decide which side opened a flow from its first packet.
fn client_is_src(proto: Proto, seg: &Segment<'_>) -> bool {
    if proto == Proto::Tcp && seg.flags.syn {
        return !seg.flags.ack;
    }
    match (
        is_service_port(seg.src.port()),
        is_service_port(seg.dst.port()),
    ) {
        (false, true) => true,
        (true, false) => false,
        // Both or neither: the higher (ephemeral) port is the client; ties go to the sender.
        _ => seg.src.port() >= seg.dst.port() || seg.src.port() == seg.dst.port(),
    }
}
