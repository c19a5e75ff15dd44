//! Output formats: the oracle-compatible extraction, JSON lines and a table for people, and the
//! `--requests` view of HTTP requests.

pub mod extract;
pub mod jsonl;
pub mod requests;
pub mod table;
