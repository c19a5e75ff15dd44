//! Observations: what the flow layer saw, before any policy is applied.
//!
//! The engine raises these; contacts, the extractor and sessions consume them, as Zeek's
//! analyzers raise events for scripts. This vocabulary is the contract between analyzers and
//! policy: it imports the wire types it carries, never an analyzer (`flow`, `decrypt`) or policy.

mod exchange;

pub use exchange::{
    Exchange, Exchanges, HttpVersion, MAX_COOKIE_FIELD_BYTES, MAX_COOKIES_SENT,
    MAX_PENDING_REQUESTS, MAX_SET_COOKIES, MAX_URL_BYTES, SameSite, SetCookie,
};

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::time::Timestamp;
use crate::wire::dns::Flavor;
use crate::wire::tls::ClientHello;

/// A client device: its MAC on Ethernet-like links, else its IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceId {
    /// Hardware address.
    Mac([u8; 6]),
    /// IP address, when the link has no MAC (raw IP, PPP, tunnels without Ethernet).
    Ip(IpAddr),
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceId::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            DeviceId::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl DeviceId {
    /// The [`Display`](fmt::Display) form, written by hand: every contact printed names its
    /// device, and six padded hex fields through `write!` cost about 1,500 instructions.
    pub fn text(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match self {
            DeviceId::Mac(m) => {
                let mut out = String::with_capacity(17);
                for (i, byte) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(':');
                    }
                    for nibble in [byte >> 4, byte & 0x0f] {
                        let digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
                        out.push(char::from(digit));
                    }
                }
                out
            }
            DeviceId::Ip(ip) => addr_text(*ip),
        }
    }
}

impl Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// Transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A flow seen from its client: who opened it, to which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Transport.
    pub proto: Proto,
    /// The side that opened the flow.
    pub client: SocketAddr,
    /// The side that was contacted.
    pub server: SocketAddr,
}

/// How a remote name became known.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// A DNS query for the name.
    Dns,
    /// A multicast DNS query (local network, not internet).
    Mdns,
    /// An LLMNR query (local network, not internet).
    Llmnr,
    /// TLS ClientHello SNI over TCP.
    Tls,
    /// TLS ClientHello SNI inside QUIC Initial packets.
    Quic,
    /// Plaintext HTTP Host header.
    Http,
    /// A flow without a name whose server address a DNS answer named.
    DnsCache,
    /// A flow with no name at all: only the server address is known.
    Ip,
}

impl Via {
    /// The stable lower-case word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Dns => "dns",
            Via::Mdns => "mdns",
            Via::Llmnr => "llmnr",
            Via::Tls => "tls",
            Via::Quic => "quic",
            Via::Http => "http",
            Via::DnsCache => "dns-cache",
            Via::Ip => "ip",
        }
    }

    /// The via word for a DNS-family flavor.
    pub fn for_flavor(flavor: Flavor) -> Via {
        match flavor {
            Flavor::Dns => Via::Dns,
            Flavor::Mdns => Via::Mdns,
            Flavor::Llmnr => Via::Llmnr,
        }
    }
}

/// Whether an Encrypted Client Hello hid the real destination (attribution decides it from
/// [`EchSeen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ech {
    /// The ECH extension was a decoy (GREASE): the SNI is the real destination.
    Grease,
    /// Real ECH: the SNI is the provider's public name, the destination is hidden.
    Real,
}

/// What the capture shows of a hello that carried the Encrypted Client Hello extension. Whether
/// it was real ECH or a decoy (GREASE) is policy's decision (`attribute::ech`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EchSeen {
    /// The hello's SNI (lower case, no trailing dot): the destination, or an ECH provider's
    /// public (cover) name.
    pub outer_sni: Option<String>,
    /// The name the device's own DNS answers gave the server address, if any.
    pub resolved: Option<String>,
    /// `resolved` differs from the outer SNI and the device's DNS answer for it carried an ECH
    /// configuration (an HTTPS record with `ech`).
    pub resolved_has_ech_config: bool,
}

/// One thing the engine saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A DNS, mDNS or LLMNR query.
    DnsQuery {
        /// Packet time.
        ts: Timestamp,
        /// The querying device.
        device: DeviceId,
        /// Source address of the query.
        client: IpAddr,
        /// Destination address (resolver or multicast group).
        server: IpAddr,
        /// Protocol family.
        flavor: Flavor,
        /// Query name, display form.
        name: String,
        /// Query type.
        qtype: u16,
    },
    /// A DNS answer resolved a name through CNAMEs (evidence for cloaked tracking).
    DnsChain {
        /// Packet time.
        ts: Timestamp,
        /// The device the answer went to.
        device: DeviceId,
        /// Its address.
        client: IpAddr,
        /// The name asked for (lower case).
        name: String,
        /// CNAME targets in order.
        chain: Vec<String>,
    },
    /// A unicast DNS response to a question the device asked: its response code and the
    /// addresses it gave (evidence for lookups a DNS blocker stopped, and for names that
    /// resolved to private addresses). One per question; truncated responses are left out.
    DnsAnswer {
        /// Packet time.
        ts: Timestamp,
        /// The device the answer went to.
        device: DeviceId,
        /// Its address.
        client: IpAddr,
        /// The resolver that answered.
        resolver: IpAddr,
        /// The name asked for (lower case, no trailing dot).
        name: String,
        /// Question type.
        qtype: u16,
        /// Response code (low 4 bits).
        rcode: u8,
        /// The RA bit: a recursive resolver answered.
        recursion_available: bool,
        /// Records in the answer section, of any type.
        answers: u16,
        /// A and AAAA addresses of the answer section, in order.
        addresses: Vec<IpAddr>,
    },
    /// A TLS or QUIC ClientHello.
    Hello {
        /// Packet time of the segment that completed the hello.
        ts: Timestamp,
        /// The device.
        device: DeviceId,
        /// The flow.
        flow: FlowKey,
        /// `Tls` or `Quic`.
        via: Via,
        /// QUIC version (0 for TLS over TCP).
        quic_version: u32,
        /// The hello.
        hello: ClientHello,
    },
    /// A plaintext HTTP request.
    HttpRequest {
        /// Packet time.
        ts: Timestamp,
        /// The device.
        device: DeviceId,
        /// The flow.
        flow: FlowKey,
        /// Method.
        method: String,
        /// Host header as sent.
        host: Option<String>,
        /// Request target.
        path: String,
        /// Referer header.
        referer: Option<String>,
        /// A Cookie header was sent.
        has_cookie: bool,
    },
    /// A plaintext HTTP response.
    HttpResponse {
        /// Packet time.
        ts: Timestamp,
        /// The device.
        device: DeviceId,
        /// The flow.
        flow: FlowKey,
        /// Status code.
        status: u16,
        /// Names of cookies set.
        set_cookie_names: Vec<String>,
    },
    /// A DHCP message named its client: host name and vendor class (e.g. "iPhone", "android-dhcp-14").
    Dhcp {
        /// Packet time.
        ts: Timestamp,
        /// The client, by the MAC inside the DHCP message.
        device: DeviceId,
        /// Option 12.
        host_name: Option<String>,
        /// Option 60.
        vendor_class: Option<String>,
    },
    /// A flow ended (idle, closed, evicted, or end of input), with its totals.
    FlowEnd(FlowSummary),
    /// An HTTP request with what its response said: plain HTTP, or decrypted with a key log
    /// (lab decryption).
    Request {
        /// The device.
        device: DeviceId,
        /// The flow.
        flow: FlowKey,
        /// The request, its response status and cookies (names and lifetimes, never values).
        exchange: Box<Exchange>,
    },
}

impl Observation {
    /// When it was seen (a flow's end is its last packet).
    pub fn ts(&self) -> Timestamp {
        match self {
            Observation::DnsQuery { ts, .. }
            | Observation::DnsChain { ts, .. }
            | Observation::DnsAnswer { ts, .. }
            | Observation::Hello { ts, .. }
            | Observation::HttpRequest { ts, .. }
            | Observation::HttpResponse { ts, .. }
            | Observation::Dhcp { ts, .. } => *ts,
            Observation::Request { exchange, .. } => exchange.ts,
            Observation::FlowEnd(f) => f.last,
        }
    }
}

/// Totals of one flow, and the name it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSummary {
    /// The flow.
    pub key: FlowKey,
    /// The client device.
    pub device: DeviceId,
    /// First packet.
    pub first: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// IP bytes from client to server.
    pub bytes_up: u64,
    /// IP bytes from server to client.
    pub bytes_down: u64,
    /// Packets from client to server.
    pub packets_up: u64,
    /// Packets from server to client.
    pub packets_down: u64,
    /// The remote name the flow itself showed (SNI, Host), else the DNS cache's name for the
    /// server address, else the address (`Via::Ip`). A real ECH hello's SNI is a cover name:
    /// attribution then names the flow by [`EchSeen::resolved`].
    pub name: String,
    /// How the name was learned.
    pub via: Via,
    /// What the flow's hello showed of ECH, when it carried the extension.
    pub ech: Option<EchSeen>,
    /// The client spoke a QUIC version sporfri cannot read (the version): the server name
    /// it sent is unseen.
    pub quic_unreadable: Option<u32>,
    /// The flow carried DNS-family traffic (its own names are reported as queries).
    pub dns: bool,
}

/// Addresses that never leave the local network.
pub fn is_local_addr(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_multicast() || v4.is_broadcast() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unicast_link_local(),
    }
}

/// An address as its `Display` prints it (the name of a contact seen without a name). IPv4 is
/// written by hand: through the formatting machinery it cost about 1,200 instructions, and a
/// flow without a name ends through here.
pub fn addr_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

#[cfg(test)]
mod addr_text_tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    #[test]
    fn prints_as_display_does() {
        let mut samples: Vec<IpAddr> = [0u8, 1, 9, 10, 99, 100, 199, 200, 255]
            .iter()
            .flat_map(|&a| {
                [0u8, 7, 42, 250].map(|b| IpAddr::V4(Ipv4Addr::new(a, b, 255 - a, a ^ b)))
            })
            .collect();
        samples.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
        samples.push(
            "2001:db8::ff00:42:8329"
                .parse()
                .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        );
        for ip in samples {
            assert_eq!(addr_text(ip), ip.to_string());
            assert_eq!(DeviceId::Ip(ip).text(), DeviceId::Ip(ip).to_string());
        }
    }

    #[test]
    fn device_text_is_display() {
        for mac in [
            [0u8; 6],
            [0xff; 6],
            [0x50, 0xeb, 0x71, 0x47, 0xdf, 0xc4],
            [1, 0x10, 0xa, 0xa0, 9, 0x90],
        ] {
            let device = DeviceId::Mac(mac);
            assert_eq!(device.text(), device.to_string());
        }
    }
}
