//! "Cookies and requests": what plain HTTP and lab decryption (a TLS key log) show per third
//! party, and the findings about third-party cookies set before consent and after "reject". Pure
//! policy over the stored requests; a session without requests gets an empty section and
//! not-applicable findings, and one without decrypted requests says that TLS was not looked in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::finding::{finding, item, offset, org_key};
use super::localtime::when;
use super::{Finding, FindingStatus, When};
use crate::attribute::{Category, Party};
use crate::session::{ContactRecord, MarkKind, Phase, RequestEntry, Session};

/// Requests listed per third party in the report (the JSON keeps them all in the session's
/// store; past this the section says how many were left out).
pub const MAX_REPORT_REQUESTS_PER_PARTY: usize = 200;

/// One request (plain HTTP or decrypted) as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    /// Request time.
    pub time: When,
    /// Seconds after the session's first packet.
    pub offset_s: f64,
    /// Consent phase at the request.
    pub phase: Phase,
    /// Device.
    pub device: String,
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Response status.
    pub status: Option<u16>,
    /// Known tracker endpoint hit.
    pub tracker_endpoint: Option<String>,
    /// Measurement or pixel id sent to it.
    pub site_id: Option<String>,
    /// The page address sent to it, when decoded.
    pub page: Option<String>,
    /// Names of the cookies the request sent back.
    pub cookies_sent: Vec<String>,
    /// Decrypted from TLS; `false`: plain HTTP.
    pub encrypted: bool,
}

/// One cookie a third party set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CookieRow {
    /// Host that set it.
    pub host: String,
    /// Organisation behind the host.
    pub org: Option<String>,
    /// Cookie name (never its value).
    pub name: String,
    /// Domain attribute (`None`: host-only).
    pub domain: Option<String>,
    /// Lifetime in seconds; `None` for a session cookie.
    pub lifetime_s: Option<i64>,
    /// Lifetime in days (two decimals); `None` for a session cookie.
    pub lifetime_days: Option<f64>,
    /// Secure, HttpOnly, SameSite as set.
    pub secure: bool,
    /// HttpOnly attribute.
    pub http_only: bool,
    /// SameSite attribute.
    pub same_site: Option<String>,
    /// Consent phase when it was (first) set.
    pub phase: Phase,
    /// When it was first set.
    pub time: When,
    /// Seconds after the session's first packet.
    pub offset_s: f64,
    /// Device.
    pub device: String,
    /// The request whose response set it.
    pub url: String,
    /// Set inside TLS (decrypted); `false`: over plain HTTP.
    pub encrypted: bool,
}

/// One third party's requests and cookies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyRequests {
    /// The organisation, or `unknown organisation (domain)`.
    pub label: String,
    /// Organisation, when known.
    pub org: Option<String>,
    /// Categories of its hosts.
    pub categories: Vec<Category>,
    /// Hosts requested.
    pub hosts: Vec<String>,
    /// Requests (at most [`MAX_REPORT_REQUESTS_PER_PARTY`], earliest first).
    pub requests: Vec<RequestRow>,
    /// Requests left out of [`PartyRequests::requests`].
    pub requests_not_listed: usize,
    /// Page addresses it was sent (decoded from tracker hits).
    pub pages_sent: Vec<String>,
    /// Cookies it set, first setting of each (host, name).
    pub cookies_set: Vec<CookieRow>,
    /// Names of cookies it read back (sent to it).
    pub cookies_read: Vec<String>,
}

/// The "Cookies and requests" section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CookiesAndRequests {
    /// Requests decrypted in the session (all parties).
    pub decrypted_requests: u64,
    /// Plain-HTTP requests in the session (all parties).
    pub plain_requests: u64,
    /// Requests not kept by the recorder (limit).
    pub requests_dropped: u64,
    /// Third parties, earliest first.
    pub third_parties: Vec<PartyRequests>,
}

fn days(s: Option<i64>) -> Option<f64> {
    s.map(|s| (s as f64 / 86_400.0 * 100.0).round() / 100.0)
}

fn cookie_rows(session: &Session, r: &RequestEntry) -> impl Iterator<Item = CookieRow> {
    let (time, off) = (when(r.time), offset(session, r.time));
    r.set_cookies.iter().map(move |c| CookieRow {
        host: r.host.clone(),
        org: r.org.clone(),
        name: c.name.clone(),
        domain: c.domain.clone(),
        lifetime_s: c.lifetime_s,
        lifetime_days: days(c.lifetime_s),
        secure: c.secure,
        http_only: c.http_only,
        same_site: c.same_site.map(|s| s.as_str().to_owned()),
        phase: r.phase,
        time: time.clone(),
        offset_s: off,
        device: r.device.clone(),
        url: r.url.clone(),
        encrypted: r.encrypted,
    })
}

fn row(session: &Session, r: &RequestEntry) -> RequestRow {
    RequestRow {
        time: when(r.time),
        offset_s: offset(session, r.time),
        phase: r.phase,
        device: r.device.clone(),
        method: r.method.clone(),
        url: r.url.clone(),
        status: r.status,
        tracker_endpoint: r.tracker_endpoint.clone(),
        site_id: r.tracker.as_ref().and_then(|t| t.site_id.clone()),
        page: r.tracker.as_ref().and_then(|t| t.page.clone()),
        cookies_sent: r.cookies_sent.clone(),
        encrypted: r.encrypted,
    }
}

/// The section for `session` from its stored `requests` (in time order).
pub fn section(session: &Session, requests: &[RequestEntry]) -> CookiesAndRequests {
    let mut groups: BTreeMap<String, Vec<&RequestEntry>> = BTreeMap::new();
    for r in requests.iter().filter(|r| r.party == Party::Third) {
        groups
            .entry(org_key(r.org.as_deref(), &r.host))
            .or_default()
            .push(r);
    }
    let mut third_parties: Vec<PartyRequests> = groups
        .into_iter()
        .map(|(label, rs)| party(session, label, &rs))
        .collect();
    third_parties.sort_by(|a, b| {
        let first = |p: &PartyRequests| p.requests.first().map(|r| r.time.utc.clone());
        (first(a), &a.label).cmp(&(first(b), &b.label))
    });
    let decrypted = requests.iter().filter(|r| r.encrypted).count() as u64;
    CookiesAndRequests {
        decrypted_requests: decrypted,
        plain_requests: requests.len() as u64 - decrypted,
        requests_dropped: session.stats.requests_dropped,
        third_parties,
    }
}

fn party(session: &Session, label: String, rs: &[&RequestEntry]) -> PartyRequests {
    let mut seen = BTreeSet::new();
    let cookies_set = rs
        .iter()
        .flat_map(|r| cookie_rows(session, r))
        .filter(|c| seen.insert((c.host.clone(), c.name.clone())))
        .collect();
    let set = |f: &dyn Fn(&RequestEntry) -> Vec<String>| -> Vec<String> {
        let s: BTreeSet<String> = rs.iter().flat_map(|r| f(r)).collect();
        s.into_iter().collect()
    };
    let categories: BTreeSet<Category> = rs.iter().filter_map(|r| r.category).collect();
    PartyRequests {
        org: rs.first().and_then(|r| r.org.clone()),
        label,
        categories: categories.into_iter().collect(),
        hosts: set(&|r| vec![r.host.clone()]),
        requests: rs
            .iter()
            .take(MAX_REPORT_REQUESTS_PER_PARTY)
            .map(|r| row(session, r))
            .collect(),
        requests_not_listed: rs.len().saturating_sub(MAX_REPORT_REQUESTS_PER_PARTY),
        pages_sent: set(&|r| {
            r.tracker
                .as_ref()
                .and_then(|t| t.page.clone())
                .into_iter()
                .collect()
        }),
        cookies_set,
        cookies_read: set(&|r| r.cookies_sent.clone()),
    }
}

/// Findings 6 (third-party cookies set before consent) and 7 (after "reject").
pub fn cookie_findings(
    session: &Session,
    contacts: &[ContactRecord],
    section: &CookiesAndRequests,
) -> [Finding; 2] {
    let seen = Seen {
        decrypted: section.decrypted_requests > 0,
        plain: section.plain_requests > 0,
    };
    let cookies: Vec<&CookieRow> = section
        .third_parties
        .iter()
        .flat_map(|p| &p.cookies_set)
        .collect();
    let before = cookie_finding(
        session,
        contacts,
        (6, "cookies-before-consent"),
        "Third-party cookies set before any consent decision",
        cookies.iter().filter(|c| c.phase == Phase::BeforeConsent),
    );
    let after = cookie_finding(
        session,
        contacts,
        (7, "cookies-after-reject"),
        "Third-party cookies set after \"reject\"",
        cookies.iter().filter(|c| c.phase == Phase::ConsentRejected),
    );
    let rejected = session
        .marks
        .iter()
        .any(|m| m.kind == MarkKind::ConsentRejected);
    [
        explain(before, seen, true, "before any consent decision"),
        explain(after, seen, rejected, "after the consent-rejected mark"),
    ]
}

fn cookie_finding<'a>(
    session: &Session,
    contacts: &[ContactRecord],
    (number, key): (u8, &'static str),
    title: &str,
    cookies: impl Iterator<Item = &'a &'a CookieRow>,
) -> Finding {
    let cookies: Vec<CookieRow> = cookies.map(|c| (*c).clone()).collect();
    // The contacts of the hosts that set them: the usual evidence (DNS, TLS) beside the cookie.
    let hosts: BTreeSet<(&str, &str)> = cookies
        .iter()
        .map(|c| (c.device.as_str(), c.host.as_str()))
        .collect();
    let items: Vec<_> = contacts
        .iter()
        .filter(|c| hosts.contains(&(c.device.as_str(), c.name.as_str())))
        .map(|c| {
            item(
                session,
                c,
                Some("set a cookie (see the cookie list)".to_owned()),
            )
        })
        .collect();
    let observed = !cookies.is_empty();
    let mut f = finding(number, key, title, items);
    f.status = if observed {
        FindingStatus::Observed
    } else {
        FindingStatus::NotObserved
    };
    f.cookies = cookies;
    f
}

/// Which requests the session has: decrypted ones, plain-HTTP ones.
#[derive(Debug, Clone, Copy)]
struct Seen {
    decrypted: bool,
    plain: bool,
}

/// The line that opens the "Cookies and requests" section in every rendering.
pub fn summary_line(s: &CookiesAndRequests) -> String {
    match (s.decrypted_requests, s.plain_requests) {
        (0, 0) => "No request was decrypted (no TLS key log): what went inside TLS is not shown."
            .to_owned(),
        (0, p) => format!(
            "{p} plain-HTTP request(s); none was decrypted (no TLS key log): what went inside \
             TLS is not shown."
        ),
        (d, 0) => format!(
            "{d} request(s) decrypted with the browser's TLS key log (lab decryption), HTTP/3 \
             included; connections without a key and some 0-RTT early data are not decrypted."
        ),
        (d, p) => format!(
            "{d} request(s) decrypted with the browser's TLS key log (lab decryption), HTTP/3 \
             included, and {p} plain-HTTP request(s); connections without a key and some 0-RTT \
             early data are not decrypted."
        ),
    }
}

/// A caveat about the requests behind the section and findings 6 and 7, if there are any.
pub fn caveat(s: &CookiesAndRequests) -> Option<String> {
    let dropped = if s.requests_dropped > 0 {
        format!(" {} more were not kept (limit).", s.requests_dropped)
    } else {
        String::new()
    };
    let plain = if s.plain_requests > 0 {
        format!(
            " {} plain-HTTP request(s) are shown as well.",
            s.plain_requests
        )
    } else {
        String::new()
    };
    match (s.decrypted_requests, s.plain_requests) {
        (0, 0) => None,
        (0, p) => Some(format!(
            "{p} plain-HTTP request(s) are shown with the cookies they set; no request was \
             decrypted (no TLS key log), so cookies and page addresses inside TLS are not shown \
             and those lists are lower bounds.{dropped}"
        )),
        (d, _) => Some(format!(
            "{d} request(s) were decrypted with the browser's TLS key log (lab decryption): \
             cookies and page addresses in them are shown (HTTP/3 included); connections \
             without a key and some 0-RTT early data are not decrypted, so those lists are lower \
             bounds.{plain}{dropped}"
        )),
    }
}

fn explain(mut f: Finding, seen: Seen, applies: bool, when: &str) -> Finding {
    if !seen.decrypted && !seen.plain {
        f.status = FindingStatus::NotApplicable;
        f.statement = "No request was decrypted in this session (no TLS key log): cookies \
                       inside TLS cannot be seen. Record with --keylog (lab decryption) to \
                       answer this."
            .to_owned();
        return f;
    }
    if !applies {
        f.status = FindingStatus::NotApplicable;
        f.statement = "No consent-rejected mark in this session.".to_owned();
        return f;
    }
    if !seen.decrypted && f.cookies.is_empty() {
        // Plain HTTP alone cannot show that no cookie was set inside TLS.
        f.status = FindingStatus::NotApplicable;
        f.statement = format!(
            "No third-party cookie was set {when} over plain HTTP, and no request was \
             decrypted (no TLS key log): cookies inside TLS cannot be seen. Record with \
             --keylog (lab decryption) to answer this."
        );
        return f;
    }
    f.statement = if f.cookies.is_empty() {
        let requests = if seen.plain {
            "decrypted and plain-HTTP requests"
        } else {
            "decrypted requests"
        };
        format!("No third-party cookie was set {when} in the {requests}.")
    } else {
        let orgs: BTreeSet<String> = f
            .cookies
            .iter()
            .map(|c| org_key(c.org.as_deref(), &c.host))
            .collect();
        let longest = f
            .cookies
            .iter()
            .filter_map(|c| c.lifetime_days)
            .fold(0.0, f64::max);
        let bound = if seen.decrypted {
            "Connections without a key and some 0-RTT early data are not decrypted, so this is a \
             lower bound."
        } else {
            "They came over plain HTTP; no request was decrypted (no TLS key log), so cookies \
             inside TLS are not counted and this is a lower bound."
        };
        format!(
            "{} third-party cookie{} from {} organisation{} {} set {when}; the longest lives \
             {longest} days. {bound}",
            f.cookies.len(),
            if f.cookies.len() == 1 { "" } else { "s" },
            orgs.len(),
            if orgs.len() == 1 { "" } else { "s" },
            if f.cookies.len() == 1 { "was" } else { "were" },
        )
    };
    f
}
