//! Tests of the DNS cache: CNAME chains, TTL and grace, per-client answers, mDNS, and every
//! bound.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;
use crate::wire::dns::Question;

const CLIENT: DeviceId = DeviceId::Ip(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)));
const OTHER: DeviceId = DeviceId::Ip(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11)));

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, last))
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_parts(1_700_000_000 + secs, 0)
}

/// Record data with names as text (a `Message` keeps names in its own buffer).
enum Data {
    Plain(RecordData),
    Cname(String),
    Svcb {
        ech: bool,
        ipv4_hints: Vec<Ipv4Addr>,
        ipv6_hints: Vec<Ipv6Addr>,
    },
}

fn cname(target: &str) -> Data {
    Data::Cname(target.into())
}

fn rr(name: &str, ttl: u32, data: Data) -> (String, u32, Data) {
    (name.into(), ttl, data)
}

fn a(name: &str, ttl: u32, last: u8) -> (String, u32, Data) {
    let IpAddr::V4(v4) = ip(last) else {
        unreachable!()
    };
    rr(name, ttl, Data::Plain(RecordData::A(v4)))
}

/// `record` as a record of `msg`.
fn record(msg: &mut Message, (name, ttl, data): (String, u32, Data)) -> Record {
    let data = match data {
        Data::Plain(d) => d,
        Data::Cname(target) => RecordData::Cname(msg.add_name(&target)),
        Data::Svcb {
            ech,
            ipv4_hints,
            ipv6_hints,
        } => RecordData::Svcb {
            priority: 1,
            target: msg.add_name("<Root>"),
            ech,
            alpn: vec!["h3".into()],
            ipv4_hints,
            ipv6_hints,
        },
    };
    Record {
        name: msg.add_name(&name),
        rtype: 0,
        ttl,
        data,
    }
}

fn additional(msg: &mut Message, rec: (String, u32, Data)) {
    let rec = record(msg, rec);
    msg.additional.push(rec);
}

fn response(question: &str, answers: Vec<(String, u32, Data)>) -> Message {
    let mut msg = Message {
        names: String::new(),
        id: 1,
        response: true,
        opcode: 0,
        rcode: 0,
        questions: vec![],
        answers: vec![],
        edns: None,
        truncated: false,
        recursion_available: true,
        additional: vec![],
        damage: None,
    };
    let name = msg.add_name(question);
    msg.questions.push(Question { name, qtype: 1 });
    for rec in answers {
        let rec = record(&mut msg, rec);
        msg.answers.push(rec);
    }
    msg
}

fn learn(cache: &mut DnsCache, at: u64, msg: &Message) -> Counters {
    let mut weirds = Counters::default();
    cache.learn(t(at), CLIENT, msg, &mut weirds);
    weirds
}

#[test]
fn follows_cname_chain_to_the_question() {
    let mut cache = DnsCache::new();
    let msg = response(
        "WWW.Example.com",
        vec![
            a("b.cdn.net", 60, 7), // order in the message does not matter
            rr("www.example.com", 300, cname("A.cdn.net")),
            rr("a.cdn.net", 300, cname("b.cdn.net")),
        ],
    );
    learn(&mut cache, 0, &msg);
    let r = cache.lookup(CLIENT, ip(7), t(1)).expect("resolved");
    assert_eq!(r.name, "www.example.com");
    assert_eq!(
        r.chain,
        vec!["a.cdn.net".to_string(), "b.cdn.net".to_string()]
    );
    assert_eq!((r.learned, r.expires), (t(0), t(60)));
    assert_eq!(
        cache.lookup(OTHER, ip(7), t(1)),
        None,
        "no fallback to other clients"
    );
}

#[test]
fn cname_loop_and_long_chain_are_bounded() {
    let mut cache = DnsCache::new();
    let looped = response(
        "q.example",
        vec![
            rr("x.example", 60, cname("y.example")),
            rr("y.example", 60, cname("x.example")),
            a("y.example", 60, 1),
        ],
    );
    learn(&mut cache, 0, &looped);
    assert!(cache.lookup(CLIENT, ip(1), t(0)).is_some());

    let mut answers: Vec<_> = (0..MAX_CHAIN + 3)
        .map(|i| {
            rr(
                &format!("n{i}.example"),
                60,
                cname(&format!("n{}.example", i + 1)),
            )
        })
        .collect();
    answers.push(a(&format!("n{}.example", MAX_CHAIN + 3), 60, 2));
    let weirds = learn(&mut cache, 0, &response("n0.example", answers));
    let r = cache.lookup(CLIENT, ip(2), t(0)).expect("resolved");
    assert_eq!(r.chain.len(), MAX_CHAIN);
    assert_eq!(weirds.get(Weird::DnsCacheChainTooLong), 1);
}

#[test]
fn ttl_and_grace() {
    let mut cache = DnsCache::new();
    learn(
        &mut cache,
        0,
        &response("short.example", vec![a("short.example", 30, 1)]),
    );
    assert!(cache.lookup(CLIENT, ip(1), t(30)).is_some());
    assert!(
        cache.lookup(CLIENT, ip(1), t(30 + GRACE_SECS)).is_some(),
        "stale but in grace"
    );
    assert!(
        cache.lookup(CLIENT, ip(1), t(31 + GRACE_SECS)).is_none(),
        "past grace"
    );
}

#[test]
fn most_recent_wins_but_unexpired_first() {
    let mut cache = DnsCache::new();
    learn(
        &mut cache,
        0,
        &response("old.example", vec![a("old.example", 3_600, 1)]),
    );
    learn(
        &mut cache,
        10,
        &response("new.example", vec![a("new.example", 60, 1)]),
    );
    let name = |cache: &DnsCache, now| cache.lookup(CLIENT, ip(1), t(now)).map(|r| r.name.clone());
    assert_eq!(name(&cache, 20).as_deref(), Some("new.example"));
    // new.example expired at 70; old.example still holds.
    assert_eq!(name(&cache, 100).as_deref(), Some("old.example"));
    // Both expired: the newest within grace.
    assert_eq!(name(&cache, 3_650).as_deref(), Some("new.example"));
    // Relearning a name refreshes it rather than adding a second copy.
    learn(
        &mut cache,
        4_000,
        &response("old.example", vec![a("old.example", 60, 1)]),
    );
    assert_eq!(
        cache.by_address.get(&(CLIENT, ip(1))).map(Vec::len),
        Some(2)
    );
    assert_eq!(name(&cache, 4_010).as_deref(), Some("old.example"));
}

#[test]
fn names_per_address_bound() {
    let mut cache = DnsCache::new();
    let mut weirds = Counters::default();
    for i in 0..=MAX_NAMES_PER_ADDRESS as u64 {
        let n = format!("n{i}.example");
        cache.learn(
            t(i),
            CLIENT,
            &response(&n, vec![a(&n, 600, 1)]),
            &mut weirds,
        );
    }
    let names = cache.by_address.get(&(CLIENT, ip(1))).expect("entry");
    assert_eq!(names.len(), MAX_NAMES_PER_ADDRESS);
    assert!(
        !names.iter().any(|r| r.name == "n0.example"),
        "oldest dropped"
    );
    assert_eq!(weirds.get(Weird::DnsCacheNamesPerAddressFull), 1);
}

#[test]
fn https_answer_ech_flag_and_hints() {
    let mut cache = DnsCache::new();
    let svcb = Data::Svcb {
        ech: true,
        ipv4_hints: vec![Ipv4Addr::new(203, 0, 113, 9)],
        ipv6_hints: vec![Ipv6Addr::LOCALHOST],
    };
    let msg = response(
        "Crypto.Example",
        vec![
            rr("crypto.example", 300, cname("edge.cdn.example")),
            rr("edge.cdn.example", 300, svcb),
        ],
    );
    learn(&mut cache, 0, &msg);
    assert!(cache.has_ech_config(CLIENT, "crypto.example"));
    assert!(cache.has_ech_config(CLIENT, "EDGE.cdn.example"));
    assert!(!cache.has_ech_config(OTHER, "crypto.example"));
    assert!(!cache.has_ech_config(CLIENT, "other.example"));
    let hinted = cache.lookup(CLIENT, ip(9), t(1)).expect("ipv4hint");
    assert_eq!(
        (hinted.name.as_str(), hinted.chain.len()),
        ("crypto.example", 1)
    );
    assert!(
        cache
            .lookup(CLIENT, IpAddr::V6(Ipv6Addr::LOCALHOST), t(1))
            .is_some()
    );
}

#[test]
fn mdns_without_questions_uses_owner_and_additional() {
    let mut cache = DnsCache::new();
    let mut msg = response("", vec![a("Printer.local", 120, 3)]);
    msg.questions.clear();
    additional(&mut msg, a("nas.local", 120, 4));
    learn(&mut cache, 0, &msg);
    assert_eq!(
        cache.lookup(CLIENT, ip(3), t(0)).map(|r| r.name.as_str()),
        Some("printer.local")
    );
    assert_eq!(
        cache.lookup(CLIENT, ip(4), t(0)).map(|r| r.name.as_str()),
        Some("nas.local")
    );
    // Unicast additional records (glue) are not used.
    let mut glue = response("q.example", vec![]);
    additional(&mut glue, a("ns.example", 60, 5));
    learn(&mut cache, 0, &glue);
    assert!(cache.lookup(CLIENT, ip(5), t(0)).is_none());
}

#[test]
fn queries_are_ignored() {
    let mut cache = DnsCache::new();
    let mut msg = response("q.example", vec![a("q.example", 60, 1)]);
    msg.response = false;
    learn(&mut cache, 0, &msg);
    assert!(cache.is_empty());
}

#[test]
fn evicts_oldest_at_max_entries() {
    let mut cache = DnsCache::new();
    let mut weirds = Counters::default();
    for i in 0..=MAX_ENTRIES as u32 {
        let server = Ipv4Addr::from(0x0a00_0000 + i);
        let msg = response(
            "x.example",
            vec![rr("x.example", 86_400, Data::Plain(RecordData::A(server)))],
        );
        cache.learn(t(u64::from(i)), CLIENT, &msg, &mut weirds);
    }
    assert_eq!(cache.len(), MAX_ENTRIES);
    assert_eq!(weirds.get(Weird::DnsCacheEvicted), 1);
    let first = IpAddr::V4(Ipv4Addr::from(0x0a00_0000));
    let second = IpAddr::V4(Ipv4Addr::from(0x0a00_0001));
    let now = t(MAX_ENTRIES as u64);
    assert!(cache.lookup(CLIENT, first, now).is_none(), "oldest evicted");
    assert!(cache.lookup(CLIENT, second, now).is_some());
}

#[test]
fn ech_flags_bounded() {
    let mut cache = DnsCache::new();
    let mut weirds = Counters::default();
    for i in 0..MAX_ECH_NAMES / 2 + 1 {
        let n = format!("n{i}.example");
        let svcb = Data::Svcb {
            ech: true,
            ipv4_hints: vec![],
            ipv6_hints: vec![],
        };
        // Owner differs from the question, so each answer flags two names.
        let msg = response(
            &n,
            vec![
                rr(&n, 60, cname(&format!("edge{i}.example"))),
                rr(&format!("edge{i}.example"), 60, svcb),
            ],
        );
        cache.learn(t(0), CLIENT, &msg, &mut weirds);
    }
    assert_eq!(cache.ech.map.len(), MAX_ECH_NAMES);
    assert_eq!(weirds.get(Weird::DnsCacheEchEvicted), 2);
    assert!(!cache.has_ech_config(CLIENT, "n0.example"));
    assert!(cache.has_ech_config(CLIENT, "n1.example"));
    assert!(cache.is_empty(), "no hints, no addresses");
}
