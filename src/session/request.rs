//! The persisted form of an HTTP request, plain or decrypted (lab decryption with a TLS key log):
//! what a third party received and set, with the consent phase at the request time. Metadata
//! only: cookie names and lifetimes, never values; no bodies.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::{Phase, SessionId, ts};
use crate::attribute::{Attribution, Category, Party, RequestAttribution, TrackerHit};
use crate::observation::{DeviceId, Exchange, FlowKey, SetCookie};
use crate::time::Timestamp;

/// One cookie a response set, without its value: the [`SetCookie`] as stored.
pub type CookieSet = SetCookie;

/// One request of a session, plain HTTP or decrypted, as stored and exported
/// (`sessions export --requests`). The first fields are those of `replay --requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEntry {
    /// Request time (the packet that completed the request head).
    #[serde(with = "ts")]
    pub time: Timestamp,
    /// Device (MAC, or IP without a link layer).
    pub device: String,
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Response status; `None` when no response was seen.
    pub status: Option<u16>,
    /// Organisation behind the host.
    pub org: Option<String>,
    /// Whose the host is.
    pub party: Party,
    /// Consent phase at the request time.
    pub phase: Phase,
    /// Known tracker endpoint hit.
    pub tracker_endpoint: Option<String>,
    /// Cookies the response set (no values).
    pub set_cookies: Vec<CookieSet>,
    /// Names of the cookies the request sent.
    pub cookies_sent: Vec<String>,
    /// Session number.
    pub session: SessionId,
    /// Order of the request in the session (0, 1, ...).
    pub seq: u64,
    /// Host of the URL.
    pub host: String,
    /// Referer header.
    pub referer: Option<String>,
    /// Response Content-Type.
    pub content_type: Option<String>,
    /// `http/1.1`, `h2` or `h3`.
    pub http: String,
    /// Carried inside TLS and decrypted (`false`: plain HTTP). Requests stored before plain
    /// HTTP was kept were all decrypted.
    #[serde(default = "decrypted")]
    pub encrypted: bool,
    /// Service of the organisation.
    pub service: Option<String>,
    /// Category of the service.
    pub category: Option<Category>,
    /// The flow as `tcp 192.168.1.2:50000 -> 93.184.216.34:443` (`udp` for HTTP/3).
    pub flow: String,
    /// Decoded tracker parameters.
    pub tracker: Option<TrackerHit>,
}

fn decrypted() -> bool {
    true
}

impl RequestEntry {
    /// The entry of `ex` (phase and attribution as given; `seq` assigned by the recorder).
    pub fn new(
        session: SessionId,
        device: DeviceId,
        flow: &FlowKey,
        ex: &Exchange,
        phase: Phase,
        attribution: &RequestAttribution,
    ) -> RequestEntry {
        let RequestAttribution { who, tracker } = attribution;
        RequestEntry {
            time: ex.ts,
            device: device.to_string(),
            method: ex.method.clone(),
            url: ex.url.clone(),
            status: ex.status,
            org: who.org.clone(),
            party: who.party,
            phase,
            tracker_endpoint: tracker.as_ref().map(|t| t.endpoint.clone()),
            set_cookies: ex.set_cookies.clone(),
            cookies_sent: ex.cookies_sent.clone(),
            session,
            seq: 0,
            host: ex.host.clone(),
            referer: ex.referer.clone(),
            content_type: ex.content_type.clone(),
            http: ex.version.as_str().to_owned(),
            encrypted: ex.encrypted,
            service: who.service.clone(),
            category: who.category,
            flow: super::evidence::flow_text(flow),
            tracker: tracker.clone(),
        }
    }

    /// Take the organisation, service, category and party of `who` (the contact's attribution,
    /// which knows CNAME cloaking).
    pub fn attribute(&mut self, who: &Attribution) {
        self.org = who.org.clone();
        self.service = who.service.clone();
        self.category = who.category;
        self.party = who.party;
    }

    /// Take the tracker endpoint `hit` (as known by the signatures attributing the request).
    pub fn track(&mut self, hit: Option<TrackerHit>) {
        self.tracker_endpoint = hit.as_ref().map(|t| t.endpoint.clone());
        self.tracker = hit;
    }

    /// The server of the request's flow, as stored (`tcp 192.168.1.2:50000 -> 93.184.216.34:443`).
    pub fn server(&self) -> Option<SocketAddr> {
        self.flow.rsplit(" -> ").next().and_then(|s| s.parse().ok())
    }
}

/// Columns of `sessions export --requests --format csv`, in order.
pub const REQUEST_CSV_HEADER: &[&str] = &[
    "session",
    "seq",
    "time",
    "phase",
    "device",
    "method",
    "url",
    "status",
    "host",
    "org",
    "party",
    "category",
    "tracker_endpoint",
    "tracker_site_id",
    "tracker_page",
    "referer",
    "content_type",
    "http",
    "set_cookies",
    "cookies_sent",
    "encrypted",
];

/// One CSV row for `r` (columns as [`REQUEST_CSV_HEADER`]). Set cookies are
/// `name=lifetime_s` (empty lifetime: session cookie) joined with spaces.
pub fn request_csv_row(r: &RequestEntry) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let tracker = r.tracker.as_ref();
    let cookies: Vec<String> = r
        .set_cookies
        .iter()
        .map(|c| {
            let life = c.lifetime_s.map(|s| s.to_string()).unwrap_or_default();
            format!("{}={life}", c.name)
        })
        .collect();
    let cells = [
        r.session.to_string(),
        r.seq.to_string(),
        r.time.rfc3339(),
        r.phase.as_str().to_owned(),
        r.device.clone(),
        r.method.clone(),
        r.url.clone(),
        r.status.map(|s| s.to_string()).unwrap_or_default(),
        r.host.clone(),
        opt(&r.org),
        r.party.as_str().to_owned(),
        r.category
            .as_ref()
            .map(super::record::word)
            .unwrap_or_default(),
        opt(&r.tracker_endpoint),
        tracker.and_then(|t| t.site_id.clone()).unwrap_or_default(),
        tracker.and_then(|t| t.page.clone()).unwrap_or_default(),
        opt(&r.referer),
        opt(&r.content_type),
        r.http.clone(),
        cookies.join(" "),
        r.cookies_sent.join(" "),
        r.encrypted.to_string(),
    ];
    cells
        .iter()
        .map(|c| super::record::quote(c))
        .collect::<Vec<_>>()
        .join(",")
}
