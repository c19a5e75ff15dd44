//! Owned packet batches: what the capture thread hands to the analysis task.
//!
//! One contiguous buffer per batch, so a batch costs two allocations however many packets it holds.

use crate::capture::Packet;
use crate::time::Timestamp;
use crate::wire::link::LinkType;

/// Packets per batch before it is sent.
pub const MAX_BATCH_PACKETS: usize = 512;
/// Captured bytes per batch before it is sent.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
struct Record {
    ts: Timestamp,
    start: usize,
    len: usize,
    orig_len: u32,
}

/// Packets of one interface, in capture order.
#[derive(Debug, Clone)]
pub struct Batch {
    link: LinkType,
    data: Vec<u8>,
    records: Vec<Record>,
}

impl Batch {
    /// An empty batch for packets of `link`.
    pub fn new(link: LinkType) -> Batch {
        Batch {
            link,
            data: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Link type of every packet in the batch.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Copy one packet in.
    pub fn push(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) {
        self.records.push(Record {
            ts,
            start: self.data.len(),
            len: data.len(),
            orig_len,
        });
        self.data.extend_from_slice(data);
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// No packets.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The batch is due to be sent.
    pub fn is_full(&self) -> bool {
        self.records.len() >= MAX_BATCH_PACKETS || self.data.len() >= MAX_BATCH_BYTES
    }

    /// The packets, borrowed.
    pub fn packets(&self) -> impl Iterator<Item = Packet<'_>> {
        self.records.iter().map(|r| Packet {
            ts: r.ts,
            link: self.link,
            data: self.data.get(r.start..r.start + r.len).unwrap_or(&[]),
            orig_len: r.orig_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_come_back_in_order_with_their_bytes() {
        let mut b = Batch::new(LinkType::RAW);
        b.push(Timestamp(1), &[1, 2], 2);
        b.push(Timestamp(2), &[], 40);
        b.push(Timestamp(3), &[3, 4, 5], 1500);
        let got: Vec<_> = b
            .packets()
            .map(|p| (p.ts.0, p.data.to_vec(), p.orig_len))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, vec![1, 2], 2),
                (2, vec![], 40),
                (3, vec![3, 4, 5], 1500)
            ]
        );
        assert!(b.packets().all(|p| p.link == LinkType::RAW));
    }

    #[test]
    fn full_at_max_packets_or_max_bytes() {
        let mut b = Batch::new(LinkType::RAW);
        for _ in 0..MAX_BATCH_PACKETS - 1 {
            b.push(Timestamp(0), &[0], 1);
        }
        assert!(!b.is_full());
        b.push(Timestamp(0), &[0], 1);
        assert!(b.is_full());
        let mut big = Batch::new(LinkType::RAW);
        big.push(Timestamp(0), &vec![0; MAX_BATCH_BYTES], 1);
        assert!(big.is_full());
        assert_eq!(big.len(), 1);
    }
}
