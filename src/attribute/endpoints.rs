//! Known tracker endpoints (`signatures/endpoints/*.toml`): which request is a measurement hit,
//! and which of its query parameters say the site it measures (measurement or pixel id), the
//! page and referring page it reports, and the event. Data beside the signatures, loaded and
//! checked with them (`sporfri signatures check`); interpreted here, on requests the analyzers
//! saw (plain HTTP, or decrypted with a key log).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::checker::{Checker, Text};

/// Query parameters looked at per hit; later ones are ignored.
pub const MAX_QUERY_PARAMS: usize = 256;
/// Longest decoded parameter value kept.
pub const MAX_PARAM_BYTES: usize = 2048;

/// A request that hit a known tracker endpoint, with the identifying parameters it sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerHit {
    /// Stable endpoint name, e.g. `ga4-collect`, `meta-pixel`.
    pub endpoint: String,
    /// The site/property identifier sent (GA4 measurement id, pixel id, partner id, ...).
    pub site_id: Option<String>,
    /// The page address sent (GA `dl`, Meta `dl`, ...).
    pub page: Option<String>,
    /// The referring page address sent (`dr`, `rl`, ...).
    pub referrer: Option<String>,
    /// The event name sent (`en`, `ev`, ...).
    pub event: Option<String>,
}

/// One known endpoint: where it is, and which parameters mean what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Stable name (lower-case ASCII, digits, dashes); several entries may share one.
    pub name: String,
    /// Hosts: each matches itself and its sub-domains.
    pub hosts: Vec<String>,
    /// Path prefix, ending at a segment boundary; empty: any path.
    pub path: String,
    /// Parameters naming the site or property; the first one present wins.
    pub site_id: Vec<String>,
    /// Parameters carrying the page address.
    pub page: Vec<String>,
    /// Parameters carrying the referring page address.
    pub referrer: Vec<String>,
    /// Parameters carrying the event name.
    pub event: Vec<String>,
    /// Where the facts come from.
    pub source: String,
    /// `file:line` of its `[[endpoint]]` header.
    pub origin: String,
}

impl Endpoint {
    fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = self.hosts.iter().any(|h| {
            host == h
                || host
                    .strip_suffix(h.as_str())
                    .is_some_and(|p| p.ends_with('.'))
        });
        host_ok
            && path.strip_prefix(self.path.as_str()).is_some_and(|rest| {
                self.path.is_empty() || rest.is_empty() || rest.starts_with('/')
            })
    }
}

/// The endpoints of one signatures layer, in file order: the first that matches decides.
#[derive(Debug, Default)]
pub struct Endpoints {
    list: Vec<Endpoint>,
    /// (host, path) → `file:line` of its first entry, to report duplicates.
    origins: HashMap<(String, String), String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointsFile {
    #[serde(default)]
    endpoint: Vec<Spanned<EndpointRaw>>,
}

type Params = Option<Spanned<Vec<Spanned<String>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointRaw {
    name: Text,
    hosts: Option<Spanned<Vec<Spanned<String>>>>,
    path: Text,
    site_id: Params,
    page: Params,
    referrer: Params,
    event: Params,
    source: Text,
}

impl Endpoints {
    /// The tracker endpoint `url` (on `host`, lower case) hits, with its decoded parameters.
    pub fn classify(&self, host: &str, url: &str) -> Option<TrackerHit> {
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path_query = after_scheme
            .find('/')
            .and_then(|i| after_scheme.get(i..))
            .unwrap_or("/");
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        let e = self.list.iter().find(|e| e.matches(host, path))?;
        let params = query_params(query);
        let pick = |names: &[String]| {
            names
                .iter()
                .find_map(|n| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
        };
        Some(TrackerHit {
            endpoint: e.name.clone(),
            site_id: pick(&e.site_id),
            page: pick(&e.page),
            referrer: pick(&e.referrer),
            event: pick(&e.event),
        })
    }

    /// Every endpoint, in file order.
    pub fn list(&self) -> &[Endpoint] {
        &self.list
    }

    /// Endpoints checked before (the built-in set, compiled by the build script); the
    /// duplicate check's bookkeeping is not needed any more.
    pub(super) fn from_list(list: Vec<Endpoint>) -> Endpoints {
        Endpoints {
            list,
            origins: HashMap::new(),
        }
    }

    /// Read and check one `endpoints/*.toml` file.
    pub(super) fn add_file(&mut self, ck: &mut Checker<'_>) {
        let Some(file) = ck.parse::<EndpointsFile>() else {
            return;
        };
        if file.endpoint.is_empty() {
            ck.problem(0, "no [[endpoint]] table");
        }
        for e in file.endpoint {
            self.add(ck, e);
        }
    }

    fn add(&mut self, ck: &mut Checker<'_>, e: Spanned<EndpointRaw>) {
        let at = e.span().start;
        let raw = e.into_inner();
        let name_at = raw.name.as_ref().map_or(at, |n| n.span().start);
        let name = ck.required(raw.name, "name", at);
        if let Some(n) = &name
            && !n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            ck.problem(
                name_at,
                format!("endpoint name {n:?}: lower-case letters, digits and dashes only"),
            );
        }
        let hosts = ck.domains(raw.hosts, "hosts", at);
        let path = path(ck, raw.path);
        let params = [raw.site_id, raw.page, raw.referrer, raw.event].map(|p| params(ck, p));
        let source = ck.required(raw.source, "source", at);
        let mut kept = Vec::new();
        for h in hosts.into_iter().filter(|_| path.is_some()) {
            let key = (h.get_ref().clone(), path.clone().unwrap_or_default());
            match self.origins.get(&key) {
                Some(first) => ck.problem(
                    h.span().start,
                    format!(
                        "duplicate endpoint {:?} path {:?} (first at {first})",
                        key.0, key.1
                    ),
                ),
                None => {
                    self.origins.insert(key, ck.at(h.span().start));
                    kept.push(h.into_inner());
                }
            }
        }
        let (Some(name), Some(path), Some(source)) = (name, path, source) else {
            return;
        };
        let [site_id, page, referrer, event] = params;
        self.list.push(Endpoint {
            name,
            hosts: kept,
            path,
            site_id,
            page,
            referrer,
            event,
            source,
            origin: ck.at(at),
        });
    }
}

/// The `path` key: absent or empty for any path, else `/…` without query or fragment.
fn path(ck: &mut Checker<'_>, raw: Text) -> Option<String> {
    let Some(p) = raw else {
        return Some(String::new());
    };
    let at = p.span().start;
    let p = p.into_inner();
    if !p.is_empty() && (!p.starts_with('/') || p.contains(['?', '#'])) {
        ck.problem(
            at,
            format!("path {p:?}: starts with `/`, without query or fragment"),
        );
        return None;
    }
    Some(p)
}

/// A list of query parameter names (absent: none); empty names are problems.
fn params(ck: &mut Checker<'_>, raw: Params) -> Vec<String> {
    let mut out = Vec::new();
    for p in raw.map(Spanned::into_inner).unwrap_or_default() {
        if p.get_ref().is_empty() {
            ck.problem(p.span().start, "empty parameter name");
        } else {
            out.push(p.into_inner());
        }
    }
    out
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
#[path = "endpoints_tests.rs"]
mod tests;
