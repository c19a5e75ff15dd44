//! One converter per list format, each with its category mapping onto our vocabulary.

use serde_json::Value;

use super::{Builder, ImportError, ImportFormat, ImportOptions, Imported};
use crate::attribute::Category;

fn json(text: &str, format: &'static str) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|source| ImportError::Json {
        format,
        cause: source,
    })
}

/// Disconnect's category words → ours.
pub fn disconnect_category(word: &str) -> Option<Category> {
    Some(match word {
        "Advertising" => Category::Advertising,
        "Analytics"
        | "FingerprintingGeneral"
        | "FingerprintingInvasive"
        | "Email"
        | "EmailAggressive" => Category::Analytics,
        "Social" => Category::Social,
        "Content" => Category::Widget,
        "ConsentManagers" => Category::ConsentManagement,
        "Anti-fraud" => Category::CaptchaSecurity,
        _ => return None,
    })
}

/// Disconnect `services.json`: `{categories: {Cat: [{Org: {url: [domains], …}}]}}`.
pub fn disconnect(text: &str, opts: &ImportOptions) -> Result<Imported, ImportError> {
    const F: &str = "disconnect";
    let root = json(text, F)?;
    let cats = root
        .get("categories")
        .and_then(Value::as_object)
        .ok_or(ImportError::Shape {
            format: F,
            why: "no \"categories\" object",
        })?;
    // Name a service after its organisation, with the list's category when it has several.
    let mut per_org: std::collections::HashMap<&str, usize> = Default::default();
    for entries in cats.values().filter_map(Value::as_array) {
        for org in entries
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys())
        {
            *per_org.entry(org).or_default() += 1;
        }
    }
    let mut b = Builder::default();
    for (cat, entries) in cats {
        let category = disconnect_category(cat).unwrap_or(opts.default_category);
        for entry in entries.as_array().into_iter().flatten() {
            let Some(entry) = entry.as_object() else {
                b.unsupported();
                continue;
            };
            for (org, urls) in entry {
                let service = if per_org.get(org.as_str()).copied().unwrap_or(0) > 1 {
                    format!("{org} ({cat})")
                } else {
                    org.clone()
                };
                for (url, domains) in urls.as_object().into_iter().flatten() {
                    // Other keys ("performance": "true", "dnt": "eff") are flags, not domains.
                    for d in domains
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        b.add(Some(org), url, &service, category, d);
                    }
                }
            }
        }
    }
    Ok(b.finish(ImportFormat::Disconnect, opts))
}

/// DuckDuckGo category words → ours, most specific first.
pub const DDG_CATEGORIES: [(&str, Category); 21] = [
    ("Session Replay", Category::SessionReplay),
    ("Consent Management Platform", Category::ConsentManagement),
    ("Tag Manager", Category::TagManager),
    ("Federated Login", Category::IdentityLogin),
    ("SSO", Category::IdentityLogin),
    ("Fraud Prevention", Category::CaptchaSecurity),
    ("Social - Comment", Category::Social),
    ("Social - Share", Category::Social),
    ("Social Network", Category::Social),
    ("Action Pixels", Category::Advertising),
    ("Ad Motivated Tracking", Category::Advertising),
    ("Advertising", Category::Advertising),
    ("Ad Fraud", Category::Advertising),
    ("Audience Measurement", Category::Analytics),
    ("Third-Party Analytics Marketing", Category::Analytics),
    ("Analytics", Category::Analytics),
    ("Embedded Content", Category::Widget),
    ("Support Chat Widget", Category::Widget),
    ("Badge", Category::Widget),
    ("Online Payment", Category::Widget),
    ("CDN", Category::Cdn),
];

fn ddg_category(words: &[&str]) -> Option<Category> {
    DDG_CATEGORIES
        .iter()
        .find(|(w, _)| words.contains(w))
        .map(|(_, c)| *c)
}

/// DuckDuckGo Tracker Radar `tds.json`: `{trackers: {domain: {owner: {name, displayName}, categories}}}`.
pub fn ddg_tds(text: &str, opts: &ImportOptions) -> Result<Imported, ImportError> {
    const F: &str = "ddg-tds";
    let root = json(text, F)?;
    let trackers = root
        .get("trackers")
        .and_then(Value::as_object)
        .ok_or(ImportError::Shape {
            format: F,
            why: "no \"trackers\" object",
        })?;
    let mut b = Builder::default();
    for (domain, t) in trackers {
        let owner = t.get("owner");
        let org = owner.and_then(|o| o.get("name")).and_then(Value::as_str);
        let display = owner
            .and_then(|o| o.get("displayName"))
            .and_then(Value::as_str)
            .or(org)
            .unwrap_or(domain);
        let org_source = owner
            .and_then(|o| o.get("url").or_else(|| o.get("privacyPolicy")))
            .and_then(Value::as_str)
            .unwrap_or("DuckDuckGo Tracker Radar");
        let words: Vec<&str> = t
            .get("categories")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let category = ddg_category(&words).unwrap_or(opts.default_category);
        let service = format!("{display} ({})", category.as_str());
        b.add(org, org_source, &service, category, domain);
    }
    Ok(b.finish(ImportFormat::DdgTds, opts))
}

/// AdGuard companiesdb category words → ours.
pub fn adguard_category(word: &str) -> Option<Category> {
    Some(match word {
        "audio_video_player" => Category::Video,
        "comments" | "customer_interaction" => Category::Widget,
        "advertising" | "pornvertising" => Category::Advertising,
        "site_analytics" | "mobile_analytics" | "telemetry" | "email" => Category::Analytics,
        "social_media" => Category::Social,
        "cdn" | "hosting" => Category::Cdn,
        "consent" => Category::ConsentManagement,
        _ => return None,
    })
}

/// AdGuard `trackers.json`: `{categories: {id: word}, trackers: {id: {name, categoryId,
/// companyId}}, trackerDomains: {domain: tracker id}}`, names from `companies.json` if given.
pub fn adguard(text: &str, opts: &ImportOptions) -> Result<Imported, ImportError> {
    const F: &str = "adguard";
    let root = json(text, F)?;
    let companies = match &opts.companies {
        Some(c) => Some(json(c, "adguard companies")?),
        None => None,
    };
    let companies = companies.as_ref().and_then(|c| c.get("companies"));
    let trackers = root.get("trackers").and_then(Value::as_object);
    let domains = root.get("trackerDomains").and_then(Value::as_object);
    let (Some(trackers), Some(domains)) = (trackers, domains) else {
        return Err(ImportError::Shape {
            format: F,
            why: "no \"trackers\" and \"trackerDomains\" objects",
        });
    };
    let categories = root.get("categories");
    let mut b = Builder::default();
    for (domain, id) in domains {
        let Some(t) = id.as_str().and_then(|id| trackers.get(id)) else {
            b.unsupported();
            continue;
        };
        let name = t.get("name").and_then(Value::as_str).unwrap_or(domain);
        let word = t
            .get("categoryId")
            .map(|c| c.to_string())
            .and_then(|id| categories?.get(id.as_str())?.as_str());
        let category = word
            .and_then(adguard_category)
            .unwrap_or(opts.default_category);
        let company_id = t.get("companyId").and_then(Value::as_str);
        let company = company_id.and_then(|id| companies?.get(id));
        let org = company
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .or(company_id);
        let org_source = company
            .and_then(|c| c.get("websiteUrl"))
            .and_then(Value::as_str)
            .or_else(|| t.get("url").and_then(Value::as_str))
            .unwrap_or("AdGuard companiesdb");
        b.add(org, org_source, name, category, domain);
    }
    Ok(b.finish(ImportFormat::Adguard, opts))
}

/// Hosts-file names that are never trackers.
const HOSTS_IGNORED: [&str; 6] = [
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
];

fn unknown_service(opts: &ImportOptions) -> String {
    format!("Listed in {}", opts.list_name)
}

/// Hosts file: `0.0.0.0 a.example b.example # comment`; a line of only a name counts too.
pub fn hosts(text: &str, opts: &ImportOptions) -> Imported {
    let mut b = Builder::default();
    let service = unknown_service(opts);
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace().peekable();
        if words
            .peek()
            .is_some_and(|w| w.parse::<std::net::IpAddr>().is_ok())
        {
            words.next();
        }
        for w in words {
            if !HOSTS_IGNORED.contains(&w) {
                b.add(None, &opts.list_name, &service, opts.default_category, w);
            }
        }
    }
    b.finish(ImportFormat::Hosts, opts)
}

/// Options that keep a `||domain^` rule a plain block of the whole domain.
const ADBLOCK_PLAIN_OPTIONS: [&str; 4] = ["third-party", "3p", "important", "all"];

/// Adblock list: only `||domain^` rules (optionally `$third-party`/`$important`/`$all`).
pub fn adblock(text: &str, opts: &ImportOptions) -> Imported {
    let mut b = Builder::default();
    let service = unknown_service(opts);
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('!') || line.starts_with('[') {
            continue;
        }
        let Some(rule) = line.strip_prefix("||") else {
            b.unsupported();
            continue;
        };
        let (pattern, options) = rule.split_once('$').unwrap_or((rule, ""));
        let plain = options.is_empty()
            || options
                .split(',')
                .all(|o| ADBLOCK_PLAIN_OPTIONS.contains(&o));
        match pattern.strip_suffix('^') {
            Some(domain) if plain && !domain.contains(['/', '*']) => {
                b.add(
                    None,
                    &opts.list_name,
                    &service,
                    opts.default_category,
                    domain,
                );
            }
            _ => b.unsupported(),
        }
    }
    b.finish(ImportFormat::Adblock, opts)
}
