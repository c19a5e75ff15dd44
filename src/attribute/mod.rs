//! Attribution: policy that turns a contacted name into an accountable party.
//!
//! Extraction (`wire`, `flow`) says *what* was contacted; this module says *who* is behind it
//! (organisation, category), *whose* it is relative to the service under test (first party,
//! third party, the phone's own background traffic, local network), and what the capture could
//! not see (hidden traffic). It is pure policy over loaded signatures: no I/O after loading.
//!
//! Files: `signatures` (format and checker), `site` (site profiles), `matcher` (suffix index),
//! `name` (normalisation, IDNA, Public Suffix List), `attributor` (loading, layers, lookup),
//! `policy` (party, cloaking, hidden, declared), `import` (third-party lists → local overlay),
//! `endpoints` (known tracker endpoints), `request` (one HTTP request: its host and endpoint),
//! `ech` (real ECH or GREASE, and the name a flow counts for).
//!
//! CONTRACT FILE: types here are shared by the attribution, session and report code.

mod attributor;
pub mod blocking;
pub mod browsers;
mod category;
mod checker;
pub mod citation;
mod compiled;
pub mod ech;
pub mod endpoints;
pub mod import;
mod locality;
mod matcher;
pub mod name;
mod policy;
pub mod provenance;
mod request;
pub mod signatures;
pub mod site;

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::observation::{Ech, Proto, Via};

pub use attributor::{
    Attributor, Layer, Match, OVERLAY_ENV, builtin_layer, dir_layer, embedded_files, embedded_raw,
    overlay_dir,
};
pub use blocking::{AnswerFacts, AnswerVerdict, Blocked, judge_answer};
pub use category::{Category, TRACKING_CATEGORIES};
pub use endpoints::TrackerHit;
pub use locality::{LOCAL_SUFFIXES, is_lan_addr, is_local_name, is_private_addr, is_sinkhole_addr};
pub use matcher::SuffixIndex;
pub use policy::{DOH_HOSTS, DOT_PORT, HTTPS_PORT, PRIVATE_RELAY_NAMES, VPN_UDP_PORTS};
pub use provenance::{LayerInfo, SignatureSet, files_sha256};
pub use request::RequestAttribution;

/// Whose a contact is, relative to the service under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The service under test (its site profile's first-party set).
    First,
    /// Anyone else reached over the internet.
    Third,
    /// The phone's own background traffic, not caused by the site.
    OsBackground,
    /// A name the browser or OS contacts on its own that sites also embed
    /// (`accounts.google.com`: Chrome's account service and sites' Google Sign-In): shown
    /// apart, neither counted against the site nor dropped, until an idle baseline decides
    /// ([`Attribution::settle_with_baseline`]).
    BackgroundOrSite,
    /// The local network: names that exist only there (mDNS, LLMNR, `.local`, `.lan`, ...) and
    /// contacts with no name at a LAN address.
    Local,
    /// Not enough known to tell (e.g. no name and no signature).
    Unknown,
}

/// Why (part of) a contact's traffic could not be seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hidden {
    /// Encrypted Client Hello: the real server name is encrypted.
    Ech,
    /// DNS over TLS (port 853): the names looked up are invisible.
    DnsOverTls,
    /// DNS over HTTPS to a known resolver: the names looked up are invisible.
    DnsOverHttps,
    /// iCloud Private Relay: traffic leaves through Apple's relays.
    PrivateRelay,
    /// VPN-like UDP (WireGuard, OpenVPN, IPsec): everything inside is invisible.
    Vpn,
    /// QUIC of a version sporfri cannot read: the server name the client sent is unseen.
    QuicUnreadable,
}

/// A first-party name whose DNS CNAME chain ends at a tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cloaking {
    /// The chain from the contacted name to the tracker's name, in order.
    pub chain: Vec<String>,
    /// The name in the chain that matched the tracker's signature.
    pub target: String,
}

/// The facts about one contact that attribution looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts<'a> {
    /// The contacted name (lower case), or an address literal when no name was seen.
    pub name: &'a str,
    /// CNAME targets the name resolved through, in order.
    pub cname_chain: &'a [String],
    /// How it was seen.
    pub via: BTreeSet<Via>,
    /// Server ports of its flows.
    pub server_ports: BTreeSet<(Proto, u16)>,
    /// Server addresses (never decide the party: a public name resolved to a private address
    /// keeps its attribution).
    pub server_ips: BTreeSet<IpAddr>,
    /// ECH state.
    pub ech: Option<Ech>,
    /// The contact is local by how it was seen: an mDNS/LLMNR query, or no name at a LAN,
    /// multicast or broadcast address (the contact's scope).
    pub local: bool,
    /// Some of its flows spoke a QUIC version sporfri cannot read.
    pub quic_unreadable: bool,
}

/// Who is behind a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// Organisation (legal name), when a signature matched; for a first-party name without a
    /// signature, the site profile's owner.
    pub org: Option<String>,
    /// Service of that organisation (e.g. "Google Analytics").
    pub service: Option<String>,
    /// Category of the service.
    pub category: Option<Category>,
    /// Whose it is.
    pub party: Party,
    /// The signature domain or site-profile domain that matched (the evidence for the match).
    pub matched: Option<String>,
    /// The site profile declares this third party as allowed (agreement / opt-out), with reference.
    pub declared: Option<String>,
    /// Set when a first-party name is cloaked tracking.
    pub cloaked: Option<Cloaking>,
    /// Set when the capture could not see (all of) this contact's traffic.
    pub hidden: Option<Hidden>,
    /// The browsers whose own background services use this name (`signatures/browsers/`),
    /// e.g. `Chromium / Google Chrome`; `None` when no browser file lists it.
    pub browser_background: Option<String>,
}

impl Attribution {
    /// Nothing known yet.
    pub fn unknown() -> Attribution {
        Attribution {
            org: None,
            service: None,
            category: None,
            party: Party::Unknown,
            matched: None,
            declared: None,
            cloaked: None,
            hidden: None,
            browser_background: None,
        }
    }

    /// Decide a `background-or-site` name with an idle baseline: the same browser and device,
    /// left alone without the site, for as long as the visit (issue 18). A name the idle
    /// browser contacted too is its own background; one it did not was caused by the visit
    /// and is a third party. Every other party stays as it is.
    pub fn settle_with_baseline(&mut self, seen_idle: bool) {
        if self.party == Party::BackgroundOrSite {
            self.party = if seen_idle {
                Party::OsBackground
            } else {
                Party::Third
            };
        }
    }
}

/// Errors loading signatures or site profiles.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// A file could not be read.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// File or directory.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
    /// One or more problems, each `file:line: message`.
    #[error("{} in the signatures:\n{}", crate::text::count(.0.len() as u64, "problem"), .0.join("\n"))]
    Invalid(Vec<String>),
    /// `--site NAME` names no profile.
    #[error("no site profile named {0:?} (see signatures/sites/)")]
    UnknownSite(String),
}

impl Party {
    /// The word used in every output format (`os-background`).
    pub fn as_str(self) -> &'static str {
        match self {
            Party::First => "first",
            Party::Third => "third",
            Party::OsBackground => "os-background",
            Party::BackgroundOrSite => "background-or-site",
            Party::Local => "local",
            Party::Unknown => "unknown",
        }
    }
}

impl Hidden {
    /// The word used in every output format (`dns-over-tls`).
    pub fn as_str(self) -> &'static str {
        match self {
            Hidden::Ech => "ech",
            Hidden::DnsOverTls => "dns-over-tls",
            Hidden::DnsOverHttps => "dns-over-https",
            Hidden::PrivateRelay => "private-relay",
            Hidden::Vpn => "vpn",
            Hidden::QuicUnreadable => "quic-unreadable",
        }
    }
}

#[cfg(test)]
mod tests;
