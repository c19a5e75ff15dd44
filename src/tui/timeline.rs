//! Contacts per time bucket and party, bounded: when too many buckets exist they merge into
//! coarser ones, so an all-day live session costs the same memory as a minute.

use std::collections::BTreeMap;

use crate::attribute::Party;
use crate::time::Timestamp;

/// Buckets kept at once; past this the bucket width grows to the next step.
pub const MAX_TIMELINE_BUCKETS: usize = 10_000;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000 * MS;

/// Bucket widths, each a multiple of the one before (so buckets merge exactly).
const BUCKET_STEPS: [u64; 6] = [100 * MS, SEC, 10 * SEC, 60 * SEC, 600 * SEC, 3600 * SEC];

/// Column widths the view may choose, each a multiple of 100 ms.
pub const COLUMN_STEPS: [u64; 17] = [
    100 * MS,
    200 * MS,
    500 * MS,
    SEC,
    2 * SEC,
    5 * SEC,
    10 * SEC,
    20 * SEC,
    30 * SEC,
    60 * SEC,
    120 * SEC,
    300 * SEC,
    600 * SEC,
    1200 * SEC,
    1800 * SEC,
    3600 * SEC,
    7200 * SEC,
];

/// Index of a party in a bucket's counts.
pub fn party_slot(p: Party) -> usize {
    match p {
        Party::Third => 0,
        Party::First => 1,
        Party::OsBackground => 2,
        Party::Local => 3,
        Party::Unknown => 4,
        Party::BackgroundOrSite => 5,
    }
}

/// Number of party slots.
pub const PARTY_SLOTS: usize = 6;

/// Counts of new contacts per bucket, by party slot ([`party_slot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    step: usize,
    buckets: BTreeMap<u64, [u32; PARTY_SLOTS]>,
    limit: usize,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            step: 0,
            buckets: BTreeMap::new(),
            limit: MAX_TIMELINE_BUCKETS,
        }
    }
}

impl Timeline {
    /// A timeline that merges buckets past `limit` (tests use a small one).
    pub fn with_limit(limit: usize) -> Timeline {
        Timeline {
            limit: limit.max(1),
            ..Timeline::default()
        }
    }

    /// Width of one bucket, in nanoseconds.
    pub fn bucket_ns(&self) -> u64 {
        BUCKET_STEPS.get(self.step).copied().unwrap_or(3600 * SEC)
    }

    /// A contact of `party` was first seen at `ts`.
    pub fn add(&mut self, ts: Timestamp, party: Party) {
        let b = ts.0 / self.bucket_ns();
        let counts = self.buckets.entry(b).or_insert([0; PARTY_SLOTS]);
        if let Some(c) = counts.get_mut(party_slot(party)) {
            *c = c.saturating_add(1);
        }
        while self.buckets.len() > self.limit && self.step + 1 < BUCKET_STEPS.len() {
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        let old = self.bucket_ns();
        self.step += 1;
        let factor = self.bucket_ns() / old;
        let mut merged: BTreeMap<u64, [u32; PARTY_SLOTS]> = BTreeMap::new();
        for (b, counts) in std::mem::take(&mut self.buckets) {
            let e = merged.entry(b / factor).or_insert([0; PARTY_SLOTS]);
            for (d, s) in e.iter_mut().zip(counts) {
                *d = d.saturating_add(s);
            }
        }
        self.buckets = merged;
    }

    /// Buckets kept.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// No contact yet.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The smallest column width that shows `from..=to` in `columns` columns.
    pub fn column_ns(&self, from: Timestamp, to: Timestamp, columns: u16) -> u64 {
        let span = to.since(from).max(1);
        let cols = u64::from(columns.max(1));
        COLUMN_STEPS
            .iter()
            .copied()
            .filter(|c| c % self.bucket_ns() == 0)
            .find(|c| span / c < cols)
            .unwrap_or_else(|| span.div_ceil(cols).max(self.bucket_ns()))
    }

    /// Counts per column of `col_ns` starting at `from` (aligned down to a column), `columns`
    /// columns wide.
    pub fn columns(&self, from: Timestamp, col_ns: u64, columns: u16) -> Vec<[u32; PARTY_SLOTS]> {
        let col_ns = col_ns.max(1);
        let start = from.0 / col_ns;
        let mut out = vec![[0u32; PARTY_SLOTS]; usize::from(columns)];
        let bucket = self.bucket_ns();
        for (b, counts) in &self.buckets {
            let col = (b.saturating_mul(bucket) / col_ns).checked_sub(start);
            let slot = col
                .and_then(|c| usize::try_from(c).ok())
                .and_then(|c| out.get_mut(c));
            if let Some(slot) = slot {
                for (d, s) in slot.iter_mut().zip(counts) {
                    *d = d.saturating_add(*s);
                }
            }
        }
        out
    }

    /// The column of `ts` (None when outside the strip).
    pub fn column_of(ts: Timestamp, from: Timestamp, col_ns: u64, columns: u16) -> Option<usize> {
        let col_ns = col_ns.max(1);
        let c = (ts.0 / col_ns).checked_sub(from.0 / col_ns)?;
        let c = usize::try_from(c).ok()?;
        (c < usize::from(columns)).then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_party_and_column() {
        let mut t = Timeline::default();
        let t0 = Timestamp(1_000 * SEC);
        t.add(t0, Party::Third);
        t.add(Timestamp(t0.0 + 50 * MS), Party::Third);
        t.add(Timestamp(t0.0 + 1500 * MS), Party::First);
        let col = t.column_ns(t0, Timestamp(t0.0 + 1500 * MS), 80);
        assert_eq!(col, 100 * MS);
        let cols = t.columns(t0, col, 20);
        assert_eq!(cols.first().map(|c| c[0]), Some(2));
        assert_eq!(cols.get(15).map(|c| c[1]), Some(1));
    }

    #[test]
    fn hits_max_buckets_and_merges() {
        let mut t = Timeline::with_limit(10);
        for i in 0..11u64 {
            t.add(Timestamp(i * 100 * MS), Party::Third);
        }
        // 11 buckets of 100 ms exceed the limit: they merge into 1 s buckets.
        assert_eq!(t.bucket_ns(), SEC);
        assert_eq!(t.len(), 2);
        let total: u32 = t.columns(Timestamp(0), SEC, 5).iter().map(|c| c[0]).sum();
        assert_eq!(total, 11);
    }

    #[test]
    fn wide_span_picks_coarse_columns() {
        let t = Timeline::default();
        assert_eq!(
            t.column_ns(Timestamp(0), Timestamp(600 * SEC), 70),
            10 * SEC
        );
        assert_eq!(
            Timeline::column_of(Timestamp(25 * SEC), Timestamp(0), 10 * SEC, 70),
            Some(2)
        );
        assert_eq!(
            Timeline::column_of(Timestamp(999 * SEC), Timestamp(0), SEC, 70),
            None
        );
    }
}
