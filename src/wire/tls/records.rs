//! The record layer under a ClientHello that arrives over TCP, read once.
//!
//! A hello may come in many TLS records (one byte each, in a hostile stream) and each record
//! in many TCP segments. [`HelloRecords`] keeps where it stopped: every record header and
//! payload byte is read once, the handshake bytes are appended as their records complete, and
//! a call before the stream reached the length the last answer said it needs reads nothing.
//! So the work over a whole stream is linear in its length, however it is cut up (re-reading
//! the stream from its start at every segment made a one-byte-record hello quadratic).

use super::{
    ClientHello, HANDSHAKE_HEADER_LEN, MAX_RECORD_LEN, RECORD_HEADER_LEN,
    client_hello_from_handshake, hello_message_len, is_handshake_record_prefix,
};
use crate::weird::Weird;
use crate::wire::Parsed;

/// Where the ClientHello of one client stream stands.
#[derive(Debug, Default, Clone)]
pub struct HelloRecords {
    /// Stream bytes of the whole records read so far.
    walked: usize,
    /// Their handshake bytes, joined.
    msg: Vec<u8>,
    /// Stream length below which the answer cannot change: the end of a partial record whose
    /// record and handshake headers are whole (0: none).
    until: usize,
    /// The `Incomplete { needed }` answered meanwhile.
    needed: Option<usize>,
    /// Bytes looked at over all calls: the work done, for tests to bound.
    examined: u64,
}

impl HelloRecords {
    /// A fresh stream.
    pub fn new() -> HelloRecords {
        HelloRecords::default()
    }

    /// Bytes read so far over all calls (record headers, payloads copied, the hello parsed).
    pub fn examined(&self) -> u64 {
        self.examined
    }

    /// The ClientHello at the start of `stream`, which is the same stream as at the last call
    /// with more bytes after it. Answers as [`super::client_hello_from_records`] does.
    pub fn feed(&mut self, stream: &[u8]) -> Parsed<ClientHello> {
        if stream.len() < self.until {
            return Parsed::Incomplete {
                needed: self.needed,
            };
        }
        if self.walked == 0 && !is_handshake_record_prefix(stream) {
            return Parsed::NotThis;
        }
        self.walk(stream)
    }

    fn walk(&mut self, stream: &[u8]) -> Parsed<ClientHello> {
        loop {
            let want = match hello_message_len(&self.msg) {
                Ok(want) => want,
                Err(weird) => return Parsed::Malformed(weird),
            };
            if want.is_some_and(|total| self.msg.len() >= total) {
                // Bytes after the hello stay attached; the handshake parser ignores them.
                self.examined += self.msg.len() as u64;
                return client_hello_from_handshake(&self.msg);
            }
            let pos = self.walked;
            let rest = stream.get(pos..).unwrap_or_default();
            let Some(&[content_type, major, minor, hi, lo]) = rest.get(..RECORD_HEADER_LEN) else {
                self.examined += rest.len() as u64;
                if !is_handshake_record_prefix(rest) {
                    return Parsed::Malformed(Weird::TlsHelloInterrupted);
                }
                // Not remembered: the next header's first bytes may still interrupt the hello.
                let needed = (pos > 0).then(|| missing_lower_bound(pos, want, self.msg.len()));
                return Parsed::Incomplete { needed };
            };
            self.examined += RECORD_HEADER_LEN as u64;
            if !is_handshake_record_prefix(&[content_type, major, minor]) {
                return Parsed::Malformed(Weird::TlsHelloInterrupted);
            }
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            if len > MAX_RECORD_LEN {
                return Parsed::Malformed(Weird::TlsRecordTooLarge);
            }
            if len == 0 {
                // RFC 8446 §5.1 forbids empty handshake fragments; refusing them also bounds
                // the loop.
                return Parsed::Malformed(Weird::TlsEmptyRecord);
            }
            let end = pos + RECORD_HEADER_LEN + len;
            let Some(payload) = stream.get(pos + RECORD_HEADER_LEN..end) else {
                let partial = stream.get(pos + RECORD_HEADER_LEN..).unwrap_or_default();
                self.examined += partial.len().min(HANDSHAKE_HEADER_LEN) as u64;
                let outcome = partial_record_need(&self.msg, partial, len, end);
                // Until the handshake header is whole its next bytes may change the answer;
                // after it, nothing can before the record ends.
                if let Parsed::Incomplete { needed } = outcome
                    && self.msg.len() + partial.len() >= HANDSHAKE_HEADER_LEN
                {
                    (self.until, self.needed) = (end, needed);
                }
                return outcome;
            };
            self.examined += payload.len() as u64;
            if self.msg.is_empty()
                && let Ok(Some(total)) = hello_message_len(payload)
                && payload.len() >= total
            {
                // The usual case: one record holds the whole hello, parsed where it lies.
                self.walked = end;
                self.examined += total as u64;
                return client_hello_from_handshake(payload);
            }
            self.msg.extend_from_slice(payload);
            self.walked = end;
        }
    }
}

/// Inside a partial record the need is the record end, or more when the handshake header (read
/// across what is there) says the hello spills into a later record.
fn partial_record_need<T>(msg: &[u8], partial: &[u8], record_len: usize, end: usize) -> Parsed<T> {
    let mut header = [0u8; HANDSHAKE_HEADER_LEN];
    let mut seen = 0;
    for (slot, &b) in header.iter_mut().zip(msg.iter().chain(partial)) {
        *slot = b;
        seen += 1;
    }
    let after_record = msg.len() + record_len;
    match hello_message_len(header.get(..seen).unwrap_or_default()) {
        Err(weird) => Parsed::Malformed(weird),
        Ok(Some(want)) if want > after_record => Parsed::Incomplete {
            needed: Some(end + RECORD_HEADER_LEN + (want - after_record)),
        },
        Ok(_) => Parsed::Incomplete { needed: Some(end) },
    }
}

/// Smallest stream length that could complete the hello when the next record header is missing.
fn missing_lower_bound(pos: usize, want: Option<usize>, have: usize) -> usize {
    let want = want.unwrap_or(HANDSHAKE_HEADER_LEN);
    pos + RECORD_HEADER_LEN + want.saturating_sub(have)
}
