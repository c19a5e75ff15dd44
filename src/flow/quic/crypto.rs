//! The crypto stream of one connection, filled out of order, up to the client's first
//! handshake message (a TLS ClientHello or a Google `CHLO`).

use super::MAX_CRYPTO_BYTES;
use super::MAX_CRYPTO_RANGES;
use crate::weird::Weird;
use crate::wire::Parsed;
use crate::wire::quic::{Handshake, chlo};

/// The Initial crypto stream of one connection, filled out of order.
#[derive(Debug, Default)]
pub(super) struct CryptoStream {
    bytes: Vec<u8>,
    /// Received ranges, sorted, disjoint and not touching.
    ranges: Vec<(usize, usize)>,
}

impl CryptoStream {
    /// Place `data` at `offset`; overlapping retransmissions simply overwrite.
    pub(super) fn insert(&mut self, offset: u64, data: &[u8]) -> Result<(), Weird> {
        const TOO_BIG: Weird = Weird::QuicCryptoTooBig;
        if data.is_empty() {
            return Ok(());
        }
        let start = usize::try_from(offset).map_err(|_| TOO_BIG)?;
        let end = start.checked_add(data.len()).ok_or(TOO_BIG)?;
        if end > MAX_CRYPTO_BYTES {
            return Err(TOO_BIG);
        }
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
        }
        self.bytes
            .get_mut(start..end)
            .ok_or(TOO_BIG)?
            .copy_from_slice(data);
        self.ranges.push((start, end));
        self.ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
        if self.ranges.len() > MAX_CRYPTO_RANGES {
            return Err(Weird::QuicCryptoTooFragmented);
        }
        Ok(())
    }

    /// The bytes received without a gap from offset 0.
    fn prefix(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, end)) => self.bytes.get(..end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The client's first handshake message once all of it is here.
    pub(super) fn first_message(&self, handshake: Handshake) -> Parsed<Vec<u8>> {
        let prefix = self.prefix();
        let needed = match handshake {
            Handshake::Tls => tls_message_len(prefix),
            Handshake::Chlo => chlo::message_len(prefix),
        };
        let needed = match needed {
            Parsed::Done(n) if n > MAX_CRYPTO_BYTES => {
                return Parsed::Malformed(Weird::QuicCryptoTooBig);
            }
            Parsed::Done(n) => n,
            other => return other.map(|_| Vec::new()),
        };
        match prefix.get(..needed) {
            Some(message) => Parsed::Done(message.to_vec()),
            None => Parsed::Incomplete {
                needed: Some(needed),
            },
        }
    }
}

/// The length of a TLS ClientHello handshake message (type 1, u24 length) from its header.
fn tls_message_len(prefix: &[u8]) -> Parsed<usize> {
    let Some(&[kind, a, b, c]) = prefix.get(..4).and_then(|h| <&[u8; 4]>::try_from(h).ok()) else {
        return Parsed::Incomplete { needed: None };
    };
    if kind != 0x01 {
        return Parsed::Malformed(Weird::QuicNotClientHello);
    }
    Parsed::Done(4 + (usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c)))
}
