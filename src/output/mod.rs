//! Output formats: the oracle-compatible extraction, JSON lines and a table for people.

pub mod extract;
pub mod jsonl;
pub mod table;
