//! `signatures import`: converts a third-party list the user supplies (Disconnect, DuckDuckGo
//! Tracker Radar, AdGuard companiesdb, hosts, adblock) into organisation files of our format in a
//! local overlay directory. Those lists are non-commercial or share-alike, so they are never
//! bundled: the overlay lives in the user's configuration, never in the repository.

mod formats;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::name::{Host, domain_problem, normalize};
use super::signatures::Signatures;
use super::{Category, SignatureError};

/// Country written for imported organisations: ISO 3166 user-assigned "unknown".
pub const UNKNOWN_COUNTRY: &str = "ZZ";
/// Longest file-name slug for an organisation.
pub const MAX_SLUG_LEN: usize = 60;

/// The list formats `signatures import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Disconnect `services.json`: categories → organisation → {url: [domains]}.
    Disconnect,
    /// DuckDuckGo Tracker Radar `tds.json`: trackers{domain: {owner, categories}}.
    DdgTds,
    /// AdGuard companiesdb `trackers.json` (+ optional `companies.json` for names).
    Adguard,
    /// Hosts file: `0.0.0.0 domain` lines (bare domain lines too).
    Hosts,
    /// Adblock list: `||domain^` rules only.
    Adblock,
}

impl ImportFormat {
    /// The word on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Disconnect => "disconnect",
            ImportFormat::DdgTds => "ddg-tds",
            ImportFormat::Adguard => "adguard",
            ImportFormat::Hosts => "hosts",
            ImportFormat::Adblock => "adblock",
        }
    }
}

/// What the converter needs besides the list itself.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Category for entries the list does not categorise (or categorises outside our vocabulary).
    pub default_category: Category,
    /// The list's name as shown in `source` (usually its file name).
    pub list_name: String,
    /// AdGuard `companies.json` text, for organisation names.
    pub companies: Option<String>,
}

/// One organisation converted from a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedOrg {
    /// Its name; `None` when the list does not say who is behind the domains.
    pub name: Option<String>,
    /// Where the organisation facts come from.
    pub source: String,
    /// Its services.
    pub services: Vec<ImportedService>,
}

/// One service converted from a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedService {
    /// Service name.
    pub name: String,
    /// Our category.
    pub category: Category,
    /// One sentence.
    pub purpose: String,
    /// Where it comes from.
    pub source: String,
    /// Valid, normalised, not yet imported domains.
    pub domains: Vec<String>,
}

/// A converted list and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Organisations, in list order.
    pub orgs: Vec<ImportedOrg>,
    /// Domains kept.
    pub domains: usize,
    /// Entries that are not valid domains (or are bare public suffixes).
    pub invalid: usize,
    /// Domains listed more than once (the first one is kept).
    pub duplicate: usize,
    /// Lines or rules of a form this importer does not convert.
    pub unsupported: usize,
}

/// Errors importing a list.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file could not be read or written.
    #[error("{path}: {cause}")]
    Io {
        /// File or directory.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
    /// The list is not valid JSON.
    #[error("not a {format} list: {cause}")]
    Json {
        /// The format expected.
        format: &'static str,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: serde_json::Error,
    },
    /// The JSON does not have the expected shape.
    #[error("not a {format} list: {why}")]
    Shape {
        /// The format expected.
        format: &'static str,
        /// What is missing.
        why: &'static str,
    },
    /// The overlay already there (or the one written) does not load.
    #[error(transparent)]
    Overlay(#[from] SignatureError),
}

/// Convert a list's text.
pub fn convert(
    format: ImportFormat,
    text: &str,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    match format {
        ImportFormat::Disconnect => formats::disconnect(text, opts),
        ImportFormat::DdgTds => formats::ddg_tds(text, opts),
        ImportFormat::Adguard => formats::adguard(text, opts),
        ImportFormat::Hosts => Ok(formats::hosts(text, opts)),
        ImportFormat::Adblock => Ok(formats::adblock(text, opts)),
    }
}

/// Service name → (category, domains).
type ServiceMap = BTreeMap<String, (Category, Vec<String>)>;

/// Collects organisations → services → domains, skipping bad and repeated domains.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    seen: HashSet<String>,
    /// (org name or None) → (org source, service name → (category, domains)).
    orgs: BTreeMap<Option<String>, (String, ServiceMap)>,
    out: Imported,
}

impl Builder {
    /// Add one domain of a service.
    pub(crate) fn add(
        &mut self,
        org: Option<&str>,
        org_source: &str,
        service: &str,
        category: Category,
        domain: &str,
    ) {
        let Host::Name(d) = normalize(domain) else {
            self.out.invalid += 1;
            return;
        };
        if domain_problem(&d).is_some() {
            self.out.invalid += 1;
            return;
        }
        if !self.seen.insert(d.clone()) {
            self.out.duplicate += 1;
            return;
        }
        self.out.domains += 1;
        let entry = self
            .orgs
            .entry(org.map(str::to_owned))
            .or_insert_with(|| (org_source.to_owned(), BTreeMap::new()));
        entry
            .1
            .entry(service.to_owned())
            .or_insert_with(|| (category, Vec::new()))
            .1
            .push(d);
    }

    /// Count a line or rule that is not converted.
    pub(crate) fn unsupported(&mut self) {
        self.out.unsupported += 1;
    }

    pub(crate) fn finish(mut self, format: ImportFormat, opts: &ImportOptions) -> Imported {
        let source = format!(
            "{} list {:?}, imported by the user (not part of sporfri)",
            format.as_str(),
            opts.list_name
        );
        for (name, (org_source, services)) in self.orgs {
            let services = services
                .into_iter()
                .map(|(sname, (category, domains))| ImportedService {
                    purpose: format!(
                        "Listed as {} by the {} list {:?}.",
                        category.as_str(),
                        format.as_str(),
                        opts.list_name
                    ),
                    name: sname,
                    category,
                    source: source.clone(),
                    domains,
                })
                .collect();
            self.out.orgs.push(ImportedOrg {
                name,
                source: org_source,
                services,
            });
        }
        self.out
    }
}

/// A file-name slug: lower-case ASCII letters and digits, dashes between words.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "org".to_owned()
    } else {
        out
    }
}

#[derive(Serialize)]
struct OutFile<'a> {
    organisation: OutOrg<'a>,
    service: Vec<OutService<'a>>,
}

#[derive(Serialize)]
struct OutOrg<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    country: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unknown: bool,
}

#[derive(Serialize)]
struct OutService<'a> {
    name: &'a str,
    category: Category,
    purpose: &'a str,
    source: &'a str,
    domains: &'a [String],
}

/// Files written by one import, and what was left out because the overlay already had it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Domains left out because another import in the overlay already has them.
    pub already_in_overlay: usize,
}

/// Remove the files of an earlier import under `prefix`.
fn clear_own(orgs_dir: &Path, prefix: &str) -> Result<(), ImportError> {
    let io = |p: &Path, source| ImportError::Io {
        path: p.display().to_string(),
        cause: source,
    };
    let start = format!("{prefix}-");
    for entry in std::fs::read_dir(orgs_dir).map_err(|e| io(orgs_dir, e))? {
        let p = entry.map_err(|e| io(orgs_dir, e))?.path();
        let own = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&start) && n.ends_with(".toml"));
        if own {
            std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
        }
    }
    Ok(())
}

/// The TOML text of one organisation, without the domains in `existing`; `None` if none is left.
fn org_text(org: &ImportedOrg, existing: &HashSet<String>, left_out: &mut usize) -> Option<String> {
    let kept: Vec<(&ImportedService, Vec<String>)> = org
        .services
        .iter()
        .filter_map(|s| {
            let keep: Vec<String> = s
                .domains
                .iter()
                .filter(|d| !existing.contains(*d))
                .cloned()
                .collect();
            *left_out += s.domains.len() - keep.len();
            (!keep.is_empty()).then_some((s, keep))
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    let file = OutFile {
        organisation: OutOrg {
            name: org.name.as_deref(),
            country: UNKNOWN_COUNTRY,
            source: &org.source,
            unknown: org.name.is_none(),
        },
        service: kept
            .iter()
            .map(|(s, keep)| OutService {
                name: &s.name,
                category: s.category,
                purpose: &s.purpose,
                source: &s.source,
                domains: keep,
            })
            .collect(),
    };
    let body = toml::to_string(&file).ok()?;
    Some(format!(
        "# Imported by `sporfri signatures import`: a local overlay from a list the user\n\
         # supplied. Never commit it to the sporfri repository (the list's licence).\n\n{body}"
    ))
}

/// Write `imported` as `out/orgs/<prefix>-<org slug>.toml`, replacing an earlier import with the
/// same prefix; domains another import already holds are left out so the overlay stays valid.
pub fn write_overlay(
    out: &Path,
    prefix: &str,
    imported: &Imported,
) -> Result<Written, ImportError> {
    let orgs_dir = out.join("orgs");
    std::fs::create_dir_all(&orgs_dir).map_err(|source| ImportError::Io {
        path: orgs_dir.display().to_string(),
        cause: source,
    })?;
    let prefix = slug(prefix);
    clear_own(&orgs_dir, &prefix)?;
    let existing: HashSet<String> = Signatures::from_dir(out)?
        .services()
        .iter()
        .flat_map(|s| s.domains.iter().cloned())
        .collect();
    let mut written = Written::default();
    let mut used = HashSet::new();
    for org in &imported.orgs {
        let Some(text) = org_text(org, &existing, &mut written.already_in_overlay) else {
            continue;
        };
        let base = slug(org.name.as_deref().unwrap_or("unknown"));
        let mut name = format!("{prefix}-{base}");
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{prefix}-{base}-{n}");
            n += 1;
        }
        let path = orgs_dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).map_err(|source| ImportError::Io {
            path: path.display().to_string(),
            cause: source,
        })?;
        written.files.push(path);
    }
    // What was written must load; fail loudly rather than leave a broken overlay behind.
    Signatures::from_dir(out)?;
    Ok(written)
}
