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

/// The way an observation of `c` shows: as recorded, else (sessions recorded before sporfri
/// kept it) the one its kind implies, or the only way of that family `c` was seen.
fn shows(e: &Evidence, c: &ContactRecord) -> Option<Via> {
    let only = |family: &[Via]| {
        let mut seen = c
            .via
            .iter()
            .filter_map(|w| parse_via(w))
            .filter(|v| family.contains(v));
        match (seen.next(), seen.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    };
    e.via.or_else(|| match e.kind {
        EvidenceKind::DnsChain => Some(Via::Dns),
        EvidenceKind::TlsHello => Some(Via::Tls),
        EvidenceKind::QuicHello => Some(Via::Quic),
        EvidenceKind::HttpRequest => Some(Via::Http),
        EvidenceKind::DnsQuery => only(&[Via::Dns, Via::Mdns, Via::Llmnr]),
        EvidenceKind::Flow => only(&[Via::Tls, Via::Quic, Via::Http, Via::DnsCache, Via::Ip]),
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
                    .filter(|e| via.is_some() && shows(e, c) == via)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::session::ts;

    fn ev(kind: EvidenceKind, via: Option<Via>) -> Evidence {
        Evidence {
            ts: ts::parse("2026-01-01T00:00:00.000001Z").unwrap(),
            kind,
            via,
            flow: None,
        }
    }

    fn record(via: &[&str], evidence: Vec<Evidence>) -> ContactRecord {
        let json = serde_json::json!({
            "session": 1, "phase": "before-consent", "device": "d", "client_ip": "192.0.2.1",
            "name": "x.example", "scope": "internet", "via": via,
            "first_seen": "2026-01-01T00:00:00.000001Z", "last_seen": "2026-01-01T00:00:00.000001Z",
            "flows": 1, "bytes_up": 0, "bytes_down": 0, "server_ips": [], "server_ports": [],
            "cname_chain": [], "ech": null, "dns_queries": 1, "http_requests": 0,
            "cookie_sent": false, "cookies_set": [], "org": null, "service": null,
            "category": null, "party": "third", "matched": null, "declared": null,
            "cloaked": null, "hidden": null, "evidence": evidence,
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn every_way_gets_its_observation_or_says_none_was_kept() {
        let c = record(
            &["dns", "tls", "quic"],
            vec![
                ev(EvidenceKind::DnsQuery, Some(Via::Dns)),
                ev(EvidenceKind::Flow, Some(Via::Tls)),
                ev(EvidenceKind::TlsHello, Some(Via::Tls)),
            ],
        );
        let v = per_via(&c);
        assert_eq!(v[0].evidence.as_ref().unwrap().kind, EvidenceKind::DnsQuery);
        // The hello names the contact; the flow is shown as its own kind.
        assert_eq!(v[1].evidence.as_ref().unwrap().kind, EvidenceKind::TlsHello);
        assert_eq!(v[2].evidence, None);
        let text = lines(&v, &c.evidence);
        assert!(text[0].starts_with("dns: "));
        assert!(text[1].starts_with("tls: ") && text[1].contains("tls-hello"));
        assert_eq!(text[2], "quic: no observation kept");
        assert!(text[3].starts_with("flow: "));
        assert_eq!(text.len(), 4);
    }

    /// Sessions recorded before evidence had a way: the kind, or the contact's only way of
    /// that family, tells it.
    #[test]
    fn evidence_recorded_without_a_way_still_backs_its_claim() {
        let c = record(
            &["dns", "tls"],
            vec![
                ev(EvidenceKind::DnsQuery, None),
                ev(EvidenceKind::Flow, None),
            ],
        );
        let v = per_via(&c);
        assert!(v.iter().all(|v| v.evidence.is_some()), "{v:?}");
        let both = record(&["dns", "mdns"], vec![ev(EvidenceKind::DnsQuery, None)]);
        assert!(per_via(&both).iter().all(|v| v.evidence.is_none()));
    }
}
