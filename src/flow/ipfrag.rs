//! IPv4/IPv6 fragment reassembly, bounded.
//!
//! Fragments are keyed by (source, destination, protocol, identification). Pieces are kept
//! as they arrive (out of order is fine) and the datagram is returned once every byte from
//! 0 to the end given by the last fragment is there. Overlaps: **the first data wins** (as
//! in BSD and Zeek); later bytes for an already covered range are ignored, and counted as
//! `ipfrag.overlap` when they differ (a sign of evasion or corruption). Exact duplicates are
//! ignored silently.
//!
//! Limits: a datagram payload above [`MAX_DATAGRAM_BYTES`] (`ipfrag.too_large`), more than
//! [`MAX_FRAGMENTS`] pieces (`ipfrag.too_many_fragments`), [`MAX_REASSEMBLIES`] open at once
//! and [`MAX_BYTES_TOTAL`] buffered (the oldest is evicted, `ipfrag.evicted`), and
//! [`TIMEOUT_SECS`] after the first fragment (`ipfrag.timeout`).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::weird::Weird;
use crate::wire::link::Fragment;

/// Seconds after its first fragment that an incomplete datagram is dropped.
pub const TIMEOUT_SECS: u64 = 30;
/// Most datagrams under reassembly at once; the oldest is evicted for a new one.
pub const MAX_REASSEMBLIES: usize = 1024;
/// Most fragment bytes buffered over all reassemblies; the oldest are evicted to stay below.
pub const MAX_BYTES_TOTAL: usize = 8 << 20;
/// Largest reassembled IP payload.
pub const MAX_DATAGRAM_BYTES: usize = 65535;
/// Most stored pieces per datagram (tiny overlapping fragments would otherwise be cheap
/// to send and costly to keep).
pub const MAX_FRAGMENTS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
}

#[derive(Debug)]
struct Reassembly {
    first_seen: Timestamp,
    /// Arrival order, to evict the oldest deterministically.
    order: u64,
    /// Disjoint pieces by offset.
    pieces: BTreeMap<u32, Vec<u8>>,
    /// Payload length, known once the last fragment (more = false) arrived.
    total: Option<u32>,
    bytes: usize,
}

impl Reassembly {
    /// End offset of the contiguous bytes from 0.
    fn contiguous(&self) -> u32 {
        let mut end = 0u32;
        for (&start, data) in &self.pieces {
            if start > end {
                break;
            }
            end = end.max(start.saturating_add(data.len() as u32));
        }
        end
    }

    /// Store the parts of `data` at `offset` not yet covered; true if a covered part differed.
    fn insert(&mut self, offset: u32, data: &[u8]) -> bool {
        let end = offset.saturating_add(data.len() as u32);
        let mut differs = false;
        let mut gaps = Vec::new();
        let mut cursor = offset;
        let overlapping = self
            .pieces
            .range(..end)
            .filter(|(s, d)| s.saturating_add(d.len() as u32) > offset);
        for (&s, d) in overlapping {
            let e = s.saturating_add(d.len() as u32);
            if s > cursor {
                gaps.push((cursor, s));
            }
            let (lo, hi) = (s.max(offset), e.min(end));
            let old = d.get((lo - s) as usize..(hi - s) as usize);
            let new = data.get((lo - offset) as usize..(hi - offset) as usize);
            differs |= old != new;
            cursor = cursor.max(e);
        }
        if cursor < end {
            gaps.push((cursor, end));
        }
        for (s, e) in gaps {
            if let Some(part) = data.get((s - offset) as usize..(e - offset) as usize) {
                self.bytes += part.len();
                self.pieces.insert(s, part.to_vec());
            }
        }
        differs
    }

    /// True when a fragment ending at `end` contradicts the known or implied datagram end.
    fn contradicts(&self, more: bool, end: u32) -> bool {
        match (more, self.total) {
            (false, Some(total)) => total != end,
            (false, None) => self
                .pieces
                .last_key_value()
                .is_some_and(|(s, d)| s.saturating_add(d.len() as u32) > end),
            (true, Some(total)) => end > total,
            (true, None) => false,
        }
    }

    fn assemble(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.bytes);
        for data in self.pieces.values() {
            out.extend_from_slice(data);
        }
        out
    }
}

/// Reassembles fragmented datagrams.
#[derive(Debug, Default)]
pub struct Defragmenter {
    table: HashMap<Key, Reassembly>,
    bytes: usize,
    next_order: u64,
}

impl Defragmenter {
    /// An empty reassembler.
    pub fn new() -> Self {
        Defragmenter::default()
    }

    /// Datagrams under reassembly.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when nothing is under reassembly.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Fragment bytes buffered.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Add one fragment; returns the whole IP payload once every piece is there.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        fragment: Fragment,
        data: &[u8],
        weirds: &mut Counters,
    ) -> Option<Vec<u8>> {
        let key = Key {
            src,
            dst,
            protocol,
            id: fragment.id,
        };
        let end = fragment.offset as usize + data.len();
        if end > MAX_DATAGRAM_BYTES {
            weirds.bump(Weird::IpfragTooLarge);
            self.remove(&key);
            return None;
        }
        self.expire_one(&key, ts, weirds);
        self.make_room(&key, data.len(), weirds);
        let order = self.next_order;
        let entry = self.table.entry(key).or_insert_with(|| Reassembly {
            first_seen: ts,
            order,
            pieces: BTreeMap::new(),
            total: None,
            bytes: 0,
        });
        self.next_order += 1;
        let end = end as u32;
        let inconsistent = entry.contradicts(fragment.more, end);
        if inconsistent {
            weirds.bump(Weird::IpfragInconsistent);
            self.remove(&key);
            return None;
        }
        if !fragment.more {
            entry.total = Some(end);
        }
        let before = entry.bytes;
        let differs = entry.insert(fragment.offset, data);
        let too_many = entry.pieces.len() > MAX_FRAGMENTS;
        let complete = entry.total.filter(|t| entry.contiguous() >= *t).is_some();
        let whole = complete.then(|| entry.assemble());
        self.bytes += entry.bytes - before;
        if differs {
            weirds.bump(Weird::IpfragOverlap);
        }
        if too_many {
            weirds.bump(Weird::IpfragTooManyFragments);
            self.remove(&key);
            return None;
        }
        if whole.is_some() {
            self.remove(&key);
        }
        whole
    }

    /// Drop reassemblies older than the timeout.
    pub fn expire(&mut self, now: Timestamp, weirds: &mut Counters) {
        let limit = TIMEOUT_SECS * 1_000_000_000;
        let before = self.table.len();
        let mut freed = 0;
        self.table.retain(|_, r| {
            let keep = now.since(r.first_seen) <= limit;
            if !keep {
                freed += r.bytes;
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(freed);
        weirds.add(Weird::IpfragTimeout, (before - self.table.len()) as u64);
    }

    /// Drop the reassembly of `key` if it timed out (a late fragment then starts over).
    fn expire_one(&mut self, key: &Key, now: Timestamp, weirds: &mut Counters) {
        let timed_out = self
            .table
            .get(key)
            .is_some_and(|r| now.since(r.first_seen) > TIMEOUT_SECS * 1_000_000_000);
        if timed_out {
            weirds.bump(Weird::IpfragTimeout);
            self.remove(key);
        }
    }

    fn remove(&mut self, key: &Key) {
        if let Some(r) = self.table.remove(key) {
            self.bytes = self.bytes.saturating_sub(r.bytes);
        }
    }

    /// Evict the oldest other reassemblies until `key` fits in the table and `extra` bytes
    /// fit in the byte budget.
    fn make_room(&mut self, key: &Key, extra: usize, weirds: &mut Counters) {
        loop {
            let table_full = !self.table.contains_key(key) && self.table.len() >= MAX_REASSEMBLIES;
            if !table_full && self.bytes + extra <= MAX_BYTES_TOTAL {
                return;
            }
            let oldest = self
                .table
                .iter()
                .filter(|(k, _)| *k != key)
                .min_by_key(|(_, r)| (r.first_seen, r.order))
                .map(|(k, _)| *k);
            let Some(oldest) = oldest else {
                return;
            };
            weirds.bump(Weird::IpfragEvicted);
            self.remove(&oldest);
        }
    }
}

#[cfg(test)]
#[path = "ipfrag_tests.rs"]
mod tests;
