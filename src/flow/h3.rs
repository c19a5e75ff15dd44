//! QUIC flows when a key log is loaded: the ClientHello registers the connection with
//! [`QuicDecrypt`], and every later datagram of the flow (both directions) goes to it. A flow
//! that starts with a short header whose CID a followed connection announced is a client that
//! migrated: it is followed too. Without a key log none of this runs; QUIC costs what it did.

use crate::decrypt::{Datagram, H3Request, KeyLog, QuicDecrypt, QuicStart};
use crate::observation::{Observation, Via};
use crate::stats::Counters;
use crate::wire::Parsed;
use crate::wire::tls;

use super::analyze::{Context, hello};
use super::engine::{Segment, Sink};
use super::table::{App, Flow};

/// A QUIC long-header datagram of a flow waiting for its hello, with decryption on: the hello
/// completes the same way as without keys, and also registers the connection.
pub(super) fn initial(
    flow: &mut Flow,
    seg: &Segment<'_>,
    ctx: &mut Context<'_>,
    sink: &mut impl Sink,
) {
    let Some(hs) = ctx
        .quic
        .ingest_handshake(seg.ts, seg.src, seg.dst, seg.payload, ctx.weirds)
    else {
        return;
    };
    let h = match tls::client_hello_from_handshake(&hs.message) {
        Parsed::Done(h) => h,
        Parsed::Malformed(weird) => return ctx.weirds.bump(weird),
        Parsed::Incomplete { .. } | Parsed::NotThis => {
            return ctx.weirds.bump("quic.bad_client_hello");
        }
    };
    flow.app = App::QuicDecrypt;
    let mut out = Vec::new();
    let start = QuicStart {
        version: hs.version,
        flow: flow.key,
        device: flow.device,
        client_hello: &hs.message,
        sni: h.sni.as_deref(),
        datagram: seg.payload,
        ts: seg.ts,
    };
    ctx.h3.start(start, ctx.weirds, &mut out);
    if let Some(keys) = ctx.keys {
        // 0-RTT packets may follow the Initial in the same datagram.
        let d = Datagram {
            ts: seg.ts,
            client: flow.key.client,
            server: flow.key.server,
            from_client: true,
            payload: seg.payload,
        };
        ctx.h3.datagram(d, keys, ctx.weirds, &mut out);
    }
    hello(flow, ctx.dns, seg.ts, Via::Quic, hs.version, h, sink);
    emit(out, sink);
}

/// A datagram of a followed QUIC flow.
pub(super) fn datagram(
    flow: &Flow,
    seg: &Segment<'_>,
    from_client: bool,
    keys: &KeyLog,
    h3: &mut QuicDecrypt,
    weirds: &mut Counters,
    sink: &mut impl Sink,
) {
    let d = Datagram {
        ts: seg.ts,
        client: flow.key.client,
        server: flow.key.server,
        from_client,
        payload: seg.payload,
    };
    let mut out = Vec::new();
    h3.datagram(d, keys, weirds, &mut out);
    emit(out, sink);
}

/// A UDP flow's first datagram is not a long header: is it a followed connection on a new
/// path? Then the flow is followed from here on.
pub(super) fn adopt(
    flow: &mut Flow,
    from_client: bool,
    seg: &Segment<'_>,
    h3: &QuicDecrypt,
) -> bool {
    if !h3.knows(seg.payload, from_client) {
        return false;
    }
    flow.app = App::QuicDecrypt;
    true
}

/// Decrypted requests go out on the flow of their connection's hello.
pub(super) fn emit(out: Vec<H3Request>, sink: &mut impl Sink) {
    for r in out {
        sink.observe(Observation::Request {
            device: r.device,
            flow: r.flow,
            exchange: Box::new(r.exchange),
        });
    }
}
