//! The evidence behind each claim of a report item: every way a contact was seen (`via`) with
//! the first observation that shows it.

use serde::Serialize;

use crate::observation::Via;
use crate::session::{ContactRecord, Evidence, EvidenceKind, parse_via};

/// One way a contact was seen, with the observation that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViaEvidence {
    /// `dns`, `tls`, `quic`, `http`, `dns-cache`, ...
    pub via: String,
    /// Its first kept observation; `None` when the session kept none (a session recorded by an
    /// older sporfri, or past the evidence limit).
    pub evidence: Option<Evidence>,
}

/// The way an observation shows: as recorded, else (sessions recorded before sporfri kept it)
/// the one its kind implies, when it implies one.
fn shows(e: &Evidence) -> Option<Via> {
    e.via.or(match e.kind {
        EvidenceKind::DnsChain => Some(Via::Dns),
        EvidenceKind::TlsHello => Some(Via::Tls),
        EvidenceKind::QuicHello => Some(Via::Quic),
        EvidenceKind::HttpRequest => Some(Via::Http),
        EvidenceKind::DnsQuery | EvidenceKind::Flow => None,
    })
}

/// Every way `c` was seen, in its order, with the first observation of that way (the first
/// that names the contact, when there is one besides flows).
pub(super) fn per_via(c: &ContactRecord) -> Vec<ViaEvidence> {
    c.via
        .iter()
        .map(|word| {
            let via = parse_via(word);
            let of_via = || {
                c.evidence
                    .iter()
                    .filter(|e| via.is_some() && shows(e) == via)
            };
            // The observation that names the contact (a hello's server name, a query) says more
            // than the flow it came on, which starts a little earlier.
            let first = of_via()
                .find(|e| e.kind != EvidenceKind::Flow)
                .or_else(|| of_via().next());
            ViaEvidence {
                via: word.clone(),
                evidence: first.cloned(),
            }
        })
        .collect()
}

fn line(label: &str, e: &Evidence) -> String {
    let flow = e
        .flow
        .as_deref()
        .map(|f| format!(" {f}"))
        .unwrap_or_default();
    format!("{label}: {} {}{flow}", e.ts.rfc3339(), e.kind)
}

/// What a human reads of an item's evidence, one line each: per way it was seen, its first
/// observation (or that none was kept), then the first of each kind not shown yet (a DNS answer's
/// CNAME chain, say). JSON carries every kept observation.
pub(super) fn lines(via: &[ViaEvidence], all: &[Evidence]) -> Vec<String> {
    let mut out = Vec::new();
    let mut shown: Vec<&Evidence> = Vec::new();
    for v in via {
        match &v.evidence {
            Some(e) => {
                out.push(line(&v.via, e));
                shown.push(e);
            }
            None => out.push(format!("{}: no observation kept", v.via)),
        }
    }
    for e in all {
        if !shown.iter().any(|s| s.kind == e.kind) {
            out.push(line(e.kind.as_str(), e));
            shown.push(e);
        }
    }
    out
}
