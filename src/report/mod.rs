//! Reports: what an auditor files after a session, and the comparison of two sessions.
//!
//! This module owns the report model (findings computed from a stored session, tables per
//! organisation and category, evidence metadata) and its renderers (HTML with an inline SVG
//! timeline, Markdown, JSON, CSV). Building a report is pure policy over a [`Session`], its
//! [`ContactRecord`]s and the site profile's facts: no I/O, no clock. The command line reads the
//! store and writes the file.
//!
//! Findings state what the capture shows, each with the observations behind it; they are never
//! a legal conclusion.

mod attempts;
mod build;
mod cells;
pub mod csv;
pub mod diff;
mod esc;
mod evidence;
mod finding;
pub mod html;
mod idle;
pub mod json;
pub mod localtime;
pub mod md;
pub mod meta;
mod requests;
pub mod survey;
pub mod survey_baseline;
pub mod survey_html;
mod survey_matrix;
pub mod survey_text;
mod svg;
mod tracking;
mod verdict;

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod survey_tests;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::attribute::{Blocked, Category, Hidden, Party};
use crate::session::{
    Against, Background, ContactRecord, DeviceRecord, Evidence, MarkKind, Phase, SessionId,
    SessionState, SessionStats, Source,
};

pub use build::{build, build_with_requests, site_info};
pub use evidence::ViaEvidence;
pub use meta::{
    AttributedWith, LayerInfo, Meta, SignatureInfo, SiteSource, builtin_signatures, describe,
    describe_set, files_sha256,
};
pub use requests::{
    CookieRow, CookiesAndRequests, MAX_REPORT_REQUESTS_PER_PARTY, PartyRequests, RequestRow,
};
pub use tracking::{REPORT_TRACKING_CATEGORIES, is_tracking};
pub use verdict::findings;

/// Version of the report's JSON shape; bumped when a field changes meaning or disappears.
/// 2: `meta.signatures` names the set the contacts were attributed with (stored with the
/// session), no longer the files loaded when rendering; the diff's `meta` moved into each side.
/// 3: idle baselines and the visit mark (issue 18): third parties seen while idle or before the
/// visit are no longer counted in findings 1 to 3 and `summary.third_party_contacts` but listed
/// under `background`; `session.baseline`/`against`, `summary.background_contacts`, ...,
/// items' `background`/`in_baseline`/`also_seen_while_idle`, diff rows' `background_a`/`_b`.
pub const REPORT_VERSION: u32 = 3;

/// An instant in UTC and in Copenhagen local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct When {
    /// RFC 3339 in UTC with microseconds.
    pub utc: String,
    /// Europe/Copenhagen wall time with zone, e.g. `2026-11-27 10:37:56.120646 CET`.
    pub local: String,
}

/// What the report says about the session itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionInfo {
    /// Session number in the database.
    pub id: SessionId,
    /// The tester's label.
    pub label: String,
    /// Site profile name given when recording.
    pub site: Option<String>,
    /// Where the packets came from (file with SHA-256, or interface).
    pub source: Source,
    /// Recording, ended or interrupted.
    pub state: SessionState,
    /// First packet.
    pub started: Option<When>,
    /// Last packet (or last flush of an interrupted session).
    pub ended: Option<When>,
    /// Seconds from first to last packet.
    pub duration_s: Option<f64>,
    /// Marks in time order.
    pub marks: Vec<MarkInfo>,
    /// Devices seen.
    pub devices: Vec<DeviceRecord>,
    /// Devices the recording was limited to (empty: all).
    pub device_filter: Vec<String>,
    /// Counters of the recording.
    pub stats: SessionStats,
    /// This session is an idle baseline (the device on its own).
    pub baseline: bool,
    /// The baseline it was compared with, as chosen when recorded (`null`: a baseline, or a
    /// session recorded before baselines existed).
    pub against: Option<Against>,
    /// [`SessionInfo::against`] in one line, with the baseline's age.
    pub against_text: Option<String>,
}

/// One mark with its time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkInfo {
    /// What.
    pub kind: MarkKind,
    /// Free text.
    pub text: Option<String>,
    /// When.
    pub at: When,
    /// Seconds after the first packet.
    pub offset_s: f64,
}

/// The site profile's facts the findings are read against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteInfo {
    /// Profile name.
    pub name: String,
    /// Human title.
    pub title: String,
    /// The authority responsible.
    pub owner: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// A state mandatory self-service solution.
    pub mandatory_self_service: bool,
    /// Domains that are the service itself.
    pub first_party: Vec<String>,
    /// Where the first-party set comes from.
    pub source: String,
    /// Third parties the owner declares.
    pub allowed: Vec<AllowedInfo>,
}

/// One declared third party of the site profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowedInfo {
    /// Domains (with subdomains).
    pub domains: Vec<String>,
    /// Why it is there.
    pub reason: String,
    /// Where the owner says so.
    pub reference: String,
}

/// Whether a finding was observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    /// The capture shows it; the items are the evidence.
    Observed,
    /// The capture does not show it (within the limits of finding 5).
    NotObserved,
    /// The question does not arise (no reject mark, no site profile).
    NotApplicable,
    /// Always-present limits of what was seen (finding 5).
    Limits,
}

impl FindingStatus {
    /// The word used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Observed => "observed",
            FindingStatus::NotObserved => "not-observed",
            FindingStatus::NotApplicable => "not-applicable",
            FindingStatus::Limits => "limits",
        }
    }
}

/// One finding of the verdict section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// 1 to 7, as in every rendering (6 and 7 need decrypted requests).
    pub number: u8,
    /// Stable key: `before-consent`, `after-reject`, `undeclared`, `cloaked`, `hidden`,
    /// `cookies-before-consent`, `cookies-after-reject`.
    pub key: &'static str,
    /// Short title.
    pub title: String,
    /// Observed, not observed, not applicable, or limits.
    pub status: FindingStatus,
    /// The finding in one or two sentences, with counts.
    pub statement: String,
    /// Categories of the items (distinct, in vocabulary order).
    pub categories: Vec<Category>,
    /// Those of [`Finding::categories`] that are tracking categories.
    pub tracking_categories: Vec<Category>,
    /// The contacts behind the finding, each with its evidence.
    pub items: Vec<Item>,
    /// Finding 3 only: third parties the site profile declares, as seen in the session.
    pub declared: Vec<Item>,
    /// Findings 6 and 7 only: the cookies (decrypted Set-Cookie headers, never values).
    pub cookies: Vec<CookieRow>,
}

/// A contact cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Contacted name.
    pub name: String,
    /// Organisation, when known.
    pub org: Option<String>,
    /// Service, when known.
    pub service: Option<String>,
    /// Category, when known.
    pub category: Option<Category>,
    /// Whose it is.
    pub party: Party,
    /// Consent phase at first sight.
    pub phase: Phase,
    /// Device.
    pub device: String,
    /// First observation.
    pub first_seen: When,
    /// Seconds after the session's first packet.
    pub offset_s: f64,
    /// Last observation.
    pub last_seen: When,
    /// How the name was seen (`dns`, `tls`, `quic`, `http`, ...).
    pub via: Vec<String>,
    /// Distinct kinds of the kept evidence (`dns-query`, `tls-hello`, ...).
    pub evidence_kinds: Vec<String>,
    /// Each way it was seen ([`Item::via`]) with the first observation that shows it.
    pub via_evidence: Vec<ViaEvidence>,
    /// Every kept observation (time, kind, way, flow), in time order.
    pub evidence: Vec<Evidence>,
    /// What else matters for this finding (CNAME chain, declaration, hiding, continuation),
    /// then what the network and the browser did: "attempted; blocked by the network" with
    /// the DNS answer, a private address, browser background.
    pub detail: Option<String>,
    /// The network stopped the lookup (see the contact's `blocked_answer`).
    pub blocked: Option<Blocked>,
    /// The public name resolved to a private or loopback address.
    pub resolved_private: bool,
    /// Listed apart as background: seen while idle, or before the visit mark.
    pub background: Option<Background>,
    /// The idle baseline saw the name (or its service).
    pub in_baseline: bool,
    /// Seen while idle (or before the visit), but its traffic grew strongly: counted.
    pub also_seen_while_idle: bool,
}

/// The session at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// No third-party contact was observed (the caveats still apply), and none of a tracking
    /// category was set apart as seen while idle or before the visit mark.
    pub tracking_free: bool,
    /// One sentence for the top of the report.
    pub headline: String,
    /// All contacts.
    pub contacts: usize,
    /// Contacts attributed to third parties (cloaked ones included).
    pub third_party_contacts: usize,
    /// Distinct organisations (or registrable domains) among them.
    pub third_party_organisations: usize,
    /// First-party contacts.
    pub first_party_contacts: usize,
    /// The operating system's own traffic.
    pub os_background_contacts: usize,
    /// Names the browser or OS contacts on its own that sites also embed.
    pub background_or_site_contacts: usize,
    /// Contacts whose lookup the network blocked.
    pub blocked_contacts: usize,
    /// Local network.
    pub local_contacts: usize,
    /// Internet addresses without a name.
    pub unknown_contacts: usize,
    /// Contacts whose traffic was (partly) hidden.
    pub hidden_contacts: usize,
    /// Contacts listed apart as background (seen while idle, or before the visit mark).
    pub background_contacts: usize,
    /// Third-party names among them: left out of findings 1 to 3.
    pub background_third_party_contacts: usize,
    /// Those first seen before the visit mark (and not in the baseline).
    pub before_visit_contacts: usize,
    /// Seen while idle, but their traffic grew during the visit: counted, marked.
    pub also_seen_while_idle_contacts: usize,
}

/// One organisation's contacts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgRow {
    /// Shown as: the organisation, or `unknown organisation (domain)`.
    pub label: String,
    /// Organisation, when a signature or the site profile named it.
    pub org: Option<String>,
    /// Registrable domain, when no organisation is known.
    pub domain: Option<String>,
    /// Whose it is.
    pub party: Party,
    /// Categories.
    pub categories: Vec<Category>,
    /// Services.
    pub services: Vec<String>,
    /// Consent phases at first sight.
    pub phases: Vec<Phase>,
    /// Names contacted.
    pub names: Vec<String>,
    /// Devices.
    pub devices: Vec<String>,
    /// Earliest first sight.
    pub first_seen: When,
    /// Distinct evidence kinds.
    pub evidence_kinds: Vec<String>,
    /// Declaration references of the site profile covering it.
    pub declared: Vec<String>,
    /// Some name of it is cloaked tracking.
    pub cloaked: bool,
    /// Why some of its traffic was hidden.
    pub hidden: Vec<Hidden>,
    /// Contacts.
    pub contacts: usize,
}

/// One category's contacts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRow {
    /// Shown as: the category word, or `uncategorised`.
    pub label: String,
    /// The category, when known.
    pub category: Option<Category>,
    /// A tracking category ([`REPORT_TRACKING_CATEGORIES`]).
    pub tracking: bool,
    /// Parties among its contacts.
    pub parties: Vec<Party>,
    /// Organisations (labels as in [`OrgRow::label`]).
    pub organisations: Vec<String>,
    /// Consent phases at first sight.
    pub phases: Vec<Phase>,
    /// Names contacted.
    pub names: Vec<String>,
    /// Earliest first sight.
    pub first_seen: When,
    /// Distinct evidence kinds.
    pub evidence_kinds: Vec<String>,
    /// Contacts.
    pub contacts: usize,
}

/// A complete report of one session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// Versions and hashes for the evidence.
    pub meta: Meta,
    /// The session.
    pub session: SessionInfo,
    /// The site profile, when the session named one and it was found.
    pub site: Option<SiteInfo>,
    /// The rules the findings are read against, and that they are not legal advice.
    pub frame: Vec<String>,
    /// At a glance.
    pub summary: Summary,
    /// Findings 1 to 7.
    pub findings: Vec<Finding>,
    /// What limits every finding.
    pub caveats: Vec<String>,
    /// First-party, third-party and unattributed contacts by organisation.
    pub organisations: Vec<OrgRow>,
    /// The same contacts by category.
    pub categories: Vec<CategoryRow>,
    /// What the device did on its own (issue 18): names its idle baseline saw, and names first
    /// seen before the visit mark, whose traffic did not grow with the visit. Not counted in
    /// findings 1 to 3.
    pub background: Vec<Item>,
    /// The operating system's own traffic, apart (those not already under `background`).
    pub os_background: Vec<Item>,
    /// Names the browser or OS contacts on its own that sites also embed, apart: neither
    /// counted as third parties nor dropped.
    pub background_or_site: Vec<Item>,
    /// Local network traffic, apart.
    pub local: Vec<Item>,
    /// What lab decryption (a TLS key log) showed per third party.
    pub cookies_and_requests: CookiesAndRequests,
    /// Every contact as stored.
    pub contacts: Vec<ContactRecord>,
}
