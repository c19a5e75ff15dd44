//! Pure parsers over borrowed bytes: no I/O, no state, no clock, no logging.
//!
//! Every parser answers with [`Parsed`]: done, incomplete (needs more bytes), not this
//! protocol, or malformed with the [`Weird`] the caller counts.

#![deny(clippy::indexing_slicing)]

pub mod dhcp;
pub mod dns;
pub mod http;
pub mod link;
pub mod quic;
pub mod tls;

use crate::weird::Weird;

/// The outcome of parsing one protocol unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A complete unit.
    Done(T),
    /// The bytes so far are a valid prefix; `needed` is the total length when known.
    Incomplete {
        /// Total bytes the unit needs, when the header says so.
        needed: Option<usize>,
    },
    /// These bytes are not this protocol (not an error: try something else).
    NotThis,
    /// This protocol, but broken; the kind is counted as a weird.
    Malformed(Weird),
}

impl<T> Parsed<T> {
    /// The parsed value, if complete.
    pub fn done(self) -> Option<T> {
        match self {
            Parsed::Done(v) => Some(v),
            _ => None,
        }
    }

    /// Apply `f` to a complete value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        match self {
            Parsed::Done(v) => Parsed::Done(f(v)),
            Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
            Parsed::NotThis => Parsed::NotThis,
            Parsed::Malformed(w) => Parsed::Malformed(w),
        }
    }
}
