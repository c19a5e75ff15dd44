//! Decoded header fields of HTTP/2 and HTTP/3 (the same pseudo-headers, RFC 9113 §8.3,
//! RFC 9114 §4.3) made into an [`Exchange`]: the request from its request fields, the status
//! and cookies from the response's.

use std::borrow::Cow;

use crate::observation::{Exchange, HttpVersion};
use crate::time::Timestamp;
use crate::wire::http::date_of;

/// A decoded field line: name and value.
pub type Field = (Vec<u8>, Vec<u8>);

fn pseudo<'f>(fields: &'f [Field], name: &[u8]) -> Option<Cow<'f, str>> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| String::from_utf8_lossy(v))
}

/// The request a request header section makes, or `None` without `:method` and `:path`
/// (CONNECT, or trailers). `sni` names the host when neither `:authority` nor `Host` does.
pub fn request(
    ts: Timestamp,
    version: HttpVersion,
    fields: &[Field],
    sni: Option<&str>,
) -> Option<Exchange> {
    let (method, path) = (pseudo(fields, b":method")?, pseudo(fields, b":path")?);
    let authority = pseudo(fields, b":authority")
        .or_else(|| pseudo(fields, b"host"))
        .or_else(|| sni.map(Cow::Borrowed))
        .unwrap_or_default();
    let mut ex = Exchange::request(ts, version, true, &method, &authority, &path);
    for (n, v) in fields {
        ex.request_header(n, v);
    }
    Some(ex)
}

/// The `:status` of a response header section; `None` for trailers or a push promise.
pub fn status(fields: &[Field]) -> Option<u16> {
    fields
        .iter()
        .find(|(n, _)| n == b":status")
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<u16>().ok())
}

/// Take a final response into `ex`: its status, content type and cookies set.
pub fn respond(ex: &mut Exchange, status: u16, fields: &[Field]) {
    ex.status = Some(status);
    let date = date_of(fields.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
    for (n, v) in fields {
        ex.response_header(n, v, date);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(list: &[(&str, &str)]) -> Vec<Field> {
        list.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn request_and_response_fields_make_an_exchange() {
        let req = f(&[
            (":method", "GET"),
            (":path", "/g/collect?v=2"),
            (":authority", "Region1.Google-Analytics.com"),
            ("cookie", "_ga=secret; _gid=x"),
            ("referer", "https://www.borger.test/"),
        ]);
        let mut ex = request(Timestamp(1), HttpVersion::Http3, &req, None).unwrap();
        assert_eq!(ex.url, "https://region1.google-analytics.com/g/collect?v=2");
        assert_eq!(ex.version, HttpVersion::Http3);
        assert_eq!(ex.cookies_sent, ["_ga", "_gid"]);
        assert_eq!(ex.referer.as_deref(), Some("https://www.borger.test/"));
        let resp = f(&[
            (":status", "204"),
            ("set-cookie", "_ga_collect=v; Max-Age=63072000"),
            ("content-type", "text/plain; charset=utf-8"),
        ]);
        assert_eq!(status(&resp), Some(204));
        respond(&mut ex, 204, &resp);
        assert_eq!(ex.set_cookies[0].name, "_ga_collect");
        assert_eq!(ex.content_type.as_deref(), Some("text/plain"));
        let no_authority = f(&[(":method", "GET"), (":path", "/")]);
        let ex = request(
            Timestamp(1),
            HttpVersion::Http3,
            &no_authority,
            Some("sni.dk"),
        );
        assert_eq!(ex.unwrap().url, "https://sni.dk/");
        assert!(
            request(
                Timestamp(1),
                HttpVersion::Http3,
                &f(&[(":method", "CONNECT")]),
                None
            )
            .is_none()
        );
        assert_eq!(status(&f(&[("grpc-status", "0")])), None);
    }
}
