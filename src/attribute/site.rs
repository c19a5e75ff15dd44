//! Site profiles: which names are the service under test itself, and which third parties its
//! owner declares.

use super::matcher::SuffixIndex;

/// A third party the site owner declares (agreement, opt-out), with the reference for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// Domains (each with its subdomains).
    pub domains: Vec<String>,
    /// Why it is there (free text).
    pub reason: String,
    /// Where the owner says so.
    pub reference: String,
}

/// The fields of a site profile file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFacts {
    /// Profile name (= file stem, used by `--site`).
    pub name: String,
    /// Human title.
    pub title: String,
    /// The authority responsible.
    pub owner: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// A state mandatory self-service solution or national portal.
    pub mandatory_self_service: bool,
    /// For a profile of a phone app: its store identifier (Android package name or App Store
    /// id), so a report says which app was tested.
    pub app: Option<String>,
    /// Domains that are the service itself.
    pub first_party: Vec<String>,
    /// Where the first-party set comes from.
    pub source: String,
    /// Declared third parties.
    pub allowed: Vec<Allowed>,
    /// The file it was read from.
    pub file: String,
}

/// A site profile with its lookup indexes.
#[derive(Debug, Clone)]
pub struct SiteProfile {
    /// What the file says.
    pub facts: SiteFacts,
    first_party: SuffixIndex<()>,
    allowed: SuffixIndex<usize>,
}

impl SiteProfile {
    /// Index a profile.
    pub fn new(facts: SiteFacts) -> SiteProfile {
        let mut first_party = SuffixIndex::default();
        for d in &facts.first_party {
            first_party.insert(d, ());
        }
        let mut allowed = SuffixIndex::default();
        for (i, a) in facts.allowed.iter().enumerate() {
            for d in &a.domains {
                allowed.insert(d, i);
            }
        }
        SiteProfile {
            facts,
            first_party,
            allowed,
        }
    }

    /// The first-party domain `host` falls under, if any.
    pub fn first_party<'h>(&self, host: &'h str) -> Option<&'h str> {
        self.first_party.longest(host).map(|(d, ())| d)
    }

    /// The declared entry covering `host`, if any.
    pub fn allowed(&self, host: &str) -> Option<&Allowed> {
        let (_, i) = self.allowed.longest(host)?;
        self.facts.allowed.get(i)
    }

    /// Every declared entry with its index (for matching by organisation).
    pub fn all_allowed(&self) -> &[Allowed] {
        &self.facts.allowed
    }
}
