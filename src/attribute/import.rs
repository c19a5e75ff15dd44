//! Import placeholder.
