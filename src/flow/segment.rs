//! What the engine hands its analyzers: the packet as a transport segment, and the sink its
//! observations go to. A leaf of `flow`, so that the analyzers need not import the engine
//! that calls them.

use std::net::SocketAddr;

use crate::observation::{DeviceId, Observation};
use crate::time::Timestamp;
use crate::wire::link::TcpFlags;

/// Where observations go.
pub trait Sink {
    /// Take one observation.
    fn observe(&mut self, obs: Observation);
}

impl<F: FnMut(Observation)> Sink for F {
    fn observe(&mut self, obs: Observation) {
        self(obs)
    }
}

/// The packet being analyzed, in transport terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment<'a> {
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub src_device: DeviceId,
    pub dst_device: DeviceId,
    pub payload: &'a [u8],
    pub flags: TcpFlags,
    pub seq: u32,
}
