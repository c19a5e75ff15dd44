//! DNS over UDP and TCP (and mDNS, LLMNR): messages parsed, queries and answers raised, the
//! DNS cache fed.

use std::net::IpAddr;

use crate::observation::{Observation, is_local_addr};
use crate::stats::Counters;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::dns::{self, Flavor};

use crate::flow::segment::{Segment, Sink};
use crate::flow::tcp::{MAX_STREAM_BYTES, StreamBuf};

use super::Context;

pub(super) fn dns_stream(stream: &mut StreamBuf, weirds: &mut Counters) -> Vec<Vec<u8>> {
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
                weirds.bump(Weird::DnsTcpMessageExceedsBuffer);
                stream.close();
                break;
            }
            Parsed::NotThis | Parsed::Malformed(_) => {
                weirds.bump(Weird::DnsBadTcpFraming);
                stream.close();
                break;
            }
        }
    }
    messages
}

/// Analyze one DNS-family message carried by `seg`.
pub(super) fn dns_message(
    ctx: &mut Context<'_>,
    seg: &Segment<'_>,
    bytes: &[u8],
    sink: &mut impl Sink,
) {
    let msg = &mut *ctx.dns_msg;
    match dns::parse_into(msg, bytes) {
        Parsed::Done(()) => {}
        Parsed::Incomplete { .. } => return ctx.weirds.bump(Weird::DnsTruncated),
        Parsed::NotThis => return ctx.weirds.bump(Weird::DnsNotDns),
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
pub(super) fn dns_answers(msg: &dns::Message, seg: &Segment<'_>, sink: &mut impl Sink) {
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
