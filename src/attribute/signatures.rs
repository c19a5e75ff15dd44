//! The signatures format (`signatures/orgs/*.toml`, `signatures/sites/*.toml`): parsing and the
//! checker's rules, with every problem reported as `file:line: message`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::matcher::SuffixIndex;
use super::name::domain_problem;
use super::site::{Allowed, SiteProfile};
use super::{Category, SignatureError};

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
    /// Where the facts come from.
    pub source: String,
    /// Domains (each with its subdomains).
    pub domains: Vec<String>,
    /// Trackers use these domains as CNAME targets of first-party names.
    pub cloaking_target: bool,
    /// `file:line` of its `[[service]]` header.
    pub origin: String,
}

/// One layer of signatures: organisations, services, their domain index, site profiles.
#[derive(Debug, Default)]
pub struct Signatures {
    orgs: Vec<Organisation>,
    services: Vec<Service>,
    index: SuffixIndex<usize>,
    sites: BTreeMap<String, SiteProfile>,
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

type Text = Option<Spanned<String>>;

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

/// One file being checked: its text for line numbers and the problems found so far.
struct Checker<'a> {
    path: &'a str,
    text: &'a str,
    /// Offsets of the text's newlines: every domain gets a line number, so counting from the
    /// top each time would be quadratic in the file length.
    newlines: Vec<usize>,
    /// (line, `file:line: message`), sorted by line when the file is done.
    problems: &'a mut Vec<(usize, String)>,
}

impl<'a> Checker<'a> {
    fn new(path: &'a str, text: &'a str, problems: &'a mut Vec<(usize, String)>) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter_map(|(i, c)| (c == b'\n').then_some(i))
            .collect();
        Checker {
            path,
            text,
            newlines,
            problems,
        }
    }

    fn line(&self, offset: usize) -> usize {
        1 + self.newlines.partition_point(|&nl| nl < offset)
    }

    fn at(&self, offset: usize) -> String {
        format!("{}:{}", self.path, self.line(offset))
    }

    fn problem(&mut self, offset: usize, msg: impl std::fmt::Display) {
        let line = self.line(offset);
        self.problems
            .push((line, format!("{}:{line}: {msg}", self.path)));
    }

    /// A required, non-empty text field of the table starting at `table`.
    fn required(&mut self, field: Text, key: &str, table: usize) -> Option<String> {
        match field {
            None => {
                self.problem(table, format!("missing key `{key}`"));
                None
            }
            Some(v) if v.get_ref().trim().is_empty() => {
                self.problem(v.span().start, format!("`{key}` is empty"));
                None
            }
            Some(v) => Some(v.into_inner()),
        }
    }

    fn country(&mut self, field: Text, table: usize) -> Option<String> {
        let start = field.as_ref().map_or(table, |f| f.span().start);
        let c = self.required(field, "country", table)?;
        if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Some(c)
        } else {
            self.problem(
                start,
                format!("country {c:?} is not an ISO 3166-1 alpha-2 code"),
            );
            None
        }
    }

    /// A required non-empty list of valid domains.
    fn domains(
        &mut self,
        list: Option<Spanned<Vec<Spanned<String>>>>,
        key: &str,
        table: usize,
    ) -> Vec<Spanned<String>> {
        let Some(list) = list else {
            self.problem(table, format!("missing key `{key}`"));
            return Vec::new();
        };
        if list.get_ref().is_empty() {
            self.problem(list.span().start, format!("`{key}` is empty"));
        }
        let mut out = Vec::new();
        for d in list.into_inner() {
            match domain_problem(d.get_ref()) {
                Some(why) => self.problem(
                    d.span().start,
                    format!("bad domain {:?}: {why}", d.get_ref()),
                ),
                None => out.push(d),
            }
        }
        out
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        match toml::from_str::<T>(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                self.problem(offset, e.message().trim_end());
                None
            }
        }
    }
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

    /// Parse and check `dir/orgs/*.toml` and `dir/sites/*.toml` (a missing subdirectory is empty).
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
        let source = ck.required(raw.source, "source", at);
        let domains = ck.domains(raw.domains, "domains", at);
        let ix = self.services.len();
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
        let (Some(name), Some(category), Some(purpose), Some(source)) =
            (name, category, purpose, source)
        else {
            return;
        };
        for d in &kept {
            self.index.insert(d, ix);
        }
        self.services.push(Service {
            org,
            name,
            category,
            purpose,
            source,
            domains: kept,
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

/// Read `dir/orgs/*.toml` and `dir/sites/*.toml`, sorted by path.
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
    for (sub, kind) in [("orgs", FileKind::Org), ("sites", FileKind::Site)] {
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
        _ => None,
    }
}
