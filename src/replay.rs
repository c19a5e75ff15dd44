//! Running the pipeline over a packet source: capture → engine → observers.

use crate::capture::{CaptureError, PacketSource};
use crate::flow::Engine;
use crate::flow::engine::Sink;

/// How a run ended.
#[derive(Debug)]
pub struct RunEnd {
    /// Packets read from the source.
    pub packets: u64,
    /// The error that stopped reading early; everything before it was analysed.
    pub error: Option<CaptureError>,
}

/// Packets between two progress callbacks.
const PROGRESS_EVERY: u64 = 8192;

/// Feed every packet of `source` to `engine`, then end all flows.
/// A capture error stops reading but never discards what was analysed before it.
pub fn run<S: PacketSource>(
    source: &mut S,
    engine: &mut Engine,
    sink: &mut impl Sink,
    mut progress: impl FnMut(&S),
) -> RunEnd {
    let mut packets = 0u64;
    let error = loop {
        match source.next_packet() {
            Ok(Some(packet)) => {
                packets += 1;
                engine.ingest(&packet, sink);
                if packets % PROGRESS_EVERY == 0 {
                    progress(source);
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    engine.finish(sink);
    RunEnd { packets, error }
}
