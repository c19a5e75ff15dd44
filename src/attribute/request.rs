//! What attribution says of one HTTP request (plain, or decrypted with a key log): who its host
//! is on its own, and the known tracker endpoint it hit.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use super::endpoints::TrackerHit;
use super::{Attribution, Attributor, Facts};
use crate::observation::{Exchange, FlowKey, Proto, Via};

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
        RequestAttribution {
            who: self.request_host(&ex.host, ex.encrypted, Some(flow.server)),
            tracker: self.tracker_hit(&ex.host, &ex.url),
        }
    }

    /// Who a request's `host` is on its own (no CNAME chain known): over TLS (`encrypted`) or
    /// plain HTTP, to `server` (TCP) when known.
    pub fn request_host(
        &self,
        host: &str,
        encrypted: bool,
        server: Option<SocketAddr>,
    ) -> Attribution {
        let via = if encrypted { Via::Tls } else { Via::Http };
        self.attribute(&Facts {
            name: host,
            cname_chain: &[],
            via: BTreeSet::from([via]),
            server_ports: server.map(|s| (Proto::Tcp, s.port())).into_iter().collect(),
            server_ips: server.map(|s| s.ip()).into_iter().collect(),
            ech: None,
            local: false,
            quic_unreadable: false,
        })
    }
}
