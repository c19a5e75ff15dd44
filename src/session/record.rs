//! The persisted form of a contact: the fields of [`Contact`] (and its attribution), plus the
//! session's view of it: the consent phase at first sight and the first observations as evidence.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{BaselineFacts, Evidence, Phase, SessionId, ts};
use crate::attribute::{Attribution, Blocked};
use crate::contact::{BlockedAnswer, Contact, Scope};
use crate::observation::{Ech, Proto};
use crate::time::Timestamp;

/// A contact of one session, as stored and exported (one JSON line per contact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Session number.
    pub session: SessionId,
    /// Consent phase when the contact was first seen.
    pub phase: Phase,
    /// Device (MAC, or IP without a link layer).
    pub device: String,
    /// The device's address at first sight.
    pub client_ip: IpAddr,
    /// Every address of the device used for this contact.
    #[serde(default)]
    pub client_ips: BTreeSet<IpAddr>,
    /// Remote name, or the server address when no name was seen.
    pub name: String,
    /// `internet` or `local`.
    pub scope: String,
    /// How the name was seen (`dns`, `tls`, `quic`, `http`, `dns-cache`, `ip`, ...).
    pub via: Vec<String>,
    /// First observation.
    #[serde(with = "ts")]
    pub first_seen: Timestamp,
    /// Last observation.
    #[serde(with = "ts")]
    pub last_seen: Timestamp,
    /// Transport flows.
    pub flows: u64,
    /// IP bytes sent by the device.
    pub bytes_up: u64,
    /// IP bytes received by the device.
    pub bytes_down: u64,
    /// Server addresses.
    pub server_ips: Vec<IpAddr>,
    /// `tcp/443`, `udp/443`, ...
    pub server_ports: Vec<String>,
    /// CNAME chain of the name.
    pub cname_chain: Vec<String>,
    /// `real` (destination hidden) or `grease`.
    pub ech: Option<String>,
    /// DNS-family queries.
    pub dns_queries: u64,
    /// Plaintext HTTP requests.
    pub http_requests: u64,
    /// A plaintext request carried a Cookie header.
    pub cookie_sent: bool,
    /// Names of cookies set over plaintext HTTP (never values).
    pub cookies_set: Vec<String>,
    /// The public name resolved to, or was reached at, a private or loopback address.
    #[serde(default)]
    pub resolved_private: bool,
    /// The network stopped the lookup: `sinkhole`, `nxdomain`, `refused`, `nodata`.
    #[serde(default)]
    pub blocked: Option<Blocked>,
    /// The DNS answer behind `blocked`.
    #[serde(default)]
    pub blocked_answer: Option<BlockedAnswer>,
    /// Who is behind it.
    #[serde(flatten)]
    pub attribution: Attribution,
    /// Observations behind this contact: the first of each way it was seen and of each kind,
    /// and the first few in time order (at most [`super::MAX_EVIDENCE`]), in time order.
    pub evidence: Vec<Evidence>,
    /// What the session's idle baseline and visit mark say of it (issue 18): `in_baseline`,
    /// `baseline_id`, `before_visit`, `background`, `also_seen_while_idle`, ...
    #[serde(flatten)]
    pub baseline: BaselineFacts,
}

impl ContactRecord {
    /// The record of `c` in session `session`.
    pub fn new(session: SessionId, phase: Phase, c: &Contact, evidence: Vec<Evidence>) -> Self {
        ContactRecord {
            session,
            phase,
            device: c.device.to_string(),
            client_ip: c.client_ip,
            client_ips: c.client_ips.clone(),
            name: c.name.clone(),
            scope: match c.scope {
                Scope::Internet => "internet",
                Scope::Local => "local",
            }
            .to_owned(),
            via: c.via.iter().map(|v| v.as_str().to_owned()).collect(),
            first_seen: c.first_seen,
            last_seen: c.last_seen,
            flows: c.flows,
            bytes_up: c.bytes_up,
            bytes_down: c.bytes_down,
            server_ips: c.server_ips.iter().copied().collect(),
            server_ports: c
                .server_ports
                .iter()
                .map(|(p, port)| match p {
                    Proto::Tcp => format!("tcp/{port}"),
                    Proto::Udp => format!("udp/{port}"),
                })
                .collect(),
            cname_chain: c.cname_chain.clone(),
            ech: c.ech.map(|e| {
                match e {
                    Ech::Real => "real",
                    Ech::Grease => "grease",
                }
                .to_owned()
            }),
            dns_queries: c.dns_queries,
            http_requests: c.http_requests,
            cookie_sent: c.cookie_sent,
            cookies_set: c.cookies_set.iter().cloned().collect(),
            resolved_private: c.resolved_private,
            blocked: c.blocked,
            blocked_answer: c.blocked_answer.clone(),
            attribution: c.attribution.clone(),
            evidence,
            baseline: BaselineFacts::default(),
        }
    }

    /// The key of this contact within its session: device and name (one contact whatever
    /// address of the device was used).
    pub fn key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.device.len() + self.name.len() + 1);
        k.extend_from_slice(self.device.as_bytes());
        k.push(0);
        k.extend_from_slice(self.name.as_bytes());
        k
    }
}

/// Columns of `sessions export --format csv`, in order.
pub const CSV_HEADER: &[&str] = &[
    "session",
    "phase",
    "device",
    "client_ip",
    "client_ips",
    "name",
    "scope",
    "via",
    "first_seen",
    "last_seen",
    "flows",
    "bytes_up",
    "bytes_down",
    "server_ips",
    "server_ports",
    "cname_chain",
    "ech",
    "dns_queries",
    "http_requests",
    "cookie_sent",
    "cookies_set",
    "org",
    "service",
    "category",
    "party",
    "matched",
    "declared",
    "cloaked_chain",
    "cloaked_target",
    "hidden",
    "resolved_private",
    "blocked",
    "blocked_answer",
    "evidence",
    "in_baseline",
    "baseline_id",
    "before_visit",
    "background",
    "also_seen_while_idle",
    "source_baseline_id",
];

/// One CSV row (already quoted, no line end) for `r`, columns as [`CSV_HEADER`]. Lists are
/// joined with spaces; evidence is `time kind via` joined with `; ` (`time kind` for sessions
/// recorded before the way was kept).
pub fn csv_row(r: &ContactRecord) -> String {
    let a = &r.attribution;
    let join = |v: &[String]| v.join(" ");
    let ips: Vec<String> = r.server_ips.iter().map(ToString::to_string).collect();
    let evidence: Vec<String> = r
        .evidence
        .iter()
        .map(|e| match e.via {
            Some(via) => format!("{} {} {}", e.ts.rfc3339(), e.kind, via.as_str()),
            None => format!("{} {}", e.ts.rfc3339(), e.kind),
        })
        .collect();
    let cells: Vec<String> = vec![
        r.session.to_string(),
        r.phase.as_str().to_owned(),
        r.device.clone(),
        r.client_ip.to_string(),
        r.client_ips
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        r.name.clone(),
        r.scope.clone(),
        join(&r.via),
        r.first_seen.rfc3339(),
        r.last_seen.rfc3339(),
        r.flows.to_string(),
        r.bytes_up.to_string(),
        r.bytes_down.to_string(),
        ips.join(" "),
        join(&r.server_ports),
        join(&r.cname_chain),
        r.ech.clone().unwrap_or_default(),
        r.dns_queries.to_string(),
        r.http_requests.to_string(),
        r.cookie_sent.to_string(),
        join(&r.cookies_set),
        a.org.clone().unwrap_or_default(),
        a.service.clone().unwrap_or_default(),
        a.category.as_ref().map(word).unwrap_or_default(),
        word(&a.party),
        a.matched.clone().unwrap_or_default(),
        a.declared.clone().unwrap_or_default(),
        a.cloaked
            .as_ref()
            .map(|c| c.chain.join(" "))
            .unwrap_or_default(),
        a.cloaked
            .as_ref()
            .map(|c| c.target.clone())
            .unwrap_or_default(),
        a.hidden.as_ref().map(word).unwrap_or_default(),
        r.resolved_private.to_string(),
        r.blocked.map(|b| b.as_str().to_owned()).unwrap_or_default(),
        r.blocked_answer
            .as_ref()
            .map(BlockedAnswer::summary)
            .unwrap_or_default(),
        evidence.join("; "),
        r.baseline.in_baseline.to_string(),
        r.baseline
            .baseline_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        r.baseline.before_visit.to_string(),
        r.baseline
            .background
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default(),
        r.baseline.also_seen_while_idle.to_string(),
        r.baseline
            .source_baseline_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
    ];
    cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",")
}

/// The serde word of a unit enum variant (`third`, `tag-manager`).
pub(crate) fn word<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// RFC 4180 quoting, and a leading `'` before `=+-@` so a spreadsheet never runs a cell as a
/// formula (names come from the network).
pub(crate) fn quote(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}
