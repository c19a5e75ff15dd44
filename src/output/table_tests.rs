//! The table: aligned columns whatever the cells, the year in every time, colours only when
//! asked, compact notes.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::attribute::{Attribution, Cloaking};
use crate::contact::BlockedAnswer;
use crate::observation::Via;
use crate::time::Timestamp;

fn contact(name: &str, party: Party, via: &[Via]) -> Contact {
    Contact {
        device: DeviceId::Mac([2, 0, 0, 0, 0, 1]),
        client_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        client_ips: Default::default(),
        name: name.to_owned(),
        scope: if party == Party::Local {
            Scope::Local
        } else {
            Scope::Internet
        },
        via: via.iter().copied().collect(),
        // 2024-12-31T23:59:59.5Z
        first_seen: Timestamp::from_parts(1_735_689_599, 500_000_000),
        last_seen: Timestamp::from_parts(1_735_689_599, 500_000_000),
        flows: 1,
        bytes_up: 1_234,
        bytes_down: 56_789,
        server_ips: [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))]
            .into_iter()
            .collect(),
        server_ports: Default::default(),
        cname_chain: Vec::new(),
        ech: None,
        quic_unreadable: Default::default(),
        dns_queries: 1,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: Default::default(),
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        reachable: true,
        attribution: Attribution {
            party,
            ..Attribution::unknown()
        },
    }
}

fn render(contacts: &[Contact], style: Style) -> String {
    let list: Vec<&Contact> = contacts.iter().collect();
    let mut out = Vec::new();
    write(&mut out, &list, &BTreeMap::new(), style).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(out).unwrap_or_else(|e| panic!("{e}"))
}

/// Where each column starts in a heading line (`FIRST (UTC)` is one column).
fn column_starts(heading: &str) -> Vec<usize> {
    let cols = [
        "FIRST (UTC)",
        "PARTY",
        "CATEGORY",
        "ORGANISATION",
        "NAME",
        "VIA",
    ];
    cols.iter()
        .map(|c| {
            heading
                .find(c)
                .unwrap_or_else(|| panic!("{c} in {heading}"))
        })
        .collect()
}

/// Every row's left-aligned cells start where the heading's do, and its right-aligned
/// numbers end where `FLOWS`, `UP` and `DOWN` end.
fn assert_aligned(table: &str) {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut rows = 0;
    for line in table.lines() {
        if line.contains("FIRST (UTC)") {
            starts = column_starts(line);
            ends = ["FLOWS", "UP  ", "DOWN"]
                .iter()
                .map(|h| line.find(h).map(|i| i + h.trim_end().len()))
                .collect::<Option<Vec<_>>>()
                .unwrap_or_else(|| panic!("number headings in {line}"));
            continue;
        }
        if !line.starts_with("  2") {
            continue;
        }
        rows += 1;
        let chars: Vec<char> = line.chars().collect();
        // Every cell is preceded by a space; NAME and VIA (the last two) are never empty.
        for (i, &s) in starts.iter().enumerate() {
            assert_eq!(chars.get(s - 1), Some(&' '), "column at {s}:\n{table}");
            if i >= starts.len() - 2 {
                assert_ne!(chars.get(s), Some(&' '), "column at {s}:\n{table}");
            }
        }
        for &e in &ends {
            assert!(
                chars.get(e - 1).is_some_and(char::is_ascii_alphanumeric),
                "end {e}:\n{table}"
            );
            assert_eq!(chars.get(e), Some(&' '), "end {e}:\n{table}");
        }
    }
    assert!(rows > 0, "no rows in\n{table}");
}

#[test]
fn columns_align_with_every_via_and_long_names() {
    let all = crate::session::ALL_VIAS;
    let mut third = contact("t.example", Party::Third, &[Via::Dns]);
    third.attribution.category = Some(Category::ConsentManagement);
    third.attribution.org = Some("An Organisation With A Very Long Legal Name A/S".into());
    let contacts = [
        third,
        contact("every-way.example", Party::Third, &all),
        contact(
            "a-very-long-name.of.a.tracking.endpoint.cdn.example.com",
            Party::First,
            &[Via::Dns, Via::Tls, Via::Quic, Via::Http],
        ),
        contact(
            "printer.local",
            Party::Local,
            &[Via::Mdns, Via::Llmnr, Via::Ip],
        ),
    ];
    let table = render(&contacts, Style::default());
    assert_aligned(&table);
    assert!(
        table.contains("dns,mdns,llmnr,tls,quic,http,dns-cache,ip "),
        "{table}"
    );
    assert!(table.contains(" a-very-long-name.of.a.tracking.endpoint.cdn.example.com "));
    assert!(table.contains("An Organisation With A Very…"), "{table}");
    // Colours change nothing but the escapes.
    let coloured = render(&contacts, Style { colour: true });
    assert_eq!(strip_sgr(&coloured), table);
}

#[test]
fn times_carry_the_year() {
    let mut late = contact("new-year.example", Party::Third, &[Via::Dns]);
    late.first_seen = Timestamp::from_parts(1_735_689_600, 250_000_000);
    let table = render(
        &[contact("old-year.example", Party::Third, &[Via::Dns]), late],
        Style::default(),
    );
    assert!(table.contains("  2024-12-31T23:59:59.500 third"), "{table}");
    assert!(table.contains("  2025-01-01T00:00:00.250 third"), "{table}");
}

#[test]
fn colour_only_when_asked() {
    let mut t = contact("tracker.example", Party::Third, &[Via::Tls]);
    t.attribution.category = Some(Category::Analytics);
    t.attribution.cloaked = Some(Cloaking {
        chain: vec!["x.sc.omtrdc.net".into()],
        target: "x.sc.omtrdc.net".into(),
    });
    let contacts = [t, contact("site.example", Party::First, &[Via::Dns])];
    let plain = render(&contacts, Style { colour: false });
    assert!(!plain.contains('\x1b'), "{plain}");
    let coloured = render(&contacts, Style { colour: true });
    assert!(coloured.contains("\x1b[1;33mthird\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31manalytics"), "{coloured}");
    assert!(coloured.contains("\x1b[34mfirst\x1b[0m"), "{coloured}");
    assert!(
        coloured.contains("\x1b[1mCLOAKED via x.sc.omtrdc.net\x1b[0m"),
        "{coloured}"
    );
}

#[test]
fn notes_are_compact() {
    let mut blocked = contact("ads.example", Party::Third, &[Via::Dns]);
    blocked.blocked = Some(crate::attribute::Blocked::Sinkhole);
    blocked.blocked_answer = Some(BlockedAnswer {
        time: "2024-12-31T23:59:59.000000Z".into(),
        resolver: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)),
        qtype: "A".into(),
        rcode: "NOERROR".into(),
        addresses: vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)],
    });
    blocked.server_ips.clear();
    let mut private = contact("staging.example", Party::Third, &[Via::Dns, Via::Tls]);
    private.resolved_private = true;
    let mut background = contact("accounts.google.com", Party::BackgroundOrSite, &[Via::Tls]);
    background.attribution.browser_background = Some("Chromium / Google Chrome".into());
    let mut quic = contact("q.example", Party::Third, &[Via::Quic]);
    quic.attribution.hidden = Some(Hidden::QuicUnreadable);
    quic.quic_unreadable = [0xff00_0014].into_iter().collect();
    let table = render(&[blocked, private, background, quic], Style::default());
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in\n{table}"))
            .to_owned()
    };
    assert!(row("ads.example").ends_with("  BLOCKED sinkhole: A 0.0.0.0 from 192.168.1.2"));
    assert!(row("staging.example").ends_with("  private address; 192.0.2.7"));
    assert!(row("accounts.google.com").ends_with("  browser: Chromium / Google Chrome; 192.0.2.7"));
    assert!(row("q.example").ends_with("  HIDDEN: quic-unreadable 0xff000014; 192.0.2.7"));
    // The background-or-site contact sits in its own section, after the internet ones.
    let section = table
        .find("-- browser or OS, possibly the site")
        .unwrap_or(0);
    assert!(
        section > table.find("q.example").unwrap_or(usize::MAX),
        "{table}"
    );
    assert_aligned(&table);
}

/// The text without SGR escapes.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find('m').map_or("", |j| &rest[i + j + 1..]);
    }
    out.push_str(rest);
    out
}

#[test]
fn byte_sizes_are_short() {
    assert_eq!(bytes(999), "999 B");
    assert_eq!(bytes(1_234), "1.23 kB");
    assert_eq!(bytes(56_789), "56.8 kB");
    assert_eq!(bytes(2_000_000_000), "2.00 GB");
}
