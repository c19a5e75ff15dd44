//! Cookie headers without their values (RFC 6265): the names a Cookie header sends, and the name
//! and attributes of a Set-Cookie header. A cookie's value is stepped over, never returned.

use super::date::http_date;

/// A Set-Cookie header's name and attributes, borrowed from the header (RFC 6265 §5.2).
///
/// Attributes are as the header says them; later ones of the same name win, as in a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetCookieHeader<'a> {
    /// Cookie name, trimmed.
    pub name: &'a [u8],
    /// Domain attribute without its leading dots; `None` when absent or empty.
    pub domain: Option<&'a [u8]>,
    /// Path attribute (possibly empty).
    pub path: Option<&'a [u8]>,
    /// Max-Age in seconds; `None` when absent or not a number.
    pub max_age: Option<i64>,
    /// Expires as Unix seconds; `None` when absent or not a date.
    pub expires: Option<i64>,
    /// Secure attribute.
    pub secure: bool,
    /// HttpOnly attribute.
    pub http_only: bool,
    /// SameSite attribute value as sent (`Lax`, `strict`, ...).
    pub same_site: Option<&'a [u8]>,
}

/// Parse a Set-Cookie header value; `None` without a `name=` pair (RFC 6265 §5.2 steps 2–5).
pub fn parse_set_cookie(value: &[u8]) -> Option<SetCookieHeader<'_>> {
    let mut parts = value.split(|&b| b == b';');
    let pair = parts.next()?;
    let name = pair.split(|&b| b == b'=').next()?.trim_ascii();
    if name.is_empty() || !pair.contains(&b'=') {
        return None;
    }
    let mut c = SetCookieHeader {
        name,
        domain: None,
        path: None,
        max_age: None,
        expires: None,
        secure: false,
        http_only: false,
        same_site: None,
    };
    for attr in parts {
        let (k, v) = match attr.iter().position(|&b| b == b'=') {
            Some(i) => (
                attr.get(..i).unwrap_or_default(),
                attr.get(i + 1..).unwrap_or_default(),
            ),
            None => (attr, &b""[..]),
        };
        let (k, v) = (k.trim_ascii(), v.trim_ascii());
        let is = |name: &str| k.eq_ignore_ascii_case(name.as_bytes());
        if is("domain") {
            let bare = trim_leading_dots(v);
            if !v.is_empty() {
                c.domain = Some(bare);
            }
        } else if is("path") {
            c.path = Some(v);
        } else if is("secure") {
            c.secure = true;
        } else if is("httponly") {
            c.http_only = true;
        } else if is("max-age") {
            c.max_age = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
        } else if is("expires") {
            c.expires = http_date(&String::from_utf8_lossy(v));
        } else if is("samesite") {
            c.same_site = Some(v);
        }
    }
    Some(c)
}

fn trim_leading_dots(mut v: &[u8]) -> &[u8] {
    while let Some(rest) = v.strip_prefix(b".") {
        v = rest;
    }
    v
}

/// The names in a Cookie header (`a=1; b=2`), trimmed, empty ones left out; values are never
/// looked at beyond the `=`.
pub fn cookie_names(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b';').filter_map(|pair| {
        let name = pair.split(|&b| b == b'=').next()?.trim_ascii();
        (!name.is_empty()).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes() {
        let c = parse_set_cookie(
            b"_ga=GA1.1.123; Max-Age=63072000; Domain=..Example.dk; Path=/; Secure; SameSite=Lax",
        )
        .unwrap();
        assert_eq!(c.name, b"_ga");
        assert_eq!(c.domain, Some(&b"Example.dk"[..]));
        assert_eq!(c.path, Some(&b"/"[..]));
        assert_eq!(c.max_age, Some(63_072_000));
        assert!(c.secure && !c.http_only);
        assert_eq!(c.same_site, Some(&b"Lax"[..]));
        let e = parse_set_cookie(b"fr=x; expires=Wed, 02-Jan-2030 00:00:00 GMT; HttpOnly").unwrap();
        assert_eq!(e.expires, http_date("Wed, 02 Jan 2030 00:00:00 GMT"));
        assert!(e.http_only);
        let empty = parse_set_cookie(b"a=1; Domain=; max-age=soon").unwrap();
        assert_eq!((empty.domain, empty.max_age), (None, None));
        assert!(parse_set_cookie(b"novalue").is_none());
        assert!(parse_set_cookie(b" =v").is_none());
    }

    #[test]
    fn cookie_header_gives_names_only() {
        let names: Vec<&[u8]> = cookie_names(b"_ga=GA1.2.3; _fbp=fb.1; =x;  sid=secret").collect();
        assert_eq!(names, [&b"_ga"[..], b"_fbp", b"sid"]);
    }
}
