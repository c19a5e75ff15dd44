//! Resource records and the record data the flow layer uses (A, AAAA, CNAME, SVCB/HTTPS).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::weird::Weird;

use super::name::skip_name;
use super::{NameRef, Parser, Record, RecordData, be16, be32};

const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
const TYPE_SVCB: u16 = 64;
const TYPE_HTTPS: u16 = 65;

/// SvcParamKeys (RFC 9460) the flow layer uses.
const KEY_ALPN: u16 = 1;
const KEY_IPV4HINT: u16 = 4;
const KEY_ECH: u16 = 5;
const KEY_IPV6HINT: u16 = 6;

/// One record as read from the wire.
pub(super) struct RawRecord {
    /// The record (`data` is `Other` when its data did not parse).
    pub record: Record,
    /// CLASS (the UDP payload size for OPT; the cache-flush bit is kept for mDNS).
    pub class: u16,
    /// Offset of the next record.
    pub next: usize,
    /// Why the data of a known type did not parse.
    pub damage: Option<Weird>,
}

/// Read the record at `pos` in `msg` (its names go to `out`'s name text). An error means the
/// record's extent is unknown.
pub(super) fn read_record(
    msg: &[u8],
    pos: usize,
    out: &mut Parser<'_>,
) -> Result<RawRecord, Weird> {
    let p = skip_name(msg, pos)?;
    let rtype = be16(msg, p).ok_or(Weird::DnsTruncatedRecord)?;
    // Only the types the flow layer reads need their owner name: the rest (RRSIG, NSEC,
    // TXT, ...) are walked over, which keeps DNSSEC-heavy answers cheap.
    let name = if matches!(
        rtype,
        TYPE_A | TYPE_AAAA | TYPE_CNAME | TYPE_SVCB | TYPE_HTTPS
    ) {
        out.read_name(msg, pos)?.0
    } else {
        NameRef::default()
    };
    let fixed = (
        be16(msg, p),
        be16(msg, p + 2),
        be32(msg, p + 4),
        be16(msg, p + 8),
    );
    let (Some(rtype), Some(class), Some(ttl), Some(rdlen)) = fixed else {
        return Err(Weird::DnsTruncatedRecord);
    };
    let start = p + 10;
    let end = start + usize::from(rdlen);
    let rd = msg.get(start..end).ok_or(Weird::DnsTruncatedRecord)?;
    let (data, damage) = match record_data(msg, rtype, start, rd, out) {
        Ok(data) => (data, None),
        Err(weird) => (RecordData::Other, Some(weird)),
    };
    Ok(RawRecord {
        record: Record {
            name,
            rtype,
            ttl,
            data,
        },
        class,
        next: end,
        damage,
    })
}

/// Parse the data `rd` (at message offset `start`) of a record of type `rtype`.
fn record_data(
    msg: &[u8],
    rtype: u16,
    start: usize,
    rd: &[u8],
    out: &mut Parser<'_>,
) -> Result<RecordData, Weird> {
    match rtype {
        TYPE_A => <[u8; 4]>::try_from(rd)
            .map(|a| RecordData::A(Ipv4Addr::from(a)))
            .map_err(|_| Weird::DnsBadA),
        TYPE_AAAA => <[u8; 16]>::try_from(rd)
            .map(|a| RecordData::Aaaa(Ipv6Addr::from(a)))
            .map_err(|_| Weird::DnsBadAaaa),
        TYPE_CNAME => {
            let (target, end) = out.read_name(msg, start)?;
            if end > start + rd.len() {
                return Err(Weird::DnsBadCname);
            }
            Ok(RecordData::Cname(target))
        }
        TYPE_SVCB | TYPE_HTTPS => svcb(msg, start, rd, out),
        _ => Ok(RecordData::Other),
    }
}

/// SVCB/HTTPS data (RFC 9460 §2.2): priority, target name, then SvcParams.
fn svcb(msg: &[u8], start: usize, rd: &[u8], out: &mut Parser<'_>) -> Result<RecordData, Weird> {
    let priority = be16(rd, 0).ok_or(Weird::DnsBadSvcb)?;
    let (target, tend) = out.read_name(msg, start + 2)?;
    let mut params = msg.get(tend..start + rd.len()).ok_or(Weird::DnsBadSvcb)?;
    let (mut ech, mut alpn, mut ipv4_hints, mut ipv6_hints) = (false, vec![], vec![], vec![]);
    while !params.is_empty() {
        let (Some(key), Some(len)) = (be16(params, 0), be16(params, 2)) else {
            return Err(Weird::DnsBadSvcb);
        };
        let len = usize::from(len);
        let value = params.get(4..4 + len).ok_or(Weird::DnsBadSvcb)?;
        params = params.get(4 + len..).unwrap_or_default();
        match key {
            KEY_ALPN => alpn = alpn_ids(value)?,
            KEY_IPV4HINT => ipv4_hints = addresses::<4, Ipv4Addr>(value)?,
            KEY_ECH => ech = true,
            KEY_IPV6HINT => ipv6_hints = addresses::<16, Ipv6Addr>(value)?,
            _ => {}
        }
    }
    Ok(RecordData::Svcb {
        priority,
        target,
        ech,
        alpn,
        ipv4_hints,
        ipv6_hints,
    })
}

/// The `alpn` value: length-prefixed protocol ids (shown lossily as UTF-8).
fn alpn_ids(mut value: &[u8]) -> Result<Vec<String>, Weird> {
    let mut ids = Vec::new();
    while let Some((&len, rest)) = value.split_first() {
        let id = rest.get(..usize::from(len)).ok_or(Weird::DnsBadSvcb)?;
        ids.push(String::from_utf8_lossy(id).into_owned());
        value = rest.get(usize::from(len)..).unwrap_or_default();
    }
    Ok(ids)
}

/// A hint list of `N`-byte addresses.
fn addresses<const N: usize, A: From<[u8; N]>>(value: &[u8]) -> Result<Vec<A>, Weird> {
    if value.len() % N != 0 {
        return Err(Weird::DnsBadSvcb);
    }
    Ok(value
        .chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok().map(A::from))
        .collect())
}
