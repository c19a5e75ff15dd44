//! Counted events: malformed input ("weirds", as Zeek calls them) and limits that were hit.
//!
//! Nothing malformed is logged line by line; it is counted by a stable kind name
//! (`dns.malformed`, `flow.table_full`, ...) and shown with the results.

use std::collections::BTreeMap;

/// Counters by kind name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    by_kind: BTreeMap<&'static str, u64>,
}

impl Counters {
    /// Count one event of `kind`.
    pub fn bump(&mut self, kind: &'static str) {
        self.add(kind, 1);
    }

    /// Count `n` events of `kind`.
    pub fn add(&mut self, kind: &'static str, n: u64) {
        if n > 0 {
            *self.by_kind.entry(kind).or_default() += n;
        }
    }

    /// How many events of `kind` were counted.
    pub fn get(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
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
        c.bump("a");
        c.add("a", 2);
        c.add("b", 0);
        assert_eq!(c.get("a"), 3);
        assert_eq!(c.get("b"), 0);
        assert_eq!(c.iter().count(), 1);
    }
}
