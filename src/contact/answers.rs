//! What DNS answers and flows said about reaching a contact's name: lookups a DNS blocker
//! stopped, and public names that resolved to private addresses.
//!
//! A contact is blocked while every answer that said anything stopped it; one usable address
//! (in any answer, or as the server of any flow) makes it reachable for good, whatever came
//! before or after, so the order of answers never changes the result. Of several blocking
//! answers the strongest evidence is kept (a sinkhole over NXDOMAIN over NODATA).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Contact, Scope};
use crate::attribute::blocking::{QTYPE_A, qtype_word, rcode_word};
use crate::attribute::{
    AnswerFacts, AnswerVerdict, is_private_addr, is_sinkhole_addr, judge_answer,
};
use crate::observation::Via;
use crate::time::Timestamp;

/// The DNS answer behind a contact's `blocked`: the evidence that the network stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedAnswer {
    /// When the answer arrived (RFC 3339 UTC, microseconds).
    pub time: String,
    /// The resolver that answered.
    pub resolver: IpAddr,
    /// Question type: `A`, `AAAA`, `HTTPS`, `SVCB`.
    pub qtype: String,
    /// Response code: `NOERROR` (with sinkhole addresses or none), `NXDOMAIN`, `REFUSED`.
    pub rcode: String,
    /// The addresses the answer gave (empty for NXDOMAIN, REFUSED and NODATA).
    pub addresses: Vec<IpAddr>,
}

impl BlockedAnswer {
    /// One line for people: `A 0.0.0.0 from 192.168.1.1` or `NXDOMAIN (A) from 192.168.1.1`.
    pub fn summary(&self) -> String {
        if self.addresses.is_empty() {
            format!("{} ({}) from {}", self.rcode, self.qtype, self.resolver)
        } else {
            let list: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
            format!("{} {} from {}", self.qtype, list.join(" "), self.resolver)
        }
    }
}

/// One DNS answer to the device's question about `c` (see [`crate::observation`]).
pub(super) struct Answer<'a> {
    pub ts: Timestamp,
    pub resolver: IpAddr,
    pub qtype: u16,
    pub rcode: u8,
    pub recursion_available: bool,
    pub answers: u16,
    pub addresses: &'a [IpAddr],
}

/// Take one DNS answer for `c`.
pub(super) fn answer(c: &mut Contact, a: &Answer<'_>) {
    c.via.insert(Via::Dns);
    if c.scope == Scope::Local {
        // A local-only name that does not resolve is ordinary, not a blocker's doing.
        return;
    }
    c.resolved_private |= a.addresses.iter().any(|ip| is_private_addr(*ip));
    let facts = AnswerFacts {
        qtype: a.qtype,
        rcode: a.rcode,
        recursion_available: a.recursion_available,
        answers: usize::from(a.answers),
        addresses: a.addresses,
    };
    match judge_answer(&facts) {
        AnswerVerdict::Resolved => reachable(c),
        AnswerVerdict::Blocked(kind) => {
            // The strongest evidence; among equals the A question's, which people read first.
            let better = c.blocked.is_none_or(|b| kind > b)
                || (c.blocked == Some(kind)
                    && a.qtype == QTYPE_A
                    && c.blocked_answer.as_ref().is_some_and(|o| o.qtype != "A"));
            if !c.reachable && better {
                c.blocked = Some(kind);
                c.blocked_answer = Some(BlockedAnswer {
                    time: a.ts.rfc3339(),
                    resolver: a.resolver,
                    qtype: qtype_word(a.qtype),
                    rcode: rcode_word(a.rcode),
                    addresses: a.addresses.to_vec(),
                });
            }
        }
        AnswerVerdict::Silent => {}
    }
}

/// A flow of `c` reached `server`.
pub(super) fn reached(c: &mut Contact, server: IpAddr) {
    if c.scope == Scope::Internet && is_private_addr(server) {
        c.resolved_private = true;
    }
    if !is_sinkhole_addr(server) {
        reachable(c);
    }
}

fn reachable(c: &mut Contact) {
    c.reachable = true;
    c.blocked = None;
    c.blocked_answer = None;
}

impl Contact {
    /// The contact turned out to be on the local network (an mDNS/LLMNR query for it): what
    /// only matters for public names no longer applies.
    pub(super) fn make_local(&mut self) {
        self.scope = Scope::Local;
        self.resolved_private = false;
        self.blocked = None;
        self.blocked_answer = None;
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use super::super::{Contacts, Scope};
    use crate::attribute::Blocked;
    use crate::observation::{DeviceId, FlowKey, FlowSummary, Observation, Proto, Via};
    use crate::time::Timestamp;

    const PHONE: DeviceId = DeviceId::Mac([2, 0, 0, 0, 0, 7]);
    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7));
    const RESOLVER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1));

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn answer(ms: u64, name: &str, qtype: u16, rcode: u8, addresses: &[&str]) -> Observation {
        Observation::DnsAnswer {
            ts: Timestamp(ms * 1_000_000),
            device: PHONE,
            client: CLIENT,
            resolver: RESOLVER,
            name: name.to_owned(),
            qtype,
            rcode,
            recursion_available: true,
            answers: u16::try_from(addresses.len()).unwrap_or(0),
            addresses: addresses.iter().map(|a| ip(a)).collect(),
        }
    }

    fn flow(ms: u64, name: &str, server: &str) -> Observation {
        Observation::FlowEnd(FlowSummary {
            key: FlowKey {
                proto: Proto::Tcp,
                client: SocketAddr::new(CLIENT, 50_000),
                server: SocketAddr::new(ip(server), 443),
            },
            device: PHONE,
            first: Timestamp(ms * 1_000_000),
            last: Timestamp((ms + 10) * 1_000_000),
            bytes_up: 100,
            bytes_down: 100,
            packets_up: 1,
            packets_down: 1,
            name: name.to_owned(),
            via: Via::Tls,
            ech: None,
            quic_unreadable: None,
            dns: false,
        })
    }

    /// (blocked, blocked answer's qtype and rcode, resolved_private, scope) of `name`.
    fn outcome(
        obs: &[Observation],
        name: &str,
    ) -> (Option<Blocked>, Option<(String, String)>, bool, Scope) {
        let mut contacts = Contacts::default();
        for o in obs {
            contacts.observe(o);
        }
        let list = contacts.sorted();
        let Some(c) = list.iter().find(|c| c.name == name) else {
            return (None, None, false, Scope::Internet);
        };
        let answer = c
            .blocked_answer
            .as_ref()
            .map(|a| (a.qtype.clone(), a.rcode.clone()));
        (c.blocked, answer, c.resolved_private, c.scope)
    }

    #[test]
    fn a_blockers_answers_make_a_blocked_contact() {
        let name = "www.google-analytics.com";
        // Pi-hole / AdGuard Home default: 0.0.0.0 and ::, an empty HTTPS answer beside.
        let (b, ans, private, scope) = outcome(
            &[
                answer(1, name, 65, 0, &[]),
                answer(2, name, 28, 0, &["::"]),
                answer(3, name, 1, 0, &["0.0.0.0"]),
            ],
            name,
        );
        assert_eq!(b, Some(Blocked::Sinkhole));
        assert_eq!(ans, Some(("A".to_owned(), "NOERROR".to_owned())));
        assert!(!private);
        assert_eq!(scope, Scope::Internet);
        let nx = outcome(
            &[answer(1, name, 1, 3, &[]), answer(2, name, 28, 3, &[])],
            name,
        );
        assert_eq!(nx.0, Some(Blocked::Nxdomain));
        let refused = outcome(&[answer(1, name, 1, 5, &[])], name);
        assert_eq!(refused.0, Some(Blocked::Refused));
        // Stronger evidence wins whatever the order.
        let mixed = outcome(
            &[answer(1, name, 1, 0, &[]), answer(2, name, 28, 0, &["::"])],
            name,
        );
        assert_eq!(mixed.0, Some(Blocked::Sinkhole));
    }

    #[test]
    fn a_usable_answer_or_flow_clears_a_block_in_any_order() {
        let name = "connect.facebook.net";
        // NXDOMAIN for AAAA but a real A answer: not blocked, before or after.
        let real = answer(2, name, 1, 0, &["157.240.1.35"]);
        let nx6 = answer(3, name, 28, 3, &[]);
        assert_eq!(outcome(&[real.clone(), nx6.clone()], name).0, None);
        assert_eq!(outcome(&[nx6.clone(), real], name).0, None);
        // A flow to a real address clears it too.
        let f = flow(5, name, "157.240.1.35");
        assert_eq!(outcome(&[nx6, f], name).0, None);
        // A Chromium HTTPS question answered empty says nothing.
        assert_eq!(outcome(&[answer(1, name, 65, 0, &[])], name).0, None);
    }

    #[test]
    fn public_names_on_private_addresses_stay_internet_and_say_so() {
        let name = "region1.google-analytics.com";
        let (b, _, private, scope) = outcome(
            &[
                answer(1, name, 1, 0, &["10.0.113.31"]),
                flow(2, name, "10.0.113.31"),
            ],
            name,
        );
        assert_eq!((b, private, scope), (None, true, Scope::Internet));
        // Reached at a private address without a DNS answer (SNI only): the same.
        let (_, _, private, scope) = outcome(&[flow(2, name, "fd00:113::31")], name);
        assert_eq!((private, scope), (true, Scope::Internet));
        // A public address says nothing.
        assert!(!outcome(&[flow(2, name, "142.250.74.46")], name).2);
        // No name at a LAN address is local, and not a "public name on a private address".
        let (_, _, private, scope) =
            outcome(&[flow(2, "10.0.113.31", "10.0.113.31")], "10.0.113.31");
        assert_eq!((private, scope), (false, Scope::Local));
    }

    #[test]
    fn local_only_names_are_never_blocked() {
        let (b, _, private, scope) = outcome(
            &[
                answer(1, "printer.lan", 1, 3, &[]),
                answer(2, "printer.lan", 1, 0, &["192.168.1.9"]),
            ],
            "printer.lan",
        );
        assert_eq!((b, private, scope), (None, false, Scope::Local));
        let (b, _, _, scope) = outcome(&[answer(1, "wpad", 1, 3, &[])], "wpad");
        assert_eq!((b, scope), (None, Scope::Local));
    }
}
