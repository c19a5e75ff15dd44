//! Stateful analysis: flows, stream-head reassembly, fragments, the DNS cache, devices.
//!
//! No I/O and no clock: time comes from packets. Every table has a `MAX_*` bound and counts
//! what it evicts.

pub mod analyze;
pub mod dns_cache;
pub mod engine;
mod h3;
pub mod http;
pub mod ipfrag;
pub mod quic;
#[cfg(test)]
mod reassembly_tests;
mod segment;
pub mod table;
pub mod tcp;

pub use engine::Engine;
