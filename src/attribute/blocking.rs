//! Blocked lookups: when a DNS answer shows the network stopped the device from reaching a name.
//!
//! DNS blockers answer in a few documented ways: Pi-hole (`dns.blocking.mode`: NULL, the
//! default, answers 0.0.0.0 / `::`; also NXDOMAIN, NODATA, or its own address in IP modes),
//! AdGuard Home (`blocking_mode`: default and null_ip answer 0.0.0.0 / `::`, also refused,
//! nxdomain, custom_ip), NextDNS (0.0.0.0 / `::` unless its block page is on), hosts-file lists
//! (127.0.0.1 or 0.0.0.0). An attempt the network blocked is still a finding: the page asked
//! for the name. Answers that point at a block page on a private address cannot be told from
//! split-horizon DNS; such names are reported as resolved to a private address instead.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::locality::is_sinkhole_addr;

/// DNS QTYPE of an IPv4 address question.
pub const QTYPE_A: u16 = 1;
/// DNS QTYPE of an IPv6 address question.
pub const QTYPE_AAAA: u16 = 28;
/// DNS QTYPE of a SVCB question (RFC 9460).
pub const QTYPE_SVCB: u16 = 64;
/// DNS QTYPE of an HTTPS question (RFC 9460; Chromium and Firefox ask it beside A/AAAA).
pub const QTYPE_HTTPS: u16 = 65;
/// RCODE: no error.
pub const RCODE_NOERROR: u8 = 0;
/// RCODE: the name does not exist.
pub const RCODE_NXDOMAIN: u8 = 3;
/// RCODE: the server refuses to answer.
pub const RCODE_REFUSED: u8 = 5;

/// How the network stopped a lookup, weakest evidence first (a contact keeps the strongest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Blocked {
    /// NOERROR without any record for an A question (Pi-hole's NODATA mode): the name has no
    /// IPv4 address the device could use.
    Nodata,
    /// NXDOMAIN: a blocker's answer, or a name that does not exist at all.
    Nxdomain,
    /// REFUSED (AdGuard Home's refused mode, dnscrypt-proxy): the resolver would not answer.
    Refused,
    /// Every address in the answer is 0.0.0.0, `::`, 127.0.0.0/8 or `::1`.
    Sinkhole,
}

impl Blocked {
    /// The word used in every output format (`sinkhole`).
    pub fn as_str(self) -> &'static str {
        match self {
            Blocked::Nodata => "nodata",
            Blocked::Nxdomain => "nxdomain",
            Blocked::Refused => "refused",
            Blocked::Sinkhole => "sinkhole",
        }
    }
}

/// What one DNS answer says about reaching its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerVerdict {
    /// A usable address: the name was reachable (clears any earlier block).
    Resolved,
    /// The lookup was stopped.
    Blocked(Blocked),
    /// Says nothing either way (an empty AAAA or HTTPS answer, SERVFAIL, a PTR question).
    Silent,
}

/// What one DNS answer to one question said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerFacts<'a> {
    /// Question type.
    pub qtype: u16,
    /// Response code.
    pub rcode: u8,
    /// The RA bit: a recursive resolver answered (an authoritative server's referral to a
    /// resolver also has no answer records, but is no NODATA).
    pub recursion_available: bool,
    /// Records in the answer section.
    pub answers: usize,
    /// The A/AAAA addresses among them.
    pub addresses: &'a [IpAddr],
}

/// Judge one answer.
///
/// Only questions a device asks before connecting count (A, AAAA, SVCB, HTTPS): an NXDOMAIN for
/// a PTR or TXT question says nothing about reaching a server. An empty NOERROR answer counts
/// only for A, and only from a recursive resolver: many real names have no IPv6 address,
/// Chromium's HTTPS questions are mostly answered empty, and a referral is empty too.
pub fn judge_answer(a: &AnswerFacts<'_>) -> AnswerVerdict {
    if !matches!(a.qtype, QTYPE_A | QTYPE_AAAA | QTYPE_SVCB | QTYPE_HTTPS) {
        return AnswerVerdict::Silent;
    }
    match a.rcode {
        RCODE_NXDOMAIN => AnswerVerdict::Blocked(Blocked::Nxdomain),
        RCODE_REFUSED => AnswerVerdict::Blocked(Blocked::Refused),
        RCODE_NOERROR => {
            if a.addresses.iter().any(|ip| !is_sinkhole_addr(*ip)) {
                AnswerVerdict::Resolved
            } else if !a.addresses.is_empty() {
                AnswerVerdict::Blocked(Blocked::Sinkhole)
            } else if a.answers == 0 && a.qtype == QTYPE_A && a.recursion_available {
                AnswerVerdict::Blocked(Blocked::Nodata)
            } else {
                AnswerVerdict::Silent
            }
        }
        _ => AnswerVerdict::Silent,
    }
}

/// The name of a question type for people (`A`, `AAAA`, `HTTPS`, or the number).
pub fn qtype_word(qtype: u16) -> String {
    match qtype {
        QTYPE_A => "A".to_owned(),
        QTYPE_AAAA => "AAAA".to_owned(),
        QTYPE_SVCB => "SVCB".to_owned(),
        QTYPE_HTTPS => "HTTPS".to_owned(),
        other => format!("TYPE{other}"),
    }
}

/// The name of a response code for people (`NOERROR`, `NXDOMAIN`, ..., RFC 1035 / RFC 6895).
pub fn rcode_word(rcode: u8) -> String {
    match rcode {
        RCODE_NOERROR => "NOERROR".to_owned(),
        1 => "FORMERR".to_owned(),
        2 => "SERVFAIL".to_owned(),
        RCODE_NXDOMAIN => "NXDOMAIN".to_owned(),
        4 => "NOTIMP".to_owned(),
        RCODE_REFUSED => "REFUSED".to_owned(),
        other => format!("RCODE{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().filter_map(|s| s.parse().ok()).collect()
    }

    /// The verdict on an answer from a recursive resolver.
    fn v(qtype: u16, rcode: u8, answers: usize, addresses: &[&str]) -> AnswerVerdict {
        let addresses = ips(addresses);
        judge_answer(&AnswerFacts {
            qtype,
            rcode,
            recursion_available: true,
            answers,
            addresses: &addresses,
        })
    }

    #[test]
    fn blocker_answers_are_blocked() {
        // Pi-hole NULL mode / AdGuard Home default / NextDNS.
        let sinkhole = AnswerVerdict::Blocked(Blocked::Sinkhole);
        assert_eq!(v(QTYPE_A, 0, 1, &["0.0.0.0"]), sinkhole);
        assert_eq!(v(QTYPE_AAAA, 0, 1, &["::"]), sinkhole);
        // hosts-file lists.
        assert_eq!(v(QTYPE_A, 0, 1, &["127.0.0.1"]), sinkhole);
        assert_eq!(v(QTYPE_AAAA, 0, 1, &["::1"]), sinkhole);
        let nx = AnswerVerdict::Blocked(Blocked::Nxdomain);
        assert_eq!(v(QTYPE_A, RCODE_NXDOMAIN, 0, &[]), nx);
        assert_eq!(v(QTYPE_HTTPS, RCODE_NXDOMAIN, 0, &[]), nx);
        let refused = AnswerVerdict::Blocked(Blocked::Refused);
        assert_eq!(v(QTYPE_AAAA, RCODE_REFUSED, 0, &[]), refused);
        // Pi-hole NODATA mode: only the A question tells.
        let nodata = AnswerVerdict::Blocked(Blocked::Nodata);
        assert_eq!(v(QTYPE_A, 0, 0, &[]), nodata);
        // The same empty answer from an authoritative server is a referral.
        let referral = AnswerFacts {
            qtype: QTYPE_A,
            rcode: 0,
            recursion_available: false,
            answers: 0,
            addresses: &[],
        };
        assert_eq!(judge_answer(&referral), AnswerVerdict::Silent);
    }

    #[test]
    fn ordinary_answers_are_not_blocked() {
        assert_eq!(
            v(QTYPE_A, 0, 1, &["93.184.216.34"]),
            AnswerVerdict::Resolved
        );
        // Split-horizon DNS: a private address is an answer, not a block.
        assert_eq!(v(QTYPE_A, 0, 1, &["10.0.113.20"]), AnswerVerdict::Resolved);
        // A real address beside a sinkhole one is reachable.
        assert_eq!(
            v(QTYPE_A, 0, 2, &["0.0.0.0", "93.184.216.34"]),
            AnswerVerdict::Resolved
        );
        // Chromium's HTTPS question answered NOERROR and empty; a name without IPv6.
        assert_eq!(v(QTYPE_HTTPS, 0, 0, &[]), AnswerVerdict::Silent);
        assert_eq!(v(QTYPE_AAAA, 0, 0, &[]), AnswerVerdict::Silent);
        // A CNAME to a name without an IPv4 address.
        assert_eq!(v(QTYPE_A, 0, 1, &[]), AnswerVerdict::Silent);
        // SERVFAIL is a failure, not a policy; PTR/TXT questions never count.
        assert_eq!(v(QTYPE_A, 2, 0, &[]), AnswerVerdict::Silent);
        assert_eq!(v(12, RCODE_NXDOMAIN, 0, &[]), AnswerVerdict::Silent);
        assert_eq!(v(16, RCODE_REFUSED, 0, &[]), AnswerVerdict::Silent);
    }

    #[test]
    fn strongest_evidence_orders_last() {
        assert!(Blocked::Sinkhole > Blocked::Refused);
        assert!(Blocked::Refused > Blocked::Nxdomain);
        assert!(Blocked::Nxdomain > Blocked::Nodata);
        assert_eq!(rcode_word(3), "NXDOMAIN");
        assert_eq!(qtype_word(65), "HTTPS");
        assert_eq!(qtype_word(99), "TYPE99");
    }
}
