//! The survey on hand-made sessions: rows read off the reports, phase marks, the matrix, the
//! signature sets, and the renderers' escaping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::survey::{NO_SITE, PhaseMark, SurveyBuilder};
use super::survey_baseline::{BaselineHere, row_baseline};
use super::tests::{contact, session};
use super::*;
use crate::session::{Against, Background, BaselineRef, Choice, DEFAULT_MAX_AGE_DAYS};

const REJECT_AT: u64 = 50;

fn third(name: &str, phase: Phase, first: u64, last: u64) -> ContactRecord {
    contact(
        name,
        Party::Third,
        Some(Category::Analytics),
        phase,
        first,
        last,
    )
}

/// A reject session of `site`: a third party before the reject only, one still in use after
/// it, one first seen after it; the OS's and the browser's own names besides.
fn reject_report(id: u64, site: Option<&str>, meta: Meta) -> Report {
    let mut s = session(&[(REJECT_AT, MarkKind::ConsentRejected)], site);
    s.id = id;
    let contacts = vec![
        third("early.example", Phase::BeforeConsent, 10, 20),
        third("continued.example", Phase::BeforeConsent, 10, 60),
        third("late.example", Phase::ConsentRejected, 60, 70),
        contact(
            "os.example",
            Party::OsBackground,
            None,
            Phase::BeforeConsent,
            5,
            6,
        ),
        contact(
            "maybe.example",
            Party::BackgroundOrSite,
            None,
            Phase::BeforeConsent,
            5,
            6,
        ),
    ];
    build(&s, &contacts, None, meta)
}

fn accept_report(id: u64, site: Option<&str>) -> Report {
    let mut s = session(&[(REJECT_AT, MarkKind::ConsentAccepted)], site);
    s.id = id;
    let contacts = vec![
        third("early.example", Phase::BeforeConsent, 10, 20),
        third("accepted.example", Phase::ConsentAccepted, 60, 70),
    ];
    build(&s, &contacts, None, Meta::current(vec![]))
}

fn survey_of(reports: &[Report]) -> super::survey::Survey {
    let mut b = SurveyBuilder::new();
    for r in reports {
        b.add(r, None, &BTreeMap::new());
    }
    b.finish("test")
}

#[test]
fn a_row_is_its_reports_findings_and_third_parties_with_their_phases() {
    let r = reject_report(1, Some("x.dk"), Meta::current(vec![]));
    let s = survey_of(std::slice::from_ref(&r));
    let row = &s.sessions[0];
    for (cell, f) in row.findings.iter().zip(&r.findings) {
        assert_eq!((cell.key, cell.status), (f.key, f.status));
        if !f.key.starts_with("cookies-") {
            assert_eq!(cell.count, f.items.len(), "{}", f.key);
        }
    }
    assert_eq!(
        row.findings[0].count, 2,
        "before consent: early and continued"
    );
    assert_eq!(row.findings[1].count, 2, "after reject: continued and late");
    let marks: BTreeMap<&str, Vec<PhaseMark>> = row
        .third_parties
        .iter()
        .map(|o| (o.label.as_str(), o.marks.iter().copied().collect()))
        .collect();
    assert_eq!(
        marks,
        BTreeMap::from([
            ("Org of early.example", vec![PhaseMark::B]),
            ("Org of continued.example", vec![PhaseMark::B, PhaseMark::R]),
            ("Org of late.example", vec![PhaseMark::R]),
        ]),
        "the OS's and the browser's own names are not third parties"
    );
    assert_eq!(row.headline, r.summary.headline);
    // One long CSV line per contact, whatever its party.
    assert_eq!(s.contacts.len(), r.contacts.len());
    let late = s
        .contacts
        .iter()
        .find(|c| c.name == "late.example")
        .unwrap();
    assert_eq!(late.findings, "2 3");
}

#[test]
fn the_matrix_joins_a_services_sessions_and_keeps_services_apart() {
    let s = survey_of(&[
        reject_report(1, Some("x.dk"), Meta::current(vec![])),
        accept_report(2, Some("x.dk")),
        accept_report(3, None),
    ]);
    let services: Vec<&str> = s.services.iter().map(|v| v.service.as_str()).collect();
    assert_eq!(services, ["x.dk", NO_SITE]);
    let x = &s.services[0];
    assert_eq!(x.sessions, [1, 2]);
    let cell = |org: &str| x.cells.iter().find(|c| c.organisation == org).unwrap();
    assert_eq!(
        (
            cell("Org of early.example").marks.as_str(),
            cell("Org of early.example").sessions
        ),
        ("B", 2)
    );
    assert_eq!(cell("Org of continued.example").marks, "BR");
    assert_eq!(cell("Org of accepted.example").marks, "A");
    let f2 = x.findings.iter().find(|f| f.key == "after-reject").unwrap();
    assert_eq!((f2.observed, f2.applicable), (1, 1));
    // Columns: the most widespread organisation first.
    assert_eq!(s.organisations[0].label, "Org of early.example");
    assert_eq!(s.organisations[0].services, 2);
    assert!(s.organisations[0].tracking);
}

#[test]
fn an_organisation_only_attempted_is_marked_blocked() {
    let mut s = session(&[], Some("x.dk"));
    s.id = 1;
    let mut a = third("a.example", Phase::BeforeConsent, 1, 2);
    a.blocked = Some(crate::attribute::Blocked::Sinkhole);
    let mut b = third("b.example", Phase::BeforeConsent, 1, 2);
    b.blocked = Some(crate::attribute::Blocked::Nxdomain);
    b.attribution.org = Some("Org of a.example".into());
    let mut c = third("c.example", Phase::BeforeConsent, 1, 2);
    c.blocked = Some(crate::attribute::Blocked::Sinkhole);
    let d = third("d.example", Phase::BeforeConsent, 3, 4);
    let mut d_blocked = d.clone();
    d_blocked.name = "d2.example".into();
    d_blocked.blocked = Some(crate::attribute::Blocked::Refused);
    let r = build(&s, &[a, b, c, d, d_blocked], None, Meta::current(vec![]));
    let survey = survey_of(&[r]);
    let blocked: BTreeMap<&str, bool> = survey.sessions[0]
        .third_parties
        .iter()
        .map(|o| (o.label.as_str(), o.blocked))
        .collect();
    assert!(blocked["Org of a.example"]);
    assert!(blocked["Org of c.example"]);
    assert!(!blocked["Org of d.example"], "one of its names was reached");
    assert!(survey.services[0].cells.iter().any(|c| c.blocked));
}

#[test]
fn rows_attributed_with_another_set_or_site_profile_text_are_marked() {
    let mut older = Meta::current(vec![]);
    older.signatures.builtin.sha256 = "0".repeat(64);
    let with_site = |sha: &str| {
        let mut m = Meta::current(vec![]);
        m.signatures.site = Some(meta::SiteSource {
            name: "x.dk".into(),
            file: "signatures/sites/x.dk.toml".into(),
            sha256: sha.repeat(64),
        });
        m
    };
    let s = survey_of(&[
        reject_report(1, Some("x.dk"), with_site("a")),
        reject_report(2, Some("x.dk"), with_site("a")),
        reject_report(3, Some("x.dk"), with_site("b")),
        reject_report(4, Some("y.dk"), older),
    ]);
    let sets: Vec<(&str, Vec<u64>)> = s
        .signature_sets
        .iter()
        .map(|x| (x.id.as_str(), x.sessions.clone()))
        .collect();
    assert_eq!(sets, [("A", vec![1, 2, 3]), ("B", vec![4])]);
    let flags: Vec<(u64, bool, bool)> = s
        .sessions
        .iter()
        .map(|r| {
            (
                r.session,
                r.signatures.differs,
                r.signatures.site_profile_differs,
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            (1, false, false),
            (2, false, false),
            (3, false, true),
            (4, true, false)
        ]
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("2 different signature sets"))
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("1 session was attributed with another version"))
    );
    // Every format marks the row: the Markdown's signatures cell, the HTML's flag, each of the
    // row's CSV lines with its set's letter.
    let md = super::survey_text::md(&s);
    let row4 = md.lines().find(|l| l.starts_with("| 4 |")).unwrap();
    assert!(row4.ends_with("| B (differs) |"), "{row4}");
    let row3 = md.lines().find(|l| l.starts_with("| 3 |")).unwrap();
    assert!(row3.ends_with("| A (other site profile text) |"), "{row3}");
    let html = super::survey_html::render(&s);
    assert_eq!(html.matches("data-differs=\"true\"").count(), 2);
    assert!(html.contains("other signature set") && html.contains("other site profile text"));
    let csv = super::survey_text::csv(&s);
    assert!(
        csv.lines()
            .filter(|l| l.starts_with("4,"))
            .all(|l| l.contains(",B,"))
    );
    // One set: nothing marked, nothing said.
    let one = survey_of(&[reject_report(1, Some("x.dk"), Meta::current(vec![]))]);
    assert!(!one.sessions[0].signatures.differs);
    assert!(!one.notes.iter().any(|n| n.contains("signature sets")));
}

#[test]
fn renderers_escape_what_came_from_the_tester_and_the_network() {
    let mut s = session(&[], Some("x.dk"));
    s.id = 1;
    s.label = "=HYPERLINK(\"x\"), <script>alert(1)</script>".into();
    let mut c = third("evil\".example", Phase::BeforeConsent, 1, 2);
    c.attribution.org = Some("<img src=x onerror=alert(1)>".into());
    let r = build(&s, &[c], None, Meta::current(vec![]));
    let survey = survey_of(&[r]);
    let html = super::survey_html::render(&survey);
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    let md = super::survey_text::md(&survey);
    assert!(!md.contains("<script") && !md.contains("<img"), "{md}");
    let csv = super::survey_text::csv(&survey);
    let line = csv.lines().nth(1).unwrap();
    assert!(
        line.contains("\"'=HYPERLINK(\"\"x\"\"), <script>alert(1)</script>\""),
        "{line}"
    );
}

#[test]
fn set_ids_count_like_spreadsheet_columns() {
    let ids: Vec<String> = [0, 1, 25, 26, 27, 701, 702]
        .into_iter()
        .map(super::survey::letters)
        .collect();
    assert_eq!(ids, ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]);
}

/// A reject session compared with baseline 7 "idle", whose idle device already contacted
/// `early.example`: listed apart as background in the report.
fn reject_with_baseline(against: Against) -> Report {
    let mut s = session(&[(REJECT_AT, MarkKind::ConsentRejected)], Some("x.dk"));
    s.against = Some(against);
    let mut early = third("early.example", Phase::BeforeConsent, 10, 20);
    early.baseline.in_baseline = true;
    early.baseline.baseline_id = Some(7);
    early.baseline.background = Some(Background::SeenWhileIdle);
    let contacts = vec![
        early,
        third("continued.example", Phase::BeforeConsent, 10, 60),
    ];
    build(&s, &contacts, None, Meta::current(vec![]))
}

fn idle_7(choice: Choice) -> Against {
    Against {
        choice,
        baseline: Some(BaselineRef {
            id: 7,
            label: "idle".into(),
            devices: vec!["02:00:00:00:00:01".into()],
            started: Some(super::tests::t(0)),
            ended: Some(super::tests::t(5)),
            forced: false,
        }),
        max_age_days: DEFAULT_MAX_AGE_DAYS,
        refused: None,
    }
}

fn here(id: u64) -> Vec<BaselineHere> {
    vec![BaselineHere {
        id,
        label: "idle".into(),
        started: Some(super::tests::t(0)),
    }]
}

#[test]
fn a_third_party_seen_while_idle_is_counted_nowhere_in_the_survey() {
    let r = reject_with_baseline(idle_7(Choice::Named));
    let mut b = SurveyBuilder::new();
    b.baselines_here(here(7));
    b.add(&r, None, &BTreeMap::new());
    let s = b.finish("test");
    let row = &s.sessions[0];
    // As the report: finding 1 cites only the name the idle device did not contact.
    assert_eq!(row.findings[0].count, 1, "{:?}", row.findings[0]);
    assert_eq!(row.findings[0].count, r.findings[0].items.len());
    let orgs: Vec<&str> = row.third_parties.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(orgs, ["Org of continued.example"]);
    let cells: Vec<&str> = s.services[0]
        .cells
        .iter()
        .map(|c| c.organisation.as_str())
        .collect();
    assert_eq!(cells, ["Org of continued.example"]);
    assert_eq!(row.baseline.text, "7 \"idle\"");
    assert_eq!(row.baseline.background_third_parties, 1);
    // The long CSV keeps the contact, says why it is apart, and cites no finding for it.
    let early = s
        .contacts
        .iter()
        .find(|c| c.name == "early.example")
        .unwrap();
    assert_eq!(
        (
            early.in_baseline,
            early.background.as_str(),
            early.findings.as_str()
        ),
        (true, "seen-while-idle", "")
    );
    let csv = super::survey_text::csv(&s);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let line = csv.lines().find(|l| l.contains("early.example")).unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    let col = |n: &str| cells[header.iter().position(|h| *h == n).unwrap()];
    assert_eq!(
        (col("in_baseline"), col("background"), col("baseline")),
        ("true", "seen-while-idle", "\"7 \"\"idle\"\"\"")
    );
    let md = super::survey_text::md(&s);
    assert!(
        md.contains("7 \"idle\"; 1 third-party name set apart"),
        "{md}"
    );
}

#[test]
fn a_rows_baseline_is_looked_up_here_by_its_recording() {
    let text = |against: Option<Against>, here_: Vec<BaselineHere>, is_baseline: bool| {
        let mut r = reject_with_baseline(idle_7(Choice::Named));
        r.session.against = against;
        r.session.baseline = is_baseline;
        row_baseline(&r, &here_)
    };
    // Imported here as session 3: its number here, not the appliance's.
    let b = text(Some(idle_7(Choice::Latest)), here(3), false);
    assert_eq!(
        (b.id, b.recorded_id, b.elsewhere),
        (Some(3), Some(7), false)
    );
    assert_eq!(b.text, "3 \"idle\"");
    // Stayed on the appliance (or deleted): said so, with its number there.
    let b = text(Some(idle_7(Choice::Named)), vec![], false);
    assert_eq!((b.id, b.elsewhere), (None, true));
    assert_eq!(
        b.text,
        "\"idle\" (session 7 where recorded; not in this database)"
    );
    // Another baseline here with the same label but another recording is not it.
    let mut other = here(3);
    other[0].started = Some(super::tests::t(1));
    assert!(text(Some(idle_7(Choice::Named)), other, false).elsewhere);
    let mut refused = idle_7(Choice::Named);
    refused.refused = Some("another device".into());
    assert_eq!(
        text(Some(refused), here(7), false).text,
        "7 \"idle\": not applied"
    );
    let off = Against {
        baseline: None,
        ..idle_7(Choice::Off)
    };
    assert_eq!(text(Some(off), vec![], false).text, "none (--no-baseline)");
    let none = Against {
        baseline: None,
        ..idle_7(Choice::Latest)
    };
    assert_eq!(
        text(Some(none), vec![], false).text,
        "none (none recorded for the device)"
    );
    assert_eq!(text(None, vec![], false).text, "none");
    assert_eq!(text(None, vec![], true).text, "an idle baseline");
}
