//! `sporfri extract`: raw names in exactly the format of `tests/tools/oracle.sh`.
//!
//! `dns<TAB>NAME` for DNS/mDNS/LLMNR queries, `sni<TAB>NAME` for TLS and QUIC ClientHellos,
//! `http<TAB>HOST` for plaintext requests (raw Host, port kept); with flows the client address
//! is the middle column. Lines are unique and sorted bytewise (as `LC_ALL=C sort -u`).

use std::collections::BTreeSet;

use crate::observation::Observation;

/// Collects extraction lines.
#[derive(Debug, Default)]
pub struct Extraction {
    flows: bool,
    lines: BTreeSet<String>,
}

impl Extraction {
    /// A collector; `flows` adds the client address column.
    pub fn new(flows: bool) -> Extraction {
        Extraction {
            flows,
            lines: BTreeSet::new(),
        }
    }

    /// Take one observation.
    pub fn observe(&mut self, obs: &Observation) {
        let (kind, client, name) = match obs {
            Observation::DnsQuery { client, name, .. } => ("dns", *client, name.as_str()),
            Observation::Hello { flow, hello, .. } => match hello.sni.as_deref() {
                Some(sni) => ("sni", flow.client.ip(), sni),
                None => return,
            },
            Observation::HttpRequest {
                flow,
                host: Some(host),
                ..
            } => ("http", flow.client.ip(), host.as_str()),
            _ => return,
        };
        if name.is_empty() {
            return;
        }
        let line = if self.flows {
            format!("{kind}\t{client}\t{name}")
        } else {
            format!("{kind}\t{name}")
        };
        self.lines.insert(line);
    }

    /// The lines, sorted bytewise.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }
}
