//! pcap and pcapng files, streamed with pcap-parser in constant memory.
//!
//! The file is read in chunks ([`input`](super::input)), by a thread of its own when opened
//! by path, into a window that grows only when a single block is larger than a chunk (up to
//! [`MAX_BLOCK_BYTES`]). Framing (block lengths, truncation, offsets) is done
//! here so every error can name the byte offset of the block it is about; the block contents
//! are decoded with pcap-parser. A packet borrows the buffer, so the block it came from is
//! consumed at the start of the next call.

use pcap_parser::pcapng::Block;
use pcap_parser::{
    parse_block_be, parse_block_le, parse_pcap_frame, parse_pcap_frame_be,
    parse_pcap_frame_modified, parse_pcap_header, parse_sectionheaderblock,
};

use super::input::{Input, PageBuf};
use super::{CaptureError, Packet, PacketSource};
use crate::time::Timestamp;
use crate::wire::link::LinkType;

/// Bytes asked of the file per read.
pub const BUF_BYTES: usize = super::input::CHUNK_BYTES;
/// Largest pcap record or pcapng block accepted; a larger length is reported as corrupt.
pub const MAX_BLOCK_BYTES: usize = 64 << 20;
/// Most interfaces one pcapng section may describe.
pub const MAX_INTERFACES: usize = 4096;

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_OPB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_EPB: u32 = 6;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
const PCAPNG_DSB: u32 = 0x0000_000A;
/// Decryption Secrets Block type of a TLS key log (`TLSK`).
const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;
/// Key log bytes kept from Decryption Secrets Blocks until taken; more are dropped.
pub const MAX_SECRETS_BYTES: usize = 16 << 20;

/// Frames a capture stream into packets (see [`FileSource`](super::FileSource), which runs
/// it on the caller's thread or ahead of it).
pub(super) struct Framer {
    path: String,
    input: Input,
    format: Format,
    /// Length of the block whose packet was handed out last; consumed on the next call.
    pending: usize,
    /// Time of the last packet, given to simple packet blocks (which carry none).
    last_ts: Timestamp,
    /// TLS key log text from Decryption Secrets Blocks, not yet taken.
    secrets: Vec<u8>,
}

/// The file's format and the per-section state needed to interpret packets.
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        /// Record header length: 16, or 24 for the "modified" (Kuznetzov) format.
        header_len: usize,
        link: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// One pcapng interface of the current section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second (10^6 unless `if_tsresol` says otherwise).
    units_per_sec: u64,
    /// `if_tsoffset`, seconds added to every timestamp.
    offset_secs: i64,
}

/// What the block at the front of the buffer is.
enum Step {
    /// A packet: where its data sits in the block, and the block length to consume afterwards.
    Packet {
        ts: Timestamp,
        link: LinkType,
        data_at: usize,
        caplen: usize,
        orig_len: u32,
        block_len: usize,
    },
    /// A block without a packet, consumed and skipped.
    Skip(usize),
    /// Clean end of file.
    End,
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty file)".to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn u32_at(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let w: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    })
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> Option<u16> {
    let w: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(w)
    } else {
        u16::from_le_bytes(w)
    })
}

/// Units per second for a pcapng `if_tsresol` value (bit 7: power of two, else of ten).
fn ts_units(tsresol: u8) -> Option<u64> {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 != 0 {
        1u64.checked_shl(exp).filter(|_| exp < 64)
    } else {
        10u64.checked_pow(exp)
    }
}

/// A 64-bit count of `units_per_sec` units since the epoch as a [`Timestamp`].
fn ts_from_units(raw: u64, units_per_sec: u64, offset_secs: i64) -> Timestamp {
    let units = units_per_sec.max(1);
    let secs = (raw / units).saturating_add_signed(offset_secs);
    let frac = u128::from(raw % units) * 1_000_000_000 / u128::from(units);
    Timestamp::from_parts(secs, u64::try_from(frac).unwrap_or(0))
}

impl Framer {
    /// Start framing `input`: reads the file header; `name` appears in errors.
    pub(super) fn new(mut input: Input, name: &str) -> Result<Framer, CaptureError> {
        let shown = name.to_owned();
        let io = |source| CaptureError::Io {
            path: shown.clone(),
            cause: source,
        };
        let complete = input.fill(24).map_err(io)?;
        let head = input.available();
        let format = match head.get(..4) {
            Some([0x0a, 0x0d, 0x0d, 0x0a]) => Format::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            },
            Some(_) if parse_pcap_header(head).is_ok() => {
                let (_, hdr) = parse_pcap_header(head).map_err(|_| CaptureError::Truncated {
                    path: shown.clone(),
                    offset: 0,
                })?;
                input.consume(24);
                Format::Pcap {
                    big_endian: hdr.is_bigendian(),
                    nanos: hdr.is_nanosecond_precision(),
                    header_len: if hdr.is_modified_format() { 24 } else { 16 },
                    link: LinkType(u32::from_ne_bytes(hdr.network.0.to_ne_bytes())),
                }
            }
            Some([0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d])
                if !complete =>
            {
                return Err(CaptureError::Truncated {
                    path: shown,
                    offset: 0,
                });
            }
            _ => {
                return Err(CaptureError::NotACapture {
                    path: shown,
                    magic: hex(head.get(..8).unwrap_or(head)),
                });
            }
        };
        let mut framer = Framer {
            path: shown,
            input,
            format,
            pending: 0,
            last_ts: Timestamp(0),
            secrets: Vec::new(),
        };
        if let Format::PcapNg { .. } = framer.format {
            // The section header is the file's header: a file whose header is damaged could
            // not be read at all (as a pcap file with a short header), rather than being a
            // capture damaged after its start. It is only framed here, and read as usual.
            framer.frame_block(false)?;
        }
        Ok(framer)
    }

    /// Bytes of the file consumed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.input.offset() + self.pending as u64
    }

    fn io_error(&self, source: std::io::Error) -> CaptureError {
        CaptureError::Io {
            path: self.path.clone(),
            cause: source,
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> CaptureError {
        CaptureError::Corrupt {
            path: self.path.clone(),
            offset: self.input.offset(),
            reason: reason.into(),
        }
    }

    /// Make `need` bytes available: `Ok(false)` at a clean end (nothing left), `Truncated`
    /// when the file ends inside the unit.
    fn need(&mut self, need: usize) -> Result<bool, CaptureError> {
        match self.input.fill(need) {
            Ok(true) => Ok(true),
            Ok(false) if self.input.available().is_empty() => Ok(false),
            Ok(false) => Err(CaptureError::Truncated {
                path: self.path.clone(),
                offset: self.input.offset(),
            }),
            Err(e) => Err(self.io_error(e)),
        }
    }

    fn step(&mut self) -> Result<Step, CaptureError> {
        match self.format {
            Format::Pcap {
                big_endian,
                nanos,
                header_len,
                link,
            } => self.step_pcap(big_endian, nanos, header_len, link),
            Format::PcapNg { big_endian, .. } => self.step_pcapng(big_endian),
        }
    }

    fn step_pcap(
        &mut self,
        big_endian: bool,
        nanos: bool,
        header_len: usize,
        link: LinkType,
    ) -> Result<Step, CaptureError> {
        if !self.need(header_len)? {
            return Ok(Step::End);
        }
        let caplen = u32_at(self.input.available(), 8, big_endian).unwrap_or(0) as usize;
        if caplen > MAX_BLOCK_BYTES {
            return Err(self.corrupt(format!(
                "record length {caplen} exceeds the limit of {MAX_BLOCK_BYTES} bytes"
            )));
        }
        let block_len = header_len + caplen;
        if !self.need(block_len)? {
            return Ok(Step::End);
        }
        let bytes = self.input.available();
        let parsed = match (header_len, big_endian) {
            (24, _) => parse_pcap_frame_modified(bytes),
            (_, true) => parse_pcap_frame_be(bytes),
            (_, false) => parse_pcap_frame(bytes),
        };
        let Ok((_, rec)) = parsed else {
            return Err(self.corrupt("unparsable pcap record"));
        };
        let frac = u64::from(rec.ts_usec) * if nanos { 1 } else { 1_000 };
        Ok(Step::Packet {
            ts: Timestamp::from_parts(u64::from(rec.ts_sec), frac),
            link,
            data_at: header_len,
            caplen,
            orig_len: rec.origlen,
            block_len,
        })
    }

    /// Frame one pcapng block: type, checked length, all bytes present.
    fn frame_block(&mut self, big_endian: bool) -> Result<Option<(u32, usize)>, CaptureError> {
        if !self.need(8)? {
            return Ok(None);
        }
        let head = self.input.available();
        let mut be = big_endian;
        let block_type = u32_at(head, 0, be).unwrap_or(0);
        if block_type == PCAPNG_SHB {
            // A new section may switch byte order; its byte-order magic says which.
            self.need(12)?;
            let bom = u32_at(self.input.available(), 8, false).unwrap_or(0);
            be = match bom {
                PCAPNG_BOM => false,
                b if b == PCAPNG_BOM.swap_bytes() => true,
                _ => return Err(self.corrupt("section header with a bad byte-order magic")),
            };
        }
        let len = u32_at(self.input.available(), 4, be).unwrap_or(0) as usize;
        if len < 12 || len % 4 != 0 || len > MAX_BLOCK_BYTES {
            return Err(self.corrupt(format!("block type {block_type:#x} with bad length {len}")));
        }
        self.need(len)?;
        let trailer = u32_at(self.input.available(), len - 4, be).unwrap_or(0) as usize;
        if trailer != len {
            return Err(self.corrupt(format!(
                "block type {block_type:#x}: trailing length {trailer} differs from {len}"
            )));
        }
        Ok(Some((block_type, len)))
    }

    fn step_pcapng(&mut self, big_endian: bool) -> Result<Step, CaptureError> {
        let Some((block_type, len)) = self.frame_block(big_endian)? else {
            return Ok(Step::End);
        };
        match block_type {
            PCAPNG_SHB => self.section_header(len),
            PCAPNG_IDB => self.interface(big_endian, len),
            PCAPNG_EPB => self.enhanced_packet(big_endian, len),
            PCAPNG_SPB => self.simple_packet(big_endian, len),
            PCAPNG_OPB => self.obsolete_packet(big_endian, len),
            PCAPNG_DSB => Ok(self.decryption_secrets(big_endian, len)),
            _ => Ok(Step::Skip(len)),
        }
    }

    /// TLS key log text read from Decryption Secrets Blocks since the last call (as
    /// `editcap --inject-secrets` writes them); empty when there is none.
    pub fn take_secrets(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.secrets)
    }

    /// Keep a TLS key log DSB's text; other secret types are skipped.
    fn decryption_secrets(&mut self, big_endian: bool, len: usize) -> Step {
        let block = self.input.available().get(..len).unwrap_or(&[]);
        let kind = u32_at(block, 8, big_endian);
        let size = u32_at(block, 12, big_endian).map(|n| n as usize);
        if let (Some(DSB_TLS_KEY_LOG), Some(size)) = (kind, size)
            && let Some(text) = block.get(16..16usize.saturating_add(size))
            && self.secrets.len() + text.len() <= MAX_SECRETS_BYTES
        {
            self.secrets.extend_from_slice(text);
            self.secrets.push(b'\n');
        }
        Step::Skip(len)
    }

    fn section_header(&mut self, len: usize) -> Result<Step, CaptureError> {
        let block = self.input.available().get(..len).unwrap_or(&[]);
        let Ok((_, shb)) = parse_sectionheaderblock(block) else {
            return Err(self.corrupt("unparsable section header block"));
        };
        self.format = Format::PcapNg {
            big_endian: shb.big_endian(),
            interfaces: Vec::new(),
        };
        Ok(Step::Skip(len))
    }

    fn interface(&mut self, big_endian: bool, len: usize) -> Result<Step, CaptureError> {
        let parsed = parse_block(self.input.available().get(..len).unwrap_or(&[]), big_endian);
        let Some(Block::InterfaceDescription(idb)) = parsed else {
            return Err(self.corrupt("unparsable interface description block"));
        };
        let Some(units_per_sec) = ts_units(idb.if_tsresol) else {
            return Err(self.corrupt(format!("unusable if_tsresol {:#x}", idb.if_tsresol)));
        };
        let iface = Interface {
            link: LinkType(u32::from_ne_bytes(idb.linktype.0.to_ne_bytes()) & 0xffff),
            units_per_sec,
            offset_secs: idb.if_tsoffset,
        };
        let too_many = match &mut self.format {
            Format::PcapNg { interfaces, .. } if interfaces.len() < MAX_INTERFACES => {
                interfaces.push(iface);
                false
            }
            _ => true,
        };
        if too_many {
            return Err(self.corrupt(format!(
                "more than {MAX_INTERFACES} interfaces in one section"
            )));
        }
        Ok(Step::Skip(len))
    }

    fn interface_at(&self, if_id: u32) -> Result<Interface, CaptureError> {
        let found = match &self.format {
            Format::PcapNg { interfaces, .. } => interfaces.get(if_id as usize).copied(),
            Format::Pcap { .. } => None,
        };
        found.ok_or_else(|| self.corrupt(format!("packet for undeclared interface {if_id}")))
    }

    fn enhanced_packet(&mut self, big_endian: bool, len: usize) -> Result<Step, CaptureError> {
        let parsed = parse_block(self.input.available().get(..len).unwrap_or(&[]), big_endian);
        let Some(Block::EnhancedPacket(epb)) = parsed else {
            return Err(self.corrupt("unparsable enhanced packet block"));
        };
        let (if_id, caplen, orig_len) = (epb.if_id, epb.caplen as usize, epb.origlen);
        let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
        if caplen > epb.data.len() {
            return Err(self.corrupt("enhanced packet block shorter than its captured length"));
        }
        let iface = self.interface_at(if_id)?;
        Ok(Step::Packet {
            ts: ts_from_units(raw, iface.units_per_sec, iface.offset_secs),
            link: iface.link,
            data_at: 28,
            caplen,
            orig_len,
            block_len: len,
        })
    }

    fn simple_packet(&mut self, big_endian: bool, len: usize) -> Result<Step, CaptureError> {
        let parsed = parse_block(self.input.available().get(..len).unwrap_or(&[]), big_endian);
        let Some(Block::SimplePacket(spb)) = parsed else {
            return Err(self.corrupt("unparsable simple packet block"));
        };
        let orig_len = spb.origlen;
        // The captured length is the smaller of the original length and the block's room.
        let caplen = (orig_len as usize).min(len.saturating_sub(16));
        let iface = self.interface_at(0)?;
        Ok(Step::Packet {
            // A simple packet block carries no timestamp: repeat the previous packet's.
            ts: self.last_ts,
            link: iface.link,
            data_at: 12,
            caplen,
            orig_len,
            block_len: len,
        })
    }

    /// The obsolete Packet Block (type 2), which pcap-parser does not decode.
    fn obsolete_packet(&mut self, big_endian: bool, len: usize) -> Result<Step, CaptureError> {
        let b = self.input.available().get(..len).unwrap_or(&[]);
        let fields = (|| {
            let if_id = u16_at(b, 8, big_endian)?;
            let raw = (u64::from(u32_at(b, 12, big_endian)?) << 32)
                | u64::from(u32_at(b, 16, big_endian)?);
            Some((
                if_id,
                raw,
                u32_at(b, 20, big_endian)?,
                u32_at(b, 24, big_endian)?,
            ))
        })();
        let Some((if_id, raw, caplen, orig_len)) = fields else {
            return Err(self.corrupt("packet block too short"));
        };
        let caplen = caplen as usize;
        if len < 32 || caplen > len - 32 {
            return Err(self.corrupt("packet block shorter than its captured length"));
        }
        let iface = self.interface_at(u32::from(if_id))?;
        Ok(Step::Packet {
            ts: ts_from_units(raw, iface.units_per_sec, iface.offset_secs),
            link: iface.link,
            data_at: 28,
            caplen,
            orig_len,
            block_len: len,
        })
    }
}

/// Where the next packet lies in the input's current buffer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Desc {
    pub ts: Timestamp,
    pub link: LinkType,
    /// Offset of the packet's bytes in [`Input::buf`].
    pub at: usize,
    pub caplen: usize,
    pub orig_len: u32,
}

impl Framer {
    /// The input being framed.
    pub(super) fn input_mut(&mut self) -> &mut Input {
        &mut self.input
    }

    /// The current buffer, taken at the end (see [`Desc::at`]).
    pub(super) fn into_buf(self) -> PageBuf {
        self.input.into_buf()
    }

    /// Frame the next packet: it lies in [`Framer::buf`] until the next call.
    pub(super) fn next_desc(&mut self) -> Result<Option<Desc>, CaptureError> {
        self.input.consume(std::mem::take(&mut self.pending));
        loop {
            match self.step()? {
                Step::End => return Ok(None),
                Step::Skip(len) => self.input.consume(len),
                Step::Packet {
                    ts,
                    link,
                    data_at,
                    caplen,
                    orig_len,
                    block_len,
                } => {
                    self.pending = block_len;
                    self.last_ts = ts;
                    return Ok(Some(Desc {
                        ts,
                        link,
                        at: self.input.start().saturating_add(data_at),
                        caplen,
                        orig_len,
                    }));
                }
            }
        }
    }
}

impl PacketSource for Framer {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some(d) = self.next_desc()? else {
            return Ok(None);
        };
        let data = self
            .input
            .buf()
            .get(d.at..d.at.saturating_add(d.caplen))
            .unwrap_or(&[]);
        Ok(Some(Packet {
            ts: d.ts,
            link: d.link,
            data,
            orig_len: d.orig_len,
        }))
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;

/// One pcapng block in the section's byte order.
fn parse_block(block: &[u8], big_endian: bool) -> Option<Block<'_>> {
    let parsed = if big_endian {
        parse_block_be(block)
    } else {
        parse_block_le(block)
    };
    parsed.ok().map(|(_, b)| b)
}
