//! Longest-suffix lookup on label boundaries: one hash probe per label of the name, however many
//! signatures are loaded.

use std::collections::HashMap;

/// Domains (and their subdomains) mapped to a value; the longest matching suffix wins.
#[derive(Debug, Clone)]
pub struct SuffixIndex<T> {
    map: HashMap<Box<str>, T, foldhash::fast::RandomState>,
}

impl<T> Default for SuffixIndex<T> {
    fn default() -> Self {
        SuffixIndex {
            map: HashMap::default(),
        }
    }
}

impl<T: Copy> SuffixIndex<T> {
    /// Add `domain`; answers the value it already had, which is kept (first one wins).
    pub fn insert(&mut self, domain: &str, value: T) -> Option<T> {
        if let Some(old) = self.map.get(domain) {
            return Some(*old);
        }
        self.map.insert(domain.into(), value);
        None
    }

    /// The value of exactly `domain`.
    pub fn exact(&self, domain: &str) -> Option<T> {
        self.map.get(domain).copied()
    }

    /// The longest suffix of `host` (on a label boundary) that is in the index, with its value.
    ///
    /// `host` must already be normalised (lower case, no trailing dot).
    pub fn longest<'h>(&self, host: &'h str) -> Option<(&'h str, T)> {
        if self.map.is_empty() {
            return None;
        }
        let mut rest = host;
        loop {
            if let Some(v) = self.map.get(rest) {
                return Some((rest, *v));
            }
            let (_, tail) = rest.split_once('.')?;
            rest = tail;
        }
    }

    /// Number of domains.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No domains.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_suffix_wins_on_label_boundaries() {
        let mut ix = SuffixIndex::default();
        assert_eq!(ix.insert("google.com", 1), None);
        assert_eq!(ix.insert("analytics.google.com", 2), None);
        assert_eq!(ix.insert("google.com", 3), Some(1));
        assert_eq!(
            ix.longest("x.analytics.google.com"),
            Some(("analytics.google.com", 2))
        );
        assert_eq!(
            ix.longest("analytics.google.com"),
            Some(("analytics.google.com", 2))
        );
        assert_eq!(ix.longest("www.google.com"), Some(("google.com", 1)));
        assert_eq!(ix.longest("google.com"), Some(("google.com", 1)));
        // Not a label boundary.
        assert_eq!(ix.longest("notgoogle.com"), None);
        assert_eq!(ix.longest("com"), None);
        assert_eq!(ix.longest(""), None);
        assert_eq!(ix.exact("www.google.com"), None);
        assert_eq!(ix.len(), 2);
    }
}
