//! Several capture files read as one capture: packets in time order, each file's secrets.
//!
//! A phone tested over a morning leaves several files (a rotating `--write`, `tcpdump -C`, one
//! file per Wi-Fi channel). [`Merge`] opens each as its own [`FileSource`] and hands out the
//! packet with the earliest time among the files' next packets (ties go to the file named
//! first, so equal times keep the order given). Each file's next packet is copied out of its
//! source (a source lends its packet only until its next read), so merging costs one copy per
//! packet; a single file is never merged. Secrets from Decryption Secrets Blocks are collected
//! from every file as it is read, so they are there before the packets that follow them.
//!
//! A damaged file ends early and the others go on: everything before its damage and all of
//! the others is analysed, and its error (which names it) is returned once every file is done.

use std::path::PathBuf;

use super::file::MAX_SECRETS_BYTES;
use super::{CaptureError, FileSource, Packet, PacketSource};
use crate::time::Timestamp;
use crate::wire::link::LinkType;

/// Several files read as one capture, in time order.
pub(super) struct Merge {
    files: Vec<Member>,
    /// The packet handed out last.
    out: Owned,
    /// Secrets read from any file, not yet taken.
    secrets: Vec<u8>,
    /// The first file error, returned when every file is done.
    deferred: Option<CaptureError>,
}

/// One file and its next packet.
struct Member {
    source: FileSource,
    next: Option<Owned>,
}

/// A packet copied out of its source.
struct Owned {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

impl Owned {
    fn empty() -> Owned {
        Owned {
            ts: Timestamp(0),
            link: LinkType(0),
            data: Vec::new(),
            orig_len: 0,
        }
    }
}

impl Merge {
    /// Open every file (any that cannot be opened fails the whole capture, naming it) and
    /// read each one's first packet.
    pub(super) fn open(paths: &[PathBuf]) -> Result<Merge, CaptureError> {
        let mut merge = Merge {
            files: Vec::with_capacity(paths.len()),
            out: Owned::empty(),
            secrets: Vec::new(),
            deferred: None,
        };
        for path in paths {
            merge.files.push(Member {
                source: FileSource::open(path)?,
                next: None,
            });
        }
        for i in 0..merge.files.len() {
            merge.advance(i, Owned::empty());
        }
        Ok(merge)
    }

    /// Read file `i`'s next packet into `buf` (reused), keeping its secrets; an error is kept
    /// for the end and ends only that file.
    fn advance(&mut self, i: usize, mut buf: Owned) {
        let Some(member) = self.files.get_mut(i) else {
            return;
        };
        let next = match member.source.next_packet() {
            Ok(Some(p)) => {
                buf.ts = p.ts;
                buf.link = p.link;
                buf.orig_len = p.orig_len;
                buf.data.clear();
                buf.data.extend_from_slice(p.data);
                Some(buf)
            }
            Ok(None) => None,
            Err(e) => {
                self.deferred.get_or_insert(e);
                None
            }
        };
        member.next = next;
        let text = member.source.take_secrets();
        if self.secrets.len() + text.len() <= MAX_SECRETS_BYTES {
            self.secrets.extend_from_slice(&text);
        }
    }

    /// Bytes of all files consumed so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.files.iter().map(|m| m.source.bytes_read()).sum()
    }

    /// Size of all files.
    pub(super) fn total_bytes(&self) -> u64 {
        self.files.iter().map(|m| m.source.total_bytes()).sum()
    }

    /// Key log text read from any file since the last call.
    pub(super) fn take_secrets(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.secrets)
    }
}

impl PacketSource for Merge {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let earliest = self
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.next.as_ref().map(|p| (p.ts, i)))
            .min();
        let Some((_, i)) = earliest else {
            return match self.deferred.take() {
                Some(e) => Err(e),
                None => Ok(None),
            };
        };
        let Some(packet) = self.files.get_mut(i).and_then(|m| m.next.take()) else {
            return Ok(None);
        };
        // The packet handed out before is done with: its buffer takes this file's next one.
        let spent = std::mem::replace(&mut self.out, packet);
        self.advance(i, spent);
        Ok(Some(Packet {
            ts: self.out.ts,
            link: self.out.link,
            data: &self.out.data,
            orig_len: self.out.orig_len,
        }))
    }
}
