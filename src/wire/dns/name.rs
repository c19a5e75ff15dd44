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
pub(super) fn skip_name(msg: &[u8], start: usize) -> Result<usize, &'static str> {
    let mut pos = start;
    loop {
        let len = *msg.get(pos).ok_or("dns.truncated_name")?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => pos += 1 + usize::from(len),
            0xc0 => {
                msg.get(pos + 1).ok_or("dns.truncated_name")?;
                return Ok(pos + 2);
            }
            _ => return Err("dns.bad_label_type"),
        }
    }
}

/// Read the name at `start` in `msg` (offsets are message offsets, for compression pointers)
/// and append its display form to `out`. Returns the offset just after the name at its
/// original position.
///
/// Bounded: at most [`MAX_POINTER_HOPS`] pointers (more is `dns.name_pointer_loop`), and once a
/// pointer was followed the walk stops as soon as the name is too long, so a loop that keeps
/// adding labels ends as [`TOO_LONG`]. Forward pointers are followed, as tshark does.
pub(super) fn read_name(msg: &[u8], start: usize, out: &mut String) -> Result<usize, &'static str> {
    // The raw name is at most MAX_NAME_BYTES (longer ones are not kept), so it fits on the
    // stack: no allocation per name.
    let mut raw = [0u8; MAX_NAME_BYTES];
    let mut len = 0usize;
    let mut too_long = false;
    let mut pos = start;
    let mut end: Option<usize> = None;
    let mut hops = 0usize;
    loop {
        let label_len = *msg.get(pos).ok_or("dns.truncated_name")?;
        match label_len & 0xc0 {
            0x00 if label_len == 0 => {
                end.get_or_insert(pos + 1);
                break;
            }
            0x00 => {
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(label_len))
                    .ok_or("dns.truncated_name")?;
                let dot = usize::from(len != 0);
                match raw.get_mut(len..len + dot + label.len()) {
                    Some(dst) if !too_long => {
                        let (sep, text) = dst.split_at_mut(dot);
                        sep.fill(b'.');
                        text.copy_from_slice(label);
                        len += dot + label.len();
                    }
                    _ => {
                        too_long = true;
                        if end.is_some() {
                            // Past a pointer the end is known: stop walking a name already too
                            // long.
                            break;
                        }
                    }
                }
                pos += 1 + usize::from(label_len);
            }
            0xc0 => {
                let low = *msg.get(pos + 1).ok_or("dns.truncated_name")?;
                end.get_or_insert(pos + 2);
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err("dns.name_pointer_loop");
                }
                pos = (usize::from(label_len & 0x3f) << 8) | usize::from(low);
            }
            // 0x40 (extended, RFC 6891 deprecated) and 0x80 (reserved) label types.
            _ => return Err("dns.bad_label_type"),
        }
    }
    let raw = raw.get(..len).unwrap_or_default();
    if too_long {
        out.push_str(TOO_LONG);
    } else if raw.is_empty() {
        out.push_str(ROOT);
    } else if let Some(text) = printable_ascii(raw) {
        // Nearly every name is printable ASCII: copied as is.
        out.push_str(text);
    } else {
        format_text_into(raw, out);
    }
    Ok(end.unwrap_or(pos + 1))
}

/// `raw` as text when every byte is printable ASCII (shown as is by `format_text`).
fn printable_ascii(raw: &[u8]) -> Option<&str> {
    // A fold rather than `all`: no early exit, so the check compiles to a vector loop.
    let printable = raw
        .iter()
        .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b));
    printable.then(|| std::str::from_utf8(raw).ok()).flatten()
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
