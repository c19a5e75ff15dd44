//! The library's signature format and checker as the build script compiles them: the very files
//! of `src/attribute/` that parse and check an overlay, so the built-in set is held to the same
//! rules, and a broken built-in file fails the build with its `file:line: message`.

// The build script uses the parser and the checker, not the lookups beside them.
#![allow(dead_code)]

#[path = "../src/attribute/browsers.rs"]
pub mod browsers;
#[path = "../src/attribute/category.rs"]
mod category;
#[path = "../src/attribute/checker.rs"]
mod checker;
#[path = "../src/attribute/citation.rs"]
pub mod citation;
#[path = "../src/attribute/endpoints.rs"]
pub mod endpoints;
#[path = "../src/attribute/matcher.rs"]
mod matcher;
#[path = "../src/attribute/name.rs"]
pub mod name;
#[path = "../src/attribute/signatures.rs"]
pub mod signatures;
#[path = "../src/attribute/site.rs"]
pub mod site;

pub use category::{Category, TRACKING_CATEGORIES};

/// The library's `SignatureError`, as far as the format's code uses it.
#[derive(Debug)]
pub enum SignatureError {
    /// A file could not be read.
    Io {
        /// File or directory.
        path: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// One or more problems, each `file:line: message`.
    Invalid(Vec<String>),
    /// Not raised by the format's code.
    UnknownSite(String),
}
