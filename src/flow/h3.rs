//! QUIC flows when a key log is loaded: the ClientHello registers the connection with
//! [`QuicDecrypt`], and every later datagram of the flow (both directions) goes to it. A flow
//! that starts with a short header whose CID a followed connection announced is a client that
//! migrated: it is followed too. Without a key log none of this runs; QUIC costs what it did.

use crate::decrypt::{Datagram, H3Request, KeyLog, QuicDecrypt, QuicStart};
use crate::observation::Observation;
use crate::stats::Counters;

use super::quic::QuicHello;
use super::segment::{Segment, Sink};
use super::table::{App, Flow};

/// A QUIC ClientHello completed with decryption on: the connection is followed from here, and
/// the rest of the datagram read (0-RTT packets may follow the Initial). The requests this
/// gives (0-RTT, or those of a connection the new one replaces) go out after the hello.
pub(super) fn start(
    flow: &mut Flow,
    seg: &Segment<'_>,
    keys: &KeyLog,
    random: [u8; 32],
    h: &QuicHello,
    h3: &mut QuicDecrypt,
    weirds: &mut Counters,
) -> Vec<H3Request> {
    flow.app = App::QuicDecrypt;
    let mut out = Vec::new();
    let start = QuicStart {
        version: h.version,
        flow: flow.key,
        device: flow.device,
        random,
        sni: h.hello.sni.as_deref(),
        datagram: seg.payload,
        ts: seg.ts,
    };
    h3.start(start, weirds, &mut out);
    let d = Datagram {
        ts: seg.ts,
        client: flow.key.client,
        server: flow.key.server,
        from_client: true,
        payload: seg.payload,
    };
    h3.datagram(d, keys, weirds, &mut out);
    out
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
