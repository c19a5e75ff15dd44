//! Contacts: every remote name a device reached, aggregated from observations.
//!
//! A contact is keyed by (device, name), whatever address of the device was used; it collects
//! how the name was seen, when, over how many flows and bytes, and to which server addresses.
//! Its scope comes from the name (an address only when there is no name); what the DNS answers
//! said (blocked lookups, private addresses) is gathered in `answers`.

mod answers;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use hashbrown::hash_map::EntryRef;
use serde::Serialize;

use crate::attribute::{Attribution, Attributor, Blocked, Facts, ech, is_lan_addr, is_local_name};
use crate::observation::{DeviceId, Ech, FlowKey, FlowSummary, Observation, Proto, Via, addr_text};
use crate::time::Timestamp;
use crate::wire::dns::Flavor;
use crate::wire::http::host_name;

pub use answers::BlockedAnswer;

/// Contacts kept at once; past this new names are counted, not stored.
pub const MAX_CONTACTS: usize = 100_000;

/// Whether a name belongs to the local network or the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// A public name, wherever it resolved to, or an internet address without a name.
    Internet,
    /// Names that exist only on the local network (mDNS, LLMNR, `.local`, `.lan`, single
    /// labels, ...) and LAN, multicast and broadcast addresses without a name.
    Local,
}

/// The scope a contact's name gives it: an address literal by its address, a name by whether
/// it can exist in public DNS (never by what it resolved to).
pub fn scope_of(name: &str) -> Scope {
    let local = match name.parse::<IpAddr>() {
        Ok(ip) => is_lan_addr(ip),
        Err(_) => is_local_name(name),
    };
    if local { Scope::Local } else { Scope::Internet }
}

/// One remote name a device contacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// The device (MAC, or IP without a link layer).
    pub device: DeviceId,
    /// The device's address at first sight.
    #[serde(serialize_with = "addr")]
    pub client_ip: IpAddr,
    /// Every address of the device used for this contact (DNS over IPv4 and the connection
    /// over IPv6 are one contact).
    #[serde(serialize_with = "addrs")]
    pub client_ips: BTreeSet<IpAddr>,
    /// The remote name (lower case), or the server address when no name was seen.
    pub name: String,
    /// Local network or internet.
    pub scope: Scope,
    /// How the name was seen.
    pub via: BTreeSet<Via>,
    /// First observation.
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: Timestamp,
    /// Last observation.
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: Timestamp,
    /// Transport flows to this name.
    pub flows: u64,
    /// IP bytes sent by the device.
    pub bytes_up: u64,
    /// IP bytes received by the device.
    pub bytes_down: u64,
    /// Server addresses of those flows.
    #[serde(serialize_with = "addrs")]
    pub server_ips: BTreeSet<IpAddr>,
    /// Transport and server port of those flows, as `tcp/443`.
    #[serde(serialize_with = "ports")]
    pub server_ports: BTreeSet<(Proto, u16)>,
    /// CNAME targets the name resolved through, in order.
    pub cname_chain: Vec<String>,
    /// Encrypted Client Hello: `real` hides the destination, `grease` is a decoy.
    pub ech: Option<Ech>,
    /// QUIC versions its flows spoke that sporfri cannot read (`0xff000014`, ...).
    #[serde(
        skip_serializing_if = "BTreeSet::is_empty",
        serialize_with = "versions"
    )]
    pub quic_unreadable: BTreeSet<u32>,
    /// DNS-family queries for the name.
    pub dns_queries: u64,
    /// Plaintext HTTP requests.
    pub http_requests: u64,
    /// A plaintext request carried a Cookie header.
    pub cookie_sent: bool,
    /// Names of cookies set over plaintext HTTP (never values).
    pub cookies_set: BTreeSet<String>,
    /// The public name resolved to, or was reached at, a private, link-local or loopback
    /// address (split-horizon DNS, a lab, a local proxy); its attribution is unchanged.
    pub resolved_private: bool,
    /// The network stopped the lookup (a DNS blocker's answer) and nothing reached the name.
    pub blocked: Option<Blocked>,
    /// The DNS answer behind `blocked` (the strongest one).
    pub blocked_answer: Option<BlockedAnswer>,
    /// An answer or a flow reached a usable address: no later answer makes it blocked.
    #[serde(skip)]
    pub reachable: bool,
    /// Who is behind it (filled by [`Contacts::attributed`]).
    #[serde(flatten)]
    pub attribution: Attribution,
}

/// `name` without its trailing dots, in lower case: borrowed when it already is (nearly every
/// name), so a query or an answer of a known contact allocates nothing.
fn lowered(name: &str) -> Cow<'_, str> {
    let name = name.trim_end_matches('.');
    // A fold without an early exit: the compiler checks many bytes at a time.
    let needs_lowering = name
        .bytes()
        .fold(false, |any, b| any | !b.is_ascii() | b.is_ascii_uppercase());
    if !needs_lowering {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// An address as serde writes it (its `Display` in JSON), through [`addr_text`]: serde's own
/// goes through the formatting machinery, about 1,200 instructions for each IPv4 address.
fn addr<S: serde::Serializer>(ip: &IpAddr, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&addr_text(*ip))
    } else {
        ip.serialize(s)
    }
}

fn addrs<S: serde::Serializer>(ips: &BTreeSet<IpAddr>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(ips.len()))?;
    for ip in ips {
        seq.serialize_element(&Addr(*ip))?;
    }
    seq.end()
}

/// One address serialized through [`addr`].
struct Addr(IpAddr);

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        addr(&self.0, s)
    }
}

fn ports<S: serde::Serializer>(p: &BTreeSet<(Proto, u16)>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(p.iter().map(|(proto, port)| match proto {
        Proto::Tcp => format!("tcp/{port}"),
        Proto::Udp => format!("udp/{port}"),
    }))
}

fn versions<S: serde::Serializer>(v: &BTreeSet<u32>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|v| format!("{v:#010x}")))
}

fn rfc3339<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.rfc3339())
}

/// What is known of a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// Addresses it used.
    pub ips: BTreeSet<IpAddr>,
    /// DNS resolvers it queried.
    pub resolvers: BTreeSet<IpAddr>,
    /// Host name it gave in DHCP.
    pub host_name: Option<String>,
    /// Vendor class it gave in DHCP.
    pub vendor_class: Option<String>,
}

/// A contact first seen at `ts`.
fn new_contact(device: DeviceId, client_ip: IpAddr, name: &str, ts: Timestamp) -> Contact {
    Contact {
        device,
        client_ip,
        client_ips: BTreeSet::from([client_ip]),
        name: name.to_owned(),
        scope: scope_of(name),
        via: BTreeSet::new(),
        first_seen: ts,
        last_seen: ts,
        flows: 0,
        bytes_up: 0,
        bytes_down: 0,
        server_ips: BTreeSet::new(),
        server_ports: BTreeSet::new(),
        cname_chain: Vec::new(),
        ech: None,
        quic_unreadable: BTreeSet::new(),
        dns_queries: 0,
        http_requests: 0,
        cookie_sent: false,
        cookies_set: BTreeSet::new(),
        resolved_private: false,
        blocked: None,
        blocked_answer: None,
        reachable: false,
        attribution: Attribution::unknown(),
    }
}

/// The contact one observation counted for, as [`Contacts::observe`] tells it: the one place a
/// contact's key (device, name) is derived, so whoever keeps more about a contact (a session's
/// evidence) keeps it for exactly the contact that was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched<'a> {
    /// No contact: DHCP, a decrypted request, an empty name, a name past [`MAX_CONTACTS`], a
    /// response on a flow without a request, a DNS flow's end.
    Nothing,
    /// This contact, seen this way.
    Contact {
        /// The device.
        device: DeviceId,
        /// The contact's name, as stored.
        name: &'a str,
        /// How this observation saw it.
        via: Via,
    },
    /// A TLS or QUIC hello: it counts for the contact its flow is given when the flow ends (the
    /// server name it carried, or the DNS name when real ECH hid it), told then as a
    /// [`Touched::Contact`] for the flow's end.
    Flow(FlowKey),
}

/// A device's contacts by name. hashbrown's: `entry_ref` finds a contact by `&str` and inserts a
/// new one with the same hash, where std's map hashes the name once to look and again to insert
/// or to get the entry (every observation of a contact looks its name up).
type ByName = hashbrown::HashMap<String, Box<Contact>, foldhash::fast::RandomState>;

/// Aggregates observations into contacts.
#[derive(Debug, Default)]
pub struct Contacts {
    // Device, then name: a name is looked up as `&str`, so an observation of a known contact
    // allocates nothing. Boxed: a map keeps up to twice as many buckets as entries.
    by_device: HashMap<DeviceId, ByName, foldhash::fast::RandomState>,
    /// Contacts in `by_device`.
    count: usize,
    devices: BTreeMap<DeviceId, Device>,
    /// Open HTTP flows → the contact of their last request, for Set-Cookie names.
    http_flows: HashMap<FlowKey, (DeviceId, String), foldhash::fast::RandomState>,
    dropped: u64,
}

impl Contacts {
    /// Take one observation; returns the contact it counted for.
    pub fn observe(&mut self, obs: &Observation) -> Touched<'_> {
        match obs {
            Observation::DnsQuery {
                ts,
                device,
                client,
                server,
                flavor,
                name,
                ..
            } => self.dns_query(*ts, (*device, *client), *server, *flavor, name),
            Observation::HttpRequest {
                ts,
                device,
                flow,
                host,
                has_cookie,
                ..
            } => self.http_request(*ts, *device, flow, host.as_deref(), *has_cookie),
            Observation::HttpResponse {
                flow,
                set_cookie_names,
                ..
            } => self.http_response(flow, set_cookie_names),
            Observation::DnsChain {
                ts,
                device,
                client,
                name,
                chain,
            } => self.dns_chain(*ts, (*device, *client), name, chain),
            Observation::DnsAnswer {
                ts,
                device,
                client,
                resolver,
                name,
                qtype,
                rcode,
                recursion_available,
                answers,
                addresses,
            } => {
                let answer = answers::Answer {
                    ts: *ts,
                    resolver: *resolver,
                    qtype: *qtype,
                    rcode: *rcode,
                    recursion_available: *recursion_available,
                    answers: *answers,
                    addresses,
                };
                self.dns_answer((*device, *client), name, &answer)
            }
            Observation::Dhcp {
                device,
                host_name,
                vendor_class,
                ..
            } => {
                self.dhcp(*device, host_name, vendor_class);
                Touched::Nothing
            }
            Observation::Hello { flow, .. } => Touched::Flow(*flow),
            Observation::Request { .. } => Touched::Nothing,
            Observation::FlowEnd(f) => self.flow_end(f),
        }
    }

    /// A DNS, mDNS or LLMNR query from `client` (device and address) to `server`.
    fn dns_query(
        &mut self,
        ts: Timestamp,
        (device, client): (DeviceId, IpAddr),
        server: IpAddr,
        flavor: Flavor,
        name: &str,
    ) -> Touched<'_> {
        let name = lowered(name);
        if name.is_empty() || name == "<root>" {
            return Touched::Nothing;
        }
        let dev = self.devices.entry(device).or_default();
        dev.ips.insert(client);
        if matches!(flavor, Flavor::Dns) {
            dev.resolvers.insert(server);
        }
        let via = Via::for_flavor(flavor);
        let Some(c) = self.contact(device, client, &name, ts) else {
            return Touched::Nothing;
        };
        c.via.insert(via);
        if flavor != Flavor::Dns {
            c.make_local();
        }
        c.dns_queries += 1;
        touched(c, via)
    }

    /// A plain-HTTP request on `flow`: its contact is the Host (the server address without one).
    fn http_request(
        &mut self,
        ts: Timestamp,
        device: DeviceId,
        flow: &FlowKey,
        host: Option<&str>,
        has_cookie: bool,
    ) -> Touched<'_> {
        let name = host
            .map(host_name)
            .unwrap_or_else(|| addr_text(flow.server.ip()));
        // A response finds no contact of a name past the cap: nothing is set then.
        self.http_flows.insert(*flow, (device, name.clone()));
        let Some(c) = self.contact(device, flow.client.ip(), &name, ts) else {
            return Touched::Nothing;
        };
        c.via.insert(Via::Http);
        c.http_requests += 1;
        c.cookie_sent |= has_cookie;
        touched(c, Via::Http)
    }

    /// A plain-HTTP response: it belongs to the contact its flow's last request named.
    fn http_response(&mut self, flow: &FlowKey, set_cookie_names: &[String]) -> Touched<'_> {
        let Some((device, name)) = self.http_flows.get(flow) else {
            return Touched::Nothing;
        };
        let Some(c) = self
            .by_device
            .get_mut(device)
            .and_then(|names| names.get_mut(name))
        else {
            return Touched::Nothing;
        };
        c.cookies_set.extend(set_cookie_names.iter().cloned());
        touched(c, Via::Http)
    }

    /// A DNS answer resolving `name` through CNAMEs: the first chain seen is kept.
    fn dns_chain(
        &mut self,
        ts: Timestamp,
        (device, client): (DeviceId, IpAddr),
        name: &str,
        chain: &[String],
    ) -> Touched<'_> {
        let Some(c) = self.contact(device, client, name, ts) else {
            return Touched::Nothing;
        };
        c.via.insert(Via::Dns);
        if c.cname_chain.is_empty() {
            c.cname_chain = chain.to_vec();
        }
        touched(c, Via::Dns)
    }

    /// What a DNS answer for `name` said: blocked, private addresses (see `answers`).
    fn dns_answer(
        &mut self,
        (device, client): (DeviceId, IpAddr),
        name: &str,
        answer: &answers::Answer<'_>,
    ) -> Touched<'_> {
        let name = lowered(name);
        if name.is_empty() || name == "<root>" {
            return Touched::Nothing;
        }
        let Some(c) = self.contact(device, client, &name, answer.ts) else {
            return Touched::Nothing;
        };
        answers::answer(c, answer);
        touched(c, Via::Dns)
    }

    /// A DHCP message names its device: host name and vendor class, the latest kept.
    fn dhcp(
        &mut self,
        device: DeviceId,
        host_name: &Option<String>,
        vendor_class: &Option<String>,
    ) {
        let dev = self.devices.entry(device).or_default();
        if host_name.is_some() {
            dev.host_name.clone_from(host_name);
        }
        if vendor_class.is_some() {
            dev.vendor_class.clone_from(vendor_class);
        }
    }

    fn flow_end(&mut self, f: &FlowSummary) -> Touched<'_> {
        self.http_flows.remove(&f.key);
        if f.dns {
            return Touched::Nothing;
        }
        let client = f.key.client.ip();
        self.devices.entry(f.device).or_default().ips.insert(client);
        let (name, via, ech) = ech::destination(f);
        let Some(c) = self.contact(f.device, client, name, f.first) else {
            return Touched::Nothing;
        };
        c.last_seen = c.last_seen.max(f.last);
        c.via.insert(via);
        c.flows += 1;
        c.bytes_up += f.bytes_up;
        c.bytes_down += f.bytes_down;
        c.server_ips.insert(f.key.server.ip());
        c.server_ports.insert((f.key.proto, f.key.server.port()));
        answers::reached(c, f.key.server.ip());
        // Real ECH on any flow means some of this contact was hidden.
        c.ech = c.ech.max(ech);
        c.quic_unreadable.extend(f.quic_unreadable);
        touched(c, via)
    }

    fn contact(
        &mut self,
        device: DeviceId,
        client_ip: IpAddr,
        name: &str,
        ts: Timestamp,
    ) -> Option<&mut Contact> {
        let names = self.by_device.entry(device).or_default();
        let c = match names.entry_ref(name) {
            EntryRef::Occupied(e) => e.into_mut(),
            EntryRef::Vacant(e) => {
                if self.count >= MAX_CONTACTS {
                    self.dropped += 1;
                    return None;
                }
                self.count += 1;
                e.insert(Box::new(new_contact(device, client_ip, name, ts)))
            }
        };
        // `client_ips` always holds `client_ip`, the address most observations come from: only
        // another address needs the set searched.
        if ts < c.first_seen {
            c.first_seen = ts;
            c.client_ip = client_ip;
            c.client_ips.insert(client_ip);
        } else if client_ip != c.client_ip {
            c.client_ips.insert(client_ip);
        }
        c.last_seen = c.last_seen.max(ts);
        Some(c)
    }

    /// All contacts, by device, scope, first seen, then name.
    pub fn list(&self) -> Vec<&Contact> {
        let mut all: Vec<&Contact> = self
            .by_device
            .values()
            .flat_map(|names| names.values().map(|c| &**c))
            .collect();
        all.sort_by(|a, b| {
            (a.device, a.scope, a.first_seen, &a.name).cmp(&(
                b.device,
                b.scope,
                b.first_seen,
                &b.name,
            ))
        });
        all
    }

    /// Owned copies of [`Contacts::list`].
    pub fn sorted(&self) -> Vec<Contact> {
        self.list().into_iter().cloned().collect()
    }

    /// Attribute every contact in place.
    pub fn attribute(&mut self, attributor: &Attributor) {
        for c in self
            .by_device
            .values_mut()
            .flat_map(|names| names.values_mut())
        {
            c.attribution = attributor.attribute(&facts(c));
        }
    }

    /// Owned copies of [`Contacts::list`], each attributed.
    pub fn attributed(&self, attributor: &Attributor) -> Vec<Contact> {
        let mut all = self.sorted();
        for c in &mut all {
            c.attribution = attributor.attribute(&facts(c));
        }
        all
    }

    /// The contact of `device` named `name`, attributed as [`Contacts::attributed`] does:
    /// one contact's attribution rests on its own facts alone.
    pub fn attributed_one(
        &self,
        device: DeviceId,
        name: &str,
        attributor: &Attributor,
    ) -> Option<Contact> {
        let mut c = Contact::clone(self.by_device.get(&device)?.get(name)?);
        c.attribution = attributor.attribute(&facts(&c));
        Some(c)
    }

    /// Devices seen, with their addresses.
    pub fn devices(&self) -> &BTreeMap<DeviceId, Device> {
        &self.devices
    }

    /// Contacts not stored because [`MAX_CONTACTS`] was reached.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// `c`, seen `via`, as told to the caller of [`Contacts::observe`].
fn touched(c: &Contact, via: Via) -> Touched<'_> {
    Touched::Contact {
        device: c.device,
        name: &c.name,
        via,
    }
}

/// What attribution looks at in a contact.
fn facts(c: &Contact) -> Facts<'_> {
    Facts {
        name: &c.name,
        cname_chain: &c.cname_chain,
        via: c.via.clone(),
        server_ports: c.server_ports.clone(),
        server_ips: c.server_ips.clone(),
        ech: c.ech,
        local: c.scope == Scope::Local,
        quic_unreadable: !c.quic_unreadable.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dns::Flavor;
    use std::net::Ipv4Addr;

    fn query(device: DeviceId, client: IpAddr, name: &str, ts: u64) -> Observation {
        Observation::DnsQuery {
            ts: Timestamp(ts),
            device,
            client,
            server: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1)),
            flavor: Flavor::Dns,
            name: name.to_owned(),
            qtype: 1,
        }
    }

    #[test]
    fn one_contact_per_device_and_name_whatever_the_address() {
        let mut c = Contacts::default();
        let dev = DeviceId::Mac([2, 0, 0, 0, 0, 1]);
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
        let v6: IpAddr = "2001:db8::10".parse().unwrap();
        c.observe(&query(dev, v6, "Example.COM.", 20));
        c.observe(&query(dev, v4, "example.com", 10));
        let list = c.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "example.com");
        assert_eq!(list[0].client_ip, v4, "the address at first sight");
        assert_eq!(list[0].client_ips.len(), 2);
        assert_eq!(list[0].dns_queries, 2);
    }

    #[test]
    fn observe_tells_the_contact_it_counted_for() {
        let mut c = Contacts::default();
        let dev = DeviceId::Mac([2, 0, 0, 0, 0, 3]);
        let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 12));
        assert_eq!(
            c.observe(&query(dev, ip, "Tracker.Example.", 1)),
            Touched::Contact {
                device: dev,
                name: "tracker.example",
                via: Via::Dns
            }
        );
        assert_eq!(c.observe(&query(dev, ip, ".", 2)), Touched::Nothing);
    }

    #[test]
    fn contacts_are_capped_and_counted() {
        let mut c = Contacts::default();
        let dev = DeviceId::Mac([2, 0, 0, 0, 0, 2]);
        let ip = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11));
        for i in 0..=MAX_CONTACTS {
            c.observe(&query(dev, ip, &format!("n{i}.example"), i as u64));
        }
        assert_eq!(c.list().len(), MAX_CONTACTS);
        assert_eq!(c.dropped(), 1);
        // Known contacts still update at the cap.
        c.observe(&query(dev, ip, "n0.example", 5));
        assert_eq!(c.dropped(), 1);
        // A name past the cap is no contact to attach anything to.
        assert_eq!(
            c.observe(&query(dev, ip, "new.example", 6)),
            Touched::Nothing
        );
    }
}
