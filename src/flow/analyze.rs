//! Payload analyzers of a flow: which parser reads which bytes, and what each one raises.

use std::net::IpAddr;

use crate::decrypt::{self, KeyLog, QuicDecrypt, TlsConn};
use crate::observation::{DeviceId, EchSeen, Exchange, Observation, Via, is_local_addr};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::Parsed;
use crate::wire::dhcp;
use crate::wire::dns::{self, Flavor};
use crate::wire::http::looks_like_request;
use crate::wire::quic;
use crate::wire::tls::{self, ClientHello};

use super::dns_cache::DnsCache;
use super::engine::{Segment, Sink};
use super::h3;
use super::http;
use super::quic::{QuicTracker, Seen};
use super::table::{App, Flow};
use super::tcp::{MAX_STREAM_BYTES, StreamBuf};

/// Client bytes after which a stream that is neither TLS nor HTTP is left alone.
const SNIFF_BYTES: usize = 16;

/// The engine state an analyzer may use besides its flow.
pub(super) struct Context<'e> {
    pub dns: &'e mut DnsCache,
    pub quic: &'e mut QuicTracker,
    /// QUIC connections being decrypted (used only when `keys` is set).
    pub h3: &'e mut QuicDecrypt,
    pub weirds: &'e mut Counters,
    /// TLS secrets when decryption is on.
    pub keys: Option<&'e KeyLog>,
    /// Where DNS messages are parsed: one message reused, so that its buffers are not
    /// allocated again for every message.
    pub dns_msg: &'e mut dns::Message,
}

/// What a TCP segment's analysis found that needs more than the flow.
enum Found {
    Hello(ClientHello),
    DnsMessages(Vec<Vec<u8>>),
}

/// Analyze a TCP segment of `flow`.
pub(super) fn tcp(
    flow: &mut Flow,
    seg: &Segment<'_>,
    from_client: bool,
    ctx: &mut Context<'_>,
    sink: &mut impl Sink,
) {
    let found = tcp_flow(flow, seg, from_client, ctx.weirds, ctx.keys, sink);
    match found {
        Some(Found::Hello(h)) => hello(flow, ctx.dns, seg.ts, Via::Tls, 0, h, sink),
        Some(Found::DnsMessages(msgs)) => {
            for m in msgs {
                dns_message(ctx, seg, &m, sink);
            }
        }
        None => {}
    }
}

/// Analyze a UDP datagram of `flow`.
pub(super) fn udp(
    flow: &mut Flow,
    seg: &Segment<'_>,
    from_client: bool,
    ctx: &mut Context<'_>,
    sink: &mut impl Sink,
) {
    if is_dhcp(seg) {
        return dhcp_message(seg, ctx.weirds, sink);
    }
    match flow.app {
        App::Done | App::Tls | App::Http | App::Decrypt => {}
        App::Dns => dns_message(ctx, seg, seg.payload, sink),
        App::QuicDecrypt => {
            if let Some(keys) = ctx.keys {
                h3::datagram(flow, seg, from_client, keys, ctx.h3, ctx.weirds, sink);
            }
        }
        App::Undecided | App::Quic => {
            if Flavor::for_ports(seg.src.port(), seg.dst.port()).is_some() {
                flow.app = App::Dns;
                dns_message(ctx, seg, seg.payload, sink);
            } else if quic::looks_like_quic(seg.payload) {
                flow.app = App::Quic;
                match ctx
                    .quic
                    .ingest(seg.ts, seg.src, seg.dst, seg.payload, ctx.weirds)
                {
                    Seen::Hello(h) => {
                        // The hello is all sporfri reads of QUIC: later packets cost nothing
                        // (unless a key log is loaded: then they are decrypted).
                        flow.app = App::Done;
                        flow.quic_unreadable = None;
                        let decrypted = match (ctx.keys, h.client_random) {
                            (Some(keys), Some(random)) => {
                                h3::start(flow, seg, keys, random, &h, ctx)
                            }
                            _ => Vec::new(),
                        };
                        hello(flow, ctx.dns, seg.ts, Via::Quic, h.version, h.hello, sink);
                        h3::emit(decrypted, sink);
                    }
                    // Kept until a readable hello on the same addresses (after Version
                    // Negotiation) clears it.
                    Seen::Unreadable { version } if from_client => {
                        if flow.quic_unreadable.is_none() {
                            ctx.weirds.bump("quic.unreadable_version");
                        }
                        flow.quic_unreadable = Some(version);
                    }
                    Seen::Unreadable { .. } | Seen::Nothing => {}
                }
            } else if let Some(keys) = ctx.keys
                && flow.app == App::Undecided
                && h3::adopt(flow, from_client, seg, ctx.h3)
            {
                h3::datagram(flow, seg, from_client, keys, ctx.h3, ctx.weirds, sink);
            } else if from_client && flow.app == App::Undecided {
                flow.app = App::Done;
            }
        }
    }
}

fn tcp_flow(
    flow: &mut Flow,
    seg: &Segment<'_>,
    from_client: bool,
    weirds: &mut Counters,
    keys: Option<&KeyLog>,
    sink: &mut impl Sink,
) -> Option<Found> {
    flow.rst |= seg.flags.rst;
    if seg.flags.fin {
        if from_client {
            flow.fin_up = true;
        } else {
            flow.fin_down = true;
        }
    }
    let dns_port = Flavor::for_ports(seg.src.port(), seg.dst.port()) == Some(Flavor::Dns);
    if flow.app == App::Undecided && dns_port {
        flow.app = App::Dns;
    }
    let stream = if from_client {
        &mut flow.up
    } else {
        &mut flow.down
    };
    if seg.flags.syn {
        stream.syn(seg.seq);
    }
    if flow.app == App::Decrypt
        && let Some(keys) = keys
    {
        decrypt_segment(flow, seg, from_client, keys, weirds, sink);
        return None;
    }
    let wanted = match flow.app {
        App::Undecided | App::Tls => from_client,
        App::Http | App::Dns | App::Decrypt => true,
        App::Quic | App::QuicDecrypt | App::Done => false,
    };
    if !wanted || !stream.push(seg.seq, seg.payload, weirds) {
        return None;
    }
    if flow.app == App::Undecided {
        flow.app = sniff(flow.up.data());
        if flow.app == App::Done {
            flow.up.close();
            flow.down.close();
        }
    }
    match flow.app {
        App::Tls => {
            let found = tls_hello(flow, weirds, keys.is_some());
            if let Some(keys) = keys {
                decrypt_streams(flow, seg.ts, keys, weirds, sink);
            }
            found
        }
        App::Http => {
            http::stream(flow, seg.ts, from_client, weirds, sink);
            None
        }
        App::Dns => Some(Found::DnsMessages(dns_stream(
            if from_client {
                &mut flow.up
            } else {
                &mut flow.down
            },
            weirds,
        ))),
        App::Undecided | App::Quic | App::QuicDecrypt | App::Done | App::Decrypt => None,
    }
}

/// Which analyzer fits the first client bytes.
fn sniff(head: &[u8]) -> App {
    if tls::looks_like_tls(head) {
        App::Tls
    } else if looks_like_request(head) {
        App::Http
    } else if head.len() >= SNIFF_BYTES {
        App::Done
    } else {
        App::Undecided
    }
}

fn tls_hello(flow: &mut Flow, weirds: &mut Counters, decrypting: bool) -> Option<Found> {
    // The records are read where the last segment left them: linear however the hello is cut.
    let records = flow.hello.get_or_insert_default();
    let before = records.examined();
    let outcome = records.feed(flow.up.data());
    let read = records.examined() - before;
    flow.up.examine(read as usize);
    if !matches!(outcome, Parsed::Incomplete { .. }) {
        flow.hello = None;
    }
    if decrypting && let Parsed::Done(h) = &outcome {
        // Keep both streams: the records from the hello on are decrypted.
        flow.app = App::Decrypt;
        flow.tls = Some(Box::new(TlsConn::new(h.sni.clone())));
        return outcome.done().map(Found::Hello);
    }
    let done = |flow: &mut Flow| {
        flow.app = App::Done;
        flow.hello = None;
        flow.up.close();
        flow.down.close();
    };
    match outcome {
        Parsed::Done(h) => {
            done(flow);
            return Some(Found::Hello(h));
        }
        Parsed::Incomplete { .. } if flow.up.data().len() < MAX_STREAM_BYTES => {}
        Parsed::Incomplete { .. } => {
            weirds.bump("tls.hello_exceeds_buffer");
            done(flow);
        }
        Parsed::NotThis => done(flow),
        Parsed::Malformed(w) => {
            weirds.bump(w);
            done(flow);
        }
    }
    None
}

/// A segment of a decrypted TLS flow, pushed in slices that leave the stream buffer room for
/// a whole record (offloaded captures carry segments of up to 64 KiB).
fn decrypt_segment(
    flow: &mut Flow,
    seg: &Segment<'_>,
    from_client: bool,
    keys: &KeyLog,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) {
    let mut offset = 0usize;
    for slice in seg.payload.chunks(MAX_STREAM_BYTES / 2) {
        let stream = if from_client {
            &mut flow.up
        } else {
            &mut flow.down
        };
        let seq = seg.seq.wrapping_add(offset as u32);
        offset += slice.len();
        if stream.push(seq, slice, weirds) {
            decrypt_streams(flow, seg.ts, keys, weirds, sink);
        }
    }
}

/// Feed both directions of a decrypted TLS flow to its connection state; hand out requests.
fn decrypt_streams(
    flow: &mut Flow,
    ts: Timestamp,
    keys: &KeyLog,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) {
    let Some(conn) = flow.tls.as_mut() else {
        return;
    };
    let mut out = Vec::new();
    let mut feed = decrypt::Feed {
        keys,
        weirds,
        ts,
        out: &mut out,
    };
    // Server first: the client's protected records wait for the ServerHello.
    for from_client in [false, true] {
        let stream = if from_client {
            &mut flow.up
        } else {
            &mut flow.down
        };
        let used = conn.feed(from_client, stream.data(), &mut feed);
        stream.consume(used);
    }
    if conn.stopped().is_some() {
        conn.finish(&mut out);
        flow.tls = None;
        flow.app = App::Done;
        flow.up.close();
        flow.down.close();
    }
    emit_requests(flow, out, sink);
}

/// A flow ends: requests (plain or decrypted) still waiting for a response are handed out.
pub(super) fn flush_requests(flow: &mut Flow, sink: &mut impl Sink) {
    if let Some(mut conn) = flow.tls.take() {
        let mut out = Vec::new();
        conn.finish(&mut out);
        emit_requests(flow, out, sink);
    }
    if let Some(mut pending) = flow.exchanges.take() {
        for exchange in pending.drain() {
            http::emit(flow, exchange, sink);
        }
    }
}

fn emit_requests(flow: &Flow, out: Vec<Exchange>, sink: &mut impl Sink) {
    for exchange in out {
        http::emit(flow, exchange, sink);
    }
}

fn dns_stream(stream: &mut StreamBuf, weirds: &mut Counters) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    loop {
        // The length prefix is read, the message copied once: linear with the O(1) consume.
        stream.examine(2);
        match dns::tcp_message(stream.data()) {
            Parsed::Done((msg, consumed)) => {
                messages.push(msg.to_vec());
                stream.examine(consumed);
                stream.consume(consumed);
            }
            Parsed::Incomplete { .. } if stream.data().len() < MAX_STREAM_BYTES => break,
            Parsed::Incomplete { .. } => {
                weirds.bump("dns.tcp_message_exceeds_buffer");
                stream.close();
                break;
            }
            Parsed::NotThis | Parsed::Malformed(_) => {
                weirds.bump("dns.bad_tcp_framing");
                stream.close();
                break;
            }
        }
    }
    messages
}

fn is_dhcp(seg: &Segment<'_>) -> bool {
    matches!((seg.src.port(), seg.dst.port()), (67 | 68, 67 | 68))
}

/// A DHCP message: the client's host name and vendor class name the device.
fn dhcp_message(seg: &Segment<'_>, weirds: &mut Counters, sink: &mut impl Sink) {
    match dhcp::parse(seg.payload) {
        Parsed::Done(m) => {
            let (host_name, vendor_class) = (m.host_name_text(), m.vendor_class_text());
            if host_name.is_none() && vendor_class.is_none() {
                return;
            }
            let device = match m.client_mac {
                Some(mac) => DeviceId::Mac(mac),
                None => seg.src_device,
            };
            sink.observe(Observation::Dhcp {
                ts: seg.ts,
                device,
                host_name,
                vendor_class,
            });
        }
        Parsed::Malformed(w) => weirds.bump(w),
        Parsed::Incomplete { .. } => weirds.bump("dhcp.truncated"),
        Parsed::NotThis => {}
    }
}

/// Analyze one DNS-family message carried by `seg`.
fn dns_message(ctx: &mut Context<'_>, seg: &Segment<'_>, bytes: &[u8], sink: &mut impl Sink) {
    let msg = &mut *ctx.dns_msg;
    match dns::parse_into(msg, bytes) {
        Parsed::Done(()) => {}
        Parsed::Incomplete { .. } => return ctx.weirds.bump("dns.truncated"),
        Parsed::NotThis => return ctx.weirds.bump("dns.not_dns"),
        Parsed::Malformed(w) => return ctx.weirds.bump(w),
    }
    if let Some(w) = msg.damage {
        ctx.weirds.bump(w);
    }
    let flavor = Flavor::for_ports(seg.src.port(), seg.dst.port()).unwrap_or(Flavor::Dns);
    if msg.response {
        // Answers sent to a multicast group name no client's flows; unicast ones do.
        if !is_local_addr(seg.dst.ip()) {
            if flavor == Flavor::Dns && !msg.truncated {
                dns_answers(msg, seg, sink);
            }
            // Keyed by device, not address: phones resolve over IPv4 and connect over IPv6.
            let chains = ctx.dns.learn(seg.ts, seg.dst_device, msg, ctx.weirds);
            for (name, chain) in chains {
                sink.observe(Observation::DnsChain {
                    ts: seg.ts,
                    device: seg.dst_device,
                    client: seg.dst.ip(),
                    name,
                    chain,
                });
            }
        }
        return;
    }
    for q in &msg.questions {
        sink.observe(Observation::DnsQuery {
            ts: seg.ts,
            device: seg.src_device,
            client: seg.src.ip(),
            server: seg.dst.ip(),
            flavor,
            name: msg.name(q.name).to_string(),
            qtype: q.qtype,
        });
    }
}

/// What a unicast DNS response answered to each of its questions: the response code and the
/// A/AAAA addresses of its answer section (a truncated response is retried over TCP, so it is
/// left out: its empty answer would look like NODATA).
fn dns_answers(msg: &dns::Message, seg: &Segment<'_>, sink: &mut impl Sink) {
    let addresses: Vec<IpAddr> = msg
        .answers
        .iter()
        .filter_map(|rr| match rr.data {
            dns::RecordData::A(a) => Some(IpAddr::V4(a)),
            dns::RecordData::Aaaa(a) => Some(IpAddr::V6(a)),
            _ => None,
        })
        .collect();
    let answers = u16::try_from(msg.answers.len()).unwrap_or(u16::MAX);
    for q in &msg.questions {
        let name = msg.name(q.name);
        sink.observe(Observation::DnsAnswer {
            ts: seg.ts,
            device: seg.dst_device,
            client: seg.dst.ip(),
            resolver: seg.src.ip(),
            name: name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase(),
            qtype: q.qtype,
            rcode: msg.rcode,
            recursion_available: msg.recursion_available,
            answers,
            addresses: addresses.clone(),
        });
    }
}

/// A ClientHello completed on `flow` (TLS over TCP, or QUIC): name the flow, note what it shows
/// of ECH (attribution decides whether it hid the destination).
pub(super) fn hello(
    flow: &mut Flow,
    dns: &DnsCache,
    ts: Timestamp,
    via: Via,
    quic_version: u32,
    h: ClientHello,
    sink: &mut impl Sink,
) {
    let sni = h
        .sni
        .as_deref()
        .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
        .filter(|s| !s.is_empty());
    if h.ech_extension {
        let outer_sni = h.sni.as_deref().map(str::to_ascii_lowercase);
        // The host the client resolved had an ECH config: the SNI may be a cover name.
        let resolved_has_ech_config = flow.cached_name.as_deref().is_some_and(|host| {
            Some(host) != outer_sni.as_deref() && dns.has_ech_config(flow.device, host)
        });
        flow.ech = Some(Box::new(EchSeen {
            outer_sni,
            resolved: flow.cached_name.clone(),
            resolved_has_ech_config,
        }));
    }
    if let Some(name) = sni {
        flow.name = Some((name, via));
    }
    sink.observe(Observation::Hello {
        ts,
        device: flow.device,
        flow: flow.key,
        via,
        quic_version,
        hello: h,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_decides_after_enough_bytes() {
        assert_eq!(sniff(&[0x16, 0x03, 0x01]), App::Tls);
        assert_eq!(sniff(b"SSH-2.0-"), App::Undecided);
        assert_eq!(sniff(b"SSH-2.0-OpenSSH_9.2p1"), App::Done);
    }
}
