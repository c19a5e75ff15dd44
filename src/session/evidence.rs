//! Evidence: the observations kept behind each contact of a session.
//!
//! Every way a contact was seen (`via`: dns, tls, quic, http, dns-cache, ...) and every kind of
//! observation of it (a DNS query, a TLS hello, a flow, ...) keeps its first observation, so each
//! claim a report makes about a contact points at the packet that shows it; the first few
//! observations in time order are kept besides. The contact an observation counts for is told by
//! [`Contacts::observe`](crate::contact::Contacts::observe): this module never derives a key.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::ts;
use crate::contact::Touched;
use crate::observation::{DeviceId, FlowKey, Observation, Proto, Via};
use crate::time::Timestamp;

/// Observations kept per contact in time order, besides the first of each way and kind.
pub const MAX_EARLY_EVIDENCE: usize = 5;
/// Ways a contact can be seen: the variants of [`Via`] (see [`via_index`]).
const VIAS: usize = 8;
/// Observations kept per contact at most: the first [`MAX_EARLY_EVIDENCE`], plus the first of
/// every way ([`Via`]) and every [`EvidenceKind`]. The earliest observation is the first of its
/// way and of its kind at once, hence the 2 less.
pub const MAX_EVIDENCE: usize = MAX_EARLY_EVIDENCE + VIAS + EvidenceKind::ALL.len() - 2;
/// Hellos whose flow has not ended yet, kept until it does: one per flow, as many as the flow
/// table holds (its `MAX_FLOWS`; a test keeps the two equal, as a session knows no flow table).
pub const MAX_PENDING_HELLOS: usize = 131_072;

/// What kind of observation a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// A DNS, mDNS or LLMNR query for the name.
    DnsQuery,
    /// A DNS answer resolving the name through CNAMEs.
    DnsChain,
    /// A TLS ClientHello on the contact's flow.
    TlsHello,
    /// A QUIC Initial's ClientHello on the contact's flow.
    QuicHello,
    /// A plaintext HTTP request naming the host.
    HttpRequest,
    /// A transport flow to the contact (its first packet's time).
    Flow,
}

impl EvidenceKind {
    /// Every kind, in order.
    pub const ALL: [EvidenceKind; 6] = [
        EvidenceKind::DnsQuery,
        EvidenceKind::DnsChain,
        EvidenceKind::TlsHello,
        EvidenceKind::QuicHello,
        EvidenceKind::HttpRequest,
        EvidenceKind::Flow,
    ];

    /// The word used in every output (`dns-query`, `tls-hello`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::DnsQuery => "dns-query",
            EvidenceKind::DnsChain => "dns-chain",
            EvidenceKind::TlsHello => "tls-hello",
            EvidenceKind::QuicHello => "quic-hello",
            EvidenceKind::HttpRequest => "http-request",
            EvidenceKind::Flow => "flow",
        }
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One observation kept as evidence for a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Packet time.
    #[serde(with = "ts")]
    pub ts: Timestamp,
    /// What was observed.
    pub kind: EvidenceKind,
    /// The way of seeing the contact it shows (`dns`, `tls`, `dns-cache`, ...); `None` in
    /// sessions recorded before sporfri kept it.
    #[serde(default)]
    pub via: Option<Via>,
    /// The flow as `tcp 192.168.1.2:50000 -> 93.184.216.34:443`, for flow observations.
    pub flow: Option<String>,
}

/// Every [`Via`] in order; `via_index` keeps it complete.
pub const ALL_VIAS: [Via; VIAS] = [
    Via::Dns,
    Via::Mdns,
    Via::Llmnr,
    Via::Tls,
    Via::Quic,
    Via::Http,
    Via::DnsCache,
    Via::Ip,
];

/// The position of `v` in [`ALL_VIAS`]. Exhaustive on purpose: a new way of seeing a name does
/// not compile until it is counted in [`MAX_EVIDENCE`].
fn via_index(v: Via) -> usize {
    match v {
        Via::Dns => 0,
        Via::Mdns => 1,
        Via::Llmnr => 2,
        Via::Tls => 3,
        Via::Quic => 4,
        Via::Http => 5,
        Via::DnsCache => 6,
        Via::Ip => 7,
    }
}

/// The way named by its output word (`dns-cache`).
pub fn parse_via(word: &str) -> Option<Via> {
    ALL_VIAS.into_iter().find(|v| v.as_str() == word)
}

/// Whether `list` (in time order) would keep an observation of `kind` seen `via` at `ts`: it is
/// among the first [`MAX_EARLY_EVIDENCE`], or the first of its way or of its kind.
fn wanted(list: &[Evidence], ts: Timestamp, kind: EvidenceKind, via: Via) -> bool {
    let before = list.iter().take_while(|e| e.ts <= ts);
    let mut earlier = 0;
    let (mut same_kind, mut same_via) = (false, false);
    for e in before {
        earlier += 1;
        same_kind |= e.kind == kind;
        same_via |= e.via == Some(via);
    }
    earlier < MAX_EARLY_EVIDENCE || !same_kind || !same_via
}

/// Insert `ev` in time order (after equal times) and drop what is no longer kept: an entry stays
/// when it is among the first [`MAX_EARLY_EVIDENCE`] or the first of its way or its kind.
fn keep(list: &mut Vec<Evidence>, ev: Evidence) {
    let at = list.partition_point(|e| e.ts <= ev.ts);
    list.insert(at, ev);
    // Kinds and ways already shown by an earlier entry, one bit each.
    let (mut kinds, mut vias) = (0u32, 0u32);
    let mut i = 0;
    list.retain(|e| {
        let new_kind = first(&mut kinds, e.kind as u32);
        let new_via = e.via.is_some_and(|v| first(&mut vias, via_index(v) as u32));
        i += 1;
        i <= MAX_EARLY_EVIDENCE || new_kind || new_via
    });
}

/// Set bit `n` of `seen`; whether it was clear.
fn first(seen: &mut u32, n: u32) -> bool {
    let bit = 1 << n;
    let new = *seen & bit == 0;
    *seen |= bit;
    new
}

/// The evidence of one session's contacts, by device and name.
#[derive(Debug)]
pub struct EvidenceBook {
    by_device: HashMap<DeviceId, HashMap<String, Vec<Evidence>, Hasher>, Hasher>,
    /// Contacts with evidence.
    names: usize,
    /// Names that got no evidence because the limit was reached.
    dropped: u64,
    /// Contacts with evidence at most ([`super::MAX_PENDING_EVIDENCE`]; lowered by tests).
    pub(super) limit: usize,
    /// Hellos waiting for their flow's end, which names their contact.
    hellos: HashMap<FlowKey, (Timestamp, EvidenceKind), Hasher>,
    /// Hellos not kept because [`MAX_PENDING_HELLOS`] flows were waiting (lowered by tests).
    pub(super) hello_limit: usize,
    hellos_dropped: u64,
}

type Hasher = foldhash::fast::RandomState;

impl EvidenceBook {
    /// An empty book keeping evidence for at most `limit` contacts.
    pub fn new(limit: usize) -> EvidenceBook {
        EvidenceBook {
            by_device: HashMap::default(),
            names: 0,
            dropped: 0,
            limit,
            hellos: HashMap::default(),
            hello_limit: MAX_PENDING_HELLOS,
            hellos_dropped: 0,
        }
    }

    /// Keep `obs` as evidence for the contact `touched` says it counted for.
    pub fn attach(&mut self, obs: &Observation, touched: Touched<'_>) {
        // A flow's end settles its hello, whether or not the flow counted for a contact.
        let hello = match obs {
            Observation::FlowEnd(f) => self.hellos.remove(&f.key).map(|h| (h, f)),
            _ => None,
        };
        match touched {
            Touched::Nothing => {}
            Touched::Flow(flow) => self.hello(obs, flow),
            Touched::Contact { device, name, via } => {
                if let Some(((ts, kind), f)) = hello {
                    // The hello is evidence for the contact its flow was counted for.
                    self.add(device, name, ts, kind, via, || Some(flow_text(&f.key)));
                }
                let Some((ts, kind)) = evidence_kind(obs) else {
                    return;
                };
                self.add(device, name, ts, kind, via, || flow_of(obs));
            }
        }
    }

    fn hello(&mut self, obs: &Observation, flow: FlowKey) {
        let Observation::Hello { ts, via, .. } = obs else {
            return;
        };
        let kind = if *via == Via::Quic {
            EvidenceKind::QuicHello
        } else {
            EvidenceKind::TlsHello
        };
        if self.hellos.len() >= self.hello_limit && !self.hellos.contains_key(&flow) {
            self.hellos_dropped += 1;
            return;
        }
        // A flow's first hello is its evidence (a QUIC client may repeat it).
        self.hellos.entry(flow).or_insert((*ts, kind));
    }

    fn add(
        &mut self,
        device: DeviceId,
        name: &str,
        ts: Timestamp,
        kind: EvidenceKind,
        via: Via,
        flow: impl FnOnce() -> Option<String>,
    ) {
        let names = self.by_device.entry(device).or_default();
        let list = match names.get_mut(name) {
            Some(list) => list,
            None if self.names >= self.limit => {
                self.dropped += 1;
                return;
            }
            None => {
                self.names += 1;
                names.entry(name.to_owned()).or_default()
            }
        };
        if wanted(list, ts, kind, via) {
            let ev = Evidence {
                ts,
                kind,
                via: Some(via),
                flow: flow(),
            };
            keep(list, ev);
        }
    }

    /// The evidence of the contact (device, name), in time order.
    pub fn of(&self, device: DeviceId, name: &str) -> &[Evidence] {
        self.by_device
            .get(&device)
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Names that got no evidence because the limit was reached.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Hellos not kept as evidence because [`MAX_PENDING_HELLOS`] flows were waiting.
    pub fn hellos_dropped(&self) -> u64 {
        self.hellos_dropped
    }
}

/// The kind and time of the evidence an observation is, when it is one (a hello waits for its
/// flow's end; responses, DHCP and decrypted requests are none).
fn evidence_kind(obs: &Observation) -> Option<(Timestamp, EvidenceKind)> {
    match obs {
        Observation::DnsQuery { ts, .. } => Some((*ts, EvidenceKind::DnsQuery)),
        Observation::DnsChain { ts, .. } => Some((*ts, EvidenceKind::DnsChain)),
        Observation::HttpRequest { ts, .. } => Some((*ts, EvidenceKind::HttpRequest)),
        Observation::FlowEnd(f) => Some((f.first, EvidenceKind::Flow)),
        // A blocking answer is kept on the contact itself (`blocked_answer`), with its code and
        // addresses, which an evidence entry could not hold.
        Observation::Hello { .. }
        | Observation::HttpResponse { .. }
        | Observation::DnsAnswer { .. }
        | Observation::Dhcp { .. }
        | Observation::Request { .. } => None,
    }
}

/// The flow an observation was seen on, as evidence shows it.
fn flow_of(obs: &Observation) -> Option<String> {
    match obs {
        Observation::DnsQuery { client, server, .. } => Some(format!("{client} -> {server}")),
        Observation::HttpRequest { flow, .. } | Observation::Hello { flow, .. } => {
            Some(flow_text(flow))
        }
        Observation::FlowEnd(f) => Some(flow_text(&f.key)),
        Observation::DnsChain { .. }
        | Observation::DnsAnswer { .. }
        | Observation::HttpResponse { .. }
        | Observation::Dhcp { .. }
        | Observation::Request { .. } => None,
    }
}

/// `tcp 192.168.1.2:50000 -> 93.184.216.34:443`.
pub(super) fn flow_text(f: &FlowKey) -> String {
    let proto = match f.proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    };
    format!("{proto} {} -> {}", f.client, f.server)
}
