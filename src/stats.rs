//! Counted events: malformed input ("weirds", as Zeek calls them) and limits that were hit.
//!
//! Nothing malformed is logged line by line; it is counted by its kind, a [`Weird`] of the
//! catalogue (`dns.truncated_name`, `flow.evicted_table_full`, ...), and shown with the results.

use std::collections::BTreeMap;

use crate::weird::Weird;

/// Counters by kind, listed by the kind's stable name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    by_kind: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// Count one event of `kind`.
    pub fn bump(&mut self, kind: Weird) {
        self.add(kind, 1);
    }

    /// Count `n` events of `kind`.
    pub fn add(&mut self, kind: Weird, n: u64) {
        if n > 0 {
            *self.by_kind.entry(kind.name()).or_default() += n;
        }
    }

    /// How many events of `kind` were counted.
    pub fn get(&self, kind: Weird) -> u64 {
        self.by_kind.get(kind.name()).copied().unwrap_or(0)
    }

    /// All kinds with a non-zero count, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.by_kind.iter().map(|(k, v)| (*k, *v))
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind() {
        let mut c = Counters::default();
        c.bump(Weird::DnsTruncated);
        c.add(Weird::DnsTruncated, 2);
        c.add(Weird::TcpPendingFull, 0);
        c.bump(Weird::DhcpTruncated);
        assert_eq!(c.get(Weird::DnsTruncated), 3);
        assert_eq!(c.get(Weird::TcpPendingFull), 0);
        let listed: Vec<_> = c.iter().collect();
        assert_eq!(listed, [("dhcp.truncated", 1), ("dns.truncated", 3)]);
    }
}
