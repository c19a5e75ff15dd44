//! IPv4 and IPv6 headers: addresses, protocol after extension headers, fragments, payload
//! cut to the IP length (so Ethernet padding never reaches the transport layer).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Fragment, IpPacket, be16, be32};
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
pub fn parse_v4(bytes: &[u8]) -> Parsed<IpPacket<'_>> {
    let (Some(first), Some(src), Some(dst)) = (bytes.first(), bytes.get(12..16), bytes.get(16..20))
    else {
        return Parsed::Malformed("ipv4.truncated_header");
    };
    if first >> 4 != 4 {
        return Parsed::NotThis;
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let total = usize::from(be16(bytes, 2).unwrap_or(0));
    if header_len < 20 || (total != 0 && total < header_len) {
        return Parsed::Malformed("ipv4.bad_header");
    }
    let (end, wire_len) = ip_end(bytes, total);
    let Some(payload) = bytes.get(header_len..end) else {
        return Parsed::Malformed("ipv4.truncated_header");
    };
    let (Ok(src), Ok(dst)) = (<[u8; 4]>::try_from(src), <[u8; 4]>::try_from(dst)) else {
        return Parsed::Malformed("ipv4.truncated_header");
    };
    let flags_offset = be16(bytes, 6).unwrap_or(0);
    let more = flags_offset & 0x2000 != 0;
    let offset = u32::from(flags_offset & 0x1fff) * 8;
    let fragment = (more || offset > 0).then(|| Fragment {
        id: u32::from(be16(bytes, 4).unwrap_or(0)),
        offset,
        more,
    });
    Parsed::Done(IpPacket {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        protocol: bytes.get(9).copied().unwrap_or(0),
        fragment,
        payload,
        wire_len,
    })
}

/// Parse an IPv6 packet, following hop-by-hop, routing, destination options and
/// authentication headers up to the fragment header or the transport protocol.
pub fn parse_v6(bytes: &[u8]) -> Parsed<IpPacket<'_>> {
    let (Some(first), Some(src), Some(dst)) = (bytes.first(), bytes.get(8..24), bytes.get(24..40))
    else {
        return Parsed::Malformed("ipv6.truncated_header");
    };
    if first >> 4 != 6 {
        return Parsed::NotThis;
    }
    let (Ok(src), Ok(dst)) = (<[u8; 16]>::try_from(src), <[u8; 16]>::try_from(dst)) else {
        return Parsed::Malformed("ipv6.truncated_header");
    };
    let claimed = usize::from(be16(bytes, 4).unwrap_or(0));
    let (end, wire_len) = ip_end(bytes, if claimed == 0 { 0 } else { claimed + 40 });
    let rest = bytes.get(40..end).unwrap_or(&[]);
    let first_next = bytes.get(6).copied().unwrap_or(0);
    let (next, rest, fragment) = match extension_headers(first_next, rest) {
        Ok(v) => v,
        Err(weird) => return Parsed::Malformed(weird),
    };
    Parsed::Done(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        protocol: next,
        fragment,
        payload: rest,
        wire_len,
    })
}

/// Follow IPv6 extension headers from `next`; stops at the transport protocol or right
/// after a fragment header (what follows belongs to the fragmentable part).
fn extension_headers(
    mut next: u8,
    mut rest: &[u8],
) -> Result<(u8, &[u8], Option<Fragment>), &'static str> {
    let mut fragment = None;
    let mut followed = 0;
    while matches!(next, HOP_BY_HOP | ROUTING | DEST_OPTS | AUTH | FRAGMENT) {
        followed += 1;
        if followed > MAX_IPV6_EXT_HEADERS {
            return Err("ipv6.too_many_ext_headers");
        }
        let (Some(&nh), Some(&len_byte)) = (rest.first(), rest.get(1)) else {
            return Err("ipv6.truncated_ext_header");
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
        rest = rest.get(len..).ok_or("ipv6.truncated_ext_header")?;
        next = nh;
        if fragment.is_some() {
            break;
        }
    }
    Ok((next, rest, fragment))
}
