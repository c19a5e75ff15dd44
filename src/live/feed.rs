//! Turns the growing contact list into new/updated events for subscribers.
//!
//! [`Contacts`] does not say which contact an observation touched, so the feed compares the
//! attributed list with what it published last. It runs at most once per publish interval and
//! only after packets arrived, so its O(contacts) cost is paid once a second, not per packet.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::attribute::Attributor;
use crate::contact::{Contact, Contacts};
use crate::observation::DeviceId;

use super::hook::{Change, ContactEvent};

type Key = (DeviceId, IpAddr, String);

/// What was published last, per contact (bounded by [`crate::contact::MAX_CONTACTS`] like
/// `Contacts` itself).
#[derive(Debug, Default)]
pub struct ContactFeed {
    published: HashMap<Key, Contact, foldhash::fast::RandomState>,
}

impl ContactFeed {
    /// Contacts new or changed since the last call, in [`Contacts::sorted`] order.
    pub fn changes(&mut self, contacts: &Contacts, attributor: &Attributor) -> Vec<ContactEvent> {
        let mut events = Vec::new();
        for contact in contacts.attributed(attributor) {
            let key = (contact.device, contact.client_ip, contact.name.clone());
            let change = match self.published.get(&key) {
                None => Change::New,
                Some(old) if *old == contact => continue,
                Some(_) => Change::Updated,
            };
            self.published.insert(key, contact.clone());
            events.push(ContactEvent { change, contact });
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use super::*;
    use crate::observation::{FlowKey, Observation, Proto};
    use crate::time::Timestamp;

    fn http(ts: u64, host: &str) -> Observation {
        let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 40000);
        let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 80);
        Observation::HttpRequest {
            ts: Timestamp(ts),
            device: DeviceId::Ip(client.ip()),
            flow: FlowKey {
                proto: Proto::Tcp,
                client,
                server,
            },
            method: "GET".into(),
            host: Some(host.into()),
            path: "/".into(),
            referer: None,
            has_cookie: false,
        }
    }

    #[test]
    fn new_then_updated_then_quiet() {
        let attributor = Attributor::builtin(None).unwrap();
        let mut contacts = Contacts::default();
        let mut feed = ContactFeed::default();
        contacts.observe(&http(1, "a.example.test"));
        let ev = feed.changes(&contacts, &attributor);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].change, Change::New);
        assert_eq!(ev[0].contact.name, "a.example.test");
        assert!(feed.changes(&contacts, &attributor).is_empty());
        contacts.observe(&http(2, "a.example.test"));
        contacts.observe(&http(3, "b.example.test"));
        let ev = feed.changes(&contacts, &attributor);
        let got: Vec<_> = ev
            .iter()
            .map(|e| (e.change, e.contact.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Change::Updated, "a.example.test"),
                (Change::New, "b.example.test")
            ]
        );
        assert_eq!(ev[0].contact.http_requests, 2);
    }
}
