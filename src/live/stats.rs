//! Live counters: what was captured, and every place a packet can be lost. Never silent.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters shared by the capture thread (writer) and the analysis task (reader).
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Packets read from libpcap.
    pub captured: AtomicU64,
    /// Packets dropped because the channel to the analysis task was full.
    pub channel_dropped: AtomicU64,
    /// Batches sent to the analysis task.
    pub batches: AtomicU64,
    /// libpcap `ps_recv` of handles already closed (reopens reset libpcap's counters).
    closed_received: AtomicU64,
    /// libpcap `ps_drop` (no room in the kernel buffer) of closed handles.
    closed_kernel: AtomicU64,
    /// libpcap `ps_ifdrop` of closed handles.
    closed_if: AtomicU64,
    /// Same three for the handle now open.
    open_received: AtomicU64,
    open_kernel: AtomicU64,
    open_if: AtomicU64,
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

impl LiveCounters {
    /// Record libpcap's counters of the open handle (cumulative since it opened).
    pub fn set_open(&self, received: u64, kernel: u64, interface: u64) {
        self.open_received.store(received, Ordering::Relaxed);
        self.open_kernel.store(kernel, Ordering::Relaxed);
        self.open_if.store(interface, Ordering::Relaxed);
    }

    /// The open handle is closed: its last counters move to the closed totals.
    pub fn close_open(&self) {
        for (open, closed) in [
            (&self.open_received, &self.closed_received),
            (&self.open_kernel, &self.closed_kernel),
            (&self.open_if, &self.closed_if),
        ] {
            closed.fetch_add(open.swap(0, Ordering::Relaxed), Ordering::Relaxed);
        }
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
            received: get(&self.closed_received) + get(&self.open_received),
            kernel_dropped: get(&self.closed_kernel) + get(&self.open_kernel),
            if_dropped: get(&self.closed_if) + get(&self.open_if),
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

    #[test]
    fn counters_survive_a_reopen() {
        let c = LiveCounters::default();
        c.set_open(100, 3, 1);
        c.close_open();
        c.set_open(10, 2, 0);
        c.channel_drop(5);
        let s = c.snapshot();
        assert_eq!((s.received, s.kernel_dropped, s.if_dropped), (110, 5, 1));
        assert_eq!(s.channel_dropped, 5);
        assert_eq!(s.dropped(), 11);
    }
}
