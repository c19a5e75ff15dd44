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
    let mut addresses: Vec<IpAddr> = msg
        .answers
        .iter()
        .filter_map(|rr| match rr.data {
            dns::RecordData::A(a) => Some(IpAddr::V4(a)),
            dns::RecordData::Aaaa(a) => Some(IpAddr::V6(a)),
            _ => None,
        })
        .collect();
    let answers = u16::try_from(msg.answers.len()).unwrap_or(u16::MAX);
    // Nearly every response has one question: the addresses move into its answer, and are
    // copied only for the questions before the last.
    let last = msg.questions.len().saturating_sub(1);
    for (i, q) in msg.questions.iter().enumerate() {
        let addresses = if i == last {
            std::mem::take(&mut addresses)
        } else {
            addresses.clone()
        };
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
            addresses,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use super::*;
    use crate::observation::DeviceId;
    use crate::time::Timestamp;
    use crate::wire::link::TcpFlags;

    /// Every question of a response gets the whole answer's addresses, the last one included
    /// (it takes them without a copy).
    #[test]
    fn each_question_answered_with_all_addresses() {
        let resolver = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)), 53);
        let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)), 40_000);
        let seg = Segment {
            ts: Timestamp(1),
            src: resolver,
            dst: client,
            src_device: DeviceId::Ip(resolver.ip()),
            dst_device: DeviceId::Ip(client.ip()),
            payload: &[],
            flags: TcpFlags::default(),
            seq: 0,
        };
        let mut msg = dns::Message {
            response: true,
            ..dns::Message::default()
        };
        for name in ["A.example.", "b.example"] {
            let name = msg.add_name(name);
            msg.questions.push(dns::Question { name, qtype: 1 });
        }
        let v4 = |d| Ipv4Addr::new(192, 0, 2, d);
        for d in [1, 2] {
            msg.answers.push(dns::Record {
                name: msg.questions[0].name,
                rtype: 1,
                ttl: 60,
                data: dns::RecordData::A(v4(d)),
            });
        }
        let mut out = Vec::new();
        dns_answers(&msg, &seg, &mut |o| out.push(o));
        let answered: Vec<(String, Vec<IpAddr>)> = out
            .into_iter()
            .filter_map(|o| match o {
                Observation::DnsAnswer {
                    name, addresses, ..
                } => Some((name, addresses)),
                _ => None,
            })
            .collect();
        let both = vec![IpAddr::V4(v4(1)), IpAddr::V4(v4(2))];
        assert_eq!(
            answered,
            vec![
                ("a.example".to_owned(), both.clone()),
                ("b.example".to_owned(), both)
            ]
        );
    }
}
