//! Observations (in progress).
