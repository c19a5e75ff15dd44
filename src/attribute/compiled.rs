//! The built-in signatures as the build script compiled them: parsed and checked at build time
//! by the same code that checks overlays (`build/attribute.rs`), stored as statics, turned into
//! the built-in [`Signatures`] layer here without parsing (start-up stays a few million
//! instructions; README § Performance). `sporfri signatures check` still parses the embedded
//! files, and a test holds the two equal.

use super::Category;
use super::browsers::{BackgroundService, Browsers};
use super::endpoints::Endpoint;
use super::signatures::{Organisation, Service, Signatures, Sourced};
use super::site::{Allowed, SiteFacts};

/// An organisation ([`Organisation`]).
pub(super) struct Org {
    name: Option<&'static str>,
    country: &'static str,
    parent: Option<&'static str>,
    source: &'static str,
    file: &'static str,
}

/// A service ([`Service`]).
pub(super) struct Svc {
    org: usize,
    name: &'static str,
    category: Category,
    purpose: &'static str,
    source: &'static str,
    domains: &'static [&'static str],
    also: &'static [Also],
    cloaking_target: bool,
    origin: &'static str,
}

/// Domains of a service from another source ([`Sourced`]).
pub(super) struct Also {
    source: &'static str,
    domains: &'static [&'static str],
}

/// A site profile ([`SiteFacts`]).
pub(super) struct Site {
    name: &'static str,
    title: &'static str,
    owner: &'static str,
    country: &'static str,
    mandatory_self_service: bool,
    app: Option<&'static str>,
    first_party: &'static [&'static str],
    source: &'static str,
    allowed: &'static [Allow],
    file: &'static str,
}

/// A declared third party of a site profile ([`Allowed`]).
pub(super) struct Allow {
    domains: &'static [&'static str],
    reason: &'static str,
    reference: &'static str,
}

/// A browser background entry ([`BackgroundService`]) with its domains.
pub(super) struct Bg {
    browser: usize,
    purpose: &'static str,
    source: &'static str,
    possibly_site: bool,
    origin: &'static str,
    domains: &'static [&'static str],
}

/// A tracker endpoint ([`Endpoint`]).
pub(super) struct Ep {
    name: &'static str,
    hosts: &'static [&'static str],
    path: &'static str,
    site_id: &'static [&'static str],
    page: &'static [&'static str],
    referrer: &'static [&'static str],
    event: &'static [&'static str],
    source: &'static str,
    origin: &'static str,
}

mod data {
    // A glob: a set without some kind of entry (no `[[allowed]]`, say) leaves a type unused.
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/signatures_compiled.rs"));
}

/// SHA-256 of every file embedded from `signatures/` (see `provenance::files_sha256`), computed
/// at build time.
pub(super) const SHA256: &str = data::SHA256;
/// How many files that is.
pub(super) const FILES: usize = data::FILES;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The built-in layer's signatures.
pub(super) fn signatures() -> Signatures {
    let orgs = data::ORGS
        .iter()
        .map(|o| Organisation {
            name: o.name.map(str::to_owned),
            country: o.country.to_owned(),
            parent: o.parent.map(str::to_owned),
            source: o.source.to_owned(),
            file: o.file.to_owned(),
        })
        .collect();
    let services = data::SERVICES
        .iter()
        .map(|s| Service {
            org: s.org,
            name: s.name.to_owned(),
            category: s.category,
            purpose: s.purpose.to_owned(),
            source: s.source.to_owned(),
            domains: strings(s.domains),
            also: s
                .also
                .iter()
                .map(|a| Sourced {
                    source: a.source.to_owned(),
                    domains: strings(a.domains),
                })
                .collect(),
            cloaking_target: s.cloaking_target,
            origin: s.origin.to_owned(),
        })
        .collect();
    Signatures::from_checked(orgs, services, sites(), browsers(), endpoints())
}

fn sites() -> Vec<SiteFacts> {
    data::SITES
        .iter()
        .map(|s| SiteFacts {
            name: s.name.to_owned(),
            title: s.title.to_owned(),
            owner: s.owner.to_owned(),
            country: s.country.to_owned(),
            mandatory_self_service: s.mandatory_self_service,
            app: s.app.map(str::to_owned),
            first_party: strings(s.first_party),
            source: s.source.to_owned(),
            allowed: s
                .allowed
                .iter()
                .map(|a| Allowed {
                    domains: strings(a.domains),
                    reason: a.reason.to_owned(),
                    reference: a.reference.to_owned(),
                })
                .collect(),
            file: s.file.to_owned(),
        })
        .collect()
}

fn browsers() -> Browsers {
    let entries = data::BACKGROUND
        .iter()
        .map(|b| {
            let service = BackgroundService {
                browser: b.browser,
                purpose: b.purpose.to_owned(),
                source: b.source.to_owned(),
                possibly_site: b.possibly_site,
                origin: b.origin.to_owned(),
            };
            (service, strings(b.domains))
        })
        .collect();
    Browsers::from_checked(strings(data::BROWSERS), entries)
}

fn endpoints() -> Vec<Endpoint> {
    data::ENDPOINTS
        .iter()
        .map(|e| Endpoint {
            name: e.name.to_owned(),
            hosts: strings(e.hosts),
            path: e.path.to_owned(),
            site_id: strings(e.site_id),
            page: strings(e.page),
            referrer: strings(e.referrer),
            event: strings(e.event),
            source: e.source.to_owned(),
            origin: e.origin.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::attribute::provenance::files_sha256;
    use crate::attribute::{embedded_files, embedded_raw};

    #[test]
    fn the_compiled_set_is_the_parsed_set() {
        let parsed = Signatures::from_files(&embedded_files()).unwrap();
        let compiled = signatures();
        assert!(compiled.services().len() > 100);
        assert_eq!(compiled.organisations(), parsed.organisations());
        assert_eq!(compiled.services(), parsed.services());
        assert_eq!(compiled.domain_count(), parsed.domain_count());
        assert_eq!(compiled.endpoints().list(), parsed.endpoints().list());
        let (cb, pb) = (compiled.browsers(), parsed.browsers());
        assert!(!pb.services().is_empty());
        assert_eq!(cb.names(), pb.names());
        assert_eq!(cb.services(), pb.services());
        assert_eq!(cb.domain_count(), pb.domain_count());
        for ix in 0..pb.services().len() {
            assert_eq!(cb.domains_of(ix), pb.domains_of(ix));
            for d in pb.domains_of(ix) {
                assert_eq!(cb.lookup(d), pb.lookup(d), "{d}");
            }
        }
        let facts = |s: &Signatures| -> Vec<SiteFacts> {
            s.sites().values().map(|p| p.facts.clone()).collect()
        };
        assert_eq!(facts(&compiled), facts(&parsed));
        // The same domain index: every domain answers the same service.
        for s in parsed.services() {
            for d in &s.domains {
                let (p, c) = (parsed.lookup(d).unwrap(), compiled.lookup(d).unwrap());
                assert_eq!((p.0, &p.1.origin), (c.0, &c.1.origin), "{d}");
            }
        }
    }

    #[test]
    fn the_build_time_hash_is_the_hash_of_the_embedded_files() {
        assert_eq!(SHA256, files_sha256(embedded_raw().iter().copied()));
        assert_eq!(FILES, embedded_raw().len());
    }
}
