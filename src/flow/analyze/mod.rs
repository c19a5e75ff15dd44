//! Payload analyzers of a flow: which parser reads which bytes, and what each one raises.
//! This file sniffs and dispatches; each protocol's analysis is in its own file (`tls`, `dns`,
//! `dhcp`; plain HTTP in `flow/http.rs`, QUIC in `flow/quic` and `flow/h3.rs`).

mod dhcp;
mod dns;
mod tls;

use crate::decrypt::{KeyLog, QuicDecrypt};
use crate::observation::Via;
use crate::stats::Counters;
use crate::weird::Weird;
use crate::wire::dns::Flavor;
use crate::wire::http::looks_like_request;
use crate::wire::tls::ClientHello;

use super::dns_cache::DnsCache;
use super::h3;
use super::http;
use super::quic::{QuicTracker, Seen};
use super::segment::{Segment, Sink};
use super::table::{App, Flow};
use super::tcp::StreamBuf;

use dhcp::{dhcp_message, is_dhcp};
use dns::{dns_message, dns_stream};
use tls::{decrypt_segment, decrypt_streams, tls_hello};
pub(super) use tls::{flush_requests, hello};

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
    pub dns_msg: &'e mut crate::wire::dns::Message,
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
            } else if crate::wire::quic::looks_like_quic(seg.payload) {
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
                                h3::start(flow, seg, keys, random, &h, ctx.h3, ctx.weirds)
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
                            ctx.weirds.bump(Weird::QuicUnreadableVersion);
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
    track(flow, seg, from_client);
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
    let stream = stream_of(flow, from_client);
    if !wanted || !stream.push(seg.seq, seg.payload, weirds) {
        return None;
    }
    read_streams(flow, seg, from_client, weirds, keys, sink)
}

/// The stream of one direction of `flow`.
fn stream_of(flow: &mut Flow, from_client: bool) -> &mut StreamBuf {
    if from_client {
        &mut flow.up
    } else {
        &mut flow.down
    }
}

/// What a segment says about its connection besides its bytes: RST, FIN, the DNS port, the
/// initial sequence number of its direction.
fn track(flow: &mut Flow, seg: &Segment<'_>, from_client: bool) {
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
    if seg.flags.syn {
        stream_of(flow, from_client).syn(seg.seq);
    }
}

/// New bytes in a stream of `flow`: the application is sniffed if still undecided, then its
/// analyzer reads the streams.
fn read_streams(
    flow: &mut Flow,
    seg: &Segment<'_>,
    from_client: bool,
    weirds: &mut Counters,
    keys: Option<&KeyLog>,
    sink: &mut impl Sink,
) -> Option<Found> {
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
            stream_of(flow, from_client),
            weirds,
        ))),
        App::Undecided | App::Quic | App::QuicDecrypt | App::Done | App::Decrypt => None,
    }
}

/// Which analyzer fits the first client bytes.
fn sniff(head: &[u8]) -> App {
    if crate::wire::tls::looks_like_tls(head) {
        App::Tls
    } else if looks_like_request(head) {
        App::Http
    } else if head.len() >= SNIFF_BYTES {
        App::Done
    } else {
        App::Undecided
    }
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
