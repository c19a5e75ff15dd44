//! The rules: party, CNAME cloaking, hidden traffic and declared third parties.

use super::attributor::{Attributor, Match};
use super::locality::{is_lan_addr, is_local_name, under};
use super::name::{Host, normalize};
use super::{Attribution, Category, Cloaking, Facts, Hidden, Party};
use crate::observation::{Ech, Proto, Via};

/// DNS over TLS (TCP) and DNS over QUIC (UDP) port (RFC 7858, RFC 9250).
pub const DOT_PORT: u16 = 853;
/// The HTTPS port DoH resolvers answer on.
pub const HTTPS_PORT: u16 = 443;
/// UDP ports of VPN-like tunnels: WireGuard, OpenVPN, IKE, IPsec NAT traversal.
pub const VPN_UDP_PORTS: [u16; 4] = [51820, 1194, 500, 4500];
/// iCloud Private Relay's lookup names (the device then speaks QUIC to the relays).
pub const PRIVATE_RELAY_NAMES: [&str; 2] = ["mask.icloud.com", "mask-h2.icloud.com"];
/// Well-known DoH endpoints (with subdomains), recognised even without a `dns-resolver` signature.
pub const DOH_HOSTS: [&str; 9] = [
    "dns.google",
    "cloudflare-dns.com",
    "dns.quad9.net",
    "doh.opendns.com",
    "dns.nextdns.io",
    "doh.dns.apple.com",
    "dns.adguard-dns.com",
    "doh.mullvad.net",
    "doh.cleanbrowsing.org",
];

/// A CNAME chain that reaches `m` hides a tracker behind the name that was asked for.
///
/// Only names flagged `cloaking_target` count: a tracker's own collection domains that it
/// documents (or research found) as CNAME targets behind its customers' names. A tracking
/// category alone is not enough: the chain of `www.weibo.com` ends at CDNetworks'
/// `www.weibo.com.cdngc.net`, and `cdngc.net` once stood in a session-replay signature (a
/// Clicktale host was served from it), which made a plain CDN customer a "cloaked
/// session-replay" finding. An accusation against the site needs the tracker's own domain.
fn is_cloaking_target(m: &Match<'_>) -> bool {
    m.service.cloaking_target
}

impl Attributor {
    /// Attribute one contact.
    ///
    /// Party rules, first that applies: third when cloaked (checked for every name); local
    /// when the name only exists on the local network, the contact was seen over mDNS/LLMNR,
    /// or it has no name and its address is on the LAN; first when the name is in the site
    /// profile's first-party set; os-background when the matched service's category is
    /// os-background; third for every other name (known or not); unknown for an internet
    /// address literal without a name. Between first and os-background: a name a browser file
    /// lists is os-background, or background-or-site when sites embed it too. The server
    /// addresses of a name never decide its party: a public name resolved to a private address
    /// keeps its attribution.
    pub fn attribute(&self, facts: &Facts<'_>) -> Attribution {
        let mut a = Attribution::unknown();
        let host = normalize(facts.name);
        let name = match &host {
            Host::Name(h) => Some(h.as_str()),
            _ => None,
        };
        let own = name.and_then(|h| self.lookup_host(h).map(|m| (m, self.matched(h))));
        let first = name.and_then(|h| self.site.as_ref()?.first_party(h));
        if let Some((m, matched)) = &own {
            fill(&mut a, m, matched.clone());
        } else if let (Some(d), Some(site)) = (first, &self.site) {
            a.org = Some(site.facts.owner.clone());
            a.matched = Some(d.to_owned());
        }
        let cloak = name.and_then(|h| self.cloaking(h, own.as_ref().map(|(m, _)| m), facts));
        a.party = if let Some((target, matched, cloaking)) = cloak {
            fill(&mut a, &target, matched);
            a.cloaked = Some(cloaking);
            Party::Third
        } else if is_local(&host, facts) {
            Party::Local
        } else if first.is_some() {
            Party::First
        } else if let Some(bg) = name.and_then(|h| self.background(h)) {
            a.browser_background = Some(bg.browsers_text());
            if bg.possibly_site {
                Party::BackgroundOrSite
            } else {
                Party::OsBackground
            }
        } else if a.category == Some(Category::OsBackground) {
            Party::OsBackground
        } else if name.is_some() {
            Party::Third
        } else {
            Party::Unknown
        };
        a.hidden = hidden(name, own.as_ref().map(|(m, _)| m), facts);
        if matches!(
            a.party,
            Party::Third | Party::OsBackground | Party::BackgroundOrSite
        ) {
            a.declared = self.declared(name, &a);
        }
        a
    }

    fn matched(&self, host: &str) -> Option<String> {
        self.layers
            .iter()
            .find_map(|l| l.signatures.lookup(host).map(|(d, _)| d.to_owned()))
    }

    /// The tracker a CNAME chain reaches, when the contacted name is not that tracker's own.
    fn cloaking(
        &self,
        host: &str,
        own: Option<&Match<'_>>,
        facts: &Facts<'_>,
    ) -> Option<(Match<'_>, Option<String>, Cloaking)> {
        for (i, link) in facts.cname_chain.iter().enumerate() {
            let Host::Name(target) = normalize(link) else {
                continue;
            };
            let Some(m) = self.lookup_host(&target) else {
                continue;
            };
            if !is_cloaking_target(&m) {
                continue;
            }
            let same_org = own.is_some_and(|o| {
                std::ptr::eq(o.service, m.service)
                    || (o.org_name().is_some() && o.org_name() == m.org_name())
            });
            if same_org {
                return None;
            }
            let mut chain = vec![host.to_owned()];
            chain.extend(facts.cname_chain.iter().take(i + 1).cloned());
            let matched = self.matched(&target);
            return Some((m, matched, Cloaking { chain, target }));
        }
        None
    }

    /// The reference of the site's `[[allowed]]` entry covering this contact.
    fn declared(&self, name: Option<&str>, a: &Attribution) -> Option<String> {
        let site = self.site.as_ref()?;
        let target = a.cloaked.as_ref().map(|c| c.target.as_str());
        let by_name = [name, target]
            .into_iter()
            .flatten()
            .find_map(|h| site.allowed(h));
        let by_org = || {
            let org = a.org.as_deref()?;
            let (_, i) = self.declared_orgs.iter().find(|(o, _)| o == org)?;
            site.all_allowed().get(*i)
        };
        by_name.or_else(by_org).map(|e| e.reference.clone())
    }
}

fn fill(a: &mut Attribution, m: &Match<'_>, matched: Option<String>) {
    a.org = m.org_name().map(str::to_owned);
    a.service = Some(m.service.name.clone());
    a.category = Some(m.service.category);
    a.matched = matched;
}

/// Local by the name alone (or by the address when there is no name); never by the server
/// addresses of a name (see [`super::locality`]).
fn is_local(host: &Host, facts: &Facts<'_>) -> bool {
    facts.local
        || match host {
            Host::Ip(ip) => is_lan_addr(*ip),
            Host::Name(h) => is_local_name(h),
            Host::Invalid => false,
        }
}

/// Why the capture could not see (all of) this contact; the most hiding reason first.
fn hidden(name: Option<&str>, own: Option<&Match<'_>>, facts: &Facts<'_>) -> Option<Hidden> {
    let udp = |p: u16| facts.server_ports.contains(&(Proto::Udp, p));
    let tcp = |p: u16| facts.server_ports.contains(&(Proto::Tcp, p));
    if VPN_UDP_PORTS.iter().any(|&p| udp(p)) {
        return Some(Hidden::Vpn);
    }
    let relay_service = own.is_some_and(|m| {
        m.service
            .name
            .to_ascii_lowercase()
            .contains("private relay")
    });
    if relay_service || name.is_some_and(|h| PRIVATE_RELAY_NAMES.iter().any(|r| under(h, r))) {
        return Some(Hidden::PrivateRelay);
    }
    if tcp(DOT_PORT) || udp(DOT_PORT) {
        return Some(Hidden::DnsOverTls);
    }
    let resolver = own.is_some_and(|m| m.service.category == Category::DnsResolver)
        || name.is_some_and(|h| DOH_HOSTS.iter().any(|d| under(h, d)));
    let encrypted = facts.via.contains(&Via::Tls)
        || facts.via.contains(&Via::Quic)
        || tcp(HTTPS_PORT)
        || udp(HTTPS_PORT);
    if resolver && encrypted {
        return Some(Hidden::DnsOverHttps);
    }
    if facts.ech == Some(Ech::Real) {
        return Some(Hidden::Ech);
    }
    facts.quic_unreadable.then_some(Hidden::QuicUnreadable)
}
