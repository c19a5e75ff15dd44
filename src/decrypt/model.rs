//! What a decrypted request tells: URL, status, cookies set and sent (names only, never values),
//! and the tracker endpoint it hit.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

use super::tracker::{self, TrackerHit};

/// Set-Cookie headers kept per response.
pub const MAX_SET_COOKIES: usize = 64;
/// Cookie names kept per request.
pub const MAX_COOKIES_SENT: usize = 128;
/// Longest URL kept; longer ones are cut (a GA4 hit with a long page address is ~2 KiB).
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Longest cookie name, domain or path kept.
pub const MAX_COOKIE_FIELD_BYTES: usize = 256;

/// HTTP version a request was carried by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HttpVersion {
    /// HTTP/1.x.
    #[serde(rename = "http/1.1")]
    Http1,
    /// HTTP/2.
    #[serde(rename = "h2")]
    Http2,
}

/// SameSite attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
}

/// One Set-Cookie header, without its value (also as stored with a session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCookie {
    /// Cookie name.
    pub name: String,
    /// Domain attribute (leading dot removed), or `None` for a host-only cookie.
    pub domain: Option<String>,
    /// Path attribute.
    pub path: Option<String>,
    /// Lifetime in seconds from Max-Age, else Expires minus the response's Date; `None` for a
    /// session cookie. Zero or negative: the header deletes the cookie.
    pub lifetime_s: Option<i64>,
    /// Secure attribute.
    pub secure: bool,
    /// HttpOnly attribute.
    pub http_only: bool,
    /// SameSite attribute.
    pub same_site: Option<SameSite>,
}

impl SetCookie {
    /// The lifetime in days (one decimal), or `session` / `deleted`, for people.
    pub fn lifetime_text(&self) -> String {
        match self.lifetime_s {
            None => "session".to_owned(),
            Some(s) if s <= 0 => "deleted".to_owned(),
            Some(s) => format!("{:.1} days", s as f64 / 86_400.0),
        }
    }
}

impl SameSite {
    /// The attribute value as written in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// One decrypted request and what its response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Time of the packet that completed the request head.
    pub ts: Timestamp,
    /// HTTP version.
    pub version: HttpVersion,
    /// Method.
    pub method: String,
    /// Full URL: `https://host/path?query` (at most [`MAX_URL_BYTES`]).
    pub url: String,
    /// Host (authority without port, lower case).
    pub host: String,
    /// Referer header.
    pub referer: Option<String>,
    /// Response status; `None` when no response was seen.
    pub status: Option<u16>,
    /// Response Content-Type (without parameters).
    pub content_type: Option<String>,
    /// Cookies set by the response.
    pub set_cookies: Vec<SetCookie>,
    /// Names of the cookies the request sent.
    pub cookies_sent: Vec<String>,
    /// The known tracker endpoint this request hit, with its decoded parameters.
    pub tracker: Option<TrackerHit>,
}

impl Exchange {
    /// A request without response yet. `authority` is the Host or `:authority` (may carry a
    /// port), `target` the request target (origin form or absolute form).
    pub fn request(
        ts: Timestamp,
        version: HttpVersion,
        method: &str,
        authority: &str,
        target: &str,
    ) -> Exchange {
        let host = crate::flow::analyze::host_name(authority);
        let mut url = if target.starts_with("http://") || target.starts_with("https://") {
            target.to_owned()
        } else {
            format!(
                "https://{}{}",
                authority.trim().to_ascii_lowercase(),
                target
            )
        };
        cut(&mut url, MAX_URL_BYTES);
        let tracker = tracker::classify(&host, &url);
        Exchange {
            ts,
            version,
            method: method.to_owned(),
            url,
            host,
            referer: None,
            status: None,
            content_type: None,
            set_cookies: Vec::new(),
            cookies_sent: Vec::new(),
            tracker,
        }
    }

    /// Take one request header (name lower case) into the record.
    pub fn request_header(&mut self, name: &[u8], value: &[u8]) {
        if name.eq_ignore_ascii_case(b"referer") && self.referer.is_none() {
            let mut r = String::from_utf8_lossy(value).into_owned();
            cut(&mut r, MAX_URL_BYTES);
            self.referer = Some(r);
        } else if name.eq_ignore_ascii_case(b"cookie") {
            for name in cookie_names(value) {
                if self.cookies_sent.len() < MAX_COOKIES_SENT && !self.cookies_sent.contains(&name)
                {
                    self.cookies_sent.push(name);
                }
            }
        }
    }

    /// Take one response header into the record; `date` is the response's Date (Unix seconds).
    pub fn response_header(&mut self, name: &[u8], value: &[u8], date: Option<i64>) {
        if name.eq_ignore_ascii_case(b"content-type") && self.content_type.is_none() {
            let v = String::from_utf8_lossy(value);
            let mime = v
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            self.content_type = Some(mime);
        } else if name.eq_ignore_ascii_case(b"set-cookie")
            && self.set_cookies.len() < MAX_SET_COOKIES
        {
            if let Some(c) = parse_set_cookie(value, date) {
                self.set_cookies.push(c);
            }
        }
    }
}

/// The Date header of a response head, as Unix seconds.
pub fn date_of<'h>(mut headers: impl Iterator<Item = (&'h [u8], &'h [u8])>) -> Option<i64> {
    headers
        .find(|(n, _)| n.eq_ignore_ascii_case(b"date"))
        .and_then(|(_, v)| http_date(&String::from_utf8_lossy(v)))
}

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Names in a Cookie header (`a=1; b=2`); values are never looked at beyond the `=`.
pub fn cookie_names(value: &[u8]) -> Vec<String> {
    value
        .split(|&b| b == b';')
        .filter_map(|pair| {
            let name = pair.split(|&b| b == b'=').next()?.trim_ascii();
            (!name.is_empty()).then(|| field(name))
        })
        .collect()
}

fn field(bytes: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    cut(&mut s, MAX_COOKIE_FIELD_BYTES);
    s
}

/// Parse a Set-Cookie value (RFC 6265 §5.2) without keeping the cookie's value.
pub fn parse_set_cookie(value: &[u8], date: Option<i64>) -> Option<SetCookie> {
    let mut parts = value.split(|&b| b == b';');
    let pair = parts.next()?;
    let name = pair.split(|&b| b == b'=').next()?.trim_ascii();
    if name.is_empty() || !pair.contains(&b'=') {
        return None;
    }
    let mut c = SetCookie {
        name: field(name),
        domain: None,
        path: None,
        lifetime_s: None,
        secure: false,
        http_only: false,
        same_site: None,
    };
    let mut max_age = None;
    let mut expires = None;
    for attr in parts {
        let (k, v) = match attr.iter().position(|&b| b == b'=') {
            Some(i) => (
                attr.get(..i).unwrap_or_default(),
                attr.get(i + 1..).unwrap_or_default(),
            ),
            None => (attr, &b""[..]),
        };
        let (k, v) = (
            k.trim_ascii().to_ascii_lowercase(),
            String::from_utf8_lossy(v.trim_ascii()).into_owned(),
        );
        match k.as_slice() {
            b"domain" if !v.is_empty() => {
                c.domain = Some(field(
                    v.trim_start_matches('.').to_ascii_lowercase().as_bytes(),
                ))
            }
            b"path" => c.path = Some(field(v.as_bytes())),
            b"secure" => c.secure = true,
            b"httponly" => c.http_only = true,
            b"max-age" => max_age = v.parse::<i64>().ok(),
            b"expires" => expires = http_date(&v),
            b"samesite" => {
                c.same_site = match v.to_ascii_lowercase().as_str() {
                    "strict" => Some(SameSite::Strict),
                    "lax" => Some(SameSite::Lax),
                    "none" => Some(SameSite::None),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    // Max-Age wins over Expires (RFC 6265 §5.3 step 3); Expires counts from the server's Date.
    c.lifetime_s = max_age.or_else(|| Some(expires? - date?));
    Some(c)
}

/// Unix seconds of an HTTP date (RFC 9110 §5.6.7 IMF-fixdate, RFC 850 and asctime forms, and
/// the dashed `Wed, 21-Oct-2026 07:28:00 GMT` that Set-Cookie often uses).
pub fn http_date(s: &str) -> Option<i64> {
    let words: Vec<&str> = s.split([' ', '-', ',']).filter(|w| !w.is_empty()).collect();
    let month_of = |m: &str| {
        let months = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ];
        let m = m.get(..3)?.to_ascii_lowercase();
        months.iter().position(|x| *x == m).map(|i| i as u32 + 1)
    };
    // Find day, month, year and hh:mm:ss among the words, whatever the order.
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut hms = None;
    for w in words {
        if w.contains(':') {
            let t: Vec<u32> = w.split(':').filter_map(|x| x.parse().ok()).collect();
            if let [h, m, s] = t[..] {
                hms = Some((h, m, s));
            }
        } else if let Ok(n) = w.parse::<i64>() {
            if day.is_none() && n <= 31 && w.len() <= 2 {
                day = Some(n as u32);
            } else {
                year = Some(if n < 70 {
                    2000 + n
                } else if n < 100 {
                    1900 + n
                } else {
                    n
                });
            }
        } else if month.is_none() {
            month = month_of(w);
        }
    }
    let (h, mi, sec) = hms?;
    let days = days_from_civil(year?, month?, day?);
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_attributes_and_lifetimes() {
        let c = parse_set_cookie(
            b"_ga=GA1.1.123; Max-Age=63072000; Domain=.Example.dk; Path=/; Secure; SameSite=Lax",
            None,
        )
        .unwrap();
        assert_eq!(c.name, "_ga");
        assert_eq!(c.domain.as_deref(), Some("example.dk"));
        assert_eq!(c.path.as_deref(), Some("/"));
        assert_eq!(c.lifetime_s, Some(63_072_000));
        assert!(c.secure && !c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Lax));
        let date = http_date("Tue, 01 Jan 2030 00:00:00 GMT");
        let e = parse_set_cookie(
            b"fr=x; expires=Wed, 02-Jan-2030 00:00:00 GMT; HttpOnly",
            date,
        )
        .unwrap();
        assert_eq!(e.lifetime_s, Some(86_400));
        assert!(e.http_only);
        let s = parse_set_cookie(b"sid=abc", None).unwrap();
        assert_eq!(s.lifetime_s, None);
        assert!(parse_set_cookie(b"novalue", None).is_none());
    }

    #[test]
    fn http_dates_in_three_forms() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(http_date("garbage"), None);
    }

    #[test]
    fn cookie_header_gives_names_only() {
        assert_eq!(
            cookie_names(b"_ga=GA1.2.3; _fbp=fb.1; =x;  sid=secret"),
            ["_ga", "_fbp", "sid"]
        );
        let mut e = Exchange::request(Timestamp(0), HttpVersion::Http1, "GET", "a.dk", "/");
        e.request_header(b"Cookie", b"a=1; a=2");
        assert_eq!(e.cookies_sent, ["a"]);
    }

    #[test]
    fn cookie_lists_and_fields_are_capped() {
        let mut e = Exchange::request(Timestamp(0), HttpVersion::Http1, "GET", "a.dk", "/");
        let many: Vec<String> = (0..MAX_COOKIES_SENT + 5)
            .map(|i| format!("c{i}=v"))
            .collect();
        e.request_header(b"cookie", many.join("; ").as_bytes());
        assert_eq!(e.cookies_sent.len(), MAX_COOKIES_SENT);
        for i in 0..MAX_SET_COOKIES + 5 {
            e.response_header(b"set-cookie", format!("s{i}=v").as_bytes(), None);
        }
        assert_eq!(e.set_cookies.len(), MAX_SET_COOKIES);
        let long = "n".repeat(MAX_COOKIE_FIELD_BYTES * 2);
        let c = parse_set_cookie(format!("{long}=v").as_bytes(), None).unwrap();
        assert_eq!(c.name.len(), MAX_COOKIE_FIELD_BYTES);
    }

    #[test]
    fn long_urls_are_cut() {
        let path = format!("/{}", "é".repeat(MAX_URL_BYTES));
        let e = Exchange::request(
            Timestamp(0),
            HttpVersion::Http2,
            "GET",
            "Example.COM:443",
            &path,
        );
        assert!(e.url.len() <= MAX_URL_BYTES);
        assert!(e.url.starts_with("https://example.com:443/"));
        assert_eq!(e.host, "example.com");
    }
}
