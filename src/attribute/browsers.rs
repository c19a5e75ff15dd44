//! Browser background: names a browser contacts on its own (updates, safe browsing, settings,
//! push, its new-tab page), from `signatures/browsers/<browser>.toml`.
//!
//! Who operates a name is the organisation files' business; who *caused* the contact is this
//! file's: a fresh Chromium asks for `update.googleapis.com` before any page loads, and that is
//! not the site's doing. Some of these names are also what sites embed (`accounts.google.com`
//! is Chrome's account service and sites' Google Sign-In; Firefox's new-tab top sites include
//! `www.youtube.com`): those carry `possibly_site = true` and get the party
//! `background-or-site` until an idle baseline of the same browser decides (issue 18).
//!
//! A domain matches itself and its subdomains, the longest listed suffix wins, and several
//! browsers may list the same domain (Firefox and Chromium both use Google Safe Browsing).

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::checker::{Checker, Text};
use super::matcher::SuffixIndex;

/// One `[[background]]` entry of a browser file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundService {
    /// Index into [`Browsers::names`].
    pub browser: usize,
    /// What the browser uses these names for.
    pub purpose: String,
    /// Where the facts come from.
    pub source: String,
    /// Sites embed these names too.
    pub possibly_site: bool,
    /// `file:line` of its `[[background]]` header.
    pub origin: String,
}

/// Browser background names of one signatures layer.
#[derive(Debug, Default)]
pub struct Browsers {
    names: Vec<String>,
    services: Vec<BackgroundService>,
    /// Domain → index into `by_domain`.
    index: SuffixIndex<usize>,
    /// The services that list each domain.
    by_domain: Vec<Vec<usize>>,
    /// Each service's domains, in file order (parallel to `services`).
    domains: Vec<Vec<String>>,
}

/// What the browser files say about one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundMatch<'a> {
    /// The listed domain that matched.
    pub domain: &'a str,
    /// The browsers that contact it on their own, in file order.
    pub browsers: Vec<&'a str>,
    /// Some browser file says sites embed it too.
    pub possibly_site: bool,
    /// The matching entries.
    pub services: Vec<&'a BackgroundService>,
}

impl BackgroundMatch<'_> {
    /// The browsers as one phrase: `Chromium / Google Chrome, Firefox`.
    pub fn browsers_text(&self) -> String {
        self.browsers.join(", ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserFile {
    browser: Option<Spanned<BrowserRaw>>,
    #[serde(default)]
    background: Vec<Spanned<BackgroundRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BrowserRaw {
    name: Text,
    source: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BackgroundRaw {
    purpose: Text,
    source: Text,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    possibly_site: bool,
}

impl Browsers {
    /// Parse and check one browser file; problems go to `ck`.
    pub(super) fn add_file(&mut self, ck: &mut Checker<'_>) {
        let Some(file) = ck.parse::<BrowserFile>() else {
            return;
        };
        let Some(browser) = file.browser else {
            ck.problem(0, "missing table [browser]");
            return;
        };
        let at = browser.span().start;
        let raw = browser.into_inner();
        let name = ck.required(raw.name, "name", at);
        let _source = ck.required(raw.source, "source", at);
        let Some(name) = name else {
            return;
        };
        let browser = self.names.len();
        self.names.push(name);
        // Within one browser file a domain is listed once.
        let mut seen: HashMap<String, String> = HashMap::new();
        for entry in file.background {
            self.add_entry(ck, browser, entry, &mut seen);
        }
    }

    fn add_entry(
        &mut self,
        ck: &mut Checker<'_>,
        browser: usize,
        entry: Spanned<BackgroundRaw>,
        seen: &mut HashMap<String, String>,
    ) {
        let at = entry.span().start;
        let raw = entry.into_inner();
        let purpose = ck.required(raw.purpose, "purpose", at);
        // Each entry's source covers its domains: it must name something to look up.
        let source = ck.cited(raw.source, "source", at);
        let mut kept = Vec::new();
        for d in ck.domains(raw.domains, "domains", at) {
            let here = ck.at(d.span().start);
            if let Some(first) = seen.get(d.get_ref()) {
                let msg = format!("duplicate domain {:?} (first at {first})", d.get_ref());
                ck.problem(d.span().start, msg);
                continue;
            }
            seen.insert(d.get_ref().clone(), here);
            kept.push(d.into_inner());
        }
        let (Some(purpose), Some(source)) = (purpose, source) else {
            return;
        };
        let service = BackgroundService {
            browser,
            purpose,
            source,
            possibly_site: raw.possibly_site,
            origin: ck.at(at),
        };
        self.push(service, kept);
    }

    /// Browsers and their entries checked before (the built-in set, compiled by the build
    /// script), each entry with its domains: indexed as [`Browsers::add_file`] indexes them.
    pub(super) fn from_checked(
        names: Vec<String>,
        entries: Vec<(BackgroundService, Vec<String>)>,
    ) -> Browsers {
        let mut b = Browsers {
            names,
            ..Browsers::default()
        };
        for (service, domains) in entries {
            b.push(service, domains);
        }
        b
    }

    /// Add one checked entry with its domains.
    fn push(&mut self, service: BackgroundService, kept: Vec<String>) {
        let ix = self.services.len();
        for d in &kept {
            let slot = match self.index.exact(d) {
                Some(slot) => slot,
                None => {
                    let slot = self.by_domain.len();
                    self.by_domain.push(Vec::new());
                    self.index.insert(d, slot);
                    slot
                }
            };
            if let Some(list) = self.by_domain.get_mut(slot) {
                list.push(ix);
            }
        }
        self.services.push(service);
        self.domains.push(kept);
    }

    /// What the browser files say about `host` (normalised), if any lists it.
    pub fn lookup<'h>(&'h self, host: &'h str) -> Option<BackgroundMatch<'h>> {
        let (domain, slot) = self.index.longest(host)?;
        let services: Vec<&BackgroundService> = self
            .by_domain
            .get(slot)?
            .iter()
            .filter_map(|&i| self.services.get(i))
            .collect();
        let mut browsers: Vec<&str> = Vec::new();
        for s in &services {
            if let Some(n) = self.names.get(s.browser)
                && !browsers.contains(&n.as_str())
            {
                browsers.push(n);
            }
        }
        Some(BackgroundMatch {
            domain,
            browsers,
            possibly_site: services.iter().any(|s| s.possibly_site),
            services,
        })
    }

    /// Browser names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every background entry.
    pub fn services(&self) -> &[BackgroundService] {
        &self.services
    }

    /// The domains of the entry `services()[ix]`, in file order.
    pub fn domains_of(&self, ix: usize) -> &[String] {
        self.domains.get(ix).map_or(&[], Vec::as_slice)
    }

    /// Number of distinct domains.
    pub fn domain_count(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::signatures::{FileKind, Signatures, SourceFile};
    use super::super::{Attributor, Layer, Party};
    use crate::attribute::Facts;

    fn file(path: &str, kind: FileKind, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            kind,
            text: text.to_owned(),
        }
    }

    const GOOGLE: &str = "[organisation]\nname = \"Google LLC\"\ncountry = \"US\"\nsource = \"example.org/doc\"\n\n\
        [[service]]\nname = \"Sign-In\"\ncategory = \"identity-login\"\npurpose = \"p\"\n\
        source = \"example.org/doc\"\ndomains = [\"accounts.google.com\"]\n\n\
        [[service]]\nname = \"Chrome\"\ncategory = \"os-background\"\npurpose = \"p\"\n\
        source = \"example.org/doc\"\ndomains = [\"update.googleapis.com\"]\n";

    const CHROME: &str = "[browser]\nname = \"Chrome\"\nsource = \"example.org/doc\"\n\n\
        [[background]]\npurpose = \"updates\"\nsource = \"example.org/doc\"\n\
        domains = [\"update.googleapis.com\", \"safebrowsing.googleapis.com\"]\n\n\
        [[background]]\npurpose = \"account\"\nsource = \"example.org/doc\"\npossibly_site = true\n\
        domains = [\"accounts.google.com\"]\n";

    const FIREFOX: &str = "[browser]\nname = \"Firefox\"\nsource = \"example.org/doc\"\n\n\
        [[background]]\npurpose = \"safe browsing\"\nsource = \"example.org/doc\"\n\
        domains = [\"safebrowsing.googleapis.com\", \"support.mozilla.org\"]\n";

    fn attributor(site: Option<&str>) -> Attributor {
        let site_file = "[site]\nname = \"accounts.google.com\"\ntitle = \"t\"\nowner = \"Google\"\n\
            country = \"US\"\nfirst_party = [\"accounts.google.com\"]\nsource = \"example.org/doc\"\n";
        let files = [
            file("orgs/google.toml", FileKind::Org, GOOGLE),
            file("browsers/chrome.toml", FileKind::Browser, CHROME),
            file("browsers/firefox.toml", FileKind::Browser, FIREFOX),
            file("sites/accounts.google.com.toml", FileKind::Site, site_file),
        ];
        let layer = Layer {
            label: "test".to_owned(),
            signatures: Signatures::from_files(&files).unwrap_or_default(),
        };
        Attributor::from_layers(vec![layer], site).unwrap_or_default()
    }

    fn attribute(a: &Attributor, name: &str) -> crate::attribute::Attribution {
        a.attribute(&Facts {
            name,
            ..Facts::default()
        })
    }

    #[test]
    fn browser_background_is_the_browsers_and_keeps_its_organisation() {
        let a = attributor(None);
        let update = attribute(&a, "update.googleapis.com");
        assert_eq!(update.party, Party::OsBackground);
        assert_eq!(update.org.as_deref(), Some("Google LLC"));
        assert_eq!(update.browser_background.as_deref(), Some("Chrome"));
        // A name no organisation file knows is still the browser's own traffic.
        let sumo = attribute(&a, "support.mozilla.org");
        assert_eq!((sumo.party, sumo.org), (Party::OsBackground, None));
        // Two browsers list the same name.
        let sb = attribute(&a, "safebrowsing.googleapis.com");
        assert_eq!(sb.browser_background.as_deref(), Some("Chrome, Firefox"));
        // Not listed: an ordinary third party.
        let other = attribute(&a, "www.google-analytics.com");
        assert_eq!(
            (other.party, other.browser_background),
            (Party::Third, None)
        );
    }

    #[test]
    fn names_sites_embed_too_are_background_or_site_until_a_baseline_decides() {
        let a = attributor(None);
        let mut acc = attribute(&a, "accounts.google.com");
        assert_eq!(acc.party, Party::BackgroundOrSite);
        assert_eq!(acc.party.as_str(), "background-or-site");
        assert_eq!(
            acc.category,
            Some(crate::attribute::Category::IdentityLogin)
        );
        let mut idle = acc.clone();
        idle.settle_with_baseline(true);
        assert_eq!(idle.party, Party::OsBackground);
        acc.settle_with_baseline(false);
        assert_eq!(acc.party, Party::Third);
        // Other parties are left alone by a baseline.
        let mut update = attribute(&a, "update.googleapis.com");
        update.settle_with_baseline(false);
        assert_eq!(update.party, Party::OsBackground);
        // The site profile wins: the service under test is first party.
        let own = attributor(Some("accounts.google.com"));
        assert_eq!(attribute(&own, "accounts.google.com").party, Party::First);
    }

    #[test]
    fn the_checker_wants_names_sources_and_unique_domains_per_browser() {
        let bad = "[browser]\nname = \"B\"\n\n[[background]]\npurpose = \"p\"\n\
            domains = [\"a.example\", \"a.example\", \"Bad_Domain\"]\n";
        let e = Signatures::from_files(&[file("browsers/b.toml", FileKind::Browser, bad)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("browsers/b.toml:1: missing key `source`"), "{e}");
        assert!(e.contains("browsers/b.toml:4: missing key `source`"), "{e}");
        assert!(e.contains("duplicate domain \"a.example\""), "{e}");
        assert!(e.contains("bad domain \"Bad_Domain\""), "{e}");
        let unsourced = "[browser]\nname = \"B\"\nsource = \"s\"\n\n[[background]]\npurpose = \"p\"\n\
            source = \"general knowledge, not verified offline\"\ndomains = [\"a.example\"]\n";
        let e = Signatures::from_files(&[file("browsers/u.toml", FileKind::Browser, unsourced)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("browsers/u.toml:7: a domain's source says it is not verified"),
            "{e}"
        );
        let none = "[[background]]\npurpose = \"p\"\nsource = \"example.org/doc\"\ndomains = [\"a.example\"]\n";
        let e = Signatures::from_files(&[file("browsers/n.toml", FileKind::Browser, none)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("missing table [browser]"), "{e}");
    }

    #[test]
    fn the_built_in_browser_files_cover_the_fresh_browsers_of_issue_15() {
        let a = Attributor::from_layers(
            vec![super::super::builtin_layer().unwrap_or_else(|e| panic!("{e}"))],
            None,
        )
        .unwrap_or_default();
        for n in [
            "clients2.google.com",
            "update.googleapis.com",
            "content-autofill.googleapis.com",
            "firefox.settings.services.mozilla.com",
            "push.services.mozilla.com",
            "addons.mozilla.org",
            "ads.mozilla.org",
        ] {
            assert_eq!(attribute(&a, n).party, Party::OsBackground, "{n}");
        }
        for n in [
            "accounts.google.com",
            "www.youtube.com",
            "www.reddit.com",
            "www.wikipedia.org",
        ] {
            assert_eq!(attribute(&a, n).party, Party::BackgroundOrSite, "{n}");
        }
        let names: Vec<&str> = a
            .layers()
            .iter()
            .flat_map(|l| l.signatures.browsers().names())
            .map(String::as_str)
            .collect();
        for b in ["Chromium", "Firefox", "Safari", "Edge", "Samsung Internet"] {
            assert!(names.iter().any(|n| n.contains(b)), "{b} in {names:?}");
        }
        // What sites embed from YouTube beside the top site stays a third party.
        assert_eq!(
            attribute(&a, "www.youtube-nocookie.com").party,
            Party::Third
        );
        assert_eq!(attribute(&a, "i.ytimg.com").party, Party::Third);
    }
}
