//! The signatures format (`signatures/orgs/*.toml`, `signatures/sites/*.toml`,
//! `signatures/endpoints/*.toml`, `signatures/browsers/*.toml`): parsing and the checker's
//! rules, with every problem reported
//! as `file:line: message`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::browsers::Browsers;
use super::checker::{Checker, Text};
use super::endpoints::{Endpoint, Endpoints};
use super::matcher::SuffixIndex;
use super::site::{Allowed, SiteFacts, SiteProfile};
use super::{Category, SignatureError, TRACKING_CATEGORIES};

/// Files read from one signatures directory before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path shown in messages (`signatures/orgs/google.toml`).
    pub path: String,
    /// Organisation file or site profile.
    pub kind: FileKind,
    /// Contents.
    pub text: String,
}

/// Which part of the format a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `orgs/<slug>.toml`.
    Org,
    /// `sites/<site>.toml`.
    Site,
    /// `browsers/<browser>.toml` (see [`super::browsers`]).
    Browser,
    /// `endpoints/<name>.toml`: known tracker endpoints.
    Endpoints,
}

/// An organisation behind services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Legal name; `None` for imported entries whose owner the list does not say.
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 (`ZZ` when unknown).
    pub country: String,
    /// Parent company.
    pub parent: Option<String>,
    /// Where the facts come from.
    pub source: String,
    /// The file it was read from.
    pub file: String,
}

/// One service of an organisation and the domains that identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Index into [`Signatures::organisations`].
    pub org: usize,
    /// Service name ("Google Analytics").
    pub name: String,
    /// What it does.
    pub category: Category,
    /// One sentence: why a device would contact it.
    pub purpose: String,
    /// Where the service's facts and the domains of its `domains` list come from.
    pub source: String,
    /// Every domain of the service (each with its subdomains), `also` ones included.
    pub domains: Vec<String>,
    /// Domains known from another source than the service's (`[[service.also]]`).
    pub also: Vec<Sourced>,
    /// Trackers use these domains as CNAME targets of first-party names.
    pub cloaking_target: bool,
    /// `file:line` of its `[[service]]` header.
    pub origin: String,
}

/// Domains of a service and the one source that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    /// Where these domains come from.
    pub source: String,
    /// The domains.
    pub domains: Vec<String>,
}

impl Service {
    /// The source of `domain`, one of this service's domains (the service's own source
    /// otherwise).
    pub fn source_of(&self, domain: &str) -> &str {
        self.also
            .iter()
            .find(|a| a.domains.iter().any(|d| d == domain))
            .map_or(&self.source, |a| &a.source)
    }
}

/// One layer of signatures: organisations, services, their domain index, site profiles.
#[derive(Debug, Default)]
pub struct Signatures {
    orgs: Vec<Organisation>,
    services: Vec<Service>,
    index: SuffixIndex<usize>,
    sites: BTreeMap<String, SiteProfile>,
    browsers: Browsers,
    endpoints: Endpoints,
}

impl Category {
    /// Every category, in vocabulary order.
    pub const ALL: [Category; 16] = [
        Category::Analytics,
        Category::Advertising,
        Category::Social,
        Category::TagManager,
        Category::SessionReplay,
        Category::ConsentManagement,
        Category::Cdn,
        Category::Fonts,
        Category::Video,
        Category::Maps,
        Category::CaptchaSecurity,
        Category::Widget,
        Category::IdentityLogin,
        Category::DnsResolver,
        Category::OsBackground,
        Category::PublicSector,
    ];

    /// The vocabulary word (`tag-manager`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Analytics => "analytics",
            Category::Advertising => "advertising",
            Category::Social => "social",
            Category::TagManager => "tag-manager",
            Category::SessionReplay => "session-replay",
            Category::ConsentManagement => "consent-management",
            Category::Cdn => "cdn",
            Category::Fonts => "fonts",
            Category::Video => "video",
            Category::Maps => "maps",
            Category::CaptchaSecurity => "captcha-security",
            Category::Widget => "widget",
            Category::IdentityLogin => "identity-login",
            Category::DnsResolver => "dns-resolver",
            Category::OsBackground => "os-background",
            Category::PublicSector => "public-sector",
        }
    }

    /// The category of a vocabulary word.
    pub fn parse(word: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == word)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgFile {
    organisation: Option<Spanned<OrgRaw>>,
    #[serde(default)]
    service: Vec<Spanned<ServiceRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgRaw {
    name: Text,
    country: Text,
    parent: Text,
    source: Text,
    /// Written by `signatures import` when the list does not name the owner.
    #[serde(default)]
    unknown: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceRaw {
    name: Text,
    category: Text,
    purpose: Text,
    source: Text,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    cloaking_target: bool,
    #[serde(default)]
    also: Vec<Spanned<AlsoRaw>>,
}

/// `[[service.also]]`: more domains of the service, from another source.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlsoRaw {
    source: Text,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    site: Option<Spanned<SiteRaw>>,
    #[serde(default)]
    allowed: Vec<Spanned<AllowedRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteRaw {
    name: Text,
    title: Text,
    owner: Text,
    country: Text,
    #[serde(default)]
    mandatory_self_service: bool,
    app: Text,
    first_party: Option<Spanned<Vec<Spanned<String>>>>,
    source: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowedRaw {
    domains: Option<Spanned<Vec<Spanned<String>>>>,
    reason: Text,
    reference: Text,
}

impl Signatures {
    /// Parse and check files; every problem of every file is collected before failing.
    pub fn from_files(files: &[SourceFile]) -> Result<Signatures, SignatureError> {
        let mut sigs = Signatures::default();
        let mut problems = Vec::new();
        let mut origins: HashMap<String, String> = HashMap::new();
        for f in files {
            let mut found = Vec::new();
            let mut ck = Checker::new(&f.path, &f.text, &mut found);
            match f.kind {
                FileKind::Org => sigs.add_org_file(&mut ck, &mut origins),
                FileKind::Site => sigs.add_site_file(&mut ck),
                FileKind::Browser => sigs.browsers.add_file(&mut ck),
                FileKind::Endpoints => sigs.endpoints.add_file(&mut ck),
            }
            found.sort_by_key(|(line, _)| *line);
            problems.extend(found.into_iter().map(|(_, p)| p));
        }
        if problems.is_empty() {
            Ok(sigs)
        } else {
            Err(SignatureError::Invalid(problems))
        }
    }

    /// A layer from parts checked before (the built-in set, which the build script parsed and
    /// checked with [`Signatures::from_files`]): the domain index and the site profiles are
    /// built as that builds them, services in order and each service's domains in order.
    pub(super) fn from_checked(
        orgs: Vec<Organisation>,
        services: Vec<Service>,
        sites: Vec<SiteFacts>,
        browsers: Browsers,
        endpoints: Vec<Endpoint>,
    ) -> Signatures {
        let mut index = SuffixIndex::default();
        for (ix, s) in services.iter().enumerate() {
            for d in &s.domains {
                index.insert(d, ix);
            }
        }
        let sites = sites
            .into_iter()
            .map(|f| (f.name.clone(), SiteProfile::new(f)))
            .collect();
        Signatures {
            orgs,
            services,
            index,
            sites,
            browsers,
            endpoints: Endpoints::from_list(endpoints),
        }
    }

    /// Parse and check `dir/orgs/*.toml`, `dir/sites/*.toml`, `dir/endpoints/*.toml` and
    /// `dir/browsers/*.toml` (a
    /// missing subdirectory is empty).
    pub fn from_dir(dir: &Path) -> Result<Signatures, SignatureError> {
        Signatures::from_files(&read_dir(dir)?)
    }

    fn add_org_file(&mut self, ck: &mut Checker<'_>, origins: &mut HashMap<String, String>) {
        let Some(file) = ck.parse::<OrgFile>() else {
            return;
        };
        let Some(org) = file.organisation else {
            ck.problem(0, "missing table [organisation]");
            return;
        };
        let at = org.span().start;
        let raw = org.into_inner();
        let (name, country) = if raw.unknown {
            (
                None,
                raw.country
                    .map_or_else(|| "ZZ".to_owned(), |c| c.into_inner()),
            )
        } else {
            let name = ck.required(raw.name, "name", at);
            (name, ck.country(raw.country, at).unwrap_or_default())
        };
        let source = ck.required(raw.source, "source", at).unwrap_or_default();
        let org_ix = self.orgs.len();
        self.orgs.push(Organisation {
            name,
            country,
            parent: raw.parent.map(Spanned::into_inner),
            source,
            file: ck.path.to_owned(),
        });
        for s in file.service {
            self.add_service(ck, org_ix, s, origins);
        }
    }

    fn add_service(
        &mut self,
        ck: &mut Checker<'_>,
        org: usize,
        s: Spanned<ServiceRaw>,
        origins: &mut HashMap<String, String>,
    ) {
        let at = s.span().start;
        let raw = s.into_inner();
        let name = ck.required(raw.name, "name", at);
        let cat_at = raw.category.as_ref().map_or(at, |c| c.span().start);
        let category = ck.required(raw.category, "category", at).and_then(|c| {
            let parsed = Category::parse(&c);
            if parsed.is_none() {
                ck.problem(cat_at, format!("unknown category {c:?}"));
            }
            parsed
        });
        let purpose = ck.required(raw.purpose, "purpose", at);
        let source = ck.cited(raw.source, "source", at);
        let domains = ck.domains(raw.domains, "domains", at);
        let ix = self.services.len();
        let kept = unique(ck, domains, origins);
        let mut all = kept.clone();
        let mut also = Vec::new();
        for a in raw.also {
            let a_at = a.span().start;
            let a = a.into_inner();
            let source = ck.cited(a.source, "source", a_at);
            let listed = ck.domains(a.domains, "domains", a_at);
            let domains = unique(ck, listed, origins);
            all.extend(domains.iter().cloned());
            if let Some(source) = source {
                also.push(Sourced { source, domains });
            }
        }
        let (Some(name), Some(category), Some(purpose), Some(source)) =
            (name, category, purpose, source)
        else {
            return;
        };
        if raw.cloaking_target
            && !(TRACKING_CATEGORIES.contains(&category) || category == Category::TagManager)
        {
            ck.problem(
                at,
                format!(
                    "cloaking_target on a {} service: only a tracker's own domains (analytics, \
                     advertising, session-replay, social, tag-manager) can be cloaking targets",
                    category.as_str()
                ),
            );
        }
        for d in &all {
            self.index.insert(d, ix);
        }
        self.services.push(Service {
            org,
            name,
            category,
            purpose,
            source,
            domains: all,
            also,
            cloaking_target: raw.cloaking_target,
            origin: ck.at(at),
        });
    }

    fn add_site_file(&mut self, ck: &mut Checker<'_>) {
        let Some(file) = ck.parse::<SiteFile>() else {
            return;
        };
        let Some(site) = file.site else {
            ck.problem(0, "missing table [site]");
            return;
        };
        let at = site.span().start;
        let raw = site.into_inner();
        let name_at = raw.name.as_ref().map_or(at, |n| n.span().start);
        let name = ck.required(raw.name, "name", at);
        let title = ck.required(raw.title, "title", at);
        let owner = ck.required(raw.owner, "owner", at);
        let country = ck.country(raw.country, at);
        let source = ck.required(raw.source, "source", at);
        let first_party = ck.domains(raw.first_party, "first_party", at);
        let stem = Path::new(ck.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        if let (Some(n), Some(stem)) = (&name, &stem)
            && n != stem
        {
            ck.problem(
                name_at,
                format!("site name {n:?} differs from its file name {stem:?}"),
            );
        }
        let allowed = allowed_entries(ck, file.allowed);
        let (Some(name), Some(title), Some(owner), Some(country), Some(source)) =
            (name, title, owner, country, source)
        else {
            return;
        };
        if self.sites.contains_key(&name) {
            ck.problem(name_at, format!("a second site profile named {name:?}"));
            return;
        }
        let first_party = first_party.into_iter().map(Spanned::into_inner).collect();
        let profile = SiteProfile::new(super::site::SiteFacts {
            name: name.clone(),
            title,
            owner,
            country,
            mandatory_self_service: raw.mandatory_self_service,
            app: raw.app.map(Spanned::into_inner),
            first_party,
            source,
            allowed,
            file: ck.path.to_owned(),
        });
        self.sites.insert(name, profile);
    }

    /// The service whose domain is the longest suffix of `host` (normalised), with that domain.
    pub fn lookup<'h>(&self, host: &'h str) -> Option<(&'h str, &Service)> {
        let (matched, ix) = self.index.longest(host)?;
        Some((matched, self.services.get(ix)?))
    }

    /// The organisation of a service.
    pub fn organisation(&self, service: &Service) -> Option<&Organisation> {
        self.orgs.get(service.org)
    }

    /// All organisations.
    pub fn organisations(&self) -> &[Organisation] {
        &self.orgs
    }

    /// All services.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Number of distinct domains.
    pub fn domain_count(&self) -> usize {
        self.index.len()
    }

    /// Site profiles by name.
    pub fn sites(&self) -> &BTreeMap<String, SiteProfile> {
        &self.sites
    }

    /// Browser background names.
    pub fn browsers(&self) -> &Browsers {
        &self.browsers
    }
    /// Known tracker endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }
}

/// The domains not listed before (anywhere in the layer); a repeated one is a problem.
fn unique(
    ck: &mut Checker<'_>,
    domains: Vec<Spanned<String>>,
    origins: &mut HashMap<String, String>,
) -> Vec<String> {
    let mut kept = Vec::new();
    for d in domains {
        let here = ck.at(d.span().start);
        match origins.get(d.get_ref()) {
            Some(first) => ck.problem(
                d.span().start,
                format!("duplicate domain {:?} (first at {first})", d.get_ref()),
            ),
            None => {
                origins.insert(d.get_ref().clone(), here);
                kept.push(d.into_inner());
            }
        }
    }
    kept
}

/// The `[[allowed]]` entries of a site profile that have every required key.
fn allowed_entries(ck: &mut Checker<'_>, entries: Vec<Spanned<AllowedRaw>>) -> Vec<Allowed> {
    let mut allowed = Vec::new();
    for a in entries {
        let a_at = a.span().start;
        let raw = a.into_inner();
        let domains = ck.domains(raw.domains, "domains", a_at);
        let reason = ck.required(raw.reason, "reason", a_at);
        let reference = ck.required(raw.reference, "reference", a_at);
        if let (Some(reason), Some(reference)) = (reason, reference) {
            let domains = domains.into_iter().map(Spanned::into_inner).collect();
            allowed.push(Allowed {
                domains,
                reason,
                reference,
            });
        }
    }
    allowed
}

/// Read `dir/orgs/*.toml`, `dir/sites/*.toml`, `dir/endpoints/*.toml` and
/// `dir/browsers/*.toml`, sorted by path.
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, SignatureError> {
    let io = |path: &Path, source| SignatureError::Io {
        path: path.display().to_string(),
        cause: source,
    };
    // The system's own words ("No such file or directory", "Not a directory").
    if let Err(e) = std::fs::read_dir(dir) {
        return Err(io(dir, e));
    }
    let mut out = Vec::new();
    for (sub, kind) in [
        ("orgs", FileKind::Org),
        ("sites", FileKind::Site),
        ("browsers", FileKind::Browser),
        ("endpoints", FileKind::Endpoints),
    ] {
        let d = dir.join(sub);
        if !d.is_dir() {
            continue;
        }
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let p = entry.map_err(|e| io(&d, e))?.path();
            if p.extension().is_some_and(|e| e == "toml") && p.is_file() {
                paths.push(p);
            }
        }
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
            out.push(SourceFile {
                path: p.display().to_string(),
                kind,
                text,
            });
        }
    }
    Ok(out)
}

/// The kind of an embedded file from its path under `signatures/`, if it is a signatures file.
pub fn kind_of(rel: &str) -> Option<FileKind> {
    let (dir, file) = rel.split_once('/')?;
    if file.contains('/') || !file.ends_with(".toml") {
        return None;
    }
    match dir {
        "orgs" => Some(FileKind::Org),
        "sites" => Some(FileKind::Site),
        "browsers" => Some(FileKind::Browser),
        "endpoints" => Some(FileKind::Endpoints),
        _ => None,
    }
}
