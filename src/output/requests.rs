//! The `--requests` output: one JSON object per HTTP request (plain, or decrypted with a key
//! log), with the stable fields the README documents (`time`, `device`, `method`, `url`,
//! `status`, `org`, `party`, `phase`, `tracker_endpoint`, `set_cookies`, `cookies_sent`) and a
//! few more after them. A view: the request as the analyzer saw it, and what attribution said.

use serde::Serialize;

use crate::attribute::{Party, RequestAttribution, TrackerHit};
use crate::observation::{DeviceId, Exchange, HttpVersion, SetCookie};

/// One request as printed by `sporfri replay --requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord<'a> {
    /// Request time, RFC 3339 UTC.
    pub time: String,
    /// The device that sent it.
    pub device: DeviceId,
    /// Method.
    pub method: &'a str,
    /// Full URL.
    pub url: &'a str,
    /// Response status, `null` when no response was seen.
    pub status: Option<u16>,
    /// Organisation behind the host, when a signature matched.
    pub org: Option<&'a str>,
    /// Whose the host is, relative to the service under test.
    pub party: Party,
    /// Consent phase of the session (`null` without marks).
    pub phase: Option<String>,
    /// Name of the known tracker endpoint hit (`ga4-collect`, `meta-pixel`, ...).
    pub tracker_endpoint: Option<&'a str>,
    /// Cookies the response set (no values).
    pub set_cookies: &'a [SetCookie],
    /// Names of the cookies the request sent.
    pub cookies_sent: &'a [String],
    /// Host of the URL.
    pub host: &'a str,
    /// Referer header.
    pub referer: Option<&'a str>,
    /// Response Content-Type.
    pub content_type: Option<&'a str>,
    /// `http/1.1`, `h2` or `h3`.
    pub http: HttpVersion,
    /// Carried inside TLS and decrypted; `false` for plain HTTP.
    pub encrypted: bool,
    /// Decoded identifying parameters of the tracker hit.
    pub tracker: Option<&'a TrackerHit>,
}

impl<'a> RequestRecord<'a> {
    /// The record of `ex` sent by `device`, as `attribution` sees it; `phase` comes from the
    /// marks, if any.
    pub fn new(
        device: DeviceId,
        ex: &'a Exchange,
        attribution: &'a RequestAttribution,
        phase: Option<String>,
    ) -> RequestRecord<'a> {
        let tracker = attribution.tracker.as_ref();
        RequestRecord {
            time: ex.ts.rfc3339(),
            device,
            method: &ex.method,
            url: &ex.url,
            status: ex.status,
            org: attribution.who.org.as_deref(),
            party: attribution.who.party,
            phase,
            tracker_endpoint: tracker.map(|t| t.endpoint.as_str()),
            set_cookies: &ex.set_cookies,
            cookies_sent: &ex.cookies_sent,
            host: &ex.host,
            referer: ex.referer.as_deref(),
            content_type: ex.content_type.as_deref(),
            http: ex.version,
            encrypted: ex.encrypted,
            tracker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::Attributor;
    use crate::observation::{FlowKey, Proto};
    use crate::time::Timestamp;

    fn flow(port: u16) -> FlowKey {
        FlowKey {
            proto: Proto::Tcp,
            client: "10.0.0.1:5000".parse().unwrap(),
            server: format!("203.0.113.2:{port}").parse().unwrap(),
        }
    }

    #[test]
    fn stable_fields_in_json() {
        let mut ex = Exchange::request(
            Timestamp::from_parts(1_700_000_000, 0),
            HttpVersion::Http2,
            true,
            "GET",
            "www.facebook.com",
            "/tr/?id=1&ev=PageView",
        );
        ex.status = Some(200);
        let cookie = |h: &[u8]| SetCookie::parse(h, None).unwrap();
        ex.set_cookies.push(cookie(
            b"fr=v; Max-Age=7776000; Secure; HttpOnly; SameSite=None",
        ));
        ex.set_cookies.push(cookie(b"s=v"));
        ex.cookies_sent.push("datr".into());
        let flow = flow(443);
        let who = Attributor::builtin(None).unwrap().request(&ex, &flow);
        let rec = RequestRecord::new(DeviceId::Ip(flow.client.ip()), &ex, &who, None);
        let v: serde_json::Value = serde_json::to_value(&rec).unwrap();
        assert_eq!(v["time"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(v["url"], "https://www.facebook.com/tr/?id=1&ev=PageView");
        assert_eq!(v["phase"], serde_json::Value::Null);
        assert_eq!(v["tracker_endpoint"], "meta-pixel");
        assert_eq!(v["tracker"]["site_id"], "1");
        assert_eq!(v["org"], "Meta Platforms, Inc.");
        assert_eq!(v["set_cookies"][0]["lifetime_s"], 7_776_000);
        assert_eq!(v["set_cookies"][0]["same_site"], "None");
        assert_eq!(v["set_cookies"][1]["lifetime_s"], serde_json::Value::Null);
        assert_eq!(v["cookies_sent"][0], "datr");
        assert_eq!((&v["http"], &v["encrypted"]), (&"h2".into(), &true.into()));
        for key in ["device", "method", "status", "org", "party", "set_cookies"] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn plain_http_is_http_1_1_and_not_encrypted() {
        let mut ex = Exchange::request(
            Timestamp(0),
            HttpVersion::Http1,
            false,
            "GET",
            "b.scorecardresearch.com",
            "/p?c1=2",
        );
        ex.set_cookies
            .push(SetCookie::parse(b"UID=secret; Max-Age=63072000", None).unwrap());
        let who = Attributor::builtin(None).unwrap().request(&ex, &flow(80));
        let rec = RequestRecord::new(DeviceId::Ip([10, 0, 0, 1].into()), &ex, &who, None);
        let v: serde_json::Value = serde_json::to_value(&rec).unwrap();
        assert_eq!(v["url"], "http://b.scorecardresearch.com/p?c1=2");
        assert_eq!(
            (&v["http"], &v["encrypted"]),
            (&"http/1.1".into(), &false.into())
        );
        assert_eq!(v["set_cookies"][0]["lifetime_s"], 63_072_000);
        assert_eq!(v["party"], "third");
        assert!(!v.to_string().contains("secret"));
    }
}
