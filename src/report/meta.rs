//! Evidence metadata: which sporfri rendered the report, and which signatures its contacts were
//! attributed with.

use serde::Serialize;

pub use crate::attribute::provenance::builtin_info as builtin_signatures;
pub use crate::attribute::{LayerInfo, files_sha256};

use crate::attribute::SignatureSet;

/// Whose signatures the contacts of a report were attributed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributedWith {
    /// Those the session was recorded with, as it stored them.
    Recorded,
    /// This sporfri's signatures, at the tester's request (`--reattribute`).
    Reattributed,
    /// The session was recorded by a sporfri that did not store its signatures: the contacts
    /// are as recorded, the hashes name the files loaded when rendering.
    NotStored,
}

/// The site profile the findings are read against: its name, file and the SHA-256 of its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteSource {
    /// Profile name.
    pub name: String,
    /// The file it was read from.
    pub file: String,
    /// SHA-256 of its text.
    pub sha256: String,
}

/// The signatures behind a report's attribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// Recorded, re-attributed, or not stored.
    pub attribution: AttributedWith,
    /// The built-in set.
    pub builtin: LayerInfo,
    /// Further layers (`--signatures` directories, the user's overlay), in order.
    pub extra: Vec<LayerInfo>,
    /// The site profile, when the session named one and it was stored (or found).
    pub site: Option<SiteSource>,
    /// What the hashes do and do not prove.
    pub note: String,
}

/// Versions and hashes that let someone re-check the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// `CARGO_PKG_VERSION` of the sporfri that rendered the report.
    pub sporfri_version: String,
    /// The signatures the contacts were attributed with.
    pub signatures: SignatureInfo,
    /// When re-attributed: the signatures the session was recorded with (if it stored them).
    pub recorded_signatures: Option<SignatureInfo>,
}

impl SignatureInfo {
    /// The set a session stored (`attribution` says how the report uses it).
    pub fn of_set(set: &SignatureSet, attribution: AttributedWith) -> SignatureInfo {
        let note = match attribution {
            AttributedWith::Recorded => {
                "Contacts were attributed when the session was recorded, with these signatures; \
                 the session stores their hashes, a copy of every further layer and the site \
                 profile, so the report does not depend on files present when rendering."
            }
            AttributedWith::Reattributed => {
                "Contacts were attributed again when rendering (--reattribute), with this \
                 sporfri's signatures; the session was recorded with those under \
                 recorded_signatures."
            }
            AttributedWith::NotStored => "",
        };
        SignatureInfo {
            attribution,
            builtin: set.builtin.clone(),
            extra: set.layer_infos(),
            site: set.site.as_ref().map(|s| SiteSource {
                name: s.name.clone(),
                file: s.file.clone(),
                sha256: s.sha256.clone(),
            }),
            note: note.to_owned(),
        }
    }
}

impl Meta {
    /// A session recorded by a sporfri that did not store its signatures: this build's
    /// built-in set and the `extra` layers loaded when rendering.
    pub fn current(extra: Vec<LayerInfo>) -> Meta {
        Meta {
            sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
            signatures: SignatureInfo {
                attribution: AttributedWith::NotStored,
                builtin: builtin_signatures(),
                extra,
                site: None,
                note: "The session was recorded by a sporfri that did not store its \
                       signatures: contacts are as recorded; the hashes name the signature files \
                       loaded for this report (site profile, declarations)."
                    .to_owned(),
            },
            recorded_signatures: None,
        }
    }

    /// Contacts as recorded, with the signatures `set` the session stored.
    pub fn recorded(set: &SignatureSet) -> Meta {
        Meta {
            sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
            signatures: SignatureInfo::of_set(set, AttributedWith::Recorded),
            recorded_signatures: None,
        }
    }

    /// Contacts attributed again with `today`; `recorded` is what the session stored.
    pub fn reattributed(today: &SignatureSet, recorded: Option<&SignatureSet>) -> Meta {
        Meta {
            sporfri_version: env!("CARGO_PKG_VERSION").to_owned(),
            signatures: SignatureInfo::of_set(today, AttributedWith::Reattributed),
            recorded_signatures: recorded
                .map(|s| SignatureInfo::of_set(s, AttributedWith::Recorded)),
        }
    }
}

/// `as recorded: builtin sha256 0123456789ab, tests/lab/signatures sha256 …`: how the contacts
/// were attributed and with which set, in one line for the report and the command line.
pub fn describe(s: &SignatureInfo) -> String {
    let how = match s.attribution {
        AttributedWith::Recorded => "as recorded",
        AttributedWith::Reattributed => "re-attributed with this sporfri's signatures",
        AttributedWith::NotStored => "as recorded (signatures not stored; hashes of today's)",
    };
    format!("{how}: {}", describe_set(s))
}

/// `builtin sha256 0123456789ab, tests/lab/signatures sha256 …, site profile borger.test sha256
/// …`: the set alone (hashes cut to 12 digits; the report's JSON has them whole).
pub fn describe_set(s: &SignatureInfo) -> String {
    let mut parts = vec![format!("builtin sha256 {}", short(&s.builtin.sha256))];
    for l in &s.extra {
        parts.push(format!("{} sha256 {}", l.label, short(&l.sha256)));
    }
    if let Some(site) = &s.site {
        parts.push(format!(
            "site profile {} sha256 {}",
            site.name,
            short(&site.sha256)
        ));
    }
    parts.join(", ")
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::embedded_raw;

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
