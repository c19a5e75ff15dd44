//! TLS: the ClientHello read from a TCP flow's records (and raised for QUIC's too), and, with
//! a key log, the connection handed to the decryption analyzer and its requests raised.

use crate::decrypt::{self, KeyLog, TlsConn};
use crate::observation::{EchSeen, Exchange, Observation, Via};
use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::tls::ClientHello;

use crate::flow::dns_cache::DnsCache;
use crate::flow::http;
use crate::flow::segment::{Segment, Sink};
use crate::flow::table::{App, Flow};
use crate::flow::tcp::MAX_STREAM_BYTES;

use super::Found;

pub(super) fn tls_hello(flow: &mut Flow, weirds: &mut Counters, decrypting: bool) -> Option<Found> {
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
            weirds.bump(Weird::TlsHelloExceedsBuffer);
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
pub(super) fn decrypt_segment(
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
pub(super) fn decrypt_streams(
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
pub(in crate::flow) fn flush_requests(flow: &mut Flow, sink: &mut impl Sink) {
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

pub(super) fn emit_requests(flow: &Flow, out: Vec<Exchange>, sink: &mut impl Sink) {
    for exchange in out {
        http::emit(flow, exchange, sink);
    }
}

/// A ClientHello completed on `flow` (TLS over TCP, or QUIC): name the flow, note what it shows
/// of ECH (attribution decides whether it hid the destination).
pub(in crate::flow) fn hello(
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
