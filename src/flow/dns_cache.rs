//! The DNS cache: which name a client resolved to which server address.
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use std::net::IpAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::dns::Message;

/// What a DNS answer said about one server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The name the client asked for (lower case, no trailing dot).
    pub name: String,
    /// CNAME targets from `name` to the address, in order (lower case).
    pub chain: Vec<String>,
    /// When the answer arrived.
    pub learned: Timestamp,
    /// When its TTL ran out.
    pub expires: Timestamp,
}

/// (client, server address) → names, bounded.
#[derive(Debug, Default)]
pub struct DnsCache {}

impl DnsCache {
    /// An empty cache.
    pub fn new() -> Self {
        DnsCache {}
    }

    /// Learn from a DNS response sent to `client`.
    pub fn learn(&mut self, ts: Timestamp, client: IpAddr, msg: &Message, weirds: &mut Counters) {
        let _ = (ts, client, msg, weirds);
    }

    /// The name `client` most recently resolved to `server`, if any.
    pub fn lookup(&self, client: IpAddr, server: IpAddr, now: Timestamp) -> Option<&Resolution> {
        let _ = (client, server, now);
        None
    }

    /// True when an HTTPS/SVCB answer for `name` (lower case) carried an ECH config.
    pub fn has_ech_config(&self, client: IpAddr, name: &str) -> bool {
        let _ = (client, name);
        false
    }

    /// Number of (client, address) entries.
    pub fn len(&self) -> usize {
        0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
