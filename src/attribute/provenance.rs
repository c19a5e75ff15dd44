//! What attribution was loaded from: the built-in set's hash, every further layer with a copy of
//! its files, and the site profile's text. An [`Attributor`] is built from a [`SignatureSet`] and
//! keeps it, so a recorded session can store exactly what its contacts were attributed with and
//! a report a year later stands on its own (the overlay directory gone, the built-in set newer).

use std::path::Path;

use ring::digest::{Context, SHA256, digest};
use serde::{Deserialize, Serialize};

use super::SignatureError;
use super::attributor::{Attributor, Layer, builtin_layer, embedded_raw};
use super::signatures::{FileKind, Signatures, SourceFile, read_dir};
use super::site::SiteFacts;

/// A set of signature files and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// `builtin`, the directory it was read from, or `overlay DIR`.
    pub label: String,
    /// [`files_sha256`] of its files.
    pub sha256: String,
    /// Number of files.
    pub files: usize,
}

/// Whether a copied file is an organisation file, a site profile or tracker endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyKind {
    /// `orgs/<slug>.toml`.
    Org,
    /// `sites/<site>.toml`.
    Site,
    /// `endpoints/<name>.toml`.
    Endpoints,
    /// `browsers/<browser>.toml`.
    Browser,
}

/// One signatures file as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCopy {
    /// Path it was read from.
    pub path: String,
    /// Organisation file, site profile or tracker endpoints.
    pub kind: CopyKind,
    /// Its text.
    pub text: String,
}

/// A layer read from a directory, with its files, so it can be rebuilt without the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerCopy {
    /// Label, hash and file count.
    pub info: LayerInfo,
    /// The user's overlay (read again, not copied, when re-attributing).
    pub overlay: bool,
    /// Its files, in path order.
    pub files: Vec<FileCopy>,
}

/// The site profile attribution used, with its file's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCopy {
    /// Profile name (`--site`).
    pub name: String,
    /// The file it was read from.
    pub file: String,
    /// SHA-256 of its text, lower-case hex.
    pub sha256: String,
    /// Its text.
    pub text: String,
}

/// Everything attribution was loaded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSet {
    /// The set built into the binary that attributed (its files are in that binary).
    pub builtin: LayerInfo,
    /// Further layers in precedence order: `--signatures` directories, then the user's overlay.
    pub layers: Vec<LayerCopy>,
    /// The site profile under test, when one was named.
    pub site: Option<SiteCopy>,
}

impl SignatureSet {
    /// The built-in set, then the directories `extra`, then the user's overlay when it exists.
    pub fn read(extra: &[&Path]) -> Result<SignatureSet, SignatureError> {
        let mut layers = Vec::new();
        for d in extra {
            layers.push(copy_dir(d, d.display().to_string(), false)?);
        }
        SignatureSet::with_overlay(layers)
    }

    /// Today's built-in set and overlay around the directory layers of `recorded` (their stored
    /// copies): what re-attributing a session means when no directory is given again.
    pub fn again(recorded: &SignatureSet) -> Result<SignatureSet, SignatureError> {
        let layers = recorded
            .layers
            .iter()
            .filter(|l| !l.overlay)
            .map(|l| {
                let mut copy = l.clone();
                copy.info.label = format!("{} (stored copy)", l.info.label);
                copy
            })
            .collect();
        SignatureSet::with_overlay(layers)
    }

    fn with_overlay(mut layers: Vec<LayerCopy>) -> Result<SignatureSet, SignatureError> {
        if let Some(dir) = super::overlay_dir().filter(|d| d.is_dir()) {
            layers.push(copy_dir(&dir, format!("overlay {}", dir.display()), true)?);
        }
        Ok(SignatureSet {
            builtin: builtin_info(),
            layers,
            site: None,
        })
    }

    /// The attributor of this set with the site profile named `site`; it keeps the set, with
    /// the profile's text, for [`Attributor::signature_set`].
    pub fn attributor(mut self, site: Option<&str>) -> Result<Attributor, SignatureError> {
        let mut layers = vec![builtin_layer()?];
        for l in &self.layers {
            layers.push(Layer {
                label: l.info.label.clone(),
                signatures: Signatures::from_files(&source_files(&l.files))?,
            });
        }
        let mut a = Attributor::from_layers(layers, site)?;
        self.site = a.site().map(|p| self.site_copy(&p.facts));
        a.signatures = Some(self);
        Ok(a)
    }

    /// The site profile's text, from the layer it was read from.
    fn site_copy(&self, facts: &SiteFacts) -> SiteCopy {
        let text = self
            .layers
            .iter()
            .flat_map(|l| &l.files)
            .find(|f| f.path == facts.file)
            .map(|f| f.text.clone())
            .or_else(|| {
                let rel = facts.file.strip_prefix("signatures/")?;
                embedded_raw()
                    .iter()
                    .find(|(path, _)| *path == rel)
                    .map(|(_, text)| (*text).to_owned())
            })
            .unwrap_or_default();
        SiteCopy {
            name: facts.name.clone(),
            file: facts.file.clone(),
            sha256: hex(digest(&SHA256, text.as_bytes()).as_ref()),
            text,
        }
    }

    /// The stored site profile, read again from its text.
    pub fn site_facts(&self) -> Result<Option<SiteFacts>, SignatureError> {
        let Some(site) = &self.site else {
            return Ok(None);
        };
        let file = SourceFile {
            path: site.file.clone(),
            kind: FileKind::Site,
            text: site.text.clone(),
        };
        let sigs = Signatures::from_files(&[file])?;
        match sigs.sites().get(&site.name) {
            Some(p) => Ok(Some(p.facts.clone())),
            None => Err(SignatureError::UnknownSite(site.name.clone())),
        }
    }

    /// Label, hash and size of each layer after the built-in set.
    pub fn layer_infos(&self) -> Vec<LayerInfo> {
        self.layers.iter().map(|l| l.info.clone()).collect()
    }
}

/// Read `dir` into a copied layer.
fn copy_dir(dir: &Path, label: String, overlay: bool) -> Result<LayerCopy, SignatureError> {
    let files = read_dir(dir)?;
    // Paths within the directory, as for the built-in set: the same files hash the same
    // wherever the directory is.
    let within = |p: &str| -> String {
        Path::new(p)
            .strip_prefix(dir)
            .map_or_else(|_| p.to_owned(), |r| r.display().to_string())
    };
    let named: Vec<(String, &str)> = files
        .iter()
        .map(|f| (within(&f.path), f.text.as_str()))
        .collect();
    let info = LayerInfo {
        label,
        sha256: files_sha256(named.iter().map(|(p, t)| (p.as_str(), *t))),
        files: files.len(),
    };
    let files = files
        .into_iter()
        .map(|f| FileCopy {
            kind: match f.kind {
                FileKind::Org => CopyKind::Org,
                FileKind::Site => CopyKind::Site,
                FileKind::Endpoints => CopyKind::Endpoints,
                FileKind::Browser => CopyKind::Browser,
            },
            path: f.path,
            text: f.text,
        })
        .collect();
    Ok(LayerCopy {
        info,
        overlay,
        files,
    })
}

fn source_files(files: &[FileCopy]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|f| SourceFile {
            path: f.path.clone(),
            kind: match f.kind {
                CopyKind::Org => FileKind::Org,
                CopyKind::Site => FileKind::Site,
                CopyKind::Endpoints => FileKind::Endpoints,
                CopyKind::Browser => FileKind::Browser,
            },
            text: f.text.clone(),
        })
        .collect()
}

/// SHA-256 (lower-case hex) over files given as (path within the set, text): for each file in path
/// order, the path, a NUL byte, the text's length as u64 big-endian, and the text. Any change of
/// a name or a byte changes it; the order files were read in does not.
pub fn files_sha256<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = files.into_iter().collect();
    sorted.sort_unstable();
    let mut ctx = Context::new(&SHA256);
    for (path, text) in sorted {
        ctx.update(path.as_bytes());
        ctx.update(&[0]);
        ctx.update(&(text.len() as u64).to_be_bytes());
        ctx.update(text.as_bytes());
    }
    hex(ctx.finish().as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of every file embedded from `signatures/` at build time (README and licences too),
/// computed by the build script (a test holds it equal to [`files_sha256`] of them).
pub fn builtin_info() -> LayerInfo {
    LayerInfo {
        label: "builtin".to_owned(),
        sha256: super::compiled::SHA256.to_owned(),
        files: super::compiled::FILES,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn lab() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/signatures")
    }

    #[test]
    fn a_builtin_site_profile_is_copied_and_reads_back() {
        let a = SignatureSet::read(&[]).unwrap();
        let a = a.attributor(Some("borger.dk")).unwrap();
        let set = a.signature_set().unwrap();
        let site = set.site.as_ref().unwrap();
        assert_eq!(site.file, "signatures/sites/borger.dk.toml");
        assert!(site.text.contains("borger.dk"));
        assert_eq!(site.sha256.len(), 64);
        let facts = set.site_facts().unwrap().unwrap();
        assert_eq!(&facts, &a.site().unwrap().facts);
    }

    #[test]
    fn a_directory_layer_is_copied_and_rebuilds_without_the_directory() {
        let tmp = tempfile::Builder::new()
            .prefix("sporfri-provenance-")
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("set");
        std::fs::create_dir_all(dir.join("sites")).unwrap();
        for e in std::fs::read_dir(lab().join("sites")).unwrap().flatten() {
            std::fs::copy(e.path(), dir.join("sites").join(e.file_name())).unwrap();
        }
        let set = SignatureSet::read(&[&dir]).unwrap();
        let here = SignatureSet::read(&[&lab()]).unwrap();
        // The same files hash the same wherever the directory is.
        assert_eq!(set.layers[0].info.sha256, here.layers[0].info.sha256);
        let stored: SignatureSet =
            serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let again = SignatureSet::again(&stored).unwrap();
        assert!(again.layers[0].info.label.ends_with("(stored copy)"));
        let a = again.attributor(Some("borger.test")).unwrap();
        assert_eq!(a.site().unwrap().facts.name, "borger.test");
        let site = a.signature_set().unwrap().site.as_ref().unwrap();
        assert!(site.text.contains("borger.test"));
    }

    #[test]
    fn an_unknown_site_is_an_error() {
        let e = SignatureSet::read(&[])
            .unwrap()
            .attributor(Some("nope.example"));
        assert!(matches!(e, Err(SignatureError::UnknownSite(_))));
    }
}
