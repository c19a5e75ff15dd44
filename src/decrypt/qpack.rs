//! QPACK decoding (RFC 9204) as a passive observer does it: one decoder per direction, fed the
//! encoder stream of the side that encodes and the field sections of its HEADERS frames.
//!
//! Static table, Huffman strings (the HPACK code, decoded by loona-hpack) and the dynamic table
//! with every encoder instruction. A section that refers to inserts not yet seen is "blocked":
//! the caller keeps it and tries again when the encoder stream has moved on. The decoder never
//! writes a decoder stream (it only watches). Values pass through to the HTTP layer, which keeps
//! names and metadata only.

use std::collections::VecDeque;

use loona_hpack::huffman::HuffmanDecoder;

use crate::weird::Weird;

use super::fields::Field;
use super::qpack_static::STATIC_TABLE;

/// Largest dynamic table capacity followed (Chromium and Google's servers announce 64 KiB).
pub const MAX_QPACK_TABLE: u64 = 64 * 1024;
/// Decoded bytes of one field section (names, values and 32 per line, as the table counts):
/// a few bytes of references to a large entry cannot make it grow without bound.
pub const MAX_FIELD_SECTION_BYTES: u64 = 256 * 1024;
/// Bytes of an encoder-stream instruction waiting for the rest of it (an insert is at most the
/// table's size).
pub const MAX_ENCODER_PENDING: usize = MAX_QPACK_TABLE as usize + 64;

/// Per-entry overhead in the table size (RFC 9204 §3.2.1).
const ENTRY_OVERHEAD: u64 = 32;

/// Why QPACK input could not be decoded; each stops the direction it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QpackError {
    /// A field section or instruction is cut short or has an impossible field.
    #[error("malformed QPACK field section or instruction")]
    Malformed,
    /// A reference to an entry that is not (or no longer) in the table.
    #[error("QPACK index outside the table")]
    BadIndex,
    /// A Huffman-coded string that does not decode.
    #[error("bad QPACK Huffman string")]
    Huffman,
    /// The encoder set a capacity above [`MAX_QPACK_TABLE`] or its peer's limit.
    #[error("QPACK dynamic table above the limit")]
    TableTooLarge,
    /// A section decodes to more than [`MAX_FIELD_SECTION_BYTES`].
    #[error("QPACK field section above the limit")]
    SectionTooLarge,
    /// An encoder instruction longer than [`MAX_ENCODER_PENDING`].
    #[error("QPACK encoder instruction above the limit")]
    InstructionTooLarge,
}

impl QpackError {
    /// The weird counted for this error.
    pub fn weird(self) -> Weird {
        match self {
            QpackError::Malformed => Weird::DecryptQpackMalformed,
            QpackError::BadIndex => Weird::DecryptQpackBadIndex,
            QpackError::Huffman => Weird::DecryptQpackBadHuffman,
            QpackError::TableTooLarge => Weird::DecryptQpackTableTooLarge,
            QpackError::SectionTooLarge => Weird::DecryptQpackSectionTooLarge,
            QpackError::InstructionTooLarge => Weird::DecryptQpackInstructionTooLarge,
        }
    }
}

/// What decoding a field section gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// The field lines, in order.
    Fields(Vec<Field>),
    /// The section needs inserts (or the peer's SETTINGS) not seen yet: try again later.
    Blocked,
}

/// Input ran out (`Short`) or is wrong (`Bad`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    Short,
    Bad(QpackError),
}

impl From<QpackError> for Fail {
    fn from(e: QpackError) -> Fail {
        Fail::Bad(e)
    }
}

type Res<T> = Result<T, Fail>;

/// A bounds-checked cursor.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Res<u8> {
        self.bytes.get(self.pos).copied().ok_or(Fail::Short)
    }

    /// A prefixed integer (RFC 7541 §5.1) in the low `bits` of the current byte.
    fn int(&mut self, bits: u32) -> Res<u64> {
        let mask = (1u64 << bits) - 1;
        let mut v = u64::from(self.peek()?) & mask;
        self.pos += 1;
        if v < mask {
            return Ok(v);
        }
        let mut shift = 0u32;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            // Over 62 bits is no length or index anyone sends.
            if shift > 56 {
                return Err(QpackError::Malformed.into());
            }
            v = v
                .checked_add(u64::from(b & 0x7f) << shift)
                .ok_or(Fail::Bad(QpackError::Malformed))?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A string literal: Huffman flag just above the `bits`-bit length prefix.
    fn string(&mut self, bits: u32, huffman: &mut HuffmanDecoder) -> Res<Vec<u8>> {
        let coded = u64::from(self.peek()?) & (1 << bits) != 0;
        let len = usize::try_from(self.int(bits)?).map_err(|_| Fail::Short)?;
        let end = self.pos.checked_add(len).ok_or(Fail::Short)?;
        let raw = self.bytes.get(self.pos..end).ok_or(Fail::Short)?;
        self.pos = end;
        if coded {
            huffman.decode(raw).map_err(|_| QpackError::Huffman.into())
        } else {
            Ok(raw.to_vec())
        }
    }
}

/// One direction's QPACK decoder.
pub struct QpackDecoder {
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY of the decoding side, once its SETTINGS are read.
    max_capacity: Option<u64>,
    capacity: u64,
    table: VecDeque<Field>,
    size: u64,
    inserted: u64,
    pending: Vec<u8>,
    huffman: HuffmanDecoder,
}

impl std::fmt::Debug for QpackDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QpackDecoder")
            .field("max_capacity", &self.max_capacity)
            .field("capacity", &self.capacity)
            .field("inserted", &self.inserted)
            .finish_non_exhaustive()
    }
}

impl Default for QpackDecoder {
    fn default() -> QpackDecoder {
        QpackDecoder {
            max_capacity: None,
            capacity: 0,
            table: VecDeque::new(),
            size: 0,
            inserted: 0,
            pending: Vec::new(),
            huffman: HuffmanDecoder::new(),
        }
    }
}

impl QpackDecoder {
    /// The decoding side announced its SETTINGS_QPACK_MAX_TABLE_CAPACITY (0 when absent).
    pub fn set_max_capacity(&mut self, max: u64) {
        self.max_capacity = Some(max);
    }

    /// Inserts seen on the encoder stream so far.
    pub fn inserted(&self) -> u64 {
        self.inserted
    }

    /// Bytes of the dynamic table (entries plus their overhead).
    pub fn table_size(&self) -> u64 {
        self.size
    }

    /// Take encoder-stream bytes (in stream order); complete instructions update the table.
    pub fn encoder_stream(&mut self, bytes: &[u8]) -> Result<(), QpackError> {
        self.pending.extend_from_slice(bytes);
        let pending = std::mem::take(&mut self.pending);
        let mut used = 0;
        loop {
            let mut c = Cursor {
                bytes: pending.get(used..).unwrap_or_default(),
                pos: 0,
            };
            if c.bytes.is_empty() {
                break;
            }
            match self.instruction(&mut c) {
                Ok(()) => used += c.pos,
                Err(Fail::Short) => break,
                Err(Fail::Bad(e)) => return Err(e),
            }
        }
        self.pending = pending.get(used..).unwrap_or_default().to_vec();
        if self.pending.len() > MAX_ENCODER_PENDING {
            return Err(QpackError::InstructionTooLarge);
        }
        Ok(())
    }

    /// One encoder instruction (RFC 9204 §4.3).
    fn instruction(&mut self, c: &mut Cursor<'_>) -> Res<()> {
        let first = c.peek()?;
        if first & 0x80 != 0 {
            // Insert with Name Reference.
            let is_static = first & 0x40 != 0;
            let index = c.int(6)?;
            let name = if is_static {
                static_entry(index)?.0.to_vec()
            } else {
                self.relative(index)?.0.clone()
            };
            let value = c.string(7, &mut self.huffman)?;
            self.insert(name, value)?;
        } else if first & 0x40 != 0 {
            // Insert with Literal Name.
            let name = c.string(5, &mut self.huffman)?;
            let value = c.string(7, &mut self.huffman)?;
            self.insert(name, value)?;
        } else if first & 0x20 != 0 {
            let capacity = c.int(5)?;
            self.set_capacity(capacity)?;
        } else {
            let index = c.int(5)?;
            let entry = self.relative(index)?.clone();
            self.insert(entry.0, entry.1)?;
        }
        Ok(())
    }

    fn set_capacity(&mut self, capacity: u64) -> Result<(), QpackError> {
        let limit = self.max_capacity.unwrap_or(MAX_QPACK_TABLE);
        if capacity > limit || capacity > MAX_QPACK_TABLE {
            return Err(QpackError::TableTooLarge);
        }
        self.capacity = capacity;
        self.evict_to(capacity);
        Ok(())
    }

    fn evict_to(&mut self, room: u64) {
        while self.size > room {
            let Some((n, v)) = self.table.pop_front() else {
                break;
            };
            self.size -= entry_size(&n, &v);
        }
    }

    fn insert(&mut self, name: Vec<u8>, value: Vec<u8>) -> Result<(), QpackError> {
        let size = entry_size(&name, &value);
        if size > self.capacity {
            return Err(QpackError::Malformed);
        }
        self.evict_to(self.capacity - size);
        self.size += size;
        self.table.push_back((name, value));
        self.inserted += 1;
        Ok(())
    }

    /// The entry at an absolute index.
    fn absolute(&self, index: u64) -> Result<&Field, QpackError> {
        let first = self.inserted - self.table.len() as u64;
        let at = index.checked_sub(first).ok_or(QpackError::BadIndex)?;
        usize::try_from(at)
            .ok()
            .and_then(|i| self.table.get(i))
            .ok_or(QpackError::BadIndex)
    }

    /// The entry an encoder instruction's relative index names (0 = the newest).
    fn relative(&self, index: u64) -> Result<&Field, QpackError> {
        let abs = self
            .inserted
            .checked_sub(1)
            .and_then(|newest| newest.checked_sub(index))
            .ok_or(QpackError::BadIndex)?;
        self.absolute(abs)
    }

    /// The Required Insert Count of a section prefix (RFC 9204 §4.5.1.1); `None` while the
    /// decoding side's SETTINGS are not known.
    fn required_insert_count(&self, encoded: u64) -> Result<Option<u64>, QpackError> {
        if encoded == 0 {
            return Ok(Some(0));
        }
        let Some(max_capacity) = self.max_capacity else {
            return Ok(None);
        };
        let max_entries = max_capacity / ENTRY_OVERHEAD;
        let full_range = 2 * max_entries;
        if encoded > full_range {
            return Err(QpackError::Malformed);
        }
        let max_value = self.inserted + max_entries;
        let max_wrapped = max_value / full_range * full_range;
        let mut ric = max_wrapped + encoded - 1;
        if ric > max_value {
            if ric <= full_range {
                return Err(QpackError::Malformed);
            }
            ric -= full_range;
        }
        if ric == 0 {
            return Err(QpackError::Malformed);
        }
        Ok(Some(ric))
    }

    /// Decode one field section (a HEADERS frame's payload).
    pub fn decode(&mut self, section: &[u8]) -> Result<Decoded, QpackError> {
        match self.section(section) {
            Ok(d) => Ok(d),
            Err(Fail::Short) => Err(QpackError::Malformed),
            Err(Fail::Bad(e)) => Err(e),
        }
    }

    fn section(&mut self, section: &[u8]) -> Res<Decoded> {
        let mut c = Cursor {
            bytes: section,
            pos: 0,
        };
        let Some(ric) = self.required_insert_count(c.int(8)?)? else {
            return Ok(Decoded::Blocked);
        };
        let negative = c.peek()? & 0x80 != 0;
        let delta = c.int(7)?;
        let base = if negative {
            ric.checked_sub(delta + 1)
                .ok_or(Fail::Bad(QpackError::Malformed))?
        } else {
            ric.checked_add(delta)
                .ok_or(Fail::Bad(QpackError::Malformed))?
        };
        if ric > self.inserted {
            return Ok(Decoded::Blocked);
        }
        let mut fields = Vec::new();
        let mut total = 0u64;
        while c.pos < section.len() {
            let (name, value) = self.line(&mut c, base, ric)?;
            total += entry_size(&name, &value);
            if total > MAX_FIELD_SECTION_BYTES {
                return Err(QpackError::SectionTooLarge.into());
            }
            fields.push((name, value));
        }
        Ok(Decoded::Fields(fields))
    }

    /// One field line representation (RFC 9204 §4.5.2–4.5.6).
    fn line(&mut self, c: &mut Cursor<'_>, base: u64, ric: u64) -> Res<Field> {
        let first = c.peek()?;
        let dynamic = |d: &Self, abs: Option<u64>| -> Res<Field> {
            match abs {
                Some(abs) if abs < ric => Ok(d.absolute(abs)?.clone()),
                _ => Err(QpackError::BadIndex.into()),
            }
        };
        if first & 0x80 != 0 {
            let index = c.int(6)?;
            if first & 0x40 != 0 {
                let (n, v) = static_entry(index)?;
                return Ok((n.to_vec(), v.to_vec()));
            }
            return dynamic(self, base.checked_sub(index + 1));
        }
        if first & 0x40 != 0 {
            let index = c.int(4)?;
            let name = if first & 0x10 != 0 {
                static_entry(index)?.0.to_vec()
            } else {
                dynamic(self, base.checked_sub(index + 1))?.0
            };
            return Ok((name, c.string(7, &mut self.huffman)?));
        }
        if first & 0x20 != 0 {
            let name = c.string(3, &mut self.huffman)?;
            return Ok((name, c.string(7, &mut self.huffman)?));
        }
        if first & 0x10 != 0 {
            let index = c.int(4)?;
            return dynamic(self, base.checked_add(index));
        }
        let index = c.int(3)?;
        let name = dynamic(self, base.checked_add(index))?.0;
        Ok((name, c.string(7, &mut self.huffman)?))
    }
}

fn entry_size(name: &[u8], value: &[u8]) -> u64 {
    (name.len() + value.len()) as u64 + ENTRY_OVERHEAD
}

fn static_entry(index: u64) -> Result<(&'static [u8], &'static [u8]), QpackError> {
    usize::try_from(index)
        .ok()
        .and_then(|i| STATIC_TABLE.get(i))
        .copied()
        .ok_or(QpackError::BadIndex)
}

#[cfg(test)]
#[path = "qpack_tests.rs"]
mod tests;
