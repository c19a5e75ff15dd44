//! Byte-literal tests; `captures.rs` checks real captures against tshark.
#![allow(clippy::indexing_slicing)]

mod captures;

use super::*;

/// A message: header with `flags` and the four counts, then `body`.
fn message(flags: u16, counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut m = vec![0x12, 0x34];
    m.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m.extend_from_slice(body);
    m
}

/// Wire form of a dotted name (no escapes; test names only).
fn wire_name(name: &str) -> Vec<u8> {
    let mut w = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        w.push(label.len() as u8);
        w.extend_from_slice(label.as_bytes());
    }
    w.push(0);
    w
}

fn question(name: &[u8], qtype: u16) -> Vec<u8> {
    let mut q = name.to_vec();
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q
}

fn record(name: &[u8], rtype: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut r = name.to_vec();
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&[0, 1]);
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&(data.len() as u16).to_be_bytes());
    r.extend_from_slice(data);
    r
}

/// The display text of the first question's name.
fn q0(m: &Message) -> &str {
    m.name(m.questions[0].name)
}

/// (name text, qtype) of every question.
fn questions(m: &Message) -> Vec<(&str, u16)> {
    m.questions
        .iter()
        .map(|q| (m.name(q.name), q.qtype))
        .collect()
}

fn done(data: &[u8]) -> Message {
    match parse_message(data) {
        Parsed::Done(m) => m,
        other => panic!("expected Done, got {other:?}"),
    }
}

#[test]
fn a_query() {
    let m = done(&message(
        0x0100,
        [1, 0, 0, 0],
        &question(&wire_name("www.example.com"), 1),
    ));
    assert_eq!(m.id, 0x1234);
    assert!(!m.response && !m.truncated && !m.recursion_available);
    assert_eq!(m.opcode, 0);
    assert_eq!(questions(&m), vec![("www.example.com", 1)]);
    assert!(m.answers.is_empty() && m.edns.is_none() && m.damage.is_none());
}

#[test]
fn https_query_type_65() {
    let m = done(&message(
        0x0100,
        [1, 0, 0, 0],
        &question(&wire_name("cloudflare.com"), 65),
    ));
    assert_eq!(m.questions[0].qtype, 65);
    assert_eq!(q0(&m), "cloudflare.com");
}

#[test]
fn response_with_cname_chain_and_a() {
    // Question at offset 12; "a.cdn.net" written once at the first CNAME's data and reused.
    let mut body = question(&wire_name("www.Example.com"), 1);
    body.extend(record(&[0xc0, 12], 5, 300, &wire_name("a.cdn.net")));
    let a_cdn = 12 + body.len() - wire_name("a.cdn.net").len(); // offset of "a.cdn.net"
    let mut b_target = b"\x01b".to_vec();
    b_target.extend_from_slice(&[0xc0, (a_cdn + 2) as u8]); // "b" + "cdn.net"
    body.extend(record(&[0xc0, a_cdn as u8], 5, 300, &b_target));
    let b_cdn = 12 + body.len() - b_target.len();
    body.extend(record(&[0xc0, b_cdn as u8], 1, 60, &[192, 0, 2, 7]));
    let m = done(&message(0x8180, [1, 3, 0, 0], &body));
    assert!(m.response);
    assert_eq!(q0(&m), "www.Example.com");
    let got: Vec<_> = m
        .answers
        .iter()
        .map(|r| {
            let data = match &r.data {
                RecordData::Cname(target) => m.name(*target).to_string(),
                other => format!("{other:?}"),
            };
            (m.name(r.name), r.ttl, data)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("www.Example.com", 300, "a.cdn.net".to_string()),
            ("a.cdn.net", 300, "b.cdn.net".to_string()),
            ("b.cdn.net", 60, "A(192.0.2.7)".to_string()),
        ]
    );
    assert!(m.damage.is_none());
}

/// HTTPS data: priority 1, target ".", alpn h3,h2, ipv4hint, ech, ipv6hint.
fn https_rdata() -> Vec<u8> {
    let mut rd = vec![0, 1, 0];
    rd.extend_from_slice(&[0, 1, 0, 6, 2, b'h', b'3', 2, b'h', b'2']);
    rd.extend_from_slice(&[0, 4, 0, 8, 104, 16, 132, 229, 104, 16, 133, 229]);
    rd.extend_from_slice(&[0, 5, 0, 3, 0xfe, 0x0d, 0x00]);
    rd.extend_from_slice(&[0, 6, 0, 16]);
    rd.extend_from_slice(&Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0x6810, 0x84e5).octets());
    rd
}

#[test]
fn https_answer_with_ech() {
    let mut body = question(&wire_name("crypto.cloudflare.com"), 65);
    body.extend(record(&[0xc0, 12], 65, 300, &https_rdata()));
    let m = done(&message(0x8180, [1, 1, 0, 0], &body));
    let RecordData::Svcb { target, .. } = m.answers[0].data else {
        panic!("not svcb: {:?}", m.answers[0]);
    };
    assert_eq!(m.name(target), ROOT);
    assert_eq!(
        m.answers[0].data,
        RecordData::Svcb {
            priority: 1,
            target,
            ech: true,
            alpn: vec!["h3".into(), "h2".into()],
            ipv4_hints: vec![
                Ipv4Addr::new(104, 16, 132, 229),
                Ipv4Addr::new(104, 16, 133, 229)
            ],
            ipv6_hints: vec![Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0x6810, 0x84e5)],
        }
    );
    assert!(m.damage.is_none());
}

#[test]
fn svcb_alias_form_without_params() {
    let mut rd = vec![0, 0];
    rd.extend(wire_name("pool.svc.example"));
    let mut body = question(&wire_name("_8443._foo.api.example"), 64);
    body.extend(record(&[0xc0, 12], 64, 10, &rd));
    let m = done(&message(0x8180, [1, 1, 0, 0], &body));
    let RecordData::Svcb {
        priority,
        target,
        ech,
        ..
    } = &m.answers[0].data
    else {
        panic!("not svcb: {:?}", m.answers[0]);
    };
    assert_eq!(
        (*priority, m.name(*target), *ech),
        (0, "pool.svc.example", false)
    );
}

#[test]
fn bad_svcb_param_keeps_record_as_other() {
    let mut rd = https_rdata();
    rd.truncate(rd.len() - 1); // ipv6hint value cut inside the record
    let mut body = question(&wire_name("x.example"), 65);
    body.extend(record(&[0xc0, 12], 65, 300, &rd));
    body.extend(record(&[0xc0, 12], 1, 300, &[1, 2, 3, 4]));
    let m = done(&message(0x8180, [1, 2, 0, 0], &body));
    assert_eq!(m.answers[0].data, RecordData::Other);
    assert_eq!(m.answers[1].data, RecordData::A(Ipv4Addr::new(1, 2, 3, 4)));
    assert_eq!(m.damage, Some(Weird::DnsBadSvcb));
}

/// An OPT record with payload size 1232 and the given TTL field.
fn opt(ttl: u32, options: &[u8]) -> Vec<u8> {
    let mut r = vec![0, 0, 41, 0x04, 0xd0];
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&(options.len() as u16).to_be_bytes());
    r.extend_from_slice(options);
    r
}

#[test]
fn edns_do_bit() {
    // Client subnet option (8) as sent by resolvers; DO set; version 0.
    let ecs = [0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2];
    let mut body = question(&wire_name("example.com"), 1);
    body.extend(opt(0x0000_8000, &ecs));
    let m = done(&message(0x0100, [1, 0, 0, 1], &body));
    assert_eq!(
        m.edns,
        Some(Edns {
            udp_size: 1232,
            dnssec_ok: true
        })
    );
    assert!(m.additional.is_empty());

    let mut body = question(&wire_name("example.com"), 1);
    body.extend(opt(0x0000_7fff, &[])); // every Z bit but not DO
    let m = done(&message(0x0100, [1, 0, 0, 1], &body));
    assert_eq!(
        m.edns,
        Some(Edns {
            udp_size: 1232,
            dnssec_ok: false
        })
    );
}

#[test]
fn compression_loop_is_bounded() {
    // A question name that points at itself.
    let m = message(0x0100, [1, 0, 0, 0], &[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(
        parse_message(&m),
        Parsed::Malformed(Weird::DnsNamePointerLoop)
    );
    // "abc" then a pointer back to "abc": the name grows until it is too long, and the walk
    // stops there (tshark says "<Name contains a pointer that loops>" here).
    let m = message(
        0x0100,
        [1, 0, 0, 0],
        &[3, b'a', b'b', b'c', 0xc0, 12, 0, 1, 0, 1],
    );
    assert_eq!(q0(&done(&m)), TOO_LONG);
    // A loop in an answer keeps the question.
    let mut body = question(&wire_name("example.com"), 1);
    let at = 12 + body.len();
    body.extend(record(&[0xc0, at as u8], 1, 1, &[1, 2, 3, 4]));
    let m = done(&message(0x8180, [1, 1, 0, 0], &body));
    assert_eq!(q0(&m), "example.com");
    assert!(m.answers.is_empty());
    assert_eq!(m.damage, Some(Weird::DnsNamePointerLoop));
}

#[test]
fn pointer_hops_bound() {
    // Question name = pointer to a chain of `n` pointers, each to the next, ending in root.
    fn chain(n: usize) -> Parsed<Message> {
        let mut body = vec![0xc0, 18, 0, 1, 0, 1];
        for k in 0..n {
            body.extend_from_slice(&[0xc0, (18 + 2 * (k + 1)) as u8]);
        }
        body.push(0);
        parse_message(&message(0x0100, [1, 0, 0, 0], &body))
    }
    let ok = chain(MAX_POINTER_HOPS - 1)
        .done()
        .map(|m| q0(&m).to_string());
    assert_eq!(ok.as_deref(), Some(ROOT));
    assert_eq!(
        chain(MAX_POINTER_HOPS),
        Parsed::Malformed(Weird::DnsNamePointerLoop)
    );
}

#[test]
fn forward_pointer_is_followed_and_bad_pointer_fails() {
    // The question name points past the question to "fwd.example", as tshark accepts.
    let mut body = vec![0xc0, 18, 0, 1, 0, 1];
    body.extend(wire_name("fwd.example"));
    let m = done(&message(0x0100, [1, 0, 0, 0], &body));
    assert_eq!(q0(&m), "fwd.example");
    let m = message(0x0100, [1, 0, 0, 0], &[0xc0, 0xff, 0, 1, 0, 1]);
    assert_eq!(
        parse_message(&m),
        Parsed::Malformed(Weird::DnsTruncatedName)
    );
}

#[test]
fn extended_and_reserved_label_types_fail_the_name() {
    for lead in [0x41u8, 0x80] {
        let m = message(0x0100, [1, 0, 0, 0], &[lead, 0x08, 0xff, 0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m), Parsed::Malformed(Weird::DnsBadLabelType));
    }
}

/// Decision: a cut message is `Malformed` only when no question survives; otherwise `Done`
/// with what was read and the cut in `damage`. Never `Incomplete`.
#[test]
fn truncated_messages() {
    let full = message(
        0x0100,
        [1, 0, 0, 0],
        &question(&wire_name("example.com"), 1),
    );
    assert_eq!(
        parse_message(&full[..11]),
        Parsed::Malformed(Weird::DnsShortHeader)
    );
    assert_eq!(
        parse_message(&full[..12 + 5]),
        Parsed::Malformed(Weird::DnsTruncatedName)
    );
    // Name complete, type/class cut: tshark still shows the name, so do we.
    let m = done(&full[..full.len() - 3]);
    assert_eq!(questions(&m), vec![("example.com", 0)]);
    assert_eq!(m.damage, Some(Weird::DnsTruncatedQuestion));
    // Cut inside an answer: question kept.
    let mut body = question(&wire_name("example.com"), 1);
    body.extend(record(&[0xc0, 12], 1, 1, &[1, 2, 3, 4]));
    let resp = message(0x8380, [1, 1, 0, 0], &body);
    let m = done(&resp[..resp.len() - 2]);
    assert!(m.truncated, "TC bit");
    assert!(m.recursion_available, "RA bit");
    assert_eq!(m.questions.len(), 1);
    assert!(m.answers.is_empty());
    assert_eq!(m.damage, Some(Weird::DnsTruncatedRecord));
}

#[test]
fn unknown_rrsig_and_private_types_are_other() {
    let mut body = question(&wire_name("example.com"), 1);
    body.extend(record(
        &[0xc0, 12],
        46,
        60,
        &[0xde, 0xad, 0xbe, 0xef, 0, 1, 2],
    )); // RRSIG
    body.extend(record(&[0xc0, 12], 65280, 60, b"\x00\xffprivate")); // private use
    body.extend(record(&[0xc0, 12], 1, 60, &[9, 9, 9])); // A with 3 bytes
    body.extend(record(&[0xc0, 12], 28, 60, &Ipv6Addr::LOCALHOST.octets()));
    body.extend(record(&[0xc0, 12], 47, 60, &[])); // authority: NSEC, not kept
    body.extend(record(&[0xc0, 12], 1, 60, &[10, 0, 0, 1])); // additional A
    let m = done(&message(0x8180, [1, 4, 1, 1], &body));
    let data: Vec<_> = m
        .answers
        .iter()
        .map(|r| (r.rtype, r.data.clone()))
        .collect();
    assert_eq!(
        data,
        vec![
            (46, RecordData::Other),
            (65280, RecordData::Other),
            (1, RecordData::Other),
            (28, RecordData::Aaaa(Ipv6Addr::LOCALHOST)),
        ]
    );
    assert_eq!(m.damage, Some(Weird::DnsBadA));
    assert_eq!(m.additional.len(), 1);
    assert_eq!(
        m.additional[0].data,
        RecordData::A(Ipv4Addr::new(10, 0, 0, 1))
    );
}

#[test]
fn mdns_non_ascii_label() {
    let mut name = vec![6];
    name.extend_from_slice("grüße".as_bytes().get(..6).unwrap_or_default()); // "grüß" = 6 bytes
    name.extend_from_slice(b"\x05local\x00");
    let m = done(&message(0x0000, [1, 0, 0, 0], &question(&name, 12)));
    assert_eq!(q0(&m), "grüß.local");
    // Binary and invalid bytes print as tshark prints them.
    let name = b"\x05a\x01\xff.b\x03x\ty\x00";
    let m = done(&message(0x0000, [1, 0, 0, 0], &question(name, 1)));
    assert_eq!(q0(&m), "a\\001\u{fffd}.b.x\\ty");
}

/// Vectors printed by tshark 4.0.17 for crafted queries (`-T fields -e dns.qry.name`).
#[test]
fn escaping_matches_tshark() {
    let cases: &[(&[u8], &str)] = &[
        (b"a\x01b", "a\\001b"),
        (b"sp ace", "sp ace"),
        (b"back\\slash", "back\\slash"),
        (b"del\x7f", "del\\177"),
        (b"nul\x00", "nul\\000"),
        (
            b"\x07\x08\x09\x0a\x0b\x0c\x0d\x1b",
            "\\a\\b\\t\\n\\v\\f\\r\\033",
        ),
        (b"inv\xffalid", "inv\u{fffd}alid"),
        (b"\xc3", "\u{fffd}"),
        (b"\xe2\x80\x8b", "\\u200B"),
        (b"\xc2\x80", "\\u0080"),
        (b"\xc2\x9f", "\\u009F"),
        (b"\xc2\xa0", "\u{a0}"),
        (b"\xef\xbb\xbf", "\\uFEFF"),
        (b"\xe2\x80\xa8", "\u{2028}"),
        (b"\xee\x80\x80", "\u{e000}"),
        (b"\xf0\x9f\x98\x80", "\u{1f600}"),
        (b"\xf4\x8f\xbf\xbf", "\\U0010FFFF"),
        (b"\xed\xa0\x80", "\u{fffd}"),
        (b"\xc0\x80", "\\u0000"),
        (b"\xe2\x80x", "\u{fffd}x"),
        (b"\xe2\x80", "\u{fffd}"),
        (b"a\x80b", "a\u{fffd}b"),
        (b"\xf8\x88\x80\x80\x80", "\u{fffd}"),
        (b"\xf4\x90\x80\x80", "\u{fffd}"),
        (b"\xe0\x80\xaf", "/"),
        (b"\xcd\x81", "\u{341}"),
        (b"\xc2\xad", "\\u00AD"),
        (b"\xf3\xa0\x80\x81", "\\U000E0001"),
        (b"\xff\xfe", "\u{fffd}\u{fffd}"),
        (b"\xf3\xa0\x84\x80", "\u{e0100}"),
        (b"\xf1\x80\x80\x80", "\\U00040000"),
        (b"\xef\xbf\xbe", "\\uFFFE"),
        (b"\xef\xb7\x90", "\\uFDD0"),
        (b"\xf0\xb2\x8e\xaf", "\u{323af}"),
        (b"\xf0\xb2\x8e\xb0", "\\U000323B0"),
        (b"\xf3\xb0\x80\x80", "\u{f0000}"),
        (b"\xf0\x9f\xbf\xbe", "\\U0001FFFE"),
        (b"\xf3\xa0\x82\x80", "\\U000E0080"),
        (b"\xf0\xaf\xa8\x9e", "\\U0002FA1E"),
    ];
    for (raw, want) in cases {
        assert_eq!(format_text(raw), *want, "raw {raw:02x?}");
    }
}

#[test]
fn dot_inside_label_and_split_utf8_like_tshark() {
    let m = done(&message(
        0x0100,
        [1, 0, 0, 0],
        &question(b"\x04do.t\x01x\x00", 1),
    ));
    assert_eq!(q0(&m), "do.t.x");
    // "ü" cut at the end of a label: the dot is re-read as itself.
    let m = done(&message(
        0x0100,
        [1, 0, 0, 0],
        &question(b"\x01\xc3\x02\xbcx\x00", 1),
    ));
    assert_eq!(q0(&m), "\u{fffd}.\u{fffd}x");
}

#[test]
fn root_and_name_length_bound() {
    let m = done(&message(0x0100, [1, 0, 0, 0], &question(&[0], 2)));
    assert_eq!(q0(&m), ROOT);
    // 3 x 63 + 61 + 3 dots = 253 bytes: shown; one more byte is too long (as tshark).
    let long = |last: usize| {
        let mut n = Vec::new();
        for len in [63, 63, 63, last] {
            n.push(len as u8);
            n.extend(std::iter::repeat_n(b'b', len));
        }
        n.push(0);
        q0(&done(&message(0x0100, [1, 0, 0, 0], &question(&n, 1)))).to_string()
    };
    assert_eq!(long(61).len(), MAX_NAME_BYTES);
    assert_eq!(long(62), TOO_LONG);
}

#[test]
fn question_bound() {
    let mut body = Vec::new();
    for _ in 0..=MAX_QUESTIONS {
        body.extend(question(&[0], 1));
    }
    let m = done(&message(
        0x0000,
        [(MAX_QUESTIONS + 1) as u16, 0, 0, 0],
        &body,
    ));
    assert_eq!(m.questions.len(), MAX_QUESTIONS);
    assert_eq!(m.damage, Some(Weird::DnsTooManyQuestions));
}

#[test]
fn record_bound() {
    let mut body = Vec::new();
    for _ in 0..=MAX_RECORDS {
        body.extend(record(&[0], 1, 1, &[1, 1, 1, 1]));
    }
    let n = (MAX_RECORDS + 1) as u16;
    let m = done(&message(0x8400, [0, n, 0, 0], &body));
    assert_eq!(m.answers.len(), MAX_RECORDS);
    assert_eq!(m.damage, Some(Weird::DnsTooManyRecords));
    let m = done(&message(
        0x8400,
        [0, (MAX_RECORDS / 2) as u16, 0, 500],
        &body,
    ));
    assert_eq!(m.answers.len() + m.additional.len(), MAX_RECORDS / 2 + 500);
    assert!(m.damage.is_none());
}

#[test]
fn tcp_framing() {
    assert_eq!(tcp_message(&[]), Parsed::Incomplete { needed: None });
    assert_eq!(tcp_message(&[0]), Parsed::Incomplete { needed: None });
    assert_eq!(
        tcp_message(&[0, 0, 1, 2]),
        Parsed::Malformed(Weird::DnsTcpZeroLength)
    );
    assert_eq!(
        tcp_message(&[0, 5, 1, 2, 3, 4, 5]),
        Parsed::Malformed(Weird::DnsTcpShortLength)
    );
    let msg = message(
        0x0100,
        [1, 0, 0, 0],
        &question(&wire_name("example.com"), 1),
    );
    let mut stream = (msg.len() as u16).to_be_bytes().to_vec();
    stream.extend_from_slice(&msg);
    stream.extend_from_slice(&stream.clone());
    let needed = Some(2 + msg.len());
    assert_eq!(tcp_message(&stream[..10]), Parsed::Incomplete { needed });
    let Parsed::Done((first, used)) = tcp_message(&stream) else {
        panic!("no message");
    };
    assert_eq!((first, used), (&msg[..], 2 + msg.len()));
    assert_eq!(tcp_message(&stream[used..]).done().map(|d| d.1), Some(used));
}

#[test]
fn flavor_by_port() {
    assert_eq!(Flavor::for_ports(5353, 5353), Some(Flavor::Mdns));
    assert_eq!(Flavor::for_ports(49152, 5355), Some(Flavor::Llmnr));
    assert_eq!(Flavor::for_ports(53, 40000), Some(Flavor::Dns));
    assert_eq!(Flavor::for_ports(443, 40000), None);
}

/// No input panics: random bytes and byte-flipped real-looking messages.
#[test]
fn never_panics_on_noise() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut base = question(&wire_name("crypto.cloudflare.com"), 65);
    base.extend(record(&[0xc0, 12], 65, 300, &https_rdata()));
    base.extend(record(&[0xc0, 12], 5, 300, &[0xc0, 12]));
    base.extend(opt(0x8000, &[0, 8, 0, 4, 0, 1, 0, 0]));
    let base = message(0x8180, [1, 2, 0, 1], &base);
    for round in 0..20_000 {
        let mut m = if round % 2 == 0 {
            base.clone()
        } else {
            (0..next() % 64).map(|_| next() as u8).collect()
        };
        for _ in 0..1 + next() % 4 {
            if !m.is_empty() {
                let at = (next() as usize) % m.len();
                m[at] = next() as u8;
            }
        }
        m.truncate((next() as usize) % (m.len() + 1));
        let _ = parse_message(&m);
        let _ = tcp_message(&m);
    }
}

#[test]
fn pointer_to_a_known_name_reuses_its_text() {
    let mut body = question(&wire_name("www.example.com"), 1);
    for last in 1..=3 {
        body.extend(record(&[0xc0, 12], 1, 60, &[192, 0, 2, last]));
    }
    // A pointer into the middle of the question: "example.com".
    body.extend(record(&[0xc0, 16], 1, 60, &[192, 0, 2, 9]));
    let m = done(&message(0x8180, [1, 4, 0, 0], &body));
    let owners: Vec<_> = m.answers.iter().map(|r| m.name(r.name)).collect();
    assert_eq!(
        owners,
        [
            "www.example.com",
            "www.example.com",
            "www.example.com",
            "example.com"
        ]
    );
    assert_eq!(
        m.answers[0].name, m.questions[0].name,
        "same text, not a copy"
    );
    assert_eq!(m.names.len(), "www.example.com".len());
}

#[test]
fn known_name_reuse_keeps_the_pointer_bound() {
    // The question "a" ends in a pointer chain of MAX_POINTER_HOPS pointers in all; an owner
    // pointing at "a" needs one more, so it must fail as a walk would, not reuse the text.
    let qlen = 2 + 2 + 4;
    let alen = 2 + 10 + 4;
    let chain = 12 + qlen + alen;
    let mut body = vec![1, b'a', 0xc0 | (chain >> 8) as u8, chain as u8, 0, 1, 0, 1];
    body.extend(record(&[0xc0, 12], 1, 60, &[192, 0, 2, 1]));
    for i in 0..MAX_POINTER_HOPS - 1 {
        let next = chain + 2 * (i + 1);
        body.extend([0xc0 | (next >> 8) as u8, next as u8]);
    }
    body.push(0);
    let m = done(&message(0x8180, [1, 1, 0, 0], &body));
    assert_eq!(q0(&m), "a");
    assert!(m.answers.is_empty());
    assert_eq!(m.damage, Some(Weird::DnsNamePointerLoop));
}

#[test]
fn names_past_the_known_table_are_still_read() {
    // More labels than MAX_KNOWN: later names are walked instead of reused, same text.
    let mut body = question(&wire_name("q.example"), 1);
    let mut owners = Vec::new();
    for i in 0..MAX_KNOWN + 4 {
        let at = 12 + body.len();
        let name = format!("n{i}.example");
        body.extend(record(&wire_name(&name), 1, 60, &[10, 0, 0, i as u8]));
        owners.push((at, name));
    }
    let (at, last) = owners.last().cloned().unwrap();
    body.extend(record(
        &[0xc0 | (at >> 8) as u8, at as u8],
        1,
        60,
        &[10, 0, 1, 1],
    ));
    let count = (MAX_KNOWN + 5) as u16;
    let m = done(&message(0x8180, [1, count, 0, 0], &body));
    assert!(m.damage.is_none());
    assert_eq!(m.name(m.answers.last().unwrap().name), last);
    assert_eq!(
        m.name(m.answers[MAX_KNOWN + 2].name),
        format!("n{}.example", MAX_KNOWN + 2)
    );
}

#[test]
fn printable_check_word_at_a_time_matches_bytewise() {
    // Every byte value at every position of a 17-byte run (two words and a tail).
    for bad in 0u8..=255 {
        for at in 0..17 {
            let mut raw = [b'a'; 17];
            raw[at] = bad;
            let expect = (0x20..0x7f).contains(&bad);
            assert_eq!(name::all_printable(&raw), expect, "byte {bad:#x} at {at}");
        }
    }
    assert!(name::all_printable(b""));
    assert!(name::all_printable(b" ~ ~ ~ ~ ~ ~ ~ ~"));
}

#[test]
fn parse_into_reuses_a_message_and_clears_it() {
    let mut body = question(&wire_name("a.example.com"), 1);
    body.extend(record(&[0xc0, 12], 1, 60, &[192, 0, 2, 1]));
    let first = message(0x8180, [1, 1, 0, 0], &body);
    let second = message(
        0x0100,
        [1, 0, 0, 0],
        &question(&wire_name("b\x01.example"), 28),
    );
    let mut m = Message::default();
    assert_eq!(parse_into(&mut m, &first), Parsed::Done(()));
    assert_eq!(m.answers.len(), 1);
    assert_eq!(parse_into(&mut m, &second), Parsed::Done(()));
    assert_eq!(m, done(&second));
    assert_eq!(questions(&m), vec![("b\\001.example", 28)]);
    assert!(m.answers.is_empty() && !m.response);
    assert_eq!(
        parse_into(&mut m, &[0x12]),
        Parsed::Malformed(Weird::DnsShortHeader)
    );
}

#[test]
fn names_built_from_runs_and_pointers() {
    // A name whose labels come in two runs (pointer in the middle), and a too-long name cut
    // in its first run.
    let mut body = question(&wire_name("x.y.example.com"), 1);
    // CNAME target: "c.d" then a pointer to "example.com" of the question (offset 16).
    let mut target = vec![1, b'c', 1, b'd', 0xc0, 16];
    body.extend(record(&[0xc0, 12], 5, 60, &target));
    let long: String = (0..5).map(|i| format!("{}{i}.", "l".repeat(60))).collect();
    target = wire_name(&long);
    body.extend(record(&[0xc0, 12], 5, 60, &target));
    let m = done(&message(0x8180, [1, 2, 0, 0], &body));
    let names: Vec<&str> = m
        .answers
        .iter()
        .map(|r| match r.data {
            RecordData::Cname(t) => m.name(t),
            _ => "",
        })
        .collect();
    assert_eq!(names, vec!["c.d.example.com", TOO_LONG]);
    assert_eq!(m.name(m.answers[0].name), "x.y.example.com");
}
