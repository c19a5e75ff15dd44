//! IPv4/IPv6 fragment reassembly, bounded.
//!
//! PLACEHOLDER SIGNATURES (the helper replaces the bodies; the types are the contract).

use std::net::IpAddr;

use crate::stats::Counters;
use crate::time::Timestamp;
use crate::wire::link::Fragment;

/// Reassembles fragmented datagrams.
#[derive(Debug, Default)]
pub struct Defragmenter {}

impl Defragmenter {
    /// An empty reassembler.
    pub fn new() -> Self {
        Defragmenter {}
    }

    /// Add one fragment; returns the whole IP payload once every piece is there.
    pub fn push(
        &mut self,
        ts: Timestamp,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        fragment: Fragment,
        data: &[u8],
        weirds: &mut Counters,
    ) -> Option<Vec<u8>> {
        let _ = (ts, src, dst, protocol, fragment, data, weirds);
        None
    }

    /// Drop reassemblies older than the timeout.
    pub fn expire(&mut self, now: Timestamp, weirds: &mut Counters) {
        let _ = (now, weirds);
    }
}
