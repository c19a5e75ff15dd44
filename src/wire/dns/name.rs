//! Domain names: reading (compressed) wire names and printing them the way tshark 4.0 prints
//! `dns.qry.name`, so names compare equal to the oracle byte for byte.
//!
//! tshark joins the raw label bytes with `.` (a `.` or `\` inside a label is *not* escaped) and
//! then runs Wireshark's `format_text` over the whole name:
//! - printable ASCII as is; other ASCII as C escapes `\a \b \t \n \v \f \r`, else `\ooo` octal;
//! - UTF-8 decoded leniently (overlong forms accepted, so `e0 80 af` prints `/`); a bad lead
//!   byte, a missing continuation byte, a surrogate or a value above U+10FFFF prints U+FFFD
//!   (a missing continuation byte is then re-read as the start of the next character);
//! - a decoded character that GLib calls non-printable (general category Cc, Cf, Cn) prints as
//!   `\uXXXX` / `\UXXXXXXXX` (upper-case hex).
//!
//! Cn (unassigned) is only approximated: noncharacters, the unassigned ranges of planes 2, 3
//! and 14 and all of planes 4..=13. Unassigned code points in the BMP and plane 1 print as is
//! here while tshark escapes them; such names do not occur in real traffic.
//!
//! A name of more than [`MAX_NAME_BYTES`] display bytes is shown as `<Name too long>`, the
//! empty name as `<Root>`, both like tshark (verified with crafted packets through tshark 4.0.17).

use std::ops::Range;

use crate::weird::Weird;

/// Longest name (label bytes plus dots) tshark shows; longer ones become [`TOO_LONG`].
pub const MAX_NAME_BYTES: usize = 253;
/// Most compression pointers followed in one name; more means a loop.
pub const MAX_POINTER_HOPS: usize = 64;
/// How tshark shows the root name.
pub const ROOT: &str = "<Root>";
/// How tshark shows a name longer than [`MAX_NAME_BYTES`].
pub const TOO_LONG: &str = "<Name too long>";

/// The offset just after the name at `start`, without reading it (owner names of records
/// nobody looks at need not be built).
pub(super) fn skip_name(msg: &[u8], start: usize) -> Result<usize, Weird> {
    let mut pos = start;
    loop {
        let len = *msg.get(pos).ok_or(Weird::DnsTruncatedName)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => pos += 1 + usize::from(len),
            0xc0 => {
                msg.get(pos + 1).ok_or(Weird::DnsTruncatedName)?;
                return Ok(pos + 2);
            }
            _ => return Err(Weird::DnsBadLabelType),
        }
    }
}

/// Most label positions remembered per message for [`Known`].
pub const MAX_KNOWN: usize = 32;
/// Most labels of one name remembered (the first ones; a longer name's last labels are not).
const MAX_KNOWN_PER_NAME: usize = 8;

/// Plain names already read in this message, by the wire offset of each of their labels.
///
/// Why: most names of a response are a bare compression pointer to a name read before (owner
/// names point at the question or at a CNAME target). The name at a label position is always
/// the same text, so such a pointer reuses that text instead of walking and copying it again.
/// Only printable-ASCII names that read without error and are not too long are remembered,
/// with the pointers they followed after that label, so that a reuse gives exactly what a
/// walk would (same text, same loop bound).
#[derive(Debug)]
pub(super) struct Known {
    entries: [KnownLabel; MAX_KNOWN],
    len: usize,
}

impl Default for Known {
    fn default() -> Self {
        Known {
            entries: [KnownLabel::default(); MAX_KNOWN],
            len: 0,
        }
    }
}

/// One remembered label (small fields: the table is reset for every message).
#[derive(Debug, Default, Clone, Copy)]
struct KnownLabel {
    /// Wire offset of the label (a pointer reaches at most 0x3fff).
    wire: u16,
    /// Pointers the walk followed after this label (at most MAX_POINTER_HOPS). While the
    /// name is being walked: the pointers followed before it.
    hops_after: u8,
    /// The name from this label on, as a range of the names text.
    start: u32,
    end: u32,
}

impl Known {
    fn find(&self, wire: usize) -> Option<&KnownLabel> {
        let used = self.entries.get(..self.len).unwrap_or_default();
        used.iter().find(|e| usize::from(e.wire) == wire)
    }
}

/// Read the name at `start` in `msg` (offsets are message offsets, for compression pointers)
/// and append its display form to `out` (unless `known` already holds it). Returns the range of
/// `out` holding the name and the offset just after the name at its original position.
///
/// `out` holds UTF-8 text only: printable ASCII, [`ROOT`], [`TOO_LONG`] or `format_text`
/// output (a byte buffer, so that no name is validated as UTF-8 on its own).
///
/// Bounded: at most [`MAX_POINTER_HOPS`] pointers (more is `dns.name_pointer_loop`), and once a
/// pointer was followed the walk stops as soon as the name is too long, so a loop that keeps
/// adding labels ends as [`TOO_LONG`]. Forward pointers are followed, as tshark does.
pub(super) fn read_name(
    msg: &[u8],
    start: usize,
    out: &mut Vec<u8>,
    known: &mut Known,
) -> Result<(Range<usize>, usize), Weird> {
    if let Some(&[first, low]) = msg.get(start..start + 2)
        && first & 0xc0 == 0xc0
    {
        let target = (usize::from(first & 0x3f) << 8) | usize::from(low);
        // Reading it would follow this pointer plus the ones after the label.
        if let Some(k) = known
            .find(target)
            .filter(|k| usize::from(k.hops_after) < MAX_POINTER_HOPS)
        {
            return Ok((k.start as usize..k.end as usize, start + 2));
        }
    }
    let text_start = out.len();
    let mut walk = Walk {
        out,
        text_start,
        len: 0,
        too_long: false,
        printable: true,
        hops: 0,
        known,
        labels: 0,
    };
    let end = match walk.run(msg, start) {
        Ok(end) => end,
        Err(weird) => {
            walk.out.truncate(text_start);
            return Err(weird);
        }
    };
    let text_end = walk.finish();
    Ok((text_start..text_end, end))
}

/// The walk over one name's labels and pointers, appending the raw name (label bytes joined
/// with dots) to the names text.
///
/// Why runs: the labels between two pointers lie one after the other on the wire, and their
/// display form is those wire bytes with each length byte turned into a dot. So a run of
/// labels is copied with one `extend_from_slice` and checked word by word, instead of label
/// by label and byte by byte.
struct Walk<'b> {
    out: &'b mut Vec<u8>,
    /// Where this name starts in `out`.
    text_start: usize,
    /// Display length of the labels walked so far (copied to `out` at the end of each run).
    len: usize,
    too_long: bool,
    /// Every byte copied so far is printable ASCII.
    printable: bool,
    hops: usize,
    /// Where the first labels are noted (past `known.len`, committed only for a plain name).
    known: &'b mut Known,
    /// Labels noted in `known` so far.
    labels: usize,
}

impl Walk<'_> {
    /// The name as the walk left it, made its display form: [`TOO_LONG`], [`ROOT`], kept as
    /// copied (its labels remembered in `known`), or escaped when not printable. Returns the end
    /// of the name's text in `out`.
    fn finish(self) -> usize {
        let Walk {
            out,
            text_start,
            too_long,
            printable,
            hops,
            known,
            labels,
            ..
        } = self;
        if too_long {
            out.truncate(text_start);
            out.extend_from_slice(TOO_LONG.as_bytes());
        } else if out.len() == text_start {
            out.extend_from_slice(ROOT.as_bytes());
        } else if printable {
            // Nearly every name is printable ASCII: kept as copied, and its labels remembered.
            let end = u32::try_from(out.len()).ok();
            let first = known.len;
            for e in known.entries.iter_mut().skip(first).take(labels) {
                match (end, u8::try_from(hops - usize::from(e.hops_after)).ok()) {
                    (Some(end), Some(after)) => {
                        e.end = end;
                        e.hops_after = after;
                        known.len += 1;
                    }
                    _ => break,
                }
            }
        } else {
            let mut raw = [0u8; MAX_NAME_BYTES];
            let len = out.len() - text_start;
            let copied = raw.get_mut(..len).zip(out.get(text_start..));
            if let Some((dst, src)) = copied {
                dst.copy_from_slice(src);
            }
            out.truncate(text_start);
            let mut text = String::with_capacity(len * 4);
            format_text_into(raw.get(..len).unwrap_or_default(), &mut text);
            out.extend_from_slice(text.as_bytes());
        }
        out.len()
    }

    /// Walk the name at `start`: the offset just after it at its original position.
    fn run(&mut self, msg: &[u8], start: usize) -> Result<usize, Weird> {
        let mut pos = start;
        let mut end: Option<usize> = None;
        loop {
            // The labels from `run` on are to be copied; `None` once the name is too long.
            let mut run = (!self.too_long).then_some(pos);
            let label_len = loop {
                let label_len = *msg.get(pos).ok_or(Weird::DnsTruncatedName)?;
                if label_len == 0 || label_len & 0xc0 != 0 {
                    break label_len;
                }
                let next = pos + 1 + usize::from(label_len);
                if next > msg.len() {
                    return Err(Weird::DnsTruncatedName);
                }
                if !self.too_long {
                    let dot = usize::from(self.len != 0);
                    if self.len + dot + usize::from(label_len) > MAX_NAME_BYTES {
                        self.too_long = true;
                        // The text becomes TOO_LONG: nothing more to copy.
                        run = None;
                    } else {
                        self.note_label(pos, self.len + dot);
                        self.len += dot + usize::from(label_len);
                    }
                }
                if self.too_long
                    && let Some(end) = end
                {
                    // Past a pointer the end is known: stop walking a name already too long.
                    return Ok(end);
                }
                pos = next;
            };
            self.copy_run(msg, run, pos);
            match label_len & 0xc0 {
                0x00 => return Ok(*end.get_or_insert(pos + 1)),
                0xc0 => {
                    let low = *msg.get(pos + 1).ok_or(Weird::DnsTruncatedName)?;
                    end.get_or_insert(pos + 2);
                    self.hops += 1;
                    if self.hops > MAX_POINTER_HOPS {
                        return Err(Weird::DnsNamePointerLoop);
                    }
                    pos = (usize::from(label_len & 0x3f) << 8) | usize::from(low);
                }
                // 0x40 (extended, RFC 6891 deprecated) and 0x80 (reserved) label types.
                _ => return Err(Weird::DnsBadLabelType),
            }
        }
    }

    /// Append the labels from wire offset `from` (a length byte) to `to` (the byte after the
    /// last label) as display text: the first length byte is dropped at the start of the name
    /// and a dot elsewhere, like every later one.
    fn copy_run(&mut self, msg: &[u8], from: Option<usize>, to: usize) {
        let Some(from) = from.filter(|&f| f < to) else {
            return;
        };
        let skip = usize::from(self.out.len() == self.text_start);
        let base = self.out.len();
        self.out
            .extend_from_slice(msg.get(from + skip..to).unwrap_or_default());
        // Length bytes become dots: every label start after the first (or from the first).
        let mut p = from;
        while p < to {
            if p >= from + skip
                && let Some(b) = self.out.get_mut(base + p - from - skip)
            {
                *b = b'.';
            }
            p += 1 + usize::from(msg.get(p).copied().unwrap_or(0));
        }
        self.printable &= all_printable(self.out.get(base..).unwrap_or_default());
    }

    /// Note the label at wire offset `pos` starting `offset` bytes into the name, for
    /// [`Known`]: only the first [`MAX_KNOWN_PER_NAME`], and only labels a pointer can reach.
    fn note_label(&mut self, pos: usize, offset: usize) {
        if self.labels >= MAX_KNOWN_PER_NAME {
            return;
        }
        let slot = self.known.len + self.labels;
        let (Some(e), Some(wire), Ok(start), Ok(hops)) = (
            self.known.entries.get_mut(slot),
            u16::try_from(pos).ok().filter(|&w| w <= 0x3fff),
            u32::try_from(self.text_start + offset),
            u8::try_from(self.hops),
        ) else {
            return;
        };
        *e = KnownLabel {
            wire,
            hops_after: hops,
            start,
            end: 0,
        };
        self.labels += 1;
    }
}

/// True when every byte is printable ASCII (0x20..=0x7e), shown as is by `format_text`.
///
/// Eight bytes at a time (names are checked on every message): a byte below 0x20 borrows in
/// `x - 0x20..` and clears its top bit, a byte above 0x7e sets its top bit in `x + 0x01..`
/// or already has it (the classic "hasless"/"hasmore" tests, exact for any byte present).
pub(super) fn all_printable(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut bad = 0u64;
    for chunk in &mut chunks {
        let x = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        bad |= (x.wrapping_sub(ONES * 0x20) & !x) | x.wrapping_add(ONES) | x;
    }
    let tail = chunks
        .remainder()
        .iter()
        .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b));
    bad & TOPS == 0 && tail
}

/// Wireshark's `format_text` (wsutil/str_util.c, 4.0) over raw name bytes.
pub fn format_text(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    format_text_into(raw, &mut out);
    out
}

/// [`format_text`], appending to `out`.
fn format_text_into(raw: &[u8], out: &mut String) {
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        i += 1;
        if (0x20..0x7f).contains(&c) {
            out.push(char::from(c));
        } else if c < 0x80 {
            push_ascii_escape(c, out);
        } else {
            let (ch, used) = decode_lenient(c, raw.get(i..).unwrap_or_default());
            i += used;
            if is_print(ch) {
                out.push(ch);
            } else if u32::from(ch) <= 0xffff {
                out.push_str(&format!("\\u{:04X}", u32::from(ch)));
            } else {
                out.push_str(&format!("\\U{:08X}", u32::from(ch)));
            }
        }
    }
}

fn push_ascii_escape(c: u8, out: &mut String) {
    out.push('\\');
    match c {
        0x07 => out.push('a'),
        0x08 => out.push('b'),
        0x0c => out.push('f'),
        0x0a => out.push('n'),
        0x0d => out.push('r'),
        0x09 => out.push('t'),
        0x0b => out.push('v'),
        _ => {
            for shift in [6u8, 3, 0] {
                out.push(char::from(b'0' + ((c >> shift) & 7)));
            }
        }
    }
}

/// Decode one character whose lead byte is `lead` (>= 0x80) followed by `rest`, as
/// Wireshark does: returns the character and how many bytes of `rest` it consumed.
fn decode_lenient(lead: u8, rest: &[u8]) -> (char, usize) {
    let (extra, mask) = match lead {
        0xc0..=0xdf => (1, 0x1f),
        0xe0..=0xef => (2, 0x0f),
        0xf0..=0xf7 => (3, 0x07),
        0xf8..=0xfb => (4, 0x03),
        0xfc..=0xfd => (5, 0x01),
        _ => return (char::REPLACEMENT_CHARACTER, 0),
    };
    let mut uc = u32::from(lead & mask);
    let mut used = 0;
    for _ in 0..extra {
        match rest.get(used) {
            Some(&b) if b & 0xc0 == 0x80 => {
                used += 1;
                uc = (uc << 6) | u32::from(b & 0x3f);
            }
            _ => return (char::REPLACEMENT_CHARACTER, used),
        }
    }
    // char::from_u32 rejects surrogates and values above U+10FFFF, as g_unichar_validate does.
    (
        char::from_u32(uc).unwrap_or(char::REPLACEMENT_CHARACTER),
        used,
    )
}

/// GLib's `g_unichar_isprint`: not Cc, Cf, Cs or Cn (Cn approximated, see the module doc).
fn is_print(ch: char) -> bool {
    let cp = u32::from(ch);
    !(ch.is_control() || is_format(cp) || is_unassigned(cp))
}

/// General category Cf, Unicode 15.0 (the GLib of Debian 12).
fn is_format(cp: u32) -> bool {
    const CF: &[(u32, u32)] = &[
        (0x00ad, 0x00ad),
        (0x0600, 0x0605),
        (0x061c, 0x061c),
        (0x06dd, 0x06dd),
        (0x070f, 0x070f),
        (0x0890, 0x0891),
        (0x08e2, 0x08e2),
        (0x180e, 0x180e),
        (0x200b, 0x200f),
        (0x202a, 0x202e),
        (0x2060, 0x2064),
        (0x2066, 0x206f),
        (0xfeff, 0xfeff),
        (0xfff9, 0xfffb),
        (0x110bd, 0x110bd),
        (0x110cd, 0x110cd),
        (0x13430, 0x1343f),
        (0x1bca0, 0x1bca3),
        (0x1d173, 0x1d17a),
        (0xe0001, 0xe0001),
        (0xe0020, 0xe007f),
    ];
    CF.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

/// Part of general category Cn (see the module doc for what is left out).
fn is_unassigned(cp: u32) -> bool {
    const CN: &[(u32, u32)] = &[
        (0xfdd0, 0xfdef),
        (0x2a6e0, 0x2a6ff),
        (0x2b73a, 0x2b73f),
        (0x2b81e, 0x2b81f),
        (0x2cea2, 0x2ceaf),
        (0x2ebe1, 0x2f7ff),
        (0x2fa1e, 0x2ffff),
        (0x3134b, 0x3134f),
        (0x323b0, 0xdffff),
        (0xe0000, 0xe0000),
        (0xe0002, 0xe001f),
        (0xe0080, 0xe00ff),
        (0xe01f0, 0xeffff),
    ];
    cp & 0xfffe == 0xfffe || CN.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}
