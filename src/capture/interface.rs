//! Live capture from a network interface with libpcap (cargo feature `live`).
//!
//! With `filter.rs` (BPF on file packets) the only code that touches libpcap. It opens the
//! interface with a large kernel buffer, applies the BPF filter, and reads libpcap's drop counters.
//!
//! Packets are delivered in TPACKET_V3 blocks by default (libpcap uses them unless immediate
//! mode is asked for): the kernel fills a block and hands it over when it is full or when the
//! read timeout passes, so a busy link costs one wake-up per block instead of one per packet,
//! and a quiet one delays a packet by at most the timeout. Immediate mode (TPACKET_V2, a
//! wake-up per packet) is kept as an option for comparison. Reopening after an
//! outage is the caller's policy (see `crate::live`): a [`LiveSource`] is one open handle.
//!
//! The handle is non-blocking, and waiting is [`LiveSource::wait`]'s poll(2) with a timeout of
//! our own: on Linux libpcap's blocking read ignores its read timeout with TPACKET_V3 and in
//! immediate mode (it polls without one), so a blocking read returned only when the *next*
//! packet came, and the last packet of a burst waited for it, seconds on a quiet network.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pcap::{Active, Capture};

use super::{CaptureError, Packet, PacketSource};
use crate::time::Timestamp;
use crate::wire::link::LinkType;

/// Default snap length: whole frames, as tcpdump captures them.
pub const DEFAULT_SNAPLEN: i32 = 262_144;
/// Default kernel buffer: 16 MiB absorbs a burst of a few seconds from a phone.
pub const DEFAULT_BUFFER_BYTES: i32 = 16 << 20;
/// Read timeout: the longest a packet waits in a TPACKET_V3 block before it is handed over,
/// and how often a quiet capture wakes up (to send a partial batch, check for shutdown).
pub const DEFAULT_TIMEOUT_MS: i32 = 5;

/// How to open the interface.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Interface name, e.g. `wlan0` (or `any`).
    pub interface: String,
    /// BPF filter expression, e.g. `not port 22`.
    pub filter: Option<String>,
    /// Bytes kept of each frame.
    pub snaplen: i32,
    /// Kernel capture buffer in bytes.
    pub buffer_bytes: i32,
    /// Put the interface in promiscuous mode (not needed on the access point itself).
    pub promisc: bool,
    /// Read timeout in milliseconds.
    pub timeout_ms: i32,
    /// Immediate mode: every packet handed over at once (TPACKET_V2), instead of in blocks.
    pub immediate: bool,
}

impl LiveConfig {
    /// Defaults for `interface`.
    pub fn new(interface: &str) -> LiveConfig {
        LiveConfig {
            interface: interface.to_owned(),
            filter: None,
            snaplen: DEFAULT_SNAPLEN,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            promisc: false,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            immediate: false,
        }
    }
}

/// libpcap's counters of one handle since it was opened, as libpcap keeps them: 32-bit
/// numbers that wrap around.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets that passed the filter (`ps_recv`).
    pub received: u32,
    /// Dropped for lack of buffer space (`ps_drop`).
    pub dropped: u32,
    /// Dropped by the interface or driver (`ps_ifdrop`).
    pub if_dropped: u32,
}

/// One open libpcap handle on a live interface.
pub struct LiveSource {
    cap: Capture<Active>,
    interface: String,
    link: LinkType,
    stop: Option<Arc<AtomicBool>>,
    copy: Vec<u8>,
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource")
            .field("interface", &self.interface)
            .field("link", &self.link)
            .finish()
    }
}

impl LiveSource {
    /// Open `config.interface` and apply the filter.
    pub fn open(config: &LiveConfig) -> Result<LiveSource, CaptureError> {
        let err = |e: pcap::Error| live_error(&config.interface, e);
        let mut cap = Capture::from_device(config.interface.as_str())
            .map_err(err)?
            .immediate_mode(config.immediate)
            .snaplen(config.snaplen)
            .buffer_size(config.buffer_bytes)
            .promisc(config.promisc)
            .timeout(config.timeout_ms)
            .open()
            .and_then(Capture::setnonblock)
            .map_err(err)?;
        if let Some(filter) = &config.filter {
            cap.filter(filter, true).map_err(|e| CaptureError::Io {
                path: config.interface.clone(),
                cause: std::io::Error::other(format!("BPF filter {filter:?}: {e}")),
            })?;
        }
        let link = LinkType(u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX));
        Ok(LiveSource {
            cap,
            interface: config.interface.clone(),
            link,
            stop: None,
            copy: Vec::new(),
        })
    }

    /// Make [`PacketSource::next_packet`] answer `None` once `stop` is set (checked at each
    /// read timeout).
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> LiveSource {
        self.stop = Some(stop);
        self
    }

    /// Link type of the interface.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Interface name.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// A handle that makes a blocked [`LiveSource::poll`] return from another thread.
    pub fn breaker(&mut self) -> Breaker {
        Breaker(self.cap.breakloop_handle())
    }

    /// The next packet waiting, or `None` at once when none is (the handle never blocks).
    pub fn poll(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        read(&mut self.cap, self.link, &self.interface)
    }

    /// Wait until a packet (a TPACKET_V3 block, handed over at the latest after the read
    /// timeout) or an error is waiting, or `timeout` passed. Interrupted waits just return.
    pub fn wait(&self, timeout: std::time::Duration) -> Result<(), CaptureError> {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let timeout = Timespec {
            tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        let mut fds = [PollFd::new(&self.cap, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(CaptureError::Io {
                path: self.interface.clone(),
                cause: e.into(),
            }),
        }
    }

    /// libpcap's counters since this handle opened, as it reports them: 32 bits, wrapping
    /// (the caller accumulates differences).
    pub fn stats(&mut self) -> Result<KernelStats, CaptureError> {
        let s = self
            .cap
            .stats()
            .map_err(|e| live_error(&self.interface, e))?;
        Ok(KernelStats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        })
    }
}

/// Interrupts a blocked read of a [`LiveSource`] (libpcap's `pcap_breakloop`). libpcap blocks
/// inside a read while the interface is down, so shutdown and reopening need this.
pub struct Breaker(pcap::BreakLoop);

impl Breaker {
    /// Make the current or next read return `None`. Harmless after the source was dropped.
    pub fn interrupt(&self) {
        self.0.breakloop();
    }
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Breaker")
    }
}

impl PacketSource for LiveSource {
    /// Blocks until a packet arrives; `None` once the stop flag (see [`LiveSource::with_stop`])
    /// is set. Each packet is copied once, because a borrow returned from a retry loop cannot
    /// be expressed; the live pipeline reads with [`LiveSource::poll`] instead.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            if self
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::Relaxed))
            {
                return Ok(None);
            }
            let got = match read(&mut self.cap, self.link, &self.interface)? {
                Some(p) => {
                    self.copy.clear();
                    self.copy.extend_from_slice(p.data);
                    Some((p.ts, p.orig_len))
                }
                None => None,
            };
            if got.is_none() {
                self.wait(std::time::Duration::from_millis(100))?;
            }
            if let Some((ts, orig_len)) = got {
                return Ok(Some(Packet {
                    ts,
                    link: self.link,
                    data: &self.copy,
                    orig_len,
                }));
            }
        }
    }
}

fn read<'c>(
    cap: &'c mut Capture<Active>,
    link: LinkType,
    interface: &str,
) -> Result<Option<Packet<'c>>, CaptureError> {
    match cap.next_packet() {
        Ok(p) => Ok(Some(Packet {
            ts: timestamp(p.header.ts.tv_sec, p.header.ts.tv_usec),
            link,
            data: p.data,
            orig_len: p.header.len,
        })),
        // NoMorePackets is how the crate reports PCAP_ERROR_BREAK: [`Breaker::interrupt`].
        Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => Ok(None),
        Err(e) => Err(live_error(interface, e)),
    }
}

fn timestamp(secs: i64, micros: i64) -> Timestamp {
    let secs = u64::try_from(secs).unwrap_or(0);
    let micros = u64::try_from(micros).unwrap_or(0).min(999_999);
    Timestamp::from_parts(secs, micros * 1_000)
}

fn live_error(interface: &str, e: pcap::Error) -> CaptureError {
    let hint = match &e {
        pcap::Error::PcapError(m) if m.contains("ermission") || m.contains("not permitted") => {
            "; run as root, or give the binary the capabilities: \
             sudo setcap cap_net_raw,cap_net_admin+eip $(command -v sporfri)"
        }
        _ => "",
    };
    CaptureError::Io {
        path: interface.to_owned(),
        cause: std::io::Error::other(format!("{e}{hint}")),
    }
}
