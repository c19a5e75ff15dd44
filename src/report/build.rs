//! Building a [`Report`] from a session, its contacts and the site profile's facts.

use std::collections::{BTreeMap, BTreeSet};

use super::finding::{item, kinds, offset, org_key, word};
use super::idle::in_background;
use super::localtime::when;
use super::meta::{AttributedWith, SignatureInfo};
use super::tracking::is_tracking;
use super::verdict::{findings, third};
use super::{
    AllowedInfo, CategoryRow, Item, MarkInfo, Meta, OrgRow, REPORT_VERSION, Report, SessionInfo,
    SiteInfo, Summary,
};
use crate::attribute::name::registrable;
use crate::attribute::site::SiteFacts;
use crate::attribute::{Hidden, Party};
use crate::session::{ContactRecord, RequestEntry, Session, SessionState};
use crate::time::Timestamp;

/// The rules the findings are read against.
const FRAME: [&str; 4] = [
    "The findings are read against the Danish cookie order (BEK nr. 1148 of 9 December 2011, \
     the cookiebekendtgørelse), the state's guideline of February 2022 on third-party cookies \
     on mandatory digital self-service solutions, and the aim of tracking-free zones in public \
     digital services.",
    "Each finding states what the capture shows, with the observations behind it (name, time, \
     consent phase, evidence kinds, device). It is evidence for a person to assess, not a legal \
     conclusion and not legal advice.",
    METADATA_ONLY,
    "Consent phases come from the tester's marks: a contact belongs to the phase of its first \
     observation.",
];

/// The frame's third paragraph for a session without decrypted requests.
const METADATA_ONLY: &str = "A contact shows that the device reached a name; sporfri sees network \
     metadata (DNS names, TLS and QUIC server names, plaintext HTTP hosts and cookie names), never \
     page contents, so it cannot tell which data was sent or whether a cookie was stored.";

/// The frame of `session`: with decrypted requests (lab decryption) it does see some contents,
/// and must not say it never does.
fn frame(session: &Session) -> Vec<String> {
    let requests = session.stats.requests;
    FRAME
        .iter()
        .map(|p| {
            if *p == METADATA_ONLY && requests > 0 {
                format!(
                    "A contact shows that the device reached a name; sporfri sees network metadata \
                     (DNS names, TLS and QUIC server names, plaintext HTTP hosts and cookie \
                     names). In this session it also decrypted {requests} request(s) with the \
                     test browser's TLS key log: for those it shows the URLs, statuses, page \
                     addresses sent and the cookies set and sent (names and lifetimes, never \
                     values or bodies). For every other connection it cannot tell which data was \
                     sent or whether a cookie was stored."
                )
            } else {
                (*p).to_owned()
            }
        })
        .collect()
}

/// The report's view of a site profile.
pub fn site_info(f: &SiteFacts) -> SiteInfo {
    SiteInfo {
        name: f.name.clone(),
        title: f.title.clone(),
        owner: f.owner.clone(),
        country: f.country.clone(),
        mandatory_self_service: f.mandatory_self_service,
        first_party: f.first_party.clone(),
        source: f.source.clone(),
        allowed: f
            .allowed
            .iter()
            .map(|a| AllowedInfo {
                domains: a.domains.clone(),
                reason: a.reason.clone(),
                reference: a.reference.clone(),
            })
            .collect(),
    }
}

/// The report of `session` with its `contacts` (as stored, or attributed again). `site` is the
/// session's site profile as stored (`None` when it names none or it is not found); `meta` says
/// which sporfri renders it and which signatures the contacts were attributed with.
pub fn build(
    session: &Session,
    contacts: &[ContactRecord],
    site: Option<&SiteFacts>,
    meta: Meta,
) -> Report {
    build_with_requests(session, contacts, &[], site, meta)
}

/// [`build`] with the session's requests (plain HTTP, and decrypted with a key log;
/// `Store::requests`): the "Cookies and requests" section and findings 6 and 7.
pub fn build_with_requests(
    session: &Session,
    contacts: &[ContactRecord],
    requests: &[RequestEntry],
    site: Option<&SiteFacts>,
    meta: Meta,
) -> Report {
    let site = site.map(site_info);
    let main: Vec<&ContactRecord> = contacts
        .iter()
        .filter(|c| {
            matches!(
                c.attribution.party,
                Party::First | Party::Third | Party::Unknown
            ) && !in_background(c)
        })
        .collect();
    let apart = |p: Party| -> Vec<Item> {
        contacts
            .iter()
            .filter(|c| c.attribution.party == p && !in_background(c))
            .map(|c| item(session, c, None))
            .collect()
    };
    let background = contacts
        .iter()
        .filter(|c| in_background(c))
        .map(|c| item(session, c, None))
        .collect();
    let mut findings = findings(session, contacts, site.as_ref());
    let cookies_and_requests = super::requests::section(session, requests);
    findings.extend(super::requests::cookie_findings(
        session,
        contacts,
        &cookies_and_requests,
    ));
    let caveats = caveats(
        session,
        contacts,
        site.as_ref(),
        &meta.signatures,
        &cookies_and_requests,
    );
    Report {
        report_version: REPORT_VERSION,
        meta,
        session: session_info(session),
        summary: summary(session, contacts, &findings),
        caveats,
        site,
        frame: frame(session),
        findings,
        organisations: organisations(&main),
        categories: categories(&main),
        background,
        os_background: apart(Party::OsBackground),
        background_or_site: apart(Party::BackgroundOrSite),
        local: apart(Party::Local),
        cookies_and_requests,
        contacts: contacts.to_vec(),
    }
}

fn session_info(s: &Session) -> SessionInfo {
    let end = s.ended.or(s.last_flush);
    SessionInfo {
        id: s.id,
        label: s.label.clone(),
        site: s.site.clone(),
        source: s.source.clone(),
        state: s.state,
        started: s.started.map(when),
        ended: end.map(when),
        duration_s: end.map(|e| offset(s, e)),
        marks: s
            .marks
            .iter()
            .map(|m| MarkInfo {
                kind: m.kind,
                text: m.text.clone(),
                at: when(m.ts),
                offset_s: offset(s, m.ts),
            })
            .collect(),
        devices: s.devices.clone(),
        device_filter: s.device_filter.clone(),
        stats: s.stats.clone(),
        baseline: s.baseline,
        against: s.against.clone(),
        against_text: s.against.as_ref().map(|a| a.describe(s.started)),
    }
}

fn summary(session: &Session, contacts: &[ContactRecord], findings: &[super::Finding]) -> Summary {
    let n = |p: Party| contacts.iter().filter(|c| c.attribution.party == p).count();
    // Third parties the findings count: those seen while idle are listed apart.
    let counted = |c: &&ContactRecord| third(c);
    let orgs: BTreeSet<String> = contacts
        .iter()
        .filter(counted)
        .map(|c| org_key(c.attribution.org.as_deref(), &c.name))
        .collect();
    let third = contacts.iter().filter(counted).count();
    let idle = super::idle::Counts::of(contacts);
    let hidden = contacts
        .iter()
        .filter(|c| c.attribution.hidden.is_some())
        .count();
    let items = |k: &str| {
        findings
            .iter()
            .find(|f| f.key == k)
            .map_or(0, |f| f.items.len())
    };
    let maybe = n(Party::BackgroundOrSite);
    let blocked = contacts.iter().filter(|c| c.blocked.is_some()).count();
    let blocked_third = contacts
        .iter()
        .filter(counted)
        .filter(|c| c.blocked.is_some())
        .count();
    let mut headline = if third == 0 && idle.background_tracking > 0 {
        // Never "tracking-free" while trackers were seen: the network cannot tell whether the
        // visit used them too.
        format!(
            "No third-party contact is counted in the findings, but this is not called \
             tracking-free: {} name(s) of a tracking category were also seen while the device \
             was idle or before the visit mark, and the network cannot tell whether the visit \
             used them too. See the caveats.",
            idle.background_tracking
        )
    } else if third == 0 {
        format!(
            "Tracking-free within what the capture could see: no third-party contact among {} \
             contacts ({} first party, {} OS background, {} local). See the caveats and \
             finding 5.",
            contacts.len(),
            n(Party::First),
            n(Party::OsBackground),
            n(Party::Local)
        )
    } else {
        format!(
            "{third} third-party names from {} organisations were contacted: {} before any \
             consent decision, {} after \"reject\", {} not declared in the site profile, {} \
             cloaked.",
            orgs.len(),
            items("before-consent"),
            items("after-reject"),
            items("undeclared"),
            items("cloaked")
        )
    };
    if blocked_third > 0 {
        headline.push_str(&format!(
            " {blocked_third} of the third-party names {} attempted but blocked by the network.",
            if blocked_third == 1 { "was" } else { "were" }
        ));
    }
    if maybe > 0 {
        headline.push_str(&format!(
            " {maybe} name(s) the browser or OS contacts on its own may also have been the \
             site's: listed apart as \"browser or OS, possibly the site\"."
        ));
    }
    headline.push_str(&idle.clause(session));
    Summary {
        tracking_free: third == 0 && idle.background_tracking == 0,
        headline,
        contacts: contacts.len(),
        third_party_contacts: third,
        third_party_organisations: orgs.len(),
        first_party_contacts: n(Party::First),
        os_background_contacts: n(Party::OsBackground),
        background_or_site_contacts: maybe,
        blocked_contacts: blocked,
        local_contacts: n(Party::Local),
        unknown_contacts: n(Party::Unknown),
        hidden_contacts: hidden,
        background_contacts: idle.background,
        background_third_party_contacts: idle.background_third,
        before_visit_contacts: idle.before_visit,
        also_seen_while_idle_contacts: idle.also,
    }
}

fn caveats(
    session: &Session,
    contacts: &[ContactRecord],
    site: Option<&SiteInfo>,
    signatures: &SignatureInfo,
    requests: &super::requests::CookiesAndRequests,
) -> Vec<String> {
    let mut out = vec![
        "Only the devices and the time span of this capture are covered; traffic outside them, \
         or on another network path, is not."
            .to_owned(),
    ];
    match signatures.attribution {
        AttributedWith::Recorded => {}
        AttributedWith::Reattributed => out.push(
            "Contacts were attributed again with this sporfri's signatures (--reattribute), not \
             with those the session was recorded with; the evidence metadata names both."
                .to_owned(),
        ),
        AttributedWith::NotStored => out.push(
            "The session was recorded by a sporfri that did not store its signatures: contacts \
             are attributed as recorded, the site profile is as loaded for this report."
                .to_owned(),
        ),
    }
    let hidden = contacts
        .iter()
        .filter(|c| c.attribution.hidden.is_some())
        .count();
    if hidden > 0 {
        out.push(format!(
            "{hidden} contact(s) were partly or wholly hidden (finding 5): what went through \
             them is not in the findings."
        ));
    }
    match (&session.site, site) {
        (None, _) => out.push(
            "No site profile: no name counts as first party, so every internet name is a third \
             party."
                .to_owned(),
        ),
        (Some(name), None) => out.push(format!(
            "The site profile {name} was neither stored with the session nor found when \
             rendering; attribution is as recorded, declarations are unknown."
        )),
        (Some(_), Some(p)) => out.push(format!(
            "First-party names are those of the site profile {} ({}); its source: {}",
            p.name,
            p.first_party.join(", "),
            p.source
        )),
    }
    if !session.marks.iter().any(|m| {
        matches!(
            m.kind,
            crate::session::MarkKind::ConsentAccepted | crate::session::MarkKind::ConsentRejected
        )
    }) {
        out.push("No consent mark: every contact is in the phase before-consent.".to_owned());
    }
    if session.state == SessionState::Interrupted {
        out.push(format!(
            "The recording was interrupted; it is complete up to {}.",
            session.last_flush.map(|t| t.rfc3339()).unwrap_or_default()
        ));
    }
    out.extend(super::requests::caveat(requests));
    let st = &session.stats;
    if st.dropped > 0 || st.unstored > 0 {
        out.push(format!(
            "{} contact(s) were not kept (memory limit) and {} not stored (database errors).",
            st.dropped, st.unstored
        ));
    }
    out.extend(super::attempts::caveats(contacts));
    out.extend(super::idle::caveats(session, contacts));
    out
}

#[derive(Default)]
struct Acc<'a> {
    contacts: Vec<&'a ContactRecord>,
}

impl Acc<'_> {
    fn set<T: Ord + Clone>(&self, f: impl Fn(&ContactRecord) -> Option<T>) -> Vec<T> {
        let s: BTreeSet<T> = self.contacts.iter().filter_map(|c| f(c)).collect();
        s.into_iter().collect()
    }

    fn first(&self) -> Timestamp {
        self.contacts
            .iter()
            .map(|c| c.first_seen)
            .min()
            .unwrap_or_default()
    }

    fn kinds(&self) -> Vec<String> {
        let s: BTreeSet<String> = self.contacts.iter().flat_map(|c| kinds(c)).collect();
        s.into_iter().collect()
    }
}

/// Contacts grouped by (party, organisation); third parties first, then by first sight.
fn organisations(main: &[&ContactRecord]) -> Vec<OrgRow> {
    let mut groups: BTreeMap<(Party, String), Acc<'_>> = BTreeMap::new();
    for c in main {
        let key = org_key(c.attribution.org.as_deref(), &c.name);
        groups
            .entry((c.attribution.party, key))
            .or_default()
            .contacts
            .push(c);
    }
    let mut rows: Vec<OrgRow> = groups
        .into_iter()
        .map(|((party, label), g)| {
            let org = g.contacts.first().and_then(|c| c.attribution.org.clone());
            let domain = match &org {
                Some(_) => None,
                None => g
                    .contacts
                    .first()
                    .map(|c| registrable(&c.name).unwrap_or(&c.name).to_owned()),
            };
            OrgRow {
                label,
                org,
                domain,
                party,
                categories: g.set(|c| c.attribution.category),
                services: g.set(|c| c.attribution.service.clone()),
                phases: g.set(|c| Some(c.phase)),
                names: g.set(|c| Some(c.name.clone())),
                devices: g.set(|c| Some(c.device.clone())),
                first_seen: when(g.first()),
                evidence_kinds: g.kinds(),
                declared: g.set(|c| c.attribution.declared.clone()),
                cloaked: g.contacts.iter().any(|c| c.attribution.cloaked.is_some()),
                hidden: g
                    .set(|c| c.attribution.hidden)
                    .into_iter()
                    .collect::<Vec<Hidden>>(),
                contacts: g.contacts.len(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (party_rank(a.party), &a.first_seen.utc, &a.label).cmp(&(
            party_rank(b.party),
            &b.first_seen.utc,
            &b.label,
        ))
    });
    rows
}

fn party_rank(p: Party) -> u8 {
    match p {
        Party::Third => 0,
        Party::First => 1,
        Party::Unknown => 2,
        Party::BackgroundOrSite => 3,
        Party::OsBackground => 4,
        Party::Local => 5,
    }
}

/// Contacts grouped by category; tracking categories first, uncategorised last.
fn categories(main: &[&ContactRecord]) -> Vec<CategoryRow> {
    let mut groups: BTreeMap<(bool, Option<_>), Acc<'_>> = BTreeMap::new();
    for c in main {
        let cat = c.attribution.category;
        let rank = !cat.is_some_and(is_tracking);
        groups.entry((rank, cat)).or_default().contacts.push(c);
    }
    let mut rows: Vec<CategoryRow> = groups
        .into_iter()
        .map(|((_, category), g)| CategoryRow {
            label: category.map_or_else(|| "uncategorised".to_owned(), |c| word(&c)),
            category,
            tracking: category.is_some_and(is_tracking),
            parties: g.set(|c| Some(c.attribution.party)),
            organisations: g.set(|c| Some(org_key(c.attribution.org.as_deref(), &c.name))),
            phases: g.set(|c| Some(c.phase)),
            names: g.set(|c| Some(c.name.clone())),
            first_seen: when(g.first()),
            evidence_kinds: g.kinds(),
            contacts: g.contacts.len(),
        })
        .collect();
    // Uncategorised (None) sorts first among non-tracking in the map; put it last.
    rows.sort_by_key(|r| (!r.tracking, r.category.is_none()));
    rows
}
