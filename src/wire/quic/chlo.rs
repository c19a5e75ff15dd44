//! Google QUIC's client hello: a `CHLO` tag-value message (QUIC Crypto design document,
//! "Handshake message format"; Wireshark's `dissect_gquic_tags`).
//!
//! Layout: the message tag `CHLO`, a little-endian u16 count of entries, two bytes of
//! padding, then per entry a 4-byte tag and the little-endian u32 end offset of its value,
//! then the values back to back. sporfri takes `SNI` (server name) and `UAID` (user agent).

use crate::weird::Weird;

use super::Parsed;

/// Entries in one message at most (Chromium's `kMaxEntries`).
pub const MAX_TAGS: usize = 128;
/// The message tag of a client hello.
const CHLO: &[u8; 4] = b"CHLO";
/// Server Name Indication.
const TAG_SNI: &[u8; 4] = b"SNI\0";
/// The client's user agent.
const TAG_UAID: &[u8; 4] = b"UAID";
/// Message tag, entry count and padding.
const HEADER_LEN: usize = 8;
/// Tag and end offset.
const ENTRY_LEN: usize = 8;

/// What a client hello tells a passive observer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chlo {
    /// The `SNI` value, bytes as sent (lossy UTF-8).
    pub sni: Option<String>,
    /// The `UAID` value (e.g. `Chrome/80.0.3987.132 Windows NT 10.0; Win64; x64`).
    pub uaid: Option<String>,
}

/// The total length of the message that `prefix` starts, once its entry table is in.
pub fn message_len(prefix: &[u8]) -> Parsed<usize> {
    if prefix.len() < HEADER_LEN {
        return Parsed::Incomplete { needed: None };
    }
    if prefix.get(..4) != Some(CHLO) {
        return Parsed::Malformed(Weird::GquicNotChlo);
    }
    let count = entries(prefix);
    if count > MAX_TAGS {
        return Parsed::Malformed(Weird::GquicTooManyTags);
    }
    let table_end = HEADER_LEN + ENTRY_LEN * count;
    if count == 0 {
        return Parsed::Done(table_end);
    }
    let Some(last) = prefix.get(table_end - 4..table_end) else {
        return Parsed::Incomplete {
            needed: Some(table_end),
        };
    };
    match le_u32(last).and_then(|end| usize::try_from(end).ok()) {
        Some(end) => Parsed::Done(table_end + end),
        None => Parsed::Malformed(Weird::GquicBadTagOffset),
    }
}

/// Parse a whole client hello (exactly [`message_len`] bytes; more are ignored).
pub fn parse(msg: &[u8]) -> Parsed<Chlo> {
    let total = match message_len(msg) {
        Parsed::Done(n) => n,
        other => return other.map(|_| Chlo::default()),
    };
    let Some(body) = msg.get(HEADER_LEN..total) else {
        return Parsed::Incomplete {
            needed: Some(total),
        };
    };
    let Some((table, values)) = body.split_at_checked(entries(msg) * ENTRY_LEN) else {
        return Parsed::Malformed(Weird::GquicBadTagOffset);
    };
    let mut out = Chlo::default();
    let mut start = 0usize;
    for entry in table.chunks_exact(ENTRY_LEN) {
        let (tag, end) = entry.split_at(4);
        let end = le_u32(end).and_then(|e| usize::try_from(e).ok());
        let Some(value) = end.and_then(|end| values.get(start..end)) else {
            return Parsed::Malformed(Weird::GquicBadTagOffset);
        };
        start = end.unwrap_or(start);
        let text = || Some(String::from_utf8_lossy(value).into_owned());
        if tag == TAG_SNI {
            out.sni = text();
        } else if tag == TAG_UAID {
            out.uaid = text();
        }
    }
    Parsed::Done(out)
}

/// The entry count of a message whose header is present.
fn entries(msg: &[u8]) -> usize {
    match msg.get(4..6) {
        Some(&[lo, hi]) => usize::from(u16::from_le_bytes([lo, hi])),
        _ => 0,
    }
}

fn le_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CHLO with `entries` in the order given.
    pub(crate) fn chlo(entries: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut msg = CHLO.to_vec();
        msg.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        msg.extend_from_slice(&[0, 0]);
        let mut end = 0u32;
        for (tag, value) in entries {
            end += value.len() as u32;
            msg.extend_from_slice(*tag);
            msg.extend_from_slice(&end.to_le_bytes());
        }
        for (_, value) in entries {
            msg.extend_from_slice(value);
        }
        msg
    }

    #[test]
    fn takes_sni_and_uaid() {
        let msg = chlo(&[
            (b"PAD\0", &[0x2d; 500]),
            (TAG_SNI, b"www.google.com"),
            (b"VER\0", b"Q043"),
            (TAG_UAID, b"Chrome/80.0 Linux x86_64"),
        ]);
        assert_eq!(message_len(&msg), Parsed::Done(msg.len()));
        let c = parse(&msg).done().unwrap();
        assert_eq!(c.sni.as_deref(), Some("www.google.com"));
        assert_eq!(c.uaid.as_deref(), Some("Chrome/80.0 Linux x86_64"));
        let mut longer = msg.clone();
        longer.extend_from_slice(b"next message");
        assert_eq!(parse(&longer).done(), Some(c));
    }

    #[test]
    fn partial_messages_say_what_they_need() {
        let msg = chlo(&[(TAG_SNI, b"a.example"), (b"PAD\0", &[0; 30])]);
        assert_eq!(message_len(&msg[..7]), Parsed::Incomplete { needed: None });
        assert_eq!(
            message_len(&msg[..12]),
            Parsed::Incomplete { needed: Some(24) }
        );
        assert_eq!(
            parse(&msg[..30]),
            Parsed::Incomplete {
                needed: Some(msg.len())
            }
        );
        assert_eq!(parse(&chlo(&[])).done(), Some(Chlo::default()));
    }

    #[test]
    fn broken_messages_are_named() {
        assert_eq!(
            message_len(b"SHLO\x01\x00\x00\x00"),
            Parsed::Malformed(Weird::GquicNotChlo)
        );
        let mut many = CHLO.to_vec();
        many.extend_from_slice(&(MAX_TAGS as u16 + 1).to_le_bytes());
        many.extend_from_slice(&[0, 0]);
        assert_eq!(
            message_len(&many),
            Parsed::Malformed(Weird::GquicTooManyTags)
        );
        // Offsets that go backwards.
        let mut msg = chlo(&[(TAG_SNI, b"abc"), (TAG_UAID, b"def")]);
        msg[20..24].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(parse(&msg), Parsed::Malformed(Weird::GquicBadTagOffset));
    }

    #[test]
    fn every_prefix_and_flip_is_safe() {
        let msg = chlo(&[(TAG_SNI, b"x.example"), (TAG_UAID, b"ua")]);
        for n in 0..msg.len() {
            assert!(parse(&msg[..n]).done().is_none());
        }
        for i in 0..msg.len() {
            let mut m = msg.clone();
            m[i] ^= 0xff;
            let _ = parse(&m);
        }
    }
}
