//! The `--requests` output: one JSON object per decrypted request, with the stable fields the
//! README documents (`time`, `device`, `method`, `url`, `status`, `org`, `party`, `phase`,
//! `tracker_endpoint`, `set_cookies`, `cookies_sent`) and a few more after them.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::attribute::{Attributor, Facts, Party};
use crate::observation::{DeviceId, FlowKey, Proto, Via};

use super::model::{Exchange, SetCookie};
use super::tracker::TrackerHit;

/// One decrypted request as printed by `sporfri replay --requests`.
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
    pub org: Option<String>,
    /// Whose the host is, relative to the service under test.
    pub party: Party,
    /// Consent phase of the session (`null` until sessions supply it).
    pub phase: Option<String>,
    /// Name of the known tracker endpoint hit (`ga4-collect`, `meta-pixel`, ...).
    pub tracker_endpoint: Option<&'static str>,
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
    /// `http/1.1` or `h2`.
    pub http: super::model::HttpVersion,
    /// Decoded identifying parameters of the tracker hit.
    pub tracker: Option<&'a TrackerHit>,
}

impl<'a> RequestRecord<'a> {
    /// The record of `ex`, attributed by its host; `phase` comes from the session, if any.
    pub fn new(
        device: DeviceId,
        flow: &FlowKey,
        ex: &'a Exchange,
        attributor: &Attributor,
        phase: Option<String>,
    ) -> RequestRecord<'a> {
        let facts = Facts {
            name: &ex.host,
            cname_chain: &[],
            via: BTreeSet::from([Via::Tls]),
            server_ports: BTreeSet::from([(Proto::Tcp, flow.server.port())]),
            server_ips: BTreeSet::from([flow.server.ip()]),
            ech: None,
            local: false,
            quic_unreadable: false,
        };
        let who = attributor.attribute(&facts);
        RequestRecord {
            time: ex.ts.rfc3339(),
            device,
            method: &ex.method,
            url: &ex.url,
            status: ex.status,
            org: who.org,
            party: who.party,
            phase,
            tracker_endpoint: ex.tracker.as_ref().map(|t| t.endpoint),
            set_cookies: &ex.set_cookies,
            cookies_sent: &ex.cookies_sent,
            host: &ex.host,
            referer: ex.referer.as_deref(),
            content_type: ex.content_type.as_deref(),
            http: ex.version,
            tracker: ex.tracker.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decrypt::model::{HttpVersion, parse_set_cookie};
    use crate::time::Timestamp;
    use std::net::SocketAddr;

    #[test]
    fn stable_fields_in_json() {
        let mut ex = Exchange::request(
            Timestamp::from_parts(1_700_000_000, 0),
            HttpVersion::Http2,
            "GET",
            "www.facebook.com",
            "/tr/?id=1&ev=PageView",
        );
        ex.status = Some(200);
        ex.set_cookies.push(
            parse_set_cookie(
                b"fr=v; Max-Age=7776000; Secure; HttpOnly; SameSite=None",
                None,
            )
            .unwrap(),
        );
        ex.set_cookies.push(parse_set_cookie(b"s=v", None).unwrap());
        ex.cookies_sent.push("datr".into());
        let addr: SocketAddr = "10.0.0.2:443".parse().unwrap();
        let flow = FlowKey {
            proto: Proto::Tcp,
            client: "10.0.0.1:5000".parse().unwrap(),
            server: addr,
        };
        let rec = RequestRecord::new(
            DeviceId::Ip(flow.client.ip()),
            &flow,
            &ex,
            &Attributor::default(),
            None,
        );
        let v: serde_json::Value = serde_json::to_value(&rec).unwrap();
        assert_eq!(v["time"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(v["url"], "https://www.facebook.com/tr/?id=1&ev=PageView");
        assert_eq!(v["phase"], serde_json::Value::Null);
        assert_eq!(v["tracker_endpoint"], "meta-pixel");
        assert_eq!(v["set_cookies"][0]["lifetime_s"], 7_776_000);
        assert_eq!(v["set_cookies"][0]["same_site"], "None");
        assert_eq!(v["set_cookies"][1]["lifetime_s"], serde_json::Value::Null);
        assert_eq!(v["cookies_sent"][0], "datr");
        for key in ["device", "method", "status", "org", "party", "set_cookies"] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
