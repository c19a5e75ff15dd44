//! Contacts (in progress).
