//! Output formats (in progress).
