//! IPv4 and IPv6 headers: addresses, protocol after extension headers, fragments, payload
//! cut to the IP length (so Ethernet padding never reaches the transport layer).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Fragment, IpPacket, be16, be32};
use crate::weird::Weird;
use crate::wire::Parsed;

/// Most IPv6 extension headers followed before giving up on a packet.
pub const MAX_IPV6_EXT_HEADERS: usize = 8;

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const AUTH: u8 = 51;
const DEST_OPTS: u8 = 60;

/// Parse an IPv4 or IPv6 packet by its version nibble; `NotThis` for anything else.
pub fn parse(bytes: &[u8]) -> Parsed<IpPacket<'_>> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => parse_v4(bytes),
        Some(6) => parse_v6(bytes),
        _ => Parsed::NotThis,
    }
}

/// The end of the IP packet inside `bytes`: the length field, or everything when the field
/// is zero (segmentation offload captures and jumbograms leave it zero).
fn ip_end(bytes: &[u8], claimed: usize) -> (usize, u32) {
    if claimed == 0 {
        (bytes.len(), u32::try_from(bytes.len()).unwrap_or(u32::MAX))
    } else {
        (
            claimed.min(bytes.len()),
            u32::try_from(claimed).unwrap_or(u32::MAX),
        )
    }
}

/// Parse an IPv4 packet.
///
/// The fixed header is read from one 20-byte array, so the per-packet path has a single
/// length check instead of one per field. Inlined so the packet is built where the caller
/// keeps it, not copied out of a returned `Parsed`.
#[inline]
pub fn parse_v4(bytes: &[u8]) -> Parsed<IpPacket<'_>> {
    let Some((header, _)) = bytes.split_first_chunk::<20>() else {
        return Parsed::Malformed(Weird::Ipv4TruncatedHeader);
    };
    let [
        first,
        _,
        t0,
        t1,
        i0,
        i1,
        f0,
        f1,
        _,
        protocol,
        _,
        _,
        s0,
        s1,
        s2,
        s3,
        d0,
        d1,
        d2,
        d3,
    ] = *header;
    if first >> 4 != 4 {
        return Parsed::NotThis;
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([t0, t1]));
    if header_len < 20 || (total != 0 && total < header_len) {
        return Parsed::Malformed(Weird::Ipv4BadHeader);
    }
    let (end, wire_len) = ip_end(bytes, total);
    let Some(payload) = bytes.get(header_len..end) else {
        return Parsed::Malformed(Weird::Ipv4TruncatedHeader);
    };
    let flags_offset = u16::from_be_bytes([f0, f1]);
    let more = flags_offset & 0x2000 != 0;
    let offset = u32::from(flags_offset & 0x1fff) * 8;
    let fragment = (more || offset > 0).then(|| Fragment {
        id: u32::from(u16::from_be_bytes([i0, i1])),
        offset,
        more,
    });
    Parsed::Done(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(s0, s1, s2, s3)),
        dst: IpAddr::V4(Ipv4Addr::new(d0, d1, d2, d3)),
        protocol,
        fragment,
        payload,
        wire_len,
    })
}

/// Parse an IPv6 packet, following hop-by-hop, routing, destination options and
/// authentication headers up to the fragment header or the transport protocol.
#[inline]
pub fn parse_v6(bytes: &[u8]) -> Parsed<IpPacket<'_>> {
    let Some((fixed, after)) = bytes.split_first_chunk::<8>() else {
        return Parsed::Malformed(Weird::Ipv6TruncatedHeader);
    };
    let Some((src, after)) = after.split_first_chunk::<16>() else {
        return Parsed::Malformed(Weird::Ipv6TruncatedHeader);
    };
    let Some((dst, _)) = after.split_first_chunk::<16>() else {
        return Parsed::Malformed(Weird::Ipv6TruncatedHeader);
    };
    let [first, _, _, _, l0, l1, first_next, _] = *fixed;
    if first >> 4 != 6 {
        return Parsed::NotThis;
    }
    let claimed = usize::from(u16::from_be_bytes([l0, l1]));
    let (end, wire_len) = ip_end(bytes, if claimed == 0 { 0 } else { claimed + 40 });
    let rest = bytes.get(40..end).unwrap_or(&[]);
    let (next, rest, fragment) = if is_extension_header(first_next) {
        match extension_headers(first_next, rest) {
            Ok(v) => v,
            Err(weird) => return Parsed::Malformed(weird),
        }
    } else {
        (first_next, rest, None)
    };
    Parsed::Done(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(*src)),
        dst: IpAddr::V6(Ipv6Addr::from(*dst)),
        protocol: next,
        fragment,
        payload: rest,
        wire_len,
    })
}

/// True for the IPv6 extension headers this parser follows.
fn is_extension_header(next: u8) -> bool {
    matches!(next, HOP_BY_HOP | ROUTING | DEST_OPTS | AUTH | FRAGMENT)
}

/// Follow IPv6 extension headers from `next`; stops at the transport protocol or right
/// after a fragment header (what follows belongs to the fragmentable part).
fn extension_headers(
    mut next: u8,
    mut rest: &[u8],
) -> Result<(u8, &[u8], Option<Fragment>), Weird> {
    let mut fragment = None;
    let mut followed = 0;
    while is_extension_header(next) {
        followed += 1;
        if followed > MAX_IPV6_EXT_HEADERS {
            return Err(Weird::Ipv6TooManyExtHeaders);
        }
        let (Some(&nh), Some(&len_byte)) = (rest.first(), rest.get(1)) else {
            return Err(Weird::Ipv6TruncatedExtHeader);
        };
        let len = match next {
            FRAGMENT => 8,
            AUTH => (usize::from(len_byte) + 2) * 4,
            _ => (usize::from(len_byte) + 1) * 8,
        };
        let is_fragment = next == FRAGMENT;
        if is_fragment {
            let off_flags = be16(rest, 2).unwrap_or(0);
            let (more, offset) = (off_flags & 1 != 0, u32::from(off_flags >> 3) * 8);
            // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
            if more || offset > 0 {
                fragment = Some(Fragment {
                    id: be32(rest, 4).unwrap_or(0),
                    offset,
                    more,
                });
            }
        }
        rest = rest.get(len..).ok_or(Weird::Ipv6TruncatedExtHeader)?;
        next = nh;
        if fragment.is_some() {
            break;
        }
    }
    Ok((next, rest, fragment))
}
