//! Renumbering a pcapng capture: every address under a prefix moves to another prefix, in the
//! IP headers, in DNS answers (A, AAAA, SVCB hints) and in ICMPv6 errors, with the IPv4 header,
//! TCP, UDP and ICMPv6 checksums made right again. TLS and QUIC payloads do not carry addresses
//! and their keys do not depend on them, so a capture with injected secrets still decrypts.
//!
//! Little-endian pcapng with Ethernet interfaces only (what the lab writes); anything else
//! panics, since this is a test helper.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

/// One prefix move: the first bytes of an address, and what they become (same length).
#[derive(Debug, Clone)]
pub struct Move {
    pub from: Vec<u8>,
    pub to: Vec<u8>,
}

impl Move {
    pub fn new(from: &[u8], to: &[u8]) -> Move {
        assert_eq!(from.len(), to.len(), "a prefix keeps its length");
        Move {
            from: from.to_vec(),
            to: to.to_vec(),
        }
    }
}

/// What a renumbering changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    /// Packets whose header addresses moved.
    pub headers: usize,
    /// Address occurrences moved inside DNS and ICMPv6 payloads.
    pub payload_addresses: usize,
}

const EPB: u32 = 6;
const SHB: u32 = 0x0A0D_0D0A;

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

/// `pcapng` with every address moved by `moves`.
pub fn renumber(pcapng: &[u8], moves: &[Move]) -> (Vec<u8>, Changed) {
    let mut out = pcapng.to_vec();
    let mut changed = Changed::default();
    let mut at = 0;
    while at + 12 <= out.len() {
        let kind = u32_at(&out, at);
        let len = u32_at(&out, at + 4) as usize;
        assert!(len >= 12 && at + len <= out.len(), "bad block at {at}");
        if kind == SHB {
            assert_eq!(
                u32_at(&out, at + 8),
                0x1A2B_3C4D,
                "little-endian pcapng only"
            );
        }
        if kind == EPB {
            let caplen = u32_at(&out, at + 20) as usize;
            let frame = &mut out[at + 28..at + 28 + caplen];
            packet(frame, moves, &mut changed);
        }
        at += len;
    }
    (out, changed)
}

/// One Ethernet frame.
fn packet(frame: &mut [u8], moves: &[Move], changed: &mut Changed) {
    if frame.len() < 14 {
        return;
    }
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let ip = &mut frame[14..];
    match ethertype {
        0x0800 if ip.len() >= 20 => ipv4(ip, moves, changed),
        0x86DD if ip.len() >= 40 => ipv6(ip, moves, changed),
        _ => {}
    }
}

fn move_address(addr: &mut [u8], moves: &[Move]) -> bool {
    for m in moves {
        if addr.len() >= m.from.len() && addr[..m.from.len()] == m.from[..] {
            addr[..m.to.len()].copy_from_slice(&m.to);
            return true;
        }
    }
    false
}

/// Move every occurrence of a whole prefix inside `payload` (DNS rdata, ICMPv6 quotes).
fn move_in_payload(payload: &mut [u8], moves: &[Move]) -> usize {
    let mut n = 0;
    for m in moves {
        let k = m.from.len();
        let mut i = 0;
        while i + k <= payload.len() {
            if payload[i..i + k] == m.from[..] {
                payload[i..i + k].copy_from_slice(&m.to);
                n += 1;
                i += k;
            } else {
                i += 1;
            }
        }
    }
    n
}

fn ipv4(ip: &mut [u8], moves: &[Move], changed: &mut Changed) {
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
    let proto = ip[9];
    let a = move_address(&mut ip[12..16], moves);
    let b = move_address(&mut ip[16..20], moves);
    if a || b {
        changed.headers += 1;
    }
    ip[10] = 0;
    ip[11] = 0;
    let sum = fold(sum(&ip[..ihl], 0));
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    if fragment || total < ihl {
        return;
    }
    let (src, dst) = (ip[12..16].to_vec(), ip[16..20].to_vec());
    let l4 = &mut ip[ihl..total];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    transport(l4, proto, &pseudo, moves, changed);
}

fn ipv6(ip: &mut [u8], moves: &[Move], changed: &mut Changed) {
    let next = ip[6];
    let payload = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
    let a = move_address(&mut ip[8..24], moves);
    let b = move_address(&mut ip[24..40], moves);
    if a || b {
        changed.headers += 1;
    }
    let end = (40 + payload).min(ip.len());
    let (src, dst) = (ip[8..24].to_vec(), ip[24..40].to_vec());
    let l4 = &mut ip[40..end];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&(l4.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, next]);
    transport(l4, next, &pseudo, moves, changed);
}

/// Move addresses in DNS and ICMPv6 payloads and recompute the checksum of `l4`.
fn transport(l4: &mut [u8], proto: u8, pseudo: &[u8], moves: &[Move], changed: &mut Changed) {
    let (checksum_at, header) = match proto {
        6 if l4.len() >= 20 => (16, usize::from(l4[12] >> 4) * 4),
        17 if l4.len() >= 8 => (6, 8),
        58 if l4.len() >= 8 => (2, 8),
        _ => return,
    };
    let ports = [
        u16::from_be_bytes([l4[0], l4[1]]),
        u16::from_be_bytes([l4[2], l4[3]]),
    ];
    let dns = proto != 58 && ports.contains(&53);
    if (dns || proto == 58) && header <= l4.len() {
        changed.payload_addresses += move_in_payload(&mut l4[header..], moves);
    }
    if proto == 17 && l4[6] == 0 && l4[7] == 0 && pseudo.len() == 12 {
        return; // IPv4 UDP without a checksum stays without one.
    }
    l4[checksum_at] = 0;
    l4[checksum_at + 1] = 0;
    let mut c = fold(sum(l4, sum(pseudo, 0)));
    if c == 0 && proto == 17 {
        c = 0xffff;
    }
    l4[checksum_at..checksum_at + 2].copy_from_slice(&c.to_be_bytes());
}

fn sum(data: &[u8], mut acc: u32) -> u32 {
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        acc += u32::from(word);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// True when every IPv4 header and TCP/UDP/ICMPv6 checksum of `pcapng` verifies.
pub fn checksums_ok(pcapng: &[u8]) -> bool {
    // Verifying is recomputing: a correct packet is a fixed point of an empty renumbering.
    let (again, _) = renumber(pcapng, &[]);
    again == pcapng
}
