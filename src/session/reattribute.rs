//! Attributing a stored session again with other signatures (`report --reattribute`): the facts
//! attribution looks at are read back from each stored contact, so the result is what the
//! recorder would have stored with those signatures.

use std::collections::HashMap;

use super::{ContactRecord, RequestEntry, parse_via};
use crate::attribute::{Attribution, Attributor, Facts, Hidden};
use crate::observation::{Ech, Proto};

impl ContactRecord {
    /// What attribution looks at in this contact, as stored.
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            name: &self.name,
            cname_chain: &self.cname_chain,
            via: self.via.iter().filter_map(|v| parse_via(v)).collect(),
            server_ports: self.server_ports.iter().filter_map(|p| port(p)).collect(),
            server_ips: self.server_ips.iter().copied().collect(),
            ech: match self.ech.as_deref() {
                Some("real") => Some(Ech::Real),
                Some("grease") => Some(Ech::Grease),
                _ => None,
            },
            local: self.scope == "local",
            // The record keeps no QUIC versions; its hidden word says whether one was unreadable.
            quic_unreadable: self.attribution.hidden == Some(Hidden::QuicUnreadable),
        }
    }
}

/// `tcp/443` as stored.
fn port(word: &str) -> Option<(Proto, u16)> {
    let (proto, port) = word.split_once('/')?;
    let proto = match proto {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        _ => return None,
    };
    Some((proto, port.parse().ok()?))
}

/// Attribute `contacts` again with `attributor`, and `requests` as the recorder does: as their
/// contact when the device contacted that host by name, else by the host alone; their tracker
/// endpoints are those `attributor` knows.
pub fn reattribute(
    contacts: &mut [ContactRecord],
    requests: &mut [RequestEntry],
    attributor: &Attributor,
) {
    for c in contacts.iter_mut() {
        c.attribution = attributor.attribute(&c.facts());
    }
    let by_key: HashMap<(&str, &str), &Attribution> = contacts
        .iter()
        .map(|c| ((c.device.as_str(), c.name.as_str()), &c.attribution))
        .collect();
    for r in requests.iter_mut() {
        let who = match by_key.get(&(r.device.as_str(), r.host.as_str())) {
            Some(who) => (*who).clone(),
            None => attributor.request_host(&r.host, r.encrypted, r.server()),
        };
        r.attribute(&who);
        r.track(attributor.tracker_hit(&r.host, &r.url));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::observation::{Exchange, HttpVersion, Observation, Via};
    use crate::session::tests::{PHONE, flow_end_via, flow_key, query, recorder, t};

    /// Re-attributing a stored contact with the signatures it was recorded with changes nothing:
    /// the stored facts are all attribution looks at.
    #[test]
    fn the_same_signatures_give_the_same_attribution() {
        let mut r = recorder(&[]);
        r.packet(t(0.0));
        for name in ["www.google-analytics.com", "example.org", "printer.local"] {
            r.observe(&query(0.0, PHONE, name));
            r.observe(&flow_end_via(0.1, name, 50000, Via::Tls));
        }
        let mut contacts = r.finish().contacts;
        let before = contacts.clone();
        reattribute(&mut contacts, &mut [], r.attributor());
        assert_eq!(contacts, before);
        assert!(
            contacts
                .iter()
                .any(|c| c.attribution.org.as_deref() == Some("Google LLC"))
        );
    }

    /// A stored request gets the recorder's attribution and endpoint again, plain HTTP as such.
    #[test]
    fn stored_requests_are_attributed_and_tracked_as_when_recorded() {
        let mut r = recorder(&[]);
        r.packet(t(0.0));
        for (encrypted, host, target) in [
            (true, "www.facebook.com", "/tr/?id=42&ev=PageView"),
            (false, "b.scorecardresearch.com", "/p?c1=2"),
        ] {
            let version = HttpVersion::Http1;
            let ex = Exchange::request(t(0.1), version, encrypted, "GET", host, target);
            r.observe(&Observation::Request {
                device: PHONE,
                flow: flow_key(if encrypted { 443 } else { 80 }),
                exchange: Box::new(ex),
            });
        }
        let mut requests = r.finish().requests;
        let before = requests.clone();
        assert_eq!(before[0].tracker_endpoint.as_deref(), Some("meta-pixel"));
        assert!(!before[1].encrypted);
        for q in &mut requests {
            q.org = None;
            q.track(None);
        }
        reattribute(&mut [], &mut requests, r.attributor());
        assert_eq!(requests, before);
    }

    #[test]
    fn stored_ports_read_back() {
        assert_eq!(port("tcp/443"), Some((Proto::Tcp, 443)));
        assert_eq!(port("udp/853"), Some((Proto::Udp, 853)));
        assert_eq!(port("sctp/1"), None);
        assert_eq!(port("tcp/x"), None);
    }
}
