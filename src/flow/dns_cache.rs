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

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use crate::observation::DeviceId;
use crate::weird::Weird;

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
/// Above this many CNAME records in one message they are indexed by a hash map; below, a
/// scan is cheaper than building one.
const CNAME_SCAN_MAX: usize = 16;

/// foldhash: fast, and seeded per process so crafted keys cannot flood one bucket.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

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
            by_address: Bounded::new(MAX_ENTRIES, Weird::DnsCacheEvicted),
            ech: Bounded::new(MAX_ECH_NAMES, Weird::DnsCacheEchEvicted),
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
        let additional: &[Record] = if msg.questions.is_empty() {
            &msg.additional
        } else {
            &[]
        };
        let records = || msg.answers.iter().chain(additional);
        let cnames = Cnames::new(msg, records());
        for rr in records() {
            let owner = msg.name(rr.name);
            let (single, v4, v6) = match &rr.data {
                RecordData::A(a) => (Some(IpAddr::V4(*a)), &[][..], &[][..]),
                RecordData::Aaaa(a) => (Some(IpAddr::V6(*a)), &[][..], &[][..]),
                RecordData::Svcb {
                    ech,
                    ipv4_hints,
                    ipv6_hints,
                    ..
                } => {
                    let walk = cnames.walk(owner, msg, weirds);
                    if *ech {
                        self.ech.upsert((client, lower(owner)), weirds);
                        self.ech
                            .upsert((client, walk.head().to_ascii_lowercase()), weirds);
                    }
                    (None, ipv4_hints.as_slice(), ipv6_hints.as_slice())
                }
                RecordData::Cname(_) | RecordData::Other => continue,
            };
            if single.is_none() && v4.is_empty() && v6.is_empty() {
                continue;
            }
            let walk = cnames.walk(owner, msg, weirds);
            let head = walk.head();
            if walk.has_chain() && !chains.iter().any(|(n, _)| n.eq_ignore_ascii_case(head)) {
                chains.push((head.to_ascii_lowercase(), walk.chain()));
            }
            let expires = ts.plus_secs(u64::from(rr.ttl));
            let addresses = single.into_iter().chain(v4.iter().map(|a| IpAddr::V4(*a)));
            for server in addresses.chain(v6.iter().map(|a| IpAddr::V6(*a))) {
                self.remember(client, server, &walk, (ts, expires), weirds);
            }
        }
        chains
    }

    /// Store what `walk` found for (client, server), learned and expiring at `times`:
    /// refreshes the same name, else adds, dropping the oldest learned name when the pair is
    /// full. Refreshing an unchanged answer (the common case) allocates nothing.
    fn remember(
        &mut self,
        client: DeviceId,
        server: IpAddr,
        walk: &Walk<'_>,
        (learned, expires): (Timestamp, Timestamp),
        weirds: &mut Counters,
    ) {
        let names = self.by_address.upsert((client, server), weirds);
        // Stored names are lower case, so a caseless match is equality with the lowered head.
        if let Some(same) = names
            .iter_mut()
            .find(|r| r.name.eq_ignore_ascii_case(walk.head()))
        {
            same.learned = learned;
            same.expires = expires;
            if !walk.chain_is(&same.chain) {
                same.chain = walk.chain();
            }
            return;
        }
        if names.len() >= MAX_NAMES_PER_ADDRESS {
            weirds.bump(Weird::DnsCacheNamesPerAddressFull);
            if let Some(oldest) = (0..names.len()).min_by_key(|&i| names.get(i).map(|r| r.learned))
            {
                names.swap_remove(oldest);
            }
        }
        names.push(Resolution {
            name: walk.head().to_ascii_lowercase(),
            chain: walk.chain(),
            learned,
            expires,
        });
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

/// The comparison form of a name: without one trailing dot. Two names are the same when their
/// keys are equal ignoring ASCII case (DNS compares names case-insensitively for ASCII only).
fn key(name: &str) -> &str {
    if name.len() > 1 {
        name.strip_suffix('.').unwrap_or(name)
    } else {
        name
    }
}

/// The stored form of a name: its [`key`] in lower case.
fn lower(name: &str) -> String {
    key(name).to_ascii_lowercase()
}

/// A name key hashed and compared ignoring ASCII case, to index CNAME targets without
/// lowering each into a new `String`.
#[derive(Debug, Clone, Copy)]
struct Caseless<'m>(&'m str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// CNAME records of one message: target key → owner key (text borrowed from the message).
struct Cnames<'m> {
    /// (target, owner) in message order.
    list: Vec<(&'m str, &'m str)>,
    /// The same by target, built only when a scan of `list` would be slow.
    index: Option<FastMap<Caseless<'m>, &'m str>>,
}

impl<'m> Cnames<'m> {
    fn new(msg: &'m Message, records: impl Iterator<Item = &'m Record>) -> Self {
        let list: Vec<(&str, &str)> = records
            .filter_map(|rr| match &rr.data {
                RecordData::Cname(target) => Some((key(msg.name(*target)), key(msg.name(rr.name)))),
                _ => None,
            })
            .collect();
        // Later records for the same target win, as they did when the map was collected.
        let index = (list.len() > CNAME_SCAN_MAX)
            .then(|| list.iter().map(|&(t, o)| (Caseless(t), o)).collect());
        Cnames { list, index }
    }

    /// The owner of the CNAME whose target is `target` (a key).
    fn owner_of(&self, target: &str) -> Option<&'m str> {
        match &self.index {
            Some(index) => index.get(&Caseless(target)).copied(),
            None => self
                .list
                .iter()
                .rev()
                .find(|(t, _)| t.eq_ignore_ascii_case(target))
                .map(|&(_, o)| o),
        }
    }

    /// Follow CNAMEs from `owner` back to the head. Stops at a question name, a loop or
    /// [`MAX_CHAIN`] steps (`dns_cache.chain_too_long`).
    fn walk(&self, owner: &'m str, msg: &'m Message, weirds: &mut Counters) -> Walk<'m> {
        let is_question = |n: &str| {
            msg.questions
                .iter()
                .any(|q| key(msg.name(q.name)).eq_ignore_ascii_case(n))
        };
        let mut walk = Walk {
            steps: [key(owner); MAX_CHAIN + 1],
            len: 1,
        };
        loop {
            let current = walk.head();
            if is_question(current) {
                break;
            }
            let Some(owner) = self.owner_of(current) else {
                break;
            };
            if walk.walked().iter().any(|w| w.eq_ignore_ascii_case(owner)) {
                break;
            }
            let Some(slot) = walk.steps.get_mut(walk.len) else {
                weirds.bump(Weird::DnsCacheChainTooLong);
                break;
            };
            *slot = owner;
            walk.len += 1;
        }
        walk
    }
}

/// The names from an address record's owner back to the head (keys, not lowered).
struct Walk<'m> {
    /// `steps[0]` is the owner; each next one the owner of a CNAME to the one before.
    steps: [&'m str; MAX_CHAIN + 1],
    /// How many of `steps` are used (at least 1).
    len: usize,
}

impl Walk<'_> {
    fn walked(&self) -> &[&str] {
        self.steps.get(..self.len).unwrap_or_default()
    }

    /// The name the client asked for (or the head of the chain).
    fn head(&self) -> &str {
        self.walked().last().copied().unwrap_or_default()
    }

    fn has_chain(&self) -> bool {
        self.len > 1
    }

    /// The CNAME targets from the head to the owner, in order (lower case).
    fn chain(&self) -> Vec<String> {
        let targets = self.walked().iter().rev().skip(1);
        targets.map(|t| t.to_ascii_lowercase()).collect()
    }

    /// True when `stored` (lower case) is this walk's chain.
    fn chain_is(&self, stored: &[String]) -> bool {
        let targets = self.walked().iter().rev().skip(1);
        stored.len() + 1 == self.len
            && stored
                .iter()
                .zip(targets)
                .all(|(s, t)| s.eq_ignore_ascii_case(t))
    }
}

/// A map with at most `max` keys that evicts the least recently written key.
#[derive(Debug)]
struct Bounded<K, V> {
    map: FastMap<K, (u64, V)>,
    /// Keys in write order with the sequence number of that write. A key written again is
    /// queued again; its older entry, whose number no longer matches the map's, is stale and
    /// skipped (cheaper than removing it from an ordered map on every write).
    order: VecDeque<(u64, K)>,
    next: u64,
    max: usize,
    weird: Weird,
}

impl<K: Clone + Eq + Hash, V: Default> Bounded<K, V> {
    fn new(max: usize, weird: Weird) -> Self {
        Bounded {
            map: FastMap::default(),
            order: VecDeque::new(),
            next: 0,
            max,
            weird,
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(_, v)| v)
    }

    /// True when `entry` of `order` is the key's latest write.
    fn is_live(&self, (seq, key): &(u64, K)) -> bool {
        self.map.get(key).is_some_and(|(latest, _)| latest == seq)
    }

    /// The value for `key` (created if missing), marked as the newest; evicts the oldest
    /// key when a new one would go over the bound.
    fn upsert(&mut self, key: K, weirds: &mut Counters) -> &mut V {
        self.next += 1;
        let seq = self.next;
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.max {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                if self.is_live(&oldest) {
                    self.map.remove(&oldest.1);
                    weirds.bump(self.weird);
                }
            }
        }
        // Drop stale entries once they outnumber the live ones: keeps `order` within twice
        // the map's size, at an amortized constant cost per write.
        if self.order.len() > 2 * self.map.len() + 32 {
            let map = &self.map;
            self.order
                .retain(|(seq, key)| map.get(key).is_some_and(|(latest, _)| latest == seq));
        }
        self.order.push_back((seq, key.clone()));
        let slot = self.map.entry(key).or_insert_with(|| (seq, V::default()));
        slot.0 = seq;
        &mut slot.1
    }
}

#[cfg(test)]
#[path = "dns_cache_tests.rs"]
mod tests;
