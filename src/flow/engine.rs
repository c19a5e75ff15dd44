//! The engine (in progress).

/// The analysis engine.
#[derive(Debug, Default)]
pub struct Engine {}
