//! `replay --filter`: a BPF expression applied to a capture file's packets as libpcap applies
//! it on a live interface (`live --filter`), so a replay and a live run of the same traffic see
//! the same packets. libpcap compiles the expression (cargo feature `live`); without it, asking
//! for a filter is an error, never a silent pass-through.
//!
//! The filter sees each packet's captured bytes as its whole length: `greater`/`less` compare
//! the captured length, which differs from the wire length only when the snap length cut it.

use super::{CaptureError, Packet, PacketSource};
#[cfg(feature = "live")]
use crate::wire::link::LinkType;

/// A packet source passing on only the packets a BPF expression accepts.
pub struct Filtered<S> {
    inner: S,
    filter: Option<Bpf>,
    /// The accepted packet, copied: the next read of `inner` reuses its buffer.
    data: Vec<u8>,
    read: u64,
}

impl<S> Filtered<S> {
    /// `inner` filtered by `expr` (libpcap syntax), or passed through whole without one. The
    /// expression is compiled here for Ethernet (a wrong one fails before any packet is read)
    /// and again for each other link type met.
    pub fn new(inner: S, expr: Option<&str>) -> Result<Filtered<S>, CaptureError> {
        Ok(Filtered {
            inner,
            filter: expr.map(Bpf::new).transpose()?,
            data: Vec::new(),
            read: 0,
        })
    }

    /// The source filtered.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The source filtered, mutably (its secrets and position).
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Packets read from the source so far, accepted or not (with no filter: 0).
    pub fn read(&self) -> u64 {
        self.read
    }
}

impl<S: PacketSource> PacketSource for Filtered<S> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some(filter) = &mut self.filter else {
            return self.inner.next_packet();
        };
        loop {
            let Some(p) = self.inner.next_packet()? else {
                return Ok(None);
            };
            self.read += 1;
            if filter.accepts(p)? {
                self.data.clear();
                self.data.extend_from_slice(p.data);
                // Field by field: the packet returned must not borrow `inner`.
                let (ts, link, orig_len) = (p.ts, p.link, p.orig_len);
                return Ok(Some(Packet {
                    ts,
                    link,
                    data: &self.data,
                    orig_len,
                }));
            }
        }
    }
}

/// The expression compiled by libpcap, once per link type.
#[cfg(feature = "live")]
struct Bpf {
    expr: String,
    programs: Vec<(LinkType, pcap::BpfProgram)>,
}

#[cfg(feature = "live")]
impl Bpf {
    fn new(expr: &str) -> Result<Bpf, CaptureError> {
        let mut bpf = Bpf {
            expr: expr.to_owned(),
            programs: Vec::new(),
        };
        bpf.compile(LinkType::ETHERNET)?;
        Ok(bpf)
    }

    fn accepts(&mut self, p: Packet<'_>) -> Result<bool, CaptureError> {
        let at = match self.programs.iter().position(|(l, _)| *l == p.link) {
            Some(at) => at,
            None => self.compile(p.link)?,
        };
        Ok(self
            .programs
            .get(at)
            .is_some_and(|(_, program)| program.filter(p.data)))
    }

    /// Compile for `link`; the program's index.
    fn compile(&mut self, link: LinkType) -> Result<usize, CaptureError> {
        let error = |reason: String| CaptureError::Filter {
            expr: self.expr.clone(),
            reason,
        };
        let dlt = dlt(link)
            .ok_or_else(|| error(format!("link type {} has no libpcap number", link.0)))?;
        let program = pcap::Capture::dead(pcap::Linktype(dlt))
            .and_then(|dead| dead.compile(&self.expr, true))
            .map_err(|e| error(format!("{e} (link type {})", link.0)))?;
        self.programs.push((link, program));
        Ok(self.programs.len() - 1)
    }
}

/// libpcap's DLT number of a file's LINKTYPE: the same except raw IP, which files number 101
/// and libpcap (on Linux and most systems) 12.
#[cfg(feature = "live")]
fn dlt(link: LinkType) -> Option<i32> {
    if link == LinkType::RAW {
        return Some(12);
    }
    i32::try_from(link.0).ok()
}

/// Without libpcap there is no filter: asking for one is an error.
#[cfg(not(feature = "live"))]
enum Bpf {}

#[cfg(not(feature = "live"))]
impl Bpf {
    fn new(expr: &str) -> Result<Bpf, CaptureError> {
        Err(CaptureError::Filter {
            expr: expr.to_owned(),
            reason: "this sporfri is built without libpcap, which compiles BPF (cargo feature \
                     `live`)"
                .to_owned(),
        })
    }

    fn accepts(&mut self, _: Packet<'_>) -> Result<bool, CaptureError> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use crate::wire::link::LinkType;

    /// Packets in memory.
    struct Frames(Vec<(LinkType, Vec<u8>)>, usize);

    impl PacketSource for Frames {
        fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
            let Some((link, data)) = self.0.get(self.1) else {
                return Ok(None);
            };
            self.1 += 1;
            Ok(Some(Packet {
                ts: Timestamp::default(),
                link: *link,
                data,
                orig_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            }))
        }
    }

    /// An IPv4 header with protocol `proto` (no payload).
    fn ipv4(proto: u8) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 20, 0, 0, 0, 0, 64, proto, 0, 0];
        h.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        h
    }

    fn ethernet(proto: u8) -> Vec<u8> {
        let mut f = vec![0; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend(ipv4(proto));
        f
    }

    fn frames() -> Frames {
        Frames(
            vec![
                (LinkType::ETHERNET, ethernet(6)),
                (LinkType::ETHERNET, ethernet(17)),
                (LinkType::RAW, ipv4(17)),
                (LinkType::RAW, ipv4(6)),
            ],
            0,
        )
    }

    fn protos(f: &mut Filtered<Frames>) -> Vec<(u32, u8)> {
        let mut out = Vec::new();
        while let Some(p) = f.next_packet().unwrap() {
            let proto_at = if p.link == LinkType::ETHERNET { 23 } else { 9 };
            out.push((p.link.0, p.data.get(proto_at).copied().unwrap_or(0)));
        }
        out
    }

    #[test]
    fn without_an_expression_every_packet_passes() {
        let mut f = Filtered::new(frames(), None).unwrap();
        assert_eq!(protos(&mut f), [(1, 6), (1, 17), (101, 17), (101, 6)]);
        assert_eq!(f.read(), 0);
    }

    #[cfg(feature = "live")]
    #[test]
    fn the_expression_keeps_what_libpcap_accepts_on_each_link_type() {
        let mut f = Filtered::new(frames(), Some("udp")).unwrap();
        assert_eq!(protos(&mut f), [(1, 17), (101, 17)]);
        assert_eq!(f.read(), 4);
        let mut f = Filtered::new(frames(), Some("not udp")).unwrap();
        assert_eq!(protos(&mut f), [(1, 6), (101, 6)]);
    }

    #[cfg(feature = "live")]
    #[test]
    fn a_wrong_expression_fails_before_any_packet() {
        let e = Filtered::new(frames(), Some("port banana")).err().unwrap();
        assert!(
            e.to_string().starts_with("BPF filter \"port banana\": "),
            "{e}"
        );
        // Valid for Ethernet, not for raw IP: the error comes with the first raw packet.
        let mut f = Filtered::new(frames(), Some("ether host 00:00:00:00:00:00")).unwrap();
        let e = loop {
            match f.next_packet() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert!(e.to_string().contains("link type 101"), "{e}");
    }

    #[cfg(not(feature = "live"))]
    #[test]
    fn without_libpcap_a_filter_is_an_error() {
        let e = Filtered::new(frames(), Some("udp")).err().unwrap();
        assert!(e.to_string().contains("built without libpcap"), "{e}");
    }
}
