//! An HTTP exchange as an analyzer saw it, over plain HTTP or decrypted TLS: the request's URL
//! and the cookies it sent (names only), the response's status and the cookies it set (names,
//! scope and lifetime, never values). Bounded: long URLs and fields are cut, lists capped.
//! [`Exchanges`] pairs the requests of an HTTP/1.x connection with their responses, as the
//! plain-HTTP analyzer and lab decryption both need.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::wire::http::{self, SetCookieHeader};

/// Set-Cookie headers kept per response.
pub const MAX_SET_COOKIES: usize = 64;
/// Cookie names kept per request.
pub const MAX_COOKIES_SENT: usize = 128;
/// Longest URL kept; longer ones are cut (a GA4 hit with a long page address is ~2 KiB).
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Longest cookie name, domain or path kept.
pub const MAX_COOKIE_FIELD_BYTES: usize = 256;
/// Requests waiting for their response on one connection (pipelining is rare; more is odd).
pub const MAX_PENDING_REQUESTS: usize = 64;

/// HTTP version a request was carried by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HttpVersion {
    /// HTTP/1.x.
    #[serde(rename = "http/1.1")]
    Http1,
    /// HTTP/2.
    #[serde(rename = "h2")]
    Http2,
    /// HTTP/3 (over QUIC).
    #[serde(rename = "h3")]
    Http3,
}

impl HttpVersion {
    /// The word used in every output format: `http/1.1`, `h2` or `h3`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVersion::Http1 => "http/1.1",
            HttpVersion::Http2 => "h2",
            HttpVersion::Http3 => "h3",
        }
    }
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

impl SameSite {
    /// The attribute value as written in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }

    /// The attribute of a header value (any case); `None` for anything else.
    pub fn parse(value: &[u8]) -> Option<SameSite> {
        [SameSite::Strict, SameSite::Lax, SameSite::None]
            .into_iter()
            .find(|s| value.eq_ignore_ascii_case(s.as_str().as_bytes()))
    }
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
    /// A Set-Cookie header value, read without its cookie value; `date` is the response's Date
    /// (Unix seconds), which an Expires attribute counts from.
    pub fn parse(value: &[u8], date: Option<i64>) -> Option<SetCookie> {
        http::parse_set_cookie(value).map(|h| SetCookie::of_header(&h, date))
    }

    /// The stored form of a parsed header: fields cut to [`MAX_COOKIE_FIELD_BYTES`], the domain
    /// in lower case, the lifetime in seconds.
    pub fn of_header(h: &SetCookieHeader<'_>, date: Option<i64>) -> SetCookie {
        SetCookie {
            name: field(h.name),
            domain: h.domain.map(|d| field(&d.to_ascii_lowercase())),
            path: h.path.map(field),
            // Max-Age wins over Expires (RFC 6265 §5.3 step 3); Expires counts from the Date.
            lifetime_s: h.max_age.or_else(|| Some(h.expires? - date?)),
            secure: h.secure,
            http_only: h.http_only,
            same_site: h.same_site.and_then(SameSite::parse),
        }
    }

    /// The lifetime in days (one decimal), or `session` / `deleted`, for people.
    pub fn lifetime_text(&self) -> String {
        match self.lifetime_s {
            None => "session".to_owned(),
            Some(s) if s <= 0 => "deleted".to_owned(),
            Some(s) => format!("{:.1} days", s as f64 / 86_400.0),
        }
    }
}

/// One HTTP request and what its response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Time of the packet that completed the request head.
    pub ts: Timestamp,
    /// HTTP version.
    pub version: HttpVersion,
    /// Carried inside TLS (seen by lab decryption), or plain HTTP.
    pub encrypted: bool,
    /// Method.
    pub method: String,
    /// Full URL: `https://host/path?query`, `http://` for plain HTTP (at most
    /// [`MAX_URL_BYTES`]).
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
}

impl Exchange {
    /// A request without response yet. `authority` is the Host or `:authority` (may carry a
    /// port), `target` the request target (origin form or absolute form).
    pub fn request(
        ts: Timestamp,
        version: HttpVersion,
        encrypted: bool,
        method: &str,
        authority: &str,
        target: &str,
    ) -> Exchange {
        let mut url = if target.starts_with("http://") || target.starts_with("https://") {
            target.to_owned()
        } else {
            let scheme = if encrypted { "https" } else { "http" };
            let authority = authority.trim().to_ascii_lowercase();
            format!("{scheme}://{authority}{target}")
        };
        cut(&mut url, MAX_URL_BYTES);
        Exchange {
            ts,
            version,
            encrypted,
            method: method.to_owned(),
            url,
            host: http::host_name(authority),
            referer: None,
            status: None,
            content_type: None,
            set_cookies: Vec::new(),
            cookies_sent: Vec::new(),
        }
    }

    /// An HTTP/1.x request from its head (`head`: the bytes [`http::parse_request`] read as
    /// `req`); `sni` names the host when the request has no Host header.
    pub fn of_head(
        ts: Timestamp,
        encrypted: bool,
        req: &http::Request,
        head: &[u8],
        sni: Option<&str>,
    ) -> Exchange {
        let mut ex = Exchange::of_request_line(ts, encrypted, req, sni);
        http::each_header(head, true, |n, v| ex.request_header(n, v));
        ex
    }

    /// [`Exchange::of_head`] from the headers [`http::parse_request_then`] hands over (the head
    /// is not parsed again).
    pub fn of_headers(
        ts: Timestamp,
        encrypted: bool,
        req: &http::Request,
        headers: http::Headers<'_>,
        sni: Option<&str>,
    ) -> Exchange {
        let mut ex = Exchange::of_request_line(ts, encrypted, req, sni);
        for (n, v) in headers.iter() {
            ex.request_header(n, v);
        }
        ex
    }

    fn of_request_line(
        ts: Timestamp,
        encrypted: bool,
        req: &http::Request,
        sni: Option<&str>,
    ) -> Exchange {
        let authority = req.host.as_deref().or(sni).unwrap_or_default();
        Exchange::request(
            ts,
            HttpVersion::Http1,
            encrypted,
            &req.method,
            authority,
            &req.path,
        )
    }

    /// Take an HTTP/1.x response head: its status, and the headers of `head` (the bytes
    /// [`http::parse_response`] read).
    pub fn respond(&mut self, status: u16, head: &[u8]) {
        // Borrowed from the head: the Date header may come after the cookies it dates.
        let mut headers: Vec<(&[u8], &[u8])> = Vec::new();
        http::each_header(head, false, |n, v| headers.push((n, v)));
        self.respond_with(status, headers.iter().copied());
    }

    /// [`Exchange::respond`] with the headers in order (walked twice: the Date header may
    /// come after the cookies it dates).
    pub fn respond_with<'h>(
        &mut self,
        status: u16,
        headers: impl Iterator<Item = (&'h [u8], &'h [u8])> + Clone,
    ) {
        self.status = Some(status);
        // Only a Set-Cookie lifetime needs the Date: parsing it for every response is waste.
        let sets_cookie = headers
            .clone()
            .any(|(n, _)| n.eq_ignore_ascii_case(b"set-cookie"));
        let date = if sets_cookie {
            http::date_of(headers.clone())
        } else {
            None
        };
        for (n, v) in headers {
            self.response_header(n, v, date);
        }
    }

    /// Take one request header into the record.
    pub fn request_header(&mut self, name: &[u8], value: &[u8]) {
        if name.eq_ignore_ascii_case(b"referer") && self.referer.is_none() {
            let mut r = String::from_utf8_lossy(value).into_owned();
            cut(&mut r, MAX_URL_BYTES);
            self.referer = Some(r);
        } else if name.eq_ignore_ascii_case(b"cookie") {
            for name in http::cookie_names(value).map(field) {
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
            && let Some(c) = SetCookie::parse(value, date)
        {
            self.set_cookies.push(c);
        }
    }
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

fn field(bytes: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    cut(&mut s, MAX_COOKIE_FIELD_BYTES);
    s
}

/// Requests of one HTTP/1.x connection waiting for their responses, which come in order.
#[derive(Debug, Default)]
pub struct Exchanges {
    pending: VecDeque<Exchange>,
}

impl Exchanges {
    /// Queue a request. At [`MAX_PENDING_REQUESTS`] the oldest leaves without its response and
    /// is returned, for the caller to hand out and count.
    pub fn push(&mut self, ex: Exchange) -> Option<Exchange> {
        let evicted = if self.pending.len() >= MAX_PENDING_REQUESTS {
            self.pending.pop_front()
        } else {
            None
        };
        self.pending.push_back(ex);
        evicted
    }

    /// The next response answers a HEAD request: it has no body, whatever its head says.
    pub fn answers_head(&self) -> bool {
        self.pending.front().is_some_and(|e| e.method == "HEAD")
    }

    /// A response head (`head`: the bytes [`http::parse_response`] read): the request it
    /// answers, complete. An informational (1xx) response answers none.
    pub fn respond(&mut self, status: u16, head: &[u8]) -> Option<Exchange> {
        if (100..200).contains(&status) {
            return None;
        }
        let mut ex = self.pending.pop_front()?;
        ex.respond(status, head);
        Some(ex)
    }

    /// [`Exchanges::respond`] with the headers [`http::parse_response_then`] hands over.
    pub fn respond_with(&mut self, status: u16, headers: http::Headers<'_>) -> Option<Exchange> {
        if (100..200).contains(&status) {
            return None;
        }
        let mut ex = self.pending.pop_front()?;
        ex.respond_with(status, headers.iter());
        Some(ex)
    }

    /// The connection ended: the requests that got no response, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = Exchange> + '_ {
        self.pending.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: HttpVersion, encrypted: bool, authority: &str, target: &str) -> Exchange {
        Exchange::request(Timestamp(0), version, encrypted, "GET", authority, target)
    }

    #[test]
    fn set_cookie_lifetimes() {
        let c = SetCookie::parse(
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
        let date = http::http_date("Tue, 01 Jan 2030 00:00:00 GMT");
        let e = SetCookie::parse(
            b"fr=x; expires=Wed, 02-Jan-2030 00:00:00 GMT; HttpOnly; samesite=NONE",
            date,
        )
        .unwrap();
        assert_eq!(e.lifetime_s, Some(86_400));
        assert_eq!(e.same_site, Some(SameSite::None));
        assert!(e.http_only);
        let no_date = SetCookie::parse(b"fr=x; expires=Wed, 02-Jan-2030 00:00:00 GMT", None);
        assert_eq!(no_date.unwrap().lifetime_s, None);
        let s = SetCookie::parse(b"sid=abc; SameSite=sometimes", None).unwrap();
        assert_eq!((s.lifetime_s, s.same_site), (None, None));
        assert_eq!(s.lifetime_text(), "session");
        assert!(SetCookie::parse(b"novalue", None).is_none());
    }

    #[test]
    fn cookie_names_are_kept_once() {
        let mut e = request(HttpVersion::Http1, true, "a.dk", "/");
        e.request_header(b"Cookie", b"a=1; a=2; b=secret");
        assert_eq!(e.cookies_sent, ["a", "b"]);
    }

    #[test]
    fn cookie_lists_and_fields_are_capped() {
        let mut e = request(HttpVersion::Http1, true, "a.dk", "/");
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
        let c = SetCookie::parse(format!("{long}=v").as_bytes(), None).unwrap();
        assert_eq!(c.name.len(), MAX_COOKIE_FIELD_BYTES);
    }

    #[test]
    fn long_urls_are_cut() {
        let path = format!("/{}", "é".repeat(MAX_URL_BYTES));
        let e = request(HttpVersion::Http2, true, "Example.COM:443", &path);
        assert!(e.url.len() <= MAX_URL_BYTES);
        assert!(e.url.starts_with("https://example.com:443/"));
        assert_eq!(e.host, "example.com");
    }

    #[test]
    fn plain_requests_are_http_urls() {
        let e = request(
            HttpVersion::Http1,
            false,
            "B.Scorecardresearch.com",
            "/p?c1=2",
        );
        assert_eq!(e.url, "http://b.scorecardresearch.com/p?c1=2");
        assert!(!e.encrypted);
        let absolute = request(HttpVersion::Http1, false, "proxy", "http://a.dk/x");
        assert_eq!(absolute.url, "http://a.dk/x");
    }

    #[test]
    fn heads_give_request_and_response() {
        let req_head =
            b"GET /p HTTP/1.1\r\nHost: a.dk\r\nReferer: http://b.dk/\r\nCookie: UID=1\r\n\r\n";
        let crate::wire::Parsed::Done(req) = http::parse_request(req_head) else {
            panic!("request")
        };
        let mut e = Exchange::of_head(Timestamp(5), false, &req, req_head, None);
        assert_eq!(e.url, "http://a.dk/p");
        assert_eq!(e.referer.as_deref(), Some("http://b.dk/"));
        assert_eq!(e.cookies_sent, ["UID"]);
        let resp_head = b"HTTP/1.1 204 No Content\r\nDate: Tue, 01 Jan 2030 00:00:00 GMT\r\n\
            Set-Cookie: UID=secret; Expires=Thu, 01 Jan 2032 00:00:00 GMT\r\n\
            Content-Type: image/gif; charset=x\r\n\r\n";
        e.respond(204, resp_head);
        assert_eq!(e.status, Some(204));
        assert_eq!(e.content_type.as_deref(), Some("image/gif"));
        assert_eq!(e.set_cookies[0].name, "UID");
        assert_eq!(e.set_cookies[0].lifetime_s, Some(730 * 86_400));
        let no_host = b"GET / HTTP/1.0\r\n\r\n";
        let crate::wire::Parsed::Done(req) = http::parse_request(no_host) else {
            panic!("request")
        };
        let e = Exchange::of_head(Timestamp(5), true, &req, no_host, Some("sni.dk"));
        assert_eq!(e.url, "https://sni.dk/");
    }
}
