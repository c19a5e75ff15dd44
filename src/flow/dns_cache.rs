//! The DNS cache: which name a client resolved to which server address.
//!
//! Learned from responses (`learn`), asked when a flow starts (`lookup`). Rules:
//! - A name is the question name the client asked (lower case), found by following the CNAME
//!   chain in the answer back from the address record; `chain` keeps the CNAME targets in
//!   order. A message without questions (mDNS announcements) names an address by the head of
//!   its chain, and its additional section counts too (mDNS puts host addresses there);
//!   unicast additional records (glue) are not trusted.
//! - SVCB/HTTPS `ipv4hint`/`ipv6hint` addresses resolve like A/AAAA answers for the name.
//! - Entries stay usable [`GRACE_SECS`] past their TTL: browsers and OS caches keep using
//!   addresses after the TTL (serve-stale, long-lived connection pools, TTL 0 answers), and a
//!   newer answer for the address replaces the guess anyway. Unexpired entries win over
//!   expired ones, then the most recently learned.
//! - Only the client's own answers count: no fallback to another client's resolution of the
//!   same address, because shared CDN addresses serve many names and another device's lookup
//!   says nothing about what this one asked for.
//! - Bounded: [`MAX_ENTRIES`] (client, address) pairs and [`MAX_ECH_NAMES`] ECH flags, oldest
//!   learned evicted first (`dns_cache.evicted`, `dns_cache.ech_evicted`); at most
//!   [`MAX_NAMES_PER_ADDRESS`] names per pair (`dns_cache.names_per_address_full`) and
//!   [`MAX_CHAIN`] CNAME steps (`dns_cache.chain_too_long`).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::net::IpAddr;

use crate::observation::DeviceId;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::dns::{Message, Record, RecordData};

/// Most (client, server address) pairs kept.
pub const MAX_ENTRIES: usize = 65_536;
/// Most (client, name) ECH flags kept.
pub const MAX_ECH_NAMES: usize = 16_384;
/// Most names kept for one (client, address) pair (CDN addresses serve many names).
pub const MAX_NAMES_PER_ADDRESS: usize = 4;
/// Most CNAME steps followed from an address back to the question name.
pub const MAX_CHAIN: usize = 16;
/// How long past its TTL an answer is still used.
pub const GRACE_SECS: u64 = 3_600;

/// What a DNS answer said about one server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The name the client asked for (lower case, no trailing dot).
    pub name: String,
    /// CNAME targets from `name` to the address, in order (lower case).
    pub chain: Vec<String>,
    /// When the answer arrived.
    pub learned: Timestamp,
    /// When its TTL ran out.
    pub expires: Timestamp,
}

/// (client, server address) → names, bounded.
#[derive(Debug)]
pub struct DnsCache {
    by_address: Bounded<(DeviceId, IpAddr), Vec<Resolution>>,
    ech: Bounded<(DeviceId, String), ()>,
}

impl Default for DnsCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DnsCache {
    /// An empty cache.
    pub fn new() -> Self {
        DnsCache {
            by_address: Bounded::new(MAX_ENTRIES, "dns_cache.evicted"),
            ech: Bounded::new(MAX_ECH_NAMES, "dns_cache.ech_evicted"),
        }
    }

    /// Learn from a DNS response sent to `client`. Queries are ignored.
    /// Returns the names that resolved through CNAMEs, with their chains (once per name), as
    /// evidence for cloaking.
    pub fn learn(
        &mut self,
        ts: Timestamp,
        client: DeviceId,
        msg: &Message,
        weirds: &mut Counters,
    ) -> Vec<(String, Vec<String>)> {
        let mut chains: Vec<(String, Vec<String>)> = Vec::new();
        if !msg.response {
            return chains;
        }
        let records: Vec<&Record> = if msg.questions.is_empty() {
            msg.answers.iter().chain(&msg.additional).collect()
        } else {
            msg.answers.iter().collect()
        };
        let cnames = Cnames::new(&records);
        for rr in &records {
            let addresses = match &rr.data {
                RecordData::A(a) => vec![IpAddr::V4(*a)],
                RecordData::Aaaa(a) => vec![IpAddr::V6(*a)],
                RecordData::Svcb {
                    ech,
                    ipv4_hints,
                    ipv6_hints,
                    ..
                } => {
                    let (name, _) = cnames.back_to_question(&rr.name, msg, weirds);
                    if *ech {
                        self.ech.upsert((client, lower(&rr.name)), weirds);
                        self.ech.upsert((client, name), weirds);
                    }
                    let v4 = ipv4_hints.iter().map(|a| IpAddr::V4(*a));
                    v4.chain(ipv6_hints.iter().map(|a| IpAddr::V6(*a)))
                        .collect()
                }
                RecordData::Cname(_) | RecordData::Other => continue,
            };
            if addresses.is_empty() {
                continue;
            }
            let (name, chain) = cnames.back_to_question(&rr.name, msg, weirds);
            if !chain.is_empty() && !chains.iter().any(|(n, _)| *n == name) {
                chains.push((name.clone(), chain.clone()));
            }
            let resolution = Resolution {
                name,
                chain,
                learned: ts,
                expires: ts.plus_secs(u64::from(rr.ttl)),
            };
            for server in addresses {
                self.remember(client, server, resolution.clone(), weirds);
            }
        }
        chains
    }

    /// Store `res` for (client, server): replaces the same name, else adds, dropping the
    /// oldest learned name when the pair is full.
    fn remember(
        &mut self,
        client: DeviceId,
        server: IpAddr,
        res: Resolution,
        weirds: &mut Counters,
    ) {
        let names = self.by_address.upsert((client, server), weirds);
        if let Some(same) = names.iter_mut().find(|r| r.name == res.name) {
            *same = res;
            return;
        }
        if names.len() >= MAX_NAMES_PER_ADDRESS {
            weirds.bump("dns_cache.names_per_address_full");
            if let Some(oldest) = (0..names.len()).min_by_key(|&i| names.get(i).map(|r| r.learned))
            {
                names.swap_remove(oldest);
            }
        }
        names.push(res);
    }

    /// The name `client` most recently resolved to `server`, if any: among answers not older
    /// than their TTL plus [`GRACE_SECS`], an unexpired one first, then the newest.
    pub fn lookup(&self, client: DeviceId, server: IpAddr, now: Timestamp) -> Option<&Resolution> {
        self.by_address
            .get(&(client, server))?
            .iter()
            .filter(|r| now <= r.expires.plus_secs(GRACE_SECS))
            .max_by_key(|r| (now <= r.expires, r.learned))
    }

    /// True when an HTTPS/SVCB answer for `name` (lower case) carried an ECH config. Sticky:
    /// a later answer without ECH does not clear it (the browser may still hold the config).
    pub fn has_ech_config(&self, client: DeviceId, name: &str) -> bool {
        self.ech.get(&(client, lower(name))).is_some()
    }

    /// Number of (client, address) entries.
    pub fn len(&self) -> usize {
        self.by_address.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Lower case (ASCII: DNS compares names case-insensitively for ASCII only), no trailing dot.
fn lower(name: &str) -> String {
    let name = if name.len() > 1 {
        name.strip_suffix('.').unwrap_or(name)
    } else {
        name
    };
    name.to_ascii_lowercase()
}

/// CNAME records of one message: target → owner (both lower case).
struct Cnames(HashMap<String, String>);

impl Cnames {
    fn new(records: &[&Record]) -> Self {
        let map = records
            .iter()
            .filter_map(|rr| match &rr.data {
                RecordData::Cname(target) => Some((lower(target), lower(&rr.name))),
                _ => None,
            })
            .collect();
        Cnames(map)
    }

    /// Follow CNAMEs from `owner` back to the head: (head name, CNAME targets from the head
    /// to `owner` in order). Stops at a question name, a loop or [`MAX_CHAIN`] steps.
    fn back_to_question(
        &self,
        owner: &str,
        msg: &Message,
        weirds: &mut Counters,
    ) -> (String, Vec<String>) {
        let is_question = |n: &str| msg.questions.iter().any(|q| lower(&q.name) == n);
        let mut walked = vec![lower(owner)];
        while let Some(current) = walked.last() {
            if is_question(current) {
                break;
            }
            let Some(owner) = self.0.get(current) else {
                break;
            };
            if walked.contains(owner) {
                break;
            }
            if walked.len() > MAX_CHAIN {
                weirds.bump("dns_cache.chain_too_long");
                break;
            }
            walked.push(owner.clone());
        }
        let name = walked.pop().unwrap_or_default();
        walked.reverse();
        (name, walked)
    }
}

/// A map with at most `max` keys that evicts the least recently written key.
#[derive(Debug)]
struct Bounded<K, V> {
    map: HashMap<K, (u64, V)>,
    order: BTreeMap<u64, K>,
    next: u64,
    max: usize,
    weird: &'static str,
}

impl<K: Clone + Eq + Hash, V: Default> Bounded<K, V> {
    fn new(max: usize, weird: &'static str) -> Self {
        Bounded {
            map: HashMap::new(),
            order: BTreeMap::new(),
            next: 0,
            max,
            weird,
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(_, v)| v)
    }

    /// The value for `key` (created if missing), marked as the newest; evicts the oldest
    /// key when a new one would go over the bound.
    fn upsert(&mut self, key: K, weirds: &mut Counters) -> &mut V {
        self.next += 1;
        let seq = self.next;
        if let Some((old, _)) = self.map.get(&key) {
            self.order.remove(old);
        } else {
            while self.map.len() >= self.max {
                let Some((_, oldest)) = self.order.pop_first() else {
                    break;
                };
                self.map.remove(&oldest);
                weirds.bump(self.weird);
            }
        }
        self.order.insert(seq, key.clone());
        let slot = self.map.entry(key).or_insert_with(|| (seq, V::default()));
        slot.0 = seq;
        &mut slot.1
    }
}

#[cfg(test)]
mod tests {
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

    fn rr(name: &str, ttl: u32, data: RecordData) -> Record {
        Record {
            name: name.into(),
            rtype: 0,
            ttl,
            data,
        }
    }

    fn a(name: &str, ttl: u32, last: u8) -> Record {
        let IpAddr::V4(v4) = ip(last) else {
            unreachable!()
        };
        rr(name, ttl, RecordData::A(v4))
    }

    fn response(question: &str, answers: Vec<Record>) -> Message {
        Message {
            id: 1,
            response: true,
            opcode: 0,
            rcode: 0,
            questions: vec![Question {
                name: question.into(),
                qtype: 1,
            }],
            answers,
            edns: None,
            truncated: false,
            additional: vec![],
            damage: None,
        }
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
                rr(
                    "www.example.com",
                    300,
                    RecordData::Cname("A.cdn.net".into()),
                ),
                rr("a.cdn.net", 300, RecordData::Cname("b.cdn.net".into())),
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
                rr("x.example", 60, RecordData::Cname("y.example".into())),
                rr("y.example", 60, RecordData::Cname("x.example".into())),
                a("y.example", 60, 1),
            ],
        );
        learn(&mut cache, 0, &looped);
        assert!(cache.lookup(CLIENT, ip(1), t(0)).is_some());

        let mut answers: Vec<Record> = (0..MAX_CHAIN + 3)
            .map(|i| {
                rr(
                    &format!("n{i}.example"),
                    60,
                    RecordData::Cname(format!("n{}.example", i + 1)),
                )
            })
            .collect();
        answers.push(a(&format!("n{}.example", MAX_CHAIN + 3), 60, 2));
        let weirds = learn(&mut cache, 0, &response("n0.example", answers));
        let r = cache.lookup(CLIENT, ip(2), t(0)).expect("resolved");
        assert_eq!(r.chain.len(), MAX_CHAIN);
        assert_eq!(weirds.get("dns_cache.chain_too_long"), 1);
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
        let name =
            |cache: &DnsCache, now| cache.lookup(CLIENT, ip(1), t(now)).map(|r| r.name.clone());
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
        assert_eq!(weirds.get("dns_cache.names_per_address_full"), 1);
    }

    #[test]
    fn https_answer_ech_flag_and_hints() {
        let mut cache = DnsCache::new();
        let svcb = RecordData::Svcb {
            priority: 1,
            target: "<Root>".into(),
            ech: true,
            alpn: vec!["h3".into()],
            ipv4_hints: vec![Ipv4Addr::new(203, 0, 113, 9)],
            ipv6_hints: vec![Ipv6Addr::LOCALHOST],
        };
        let msg = response(
            "Crypto.Example",
            vec![
                rr(
                    "crypto.example",
                    300,
                    RecordData::Cname("edge.cdn.example".into()),
                ),
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
        msg.additional.push(a("nas.local", 120, 4));
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
        glue.additional.push(a("ns.example", 60, 5));
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
                vec![rr("x.example", 86_400, RecordData::A(server))],
            );
            cache.learn(t(u64::from(i)), CLIENT, &msg, &mut weirds);
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert_eq!(weirds.get("dns_cache.evicted"), 1);
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
            let svcb = RecordData::Svcb {
                priority: 1,
                target: "<Root>".into(),
                ech: true,
                alpn: vec![],
                ipv4_hints: vec![],
                ipv6_hints: vec![],
            };
            // Owner differs from the question, so each answer flags two names.
            let msg = response(
                &n,
                vec![
                    rr(&n, 60, RecordData::Cname(format!("edge{i}.example"))),
                    rr(&format!("edge{i}.example"), 60, svcb),
                ],
            );
            cache.learn(t(0), CLIENT, &msg, &mut weirds);
        }
        assert_eq!(cache.ech.map.len(), MAX_ECH_NAMES);
        assert_eq!(weirds.get("dns_cache.ech_evicted"), 2);
        assert!(!cache.has_ech_config(CLIENT, "n0.example"));
        assert!(cache.has_ech_config(CLIENT, "n1.example"));
        assert!(cache.is_empty(), "no hints, no addresses");
    }
}
