//! Host names as the matcher sees them: lower case, no trailing dot, IDNA labels as punycode,
//! address literals set apart; plus the domain syntax rules of the signature checker.

use std::net::IpAddr;

/// Longest host name accepted (RFC 1035: 253 characters in text form).
pub const MAX_NAME_LEN: usize = 253;
/// Longest label (RFC 1035).
pub const MAX_LABEL_LEN: usize = 63;

/// A contacted name after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name: ASCII lower case, punycode for non-ASCII labels, no trailing dot.
    Name(String),
    /// An IPv4 or IPv6 address literal (also `[v6]`).
    Ip(IpAddr),
    /// Empty, too long, or a label that cannot be encoded.
    Invalid,
}

/// Normalise a name for matching: trim, drop one trailing dot, lower-case, IDNA to punycode.
///
/// Unicode names are lower-cased and each non-ASCII label is punycode-encoded (RFC 3492) with the
/// IDNA2008 dot variants as separators; no further UTS 46 mapping (NFC) is done, which is enough
/// for names typed by a person or written in a signature file (names on the wire are ASCII).
pub fn normalize(name: &str) -> Host {
    let trimmed = name.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let unbracketed = trimmed
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(trimmed);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Host::Ip(ip);
    }
    if trimmed.is_empty() {
        return Host::Invalid;
    }
    let out = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        match to_ascii(trimmed) {
            Some(s) => s,
            None => return Host::Invalid,
        }
    };
    if out.len() > MAX_NAME_LEN {
        return Host::Invalid;
    }
    Host::Name(out)
}

/// Unicode → ASCII, label by label.
fn to_ascii(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let dotted: String = lower
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => '.',
            c => c,
        })
        .collect();
    let mut labels = Vec::new();
    for label in dotted.split('.') {
        if label.is_ascii() {
            labels.push(label.to_owned());
        } else {
            labels.push(format!("xn--{}", punycode(label)?));
        }
    }
    Some(labels.join("."))
}

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points.max(1);
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + ((BASE - T_MIN + 1) * delta) / (delta + SKEW)
}

fn digit(d: u32) -> char {
    // d < 36 by construction; the fallback never shows.
    let b = if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d - 26) as u8
    };
    char::from(b)
}

/// RFC 3492 punycode encoding of one label (without the `xn--` prefix); `None` on overflow.
pub fn punycode(label: &str) -> Option<String> {
    let cps: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let total = cps.len() as u32;
    while handled < total {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// The registrable domain (eTLD+1) from the Public Suffix List; `None` for bare suffixes.
pub fn registrable(host: &str) -> Option<&str> {
    psl::domain_str(host)
}

/// The name is exactly a suffix on the Public Suffix List ("co.uk", "github.io").
pub fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes())
}

/// Why a signature domain is not acceptable, or `None` when it is.
pub fn domain_problem(d: &str) -> Option<&'static str> {
    if d.is_empty() {
        return Some("empty domain");
    }
    if d.contains("://") {
        return Some("domain has a scheme (write only the name)");
    }
    if d.contains('/') {
        return Some("domain has a path (write only the name)");
    }
    if d.contains('*') {
        return Some("wildcards are not allowed (a domain already matches its subdomains)");
    }
    if d.ends_with('.') {
        return Some("trailing dot");
    }
    if d.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some("domain must be lower case");
    }
    if d.len() > MAX_NAME_LEN {
        return Some("domain longer than 253 characters");
    }
    if d.parse::<IpAddr>().is_ok() {
        return Some("address literals are not domains");
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Some("domain needs at least two labels");
    }
    if labels.iter().any(|l| !valid_label(l)) {
        return Some("invalid label (letters, digits, inner hyphens; 1-63 characters)");
    }
    if is_public_suffix(d) {
        return Some("a bare public suffix would match unrelated sites");
    }
    None
}

fn valid_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= MAX_LABEL_LEN
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punycode_rfc3492_vectors() {
        // RFC 3492 7.1 (L), after lower-casing its one upper-case letter.
        assert_eq!(
            punycode("3年b組金八先生").as_deref(),
            Some("3b-ww4c5e180e575a65lsy2b")
        );
        assert_eq!(punycode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(punycode("københavn").as_deref(), Some("kbenhavn-54a"));
        assert_eq!(punycode("münchen").as_deref(), Some("mnchen-3ya"));
    }

    #[test]
    fn normalize_case_dot_idna_ip() {
        assert_eq!(
            normalize("WWW.Example.DK."),
            Host::Name("www.example.dk".into())
        );
        assert_eq!(
            normalize("Bücher.dk"),
            Host::Name("xn--bcher-kva.dk".into())
        );
        assert_eq!(
            normalize("bücher。dk"),
            Host::Name("xn--bcher-kva.dk".into())
        );
        assert_eq!(
            normalize("192.0.2.1"),
            Host::Ip("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            normalize("[2001:db8::1]"),
            Host::Ip("2001:db8::1".parse().unwrap())
        );
        assert_eq!(normalize(""), Host::Invalid);
        assert_eq!(normalize("."), Host::Invalid);
        assert_eq!(normalize(&"a.".repeat(200)), Host::Invalid);
    }

    #[test]
    fn domain_rules() {
        assert_eq!(domain_problem("google-analytics.com"), None);
        assert_eq!(domain_problem("xn--bcher-kva.dk"), None);
        assert!(domain_problem("Google.com").is_some());
        assert!(domain_problem("https://a.com").is_some());
        assert!(domain_problem("a.com/x").is_some());
        assert!(domain_problem("*.a.com").is_some());
        assert!(domain_problem("a.com.").is_some());
        assert!(domain_problem("com").is_some());
        assert!(domain_problem("co.uk").is_some());
        assert!(domain_problem("github.io").is_some());
        assert!(domain_problem("a_b.com").is_some());
        assert!(domain_problem("-a.com").is_some());
        assert!(domain_problem("1.2.3.4").is_some());
        assert!(domain_problem(&format!("{}.com", "a".repeat(64))).is_some());
        assert_eq!(domain_problem(&format!("{}.com", "a".repeat(63))), None);
        assert_eq!(domain_problem("foo.github.io"), None);
    }

    #[test]
    fn registrable_from_psl() {
        assert_eq!(registrable("a.b.example.co.uk"), Some("example.co.uk"));
        assert_eq!(registrable("co.uk"), None);
        assert_eq!(registrable("x.y.github.io"), Some("y.github.io"));
    }
}
