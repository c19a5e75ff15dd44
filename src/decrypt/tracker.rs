//! Known tracker endpoints: which request is a measurement hit, and the query parameters that
//! say which site (measurement or pixel id) and which page (`dl`/`dr`-style address) it reports.

use serde::Serialize;

/// Query parameters looked at per hit; later ones are ignored.
pub const MAX_QUERY_PARAMS: usize = 256;
/// Longest decoded parameter value kept.
pub const MAX_PARAM_BYTES: usize = 2048;

/// A request that hit a known tracker endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackerHit {
    /// Stable endpoint name, e.g. `ga4-collect`, `meta-pixel`.
    pub endpoint: &'static str,
    /// The site/property identifier sent (GA4 measurement id, pixel id, partner id, ...).
    pub site_id: Option<String>,
    /// The page address sent (GA `dl`, Meta `dl`, ...).
    pub page: Option<String>,
    /// The referring page address sent (`dr`, `rl`, ...).
    pub referrer: Option<String>,
    /// The event name sent (`en`, `ev`, ...).
    pub event: Option<String>,
}

/// One known endpoint: host rule, path rule, and which parameters mean what.
struct Endpoint {
    name: &'static str,
    /// The host equals this or ends with `.` + this.
    host: &'static str,
    /// The path starts with this (empty: any path).
    path: &'static str,
    site_id: &'static [&'static str],
    page: &'static [&'static str],
    referrer: &'static [&'static str],
    event: &'static [&'static str],
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "ga4-collect",
        host: "google-analytics.com",
        path: "/g/collect",
        site_id: &["tid"],
        page: &["dl"],
        referrer: &["dr"],
        event: &["en"],
    },
    Endpoint {
        name: "ga4-collect",
        host: "analytics.google.com",
        path: "/g/collect",
        site_id: &["tid"],
        page: &["dl"],
        referrer: &["dr"],
        event: &["en"],
    },
    Endpoint {
        name: "ua-collect",
        host: "google-analytics.com",
        path: "/collect",
        site_id: &["tid"],
        page: &["dl"],
        referrer: &["dr"],
        event: &["t"],
    },
    Endpoint {
        name: "ua-collect",
        host: "google-analytics.com",
        path: "/j/collect",
        site_id: &["tid"],
        page: &["dl"],
        referrer: &["dr"],
        event: &["t"],
    },
    Endpoint {
        name: "gtm-load",
        host: "googletagmanager.com",
        path: "/gtm.js",
        site_id: &["id"],
        page: &[],
        referrer: &[],
        event: &[],
    },
    Endpoint {
        name: "gtag-load",
        host: "googletagmanager.com",
        path: "/gtag/js",
        site_id: &["id"],
        page: &[],
        referrer: &[],
        event: &[],
    },
    Endpoint {
        name: "google-ads-conversion",
        host: "googleadservices.com",
        path: "/pagead/conversion",
        site_id: &[],
        page: &["url"],
        referrer: &["ref"],
        event: &["label"],
    },
    Endpoint {
        name: "doubleclick",
        host: "doubleclick.net",
        path: "",
        site_id: &["tid"],
        page: &["dl", "url"],
        referrer: &["dr", "ref"],
        event: &["en"],
    },
    Endpoint {
        name: "meta-pixel",
        host: "facebook.com",
        path: "/tr",
        site_id: &["id"],
        page: &["dl"],
        referrer: &["rl"],
        event: &["ev"],
    },
    Endpoint {
        name: "meta-pixel-load",
        host: "connect.facebook.net",
        path: "/signals/config",
        site_id: &[],
        page: &[],
        referrer: &[],
        event: &[],
    },
    Endpoint {
        name: "linkedin-insight",
        host: "px.ads.linkedin.com",
        path: "/collect",
        site_id: &["pid"],
        page: &["url"],
        referrer: &[],
        event: &["conversionId"],
    },
    Endpoint {
        name: "linkedin-insight",
        host: "px.ads.linkedin.com",
        path: "/attribution_trigger",
        site_id: &["pid"],
        page: &["url"],
        referrer: &[],
        event: &[],
    },
    Endpoint {
        name: "siteimprove-analytics",
        host: "siteimproveanalytics.io",
        path: "",
        site_id: &["accountid", "aid"],
        page: &["url"],
        referrer: &["ref", "prev"],
        event: &[],
    },
    Endpoint {
        name: "siteimprove-analytics",
        host: "siteimproveanalytics.com",
        path: "",
        site_id: &["accountid", "aid"],
        page: &["url"],
        referrer: &["ref", "prev"],
        event: &[],
    },
    Endpoint {
        name: "hotjar",
        host: "hotjar.com",
        path: "",
        site_id: &["sv", "site_id"],
        page: &["url"],
        referrer: &[],
        event: &[],
    },
    Endpoint {
        name: "tiktok-pixel",
        host: "analytics.tiktok.com",
        path: "/api/v2/pixel",
        site_id: &["sdkid"],
        page: &["url"],
        referrer: &["referrer"],
        event: &["event"],
    },
    Endpoint {
        name: "microsoft-uet",
        host: "bat.bing.com",
        path: "/action",
        site_id: &["ti"],
        page: &["p"],
        referrer: &["r"],
        event: &["evt"],
    },
    Endpoint {
        name: "snapchat-pixel",
        host: "tr.snapchat.com",
        path: "",
        site_id: &["pid"],
        page: &["u"],
        referrer: &[],
        event: &["e"],
    },
    Endpoint {
        name: "adobe-analytics",
        host: "omtrdc.net",
        path: "/b/ss",
        site_id: &[],
        page: &["g"],
        referrer: &["r"],
        event: &["events"],
    },
    Endpoint {
        name: "matomo",
        host: "matomo.cloud",
        path: "",
        site_id: &["idsite"],
        page: &["url"],
        referrer: &["urlref"],
        event: &["action_name"],
    },
];

/// The tracker endpoint `url` (on `host`, lower case) hits, with its decoded parameters.
pub fn classify(host: &str, url: &str) -> Option<TrackerHit> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_query = after_scheme
        .find('/')
        .and_then(|i| after_scheme.get(i..))
        .unwrap_or("/");
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let e = ENDPOINTS.iter().find(|e| {
        let host_ok = host == e.host || host.strip_suffix(e.host).is_some_and(|p| p.ends_with('.'));
        host_ok
            && path
                .strip_prefix(e.path)
                .is_some_and(|rest| e.path.is_empty() || rest.is_empty() || rest.starts_with('/'))
    })?;
    let params = query_params(query);
    let pick = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
    };
    Some(TrackerHit {
        endpoint: e.name,
        site_id: pick(e.site_id),
        page: pick(e.page),
        referrer: pick(e.referrer),
        event: pick(e.event),
    })
}

/// Decoded `k=v` pairs of a query string (the first [`MAX_QUERY_PARAMS`], long values cut).
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let mut v = percent_decode(v);
            if v.len() > MAX_PARAM_BYTES {
                let mut end = MAX_PARAM_BYTES;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                v.truncate(end);
            }
            (!k.is_empty()).then(|| (percent_decode(k), v))
        })
        .take(MAX_QUERY_PARAMS)
        .collect()
}

/// `%XX` and `+` decoding; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
        match b {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            },
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga4_hit_names_property_and_page() {
        let url = "https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123&en=page_view\
                   &dl=https%3A%2F%2Fwww.borger.dk%2Fskat&dr=https%3A%2F%2Fwww.google.com%2F";
        let hit = classify("region1.google-analytics.com", url).unwrap();
        assert_eq!(hit.endpoint, "ga4-collect");
        assert_eq!(hit.site_id.as_deref(), Some("G-ABC123"));
        assert_eq!(hit.page.as_deref(), Some("https://www.borger.dk/skat"));
        assert_eq!(hit.referrer.as_deref(), Some("https://www.google.com/"));
        assert_eq!(hit.event.as_deref(), Some("page_view"));
    }

    #[test]
    fn meta_pixel_linkedin_siteimprove() {
        let meta = classify(
            "www.facebook.com",
            "https://www.facebook.com/tr/?id=123&ev=PageView&dl=https%3A%2F%2Fa.dk%2F",
        )
        .unwrap();
        assert_eq!(
            (
                meta.endpoint,
                meta.site_id.as_deref(),
                meta.event.as_deref()
            ),
            ("meta-pixel", Some("123"), Some("PageView"))
        );
        let li = classify(
            "px.ads.linkedin.com",
            "https://px.ads.linkedin.com/collect?pid=42&url=https%3A%2F%2Fa.dk",
        )
        .unwrap();
        assert_eq!(li.site_id.as_deref(), Some("42"));
        let si = classify("6543.global.siteimproveanalytics.io", "https://6543.global.siteimproveanalytics.io/image.aspx?accountid=6543&url=https%3A%2F%2Fa.dk%2Fx").unwrap();
        assert_eq!(
            (si.endpoint, si.page.as_deref()),
            ("siteimprove-analytics", Some("https://a.dk/x"))
        );
    }

    #[test]
    fn look_alikes_are_not_trackers() {
        assert!(classify("notfacebook.com", "https://notfacebook.com/tr?id=1").is_none());
        assert!(classify("www.facebook.com", "https://www.facebook.com/profile").is_none());
        assert!(classify("www.facebook.com", "https://www.facebook.com/tracking").is_none());
    }

    #[test]
    fn parameter_count_and_length_are_capped() {
        let filler = "x=1&".repeat(MAX_QUERY_PARAMS);
        let url = format!("https://www.facebook.com/tr?{filler}id=late");
        assert_eq!(classify("www.facebook.com", &url).unwrap().site_id, None);
        let long = "a".repeat(MAX_PARAM_BYTES + 10);
        let hit = classify(
            "www.facebook.com",
            &format!("https://www.facebook.com/tr?id={long}"),
        )
        .unwrap();
        assert_eq!(hit.site_id.unwrap().len(), MAX_PARAM_BYTES);
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%20b+c%zz%4"), "a b c%zz%4");
    }
}
