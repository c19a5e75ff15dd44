//! Evidence metadata: which sporfri and which signatures made the report.

use ring::digest::{Context, SHA256};
use serde::Serialize;

use crate::attribute::embedded_raw;

/// A set of signature files and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerInfo {
    /// `builtin`, or the directory it was read from.
    pub label: String,
    /// [`files_sha256`] of its files.
    pub sha256: String,
    /// Number of files.
    pub files: usize,
}

/// The signatures loaded for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// The set built into this binary.
    pub builtin: LayerInfo,
    /// Directories given with `--signatures`, in order.
    pub extra: Vec<LayerInfo>,
    /// What the hashes do and do not prove.
    pub note: String,
}

/// Versions and hashes that let someone re-check the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// `CARGO_PKG_VERSION` of the sporfri that rendered the report.
    pub sporfri_version: String,
    /// Signatures loaded when rendering.
    pub signatures: SignatureInfo,
}

impl Meta {
    /// This build's version with the built-in signatures and `extra` layers.
    pub fn current(extra: Vec<LayerInfo>) -> Meta {
        Meta {
            sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
            signatures: SignatureInfo {
                builtin: builtin_signatures(),
                extra,
                note: "Contacts were attributed when the session was recorded; the hashes name \
                       the signature files loaded for this report (site profile, declarations)."
                    .to_owned(),
            },
        }
    }
}

/// SHA-256 (lower-case hex) over files given as (relative path, text): for each file in path
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
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash of every file embedded from `signatures/` at build time (README and licences too).
pub fn builtin_signatures() -> LayerInfo {
    let raw = embedded_raw();
    LayerInfo {
        label: "builtin".to_owned(),
        sha256: files_sha256(raw.iter().copied()),
        files: raw.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_set_is_the_sha256_of_nothing() {
        assert_eq!(
            files_sha256([]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn order_does_not_matter_but_names_and_bytes_do() {
        let a = files_sha256([("a.toml", "x"), ("b.toml", "y")]);
        assert_eq!(a, files_sha256([("b.toml", "y"), ("a.toml", "x")]));
        assert_ne!(a, files_sha256([("a.toml", "x"), ("c.toml", "y")]));
        assert_ne!(a, files_sha256([("a.toml", "x"), ("b.toml", "z")]));
        // Moving a byte from one file to the next is a different set.
        assert_ne!(
            files_sha256([("a", "xy"), ("b", "")]),
            files_sha256([("a", "x"), ("b", "y")])
        );
    }

    #[test]
    fn builtin_covers_every_embedded_file() {
        let b = builtin_signatures();
        assert_eq!(b.files, embedded_raw().len());
        assert!(b.files > 0);
        assert_eq!(b.sha256.len(), 64);
    }
}
