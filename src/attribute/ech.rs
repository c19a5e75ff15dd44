//! Encrypted Client Hello: whether a hello's ECH extension hid the destination (real ECH) or was
//! a decoy (GREASE, which Chrome sends on every hello), and so which name a flow counts for.
//!
//! The flow layer notes what the capture shows ([`EchSeen`]); the decision is policy: the outer
//! SNI is a known ECH provider's public name, or the device resolved another name whose DNS
//! answer carried an ECH configuration. Then the SNI is a cover name and the destination is the
//! name the device resolved.

use crate::observation::{Ech, EchSeen, FlowSummary, Via};

/// Public names of ECH providers: an outer SNI equal to one of these hides the destination.
pub const ECH_PUBLIC_NAMES: &[&str] = &["cloudflare-ech.com", "cover.defo.ie"];

/// Real ECH or GREASE, from what the hello and the device's DNS answers showed.
pub fn decide(seen: &EchSeen) -> Ech {
    let known_public = seen
        .outer_sni
        .as_deref()
        .is_some_and(|o| ECH_PUBLIC_NAMES.contains(&o));
    if known_public || seen.resolved_has_ech_config {
        Ech::Real
    } else {
        Ech::Grease
    }
}

/// The name a flow counts for, how it was learned, and its ECH state: real ECH hides the
/// destination, so the name the device resolved stands for it instead of the outer SNI.
pub fn destination(f: &FlowSummary) -> (&str, Via, Option<Ech>) {
    let ech = f.ech.as_ref().map(decide);
    match (&f.ech, ech) {
        (
            Some(EchSeen {
                resolved: Some(resolved),
                ..
            }),
            Some(Ech::Real),
        ) => (resolved, Via::DnsCache, ech),
        _ => (&f.name, f.via, ech),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::{DeviceId, FlowKey, Proto};
    use crate::time::Timestamp;

    fn seen(outer: &str, resolved: Option<&str>, config: bool) -> EchSeen {
        EchSeen {
            outer_sni: Some(outer.into()),
            resolved: resolved.map(Into::into),
            resolved_has_ech_config: config,
        }
    }

    fn summary(name: &str, ech: Option<EchSeen>) -> FlowSummary {
        let client = "10.0.0.1:5000".parse().unwrap();
        FlowSummary {
            key: FlowKey {
                proto: Proto::Tcp,
                client,
                server: "10.0.0.2:443".parse().unwrap(),
            },
            device: DeviceId::Ip(client.ip()),
            first: Timestamp(0),
            last: Timestamp(1),
            bytes_up: 0,
            bytes_down: 0,
            packets_up: 1,
            packets_down: 1,
            name: name.into(),
            via: Via::Tls,
            ech,
            quic_unreadable: None,
            dns: false,
        }
    }

    #[test]
    fn provider_names_and_dns_ech_configs_make_it_real() {
        assert_eq!(decide(&seen("cloudflare-ech.com", None, false)), Ech::Real);
        assert_eq!(
            decide(&seen("cover.example", Some("crypto.example"), true)),
            Ech::Real
        );
        assert_eq!(
            decide(&seen("www.example", Some("cdn.example"), false)),
            Ech::Grease
        );
        assert_eq!(decide(&EchSeen::default()), Ech::Grease);
    }

    #[test]
    fn a_real_hello_counts_for_the_resolved_name() {
        let real = summary(
            "cloudflare-ech.com",
            Some(seen("cloudflare-ech.com", Some("crypto.example"), false)),
        );
        assert_eq!(
            destination(&real),
            ("crypto.example", Via::DnsCache, Some(Ech::Real))
        );
        let nothing_resolved = summary(
            "cloudflare-ech.com",
            Some(seen("cloudflare-ech.com", None, false)),
        );
        assert_eq!(
            destination(&nothing_resolved),
            ("cloudflare-ech.com", Via::Tls, Some(Ech::Real))
        );
        let grease = summary(
            "www.example",
            Some(seen("www.example", Some("cdn.example"), false)),
        );
        assert_eq!(
            destination(&grease),
            ("www.example", Via::Tls, Some(Ech::Grease))
        );
        assert_eq!(
            destination(&summary("www.example", None)),
            ("www.example", Via::Tls, None)
        );
    }
}
