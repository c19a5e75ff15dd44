//! Loading: the built-in signatures, the user's overlay, directories given on the command line,
//! and the site profile; plus `lookup`, which explains one name.

use std::path::{Path, PathBuf};

use super::SignatureError;
use super::browsers::BackgroundMatch;
use super::name::{Host, normalize};
use super::provenance::SignatureSet;
use super::signatures::{Organisation, Service, Signatures, SourceFile, kind_of, read_dir};
use super::site::SiteProfile;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/signatures_embedded.rs"));
}

/// Environment variable naming the overlay directory instead of the XDG default.
pub const OVERLAY_ENV: &str = "SPORFRI_SIGNATURES_OVERLAY";

/// One set of signatures and where it came from.
#[derive(Debug)]
pub struct Layer {
    /// `builtin`, or the directory it was read from.
    pub label: String,
    /// Its signatures.
    pub signatures: Signatures,
}

/// A signature match for one name.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a> {
    /// The service.
    pub service: &'a Service,
    /// Its organisation.
    pub org: Option<&'a Organisation>,
    /// The label of the layer it came from.
    pub layer: &'a str,
}

impl<'a> Match<'a> {
    /// The organisation's legal name, when known.
    pub fn org_name(&self) -> Option<&'a str> {
        self.org.and_then(|o| o.name.as_deref())
    }
}

/// Signatures plus the site under test: everything attribution needs.
///
/// Layers are consulted in order and the first layer that matches a name decides it: the
/// built-in set comes first, so an imported overlay only attributes names the built-in set does
/// not know (curated facts beat bulk imports). The site profile is taken from the first layer
/// that has one of that name.
#[derive(Debug, Default)]
pub struct Attributor {
    pub(super) layers: Vec<Layer>,
    pub(super) site: Option<SiteProfile>,
    /// Organisations covered by the site's `[[allowed]]` domains, with the entry's index.
    pub(super) declared_orgs: Vec<(String, usize)>,
    /// What it was loaded from, when loaded through a [`SignatureSet`].
    pub(super) signatures: Option<SignatureSet>,
}

impl Attributor {
    /// The signatures built into the binary (from `signatures/` at build time), with the site
    /// profile named `site` (e.g. "borger.dk") when given.
    ///
    /// The user's overlay ([`overlay_dir`]) is added after the built-in set when it exists.
    pub fn builtin(site: Option<&str>) -> Result<Attributor, SignatureError> {
        Attributor::builtin_with(&[], site)
    }

    /// The built-in set, then the directories `extra` (each laid out as `signatures/`, e.g. a
    /// lab's own site profile), then the user's overlay.
    /// It keeps what it was loaded from ([`Attributor::signature_set`]).
    pub fn builtin_with(extra: &[&Path], site: Option<&str>) -> Result<Attributor, SignatureError> {
        SignatureSet::read(extra)?.attributor(site)
    }

    /// Signatures read from directories (each laid out as `signatures/`), first one first.
    pub fn load(dirs: &[&Path], site: Option<&str>) -> Result<Attributor, SignatureError> {
        let mut layers = Vec::new();
        for d in dirs {
            layers.push(Layer {
                label: d.display().to_string(),
                signatures: Signatures::from_dir(d)?,
            });
        }
        Attributor::from_layers(layers, site)
    }

    /// Layers already loaded, with the site profile named `site`.
    pub fn from_layers(
        layers: Vec<Layer>,
        site: Option<&str>,
    ) -> Result<Attributor, SignatureError> {
        let mut a = Attributor {
            layers,
            site: None,
            declared_orgs: Vec::new(),
            signatures: None,
        };
        if let Some(name) = site {
            let profile = a
                .layers
                .iter()
                .find_map(|l| l.signatures.sites().get(name))
                .cloned()
                .ok_or_else(|| SignatureError::UnknownSite(name.to_owned()))?;
            let mut declared = Vec::new();
            for (i, entry) in profile.all_allowed().iter().enumerate() {
                for d in &entry.domains {
                    if let Some(org) = a.lookup_host(d).and_then(|m| m.org_name()) {
                        declared.push((org.to_owned(), i));
                    }
                }
            }
            a.site = Some(profile);
            a.declared_orgs = declared;
        }
        Ok(a)
    }

    /// The site profile under test.
    pub fn site(&self) -> Option<&SiteProfile> {
        self.site.as_ref()
    }

    /// What it was loaded from (the built-in set's hash, a copy of every further layer, the site
    /// profile's text); `None` when built from layers directly ([`Attributor::from_layers`]).
    pub fn signature_set(&self) -> Option<&SignatureSet> {
        self.signatures.as_ref()
    }

    /// The loaded layers, in precedence order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The signature that matches `name` (any spelling: case, trailing dot, Unicode).
    pub fn lookup(&self, name: &str) -> Option<Match<'_>> {
        match normalize(name) {
            Host::Name(h) => self.lookup_host(&h),
            Host::Ip(_) | Host::Invalid => None,
        }
    }

    /// The signature domain `name` matched, for explanations (`None` without a match).
    pub fn matched_domain(&self, name: &str) -> Option<String> {
        let Host::Name(h) = normalize(name) else {
            return None;
        };
        self.layers
            .iter()
            .find_map(|l| l.signatures.lookup(&h).map(|(d, _)| d.to_owned()))
    }

    /// What the first layer whose browser files list `host` (normalised) says of it.
    pub fn background<'a>(&'a self, host: &'a str) -> Option<BackgroundMatch<'a>> {
        self.layers
            .iter()
            .find_map(|l| l.signatures.browsers().lookup(host))
    }

    /// Lookup of an already normalised host.
    pub(super) fn lookup_host(&self, host: &str) -> Option<Match<'_>> {
        self.layers.iter().find_map(|l| {
            let (_, service) = l.signatures.lookup(host)?;
            Some(Match {
                service,
                org: l.signatures.organisation(service),
                layer: &l.label,
            })
        })
    }
}

/// The built-in layer, as the build script compiled it from the files it embedded (parsed and
/// checked there; `sporfri signatures check` parses the embedded files again).
pub fn builtin_layer() -> Result<Layer, SignatureError> {
    Ok(Layer {
        label: "builtin".to_owned(),
        signatures: super::compiled::signatures(),
    })
}

/// The signatures files embedded at build time, as `signatures/orgs/…` paths.
pub fn embedded_files() -> Vec<SourceFile> {
    embedded::FILES
        .iter()
        .filter_map(|(rel, text)| {
            Some(SourceFile {
                path: format!("signatures/{rel}"),
                kind: kind_of(rel)?,
                text: (*text).to_owned(),
            })
        })
        .collect()
}

/// Every file embedded from `signatures/` (also README and licence texts), by relative path.
pub fn embedded_raw() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// Where the user's imported signatures live: `$SPORFRI_SIGNATURES_OVERLAY`, else
/// `$XDG_CONFIG_HOME/sporfri/signatures`, else `~/.config/sporfri/signatures`.
pub fn overlay_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env(OVERLAY_ENV) {
        return Some(d);
    }
    let config = env("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".config")))?;
    Some(config.join("sporfri").join("signatures"))
}

/// Read a directory into a layer (for `signatures check --dir`).
pub fn dir_layer(dir: &Path) -> Result<Layer, SignatureError> {
    let files = read_dir(dir)?;
    Ok(Layer {
        label: dir.display().to_string(),
        signatures: Signatures::from_files(&files)?,
    })
}
