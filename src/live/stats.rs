//! Live counters: what was captured, and every place a packet can be lost. Never silent.
//!
//! libpcap reports its counters as 32-bit numbers (`ps_recv`, `ps_drop`, `ps_ifdrop`) that
//! wrap: at 200,000 packets/s `ps_recv` passes 2^32 after six hours. They are read as deltas
//! modulo 2^32 ([`PcapReading`]) and added to 64-bit totals, so a long session never shows a
//! count going backwards or a drop vanishing.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters shared by the capture thread (writer) and the analysis task (reader).
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Packets read from libpcap.
    pub captured: AtomicU64,
    /// Bytes on the wire of the packets read (their original length).
    pub captured_bytes: AtomicU64,
    /// Packets dropped because the channel to the analysis task was full.
    pub channel_dropped: AtomicU64,
    /// Batches sent to the analysis task.
    pub batches: AtomicU64,
    /// libpcap `ps_recv`, all handles, 64-bit.
    received: AtomicU64,
    /// libpcap `ps_drop` (no room in the kernel buffer), all handles, 64-bit.
    kernel: AtomicU64,
    /// libpcap `ps_ifdrop`, all handles, 64-bit.
    interface: AtomicU64,
    /// Times the interface was lost.
    pub outages: AtomicU64,
    /// Times the capture was reopened after an outage.
    pub reopens: AtomicU64,
}

/// A snapshot of [`LiveCounters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LiveStats {
    /// Packets read from libpcap.
    pub captured: u64,
    /// Bytes on the wire of the packets read.
    pub captured_bytes: u64,
    /// Packets libpcap says the kernel saw (after the BPF filter), all handles.
    pub received: u64,
    /// Dropped in the kernel: no room in the capture buffer.
    pub kernel_dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
    /// Dropped by sporfri: the analysis task was behind and the channel was full.
    pub channel_dropped: u64,
    /// Batches handed to the analysis task.
    pub batches: u64,
    /// Times the interface went away.
    pub outages: u64,
    /// Times the capture was reopened.
    pub reopens: u64,
}

impl LiveStats {
    /// Packets lost anywhere.
    pub fn dropped(&self) -> u64 {
        self.kernel_dropped + self.if_dropped + self.channel_dropped
    }
}

/// libpcap's counters of one open handle as it reports them: cumulative since the handle
/// opened, 32 bits wide, wrapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcapCounts {
    /// `ps_recv`.
    pub received: u32,
    /// `ps_drop`.
    pub dropped: u32,
    /// `ps_ifdrop`.
    pub if_dropped: u32,
}

/// The last [`PcapCounts`] of one handle, to turn the next reading into increments. A new
/// handle starts from zero (libpcap's counters start there).
#[derive(Debug, Clone, Copy, Default)]
pub struct PcapReading {
    last: PcapCounts,
}

impl PcapReading {
    /// What happened since the previous reading, each counter modulo 2^32: correct as long as
    /// fewer than 2^32 packets pass between two readings (the capture thread reads every
    /// second).
    pub fn advance(&mut self, now: PcapCounts) -> [u64; 3] {
        let d = |new: u32, old: u32| u64::from(new.wrapping_sub(old));
        let delta = [
            d(now.received, self.last.received),
            d(now.dropped, self.last.dropped),
            d(now.if_dropped, self.last.if_dropped),
        ];
        self.last = now;
        delta
    }
}

impl LiveCounters {
    /// Add a reading of the open handle's libpcap counters (`reading` remembers the last one).
    pub fn add_pcap(&self, reading: &mut PcapReading, now: PcapCounts) {
        let [received, kernel, interface] = reading.advance(now);
        self.received.fetch_add(received, Ordering::Relaxed);
        self.kernel.fetch_add(kernel, Ordering::Relaxed);
        self.interface.fetch_add(interface, Ordering::Relaxed);
    }

    /// Count `n` packets lost at the channel.
    pub fn channel_drop(&self, n: u64) {
        self.channel_dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Current values.
    pub fn snapshot(&self) -> LiveStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LiveStats {
            captured: get(&self.captured),
            captured_bytes: get(&self.captured_bytes),
            received: get(&self.received),
            kernel_dropped: get(&self.kernel),
            if_dropped: get(&self.interface),
            channel_dropped: get(&self.channel_dropped),
            batches: get(&self.batches),
            outages: get(&self.outages),
            reopens: get(&self.reopens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(received: u32, dropped: u32, if_dropped: u32) -> PcapCounts {
        PcapCounts {
            received,
            dropped,
            if_dropped,
        }
    }

    #[test]
    fn counters_survive_a_reopen() {
        let c = LiveCounters::default();
        let mut first = PcapReading::default();
        c.add_pcap(&mut first, counts(100, 3, 1));
        // A reopened handle counts from zero again.
        let mut second = PcapReading::default();
        c.add_pcap(&mut second, counts(10, 2, 0));
        c.channel_drop(5);
        let s = c.snapshot();
        assert_eq!((s.received, s.kernel_dropped, s.if_dropped), (110, 5, 1));
        assert_eq!(s.channel_dropped, 5);
        assert_eq!(s.dropped(), 11);
    }

    #[test]
    fn libpcap_counters_that_wrap_keep_counting_up() {
        let c = LiveCounters::default();
        let mut r = PcapReading::default();
        c.add_pcap(&mut r, counts(u32::MAX - 99, u32::MAX - 4, 7));
        // ps_recv and ps_drop passed 2^32 between two readings.
        c.add_pcap(&mut r, counts(400, 10, 7));
        let s = c.snapshot();
        assert_eq!(s.received, (1u64 << 32) + 400);
        assert_eq!(s.kernel_dropped, (1u64 << 32) + 10);
        assert_eq!(s.if_dropped, 7);
        // Wrapping twice over many readings adds up too.
        for i in 1..=8u64 {
            c.add_pcap(&mut r, counts((400 + i * (1 << 30)) as u32, 10, 7));
        }
        assert_eq!(c.snapshot().received, (3u64 << 32) + 400);
    }

    #[test]
    fn repeated_readings_add_nothing() {
        let c = LiveCounters::default();
        let mut r = PcapReading::default();
        for _ in 0..3 {
            c.add_pcap(&mut r, counts(50, 2, 1));
        }
        let s = c.snapshot();
        assert_eq!((s.received, s.kernel_dropped, s.if_dropped), (50, 2, 1));
    }
}
