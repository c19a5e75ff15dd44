//! Packet sources: capture files (one, or several merged in time order), live interfaces
//! behind the `live` feature.
//!
//! A source yields [`Packet`]s in capture order; replay and live share everything after it.

pub mod file;
mod filter;
mod input;
#[cfg(feature = "live")]
pub mod interface;
mod merge;
mod source;

pub use filter::Filtered;
pub use source::FileSource;

use crate::time::Timestamp;
use crate::wire::link::LinkType;

/// One captured frame, borrowed from the source until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// Link type of the interface the frame came from.
    pub link: LinkType,
    /// Captured bytes (possibly cut by the snap length).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}

/// Errors of packet sources.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// File path.
        path: String,
        /// Cause, said in the message (not also a `source()`: a printed chain says it once).
        cause: std::io::Error,
    },
    /// The file is neither pcap nor pcapng.
    #[error("{path} is not a pcap or pcapng file (magic {magic})")]
    NotACapture {
        /// File path.
        path: String,
        /// First bytes as hex.
        magic: String,
    },
    /// A block or record is broken; everything before `offset` was delivered.
    #[error("{path}: corrupt capture at byte offset {offset}: {reason}")]
    Corrupt {
        /// File path (several files may be read as one capture).
        path: String,
        /// Byte offset of the broken block.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A BPF filter expression libpcap cannot compile (for a link type met), or no libpcap.
    #[error("BPF filter {expr:?}: {reason}")]
    Filter {
        /// The expression.
        expr: String,
        /// libpcap's message, with the link type.
        reason: String,
    },
    /// The file ends inside a block; everything before `offset` was delivered.
    #[error("{path}: capture truncated at byte offset {offset}: the last block is incomplete")]
    Truncated {
        /// File path.
        path: String,
        /// Byte offset of the incomplete block.
        offset: u64,
    },
}

/// Anything that yields packets.
pub trait PacketSource {
    /// The next packet, or `None` at the end.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;
}

/// SHA-256 of a capture file, lower-case hex: the evidence that a report is about this file.
pub fn file_sha256(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(buf.get(..n).unwrap_or_default());
    }
    Ok(ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
