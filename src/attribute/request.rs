//! What attribution says of one HTTP request (plain, or decrypted with a key log): who its host
//! is on its own, and the known tracker endpoint it hit.

use std::collections::BTreeSet;

use super::endpoints::TrackerHit;
use super::{Attribution, Attributor, Facts};
use crate::observation::{Exchange, FlowKey, Via};

/// Who a request's host is and the tracker endpoint it hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAttribution {
    /// The host's attribution (no CNAME chain known: a session re-attributes the request as
    /// its contact, which knows cloaking).
    pub who: Attribution,
    /// The known tracker endpoint hit, with its decoded parameters.
    pub tracker: Option<TrackerHit>,
}

impl Attributor {
    /// The tracker endpoint `url` (on `host`, lower case) hits; the first layer that knows one
    /// decides.
    pub fn tracker_hit(&self, host: &str, url: &str) -> Option<TrackerHit> {
        self.layers
            .iter()
            .find_map(|l| l.signatures.endpoints().classify(host, url))
    }

    /// Attribute one request `ex` carried by `flow`.
    pub fn request(&self, ex: &Exchange, flow: &FlowKey) -> RequestAttribution {
        let via = if ex.encrypted { Via::Tls } else { Via::Http };
        let who = self.attribute(&Facts {
            name: &ex.host,
            cname_chain: &[],
            via: BTreeSet::from([via]),
            server_ports: BTreeSet::from([(flow.proto, flow.server.port())]),
            server_ips: BTreeSet::from([flow.server.ip()]),
            ech: None,
            local: false,
        });
        RequestAttribution {
            who,
            tracker: self.tracker_hit(&ex.host, &ex.url),
        }
    }
}
