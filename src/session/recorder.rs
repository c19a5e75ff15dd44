//! Recording a session: an observer of observations, like [`Contacts`], that hands the store a
//! batch of changed contacts at most once per second of packet time, on every mark and at the
//! end. It reads no clock and does no I/O; the caller writes the batches and reports back.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{
    Batch, CaptureStats, ContactRecord, DeviceRecord, Evidence, Mark, MarkSpec, RequestEntry,
    Session, SessionState,
};
use crate::attribute::ech;
use crate::attribute::{Attribution, Attributor};
use crate::contact::Contacts;
use crate::observation::{DeviceId, Exchange, FlowKey, Observation, Proto, Via};
use crate::time::Timestamp;
use crate::wire::http::host_name;

/// Observations kept as evidence per contact (the earliest ones).
pub const MAX_EVIDENCE: usize = 5;
/// Names with evidence kept at once; past this new names get no evidence (counted).
pub const MAX_PENDING_EVIDENCE: usize = crate::contact::MAX_CONTACTS;
/// Requests kept per session (plain HTTP and lab decryption); later ones are counted in
/// `stats.requests_dropped`. A request is at most ~10 KiB (URL and Referer are cut at 8 KiB).
pub const MAX_REQUESTS: usize = 20_000;
/// Packet time between two batches.
const FLUSH_EVERY_NS: u64 = 1_000_000_000;

/// A contact's identity: (device, name), as in [`Contacts`].
type Key = (DeviceId, String);
type Hasher = foldhash::fast::RandomState;

/// Records one session from observations.
#[derive(Debug)]
pub struct Recorder {
    session: Session,
    attributor: Attributor,
    contacts: Contacts,
    devices: Vec<DeviceId>,
    pending_marks: Vec<MarkSpec>,
    evidence: HashMap<Key, Vec<Evidence>, Hasher>,
    evidence_dropped: u64,
    /// [`MAX_PENDING_EVIDENCE`], lowered by tests to hit it.
    pub(super) evidence_limit: usize,
    dhcp: BTreeMap<DeviceId, (Option<String>, Option<String>)>,
    /// What the store holds of each contact, to send only changes.
    committed: HashMap<Vec<u8>, ContactRecord, Hasher>,
    /// Contacts in batches the store refused and not written since.
    unstored: HashSet<Vec<u8>, Hasher>,
    last_packet: Option<Timestamp>,
    next_flush: Option<Timestamp>,
    /// Something was observed since the last batch (else only the session record is sent).
    dirty: bool,
    /// Requests (plain HTTP or decrypted) not yet in a committed batch.
    pending_requests: Vec<RequestEntry>,
    /// [`MAX_REQUESTS`], lowered by tests to hit it.
    pub(super) request_limit: usize,
}

impl Recorder {
    /// Record `session` (already created in the store, so it has its id). `devices` limits the
    /// recording to those devices (empty: all); `marks` are command-line marks resolved
    /// against the first packet.
    pub fn new(
        session: Session,
        attributor: Attributor,
        devices: Vec<DeviceId>,
        marks: Vec<MarkSpec>,
    ) -> Recorder {
        Recorder {
            session,
            attributor,
            contacts: Contacts::default(),
            devices,
            pending_marks: marks,
            evidence: HashMap::default(),
            evidence_dropped: 0,
            evidence_limit: MAX_PENDING_EVIDENCE,
            dhcp: BTreeMap::new(),
            committed: HashMap::default(),
            unstored: HashSet::default(),
            last_packet: None,
            next_flush: None,
            dirty: false,
            pending_requests: Vec::new(),
            request_limit: MAX_REQUESTS,
        }
    }

    /// The session as recorded so far.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The contacts aggregated so far (for printing them as `replay` does).
    pub fn contacts(&self) -> &Contacts {
        &self.contacts
    }

    /// The attributor in use.
    pub fn attributor(&self) -> &Attributor {
        &self.attributor
    }

    /// Names that got no evidence because [`MAX_PENDING_EVIDENCE`] was reached.
    pub fn evidence_dropped(&self) -> u64 {
        self.evidence_dropped
    }

    /// A packet arrived at `ts` (call before ingesting it). Returns a batch when a second of
    /// packet time has passed since the last one: it holds everything before this packet.
    pub fn packet(&mut self, ts: Timestamp) -> Option<Batch> {
        self.session.stats.packets += 1;
        self.tick(ts)
    }

    /// Time passed without a packet (a live capture's clock): the same flush rule as
    /// [`Recorder::packet`], without counting a packet.
    pub fn tick(&mut self, ts: Timestamp) -> Option<Batch> {
        if self.session.started.is_none() {
            self.session.started = Some(ts);
            for spec in std::mem::take(&mut self.pending_marks) {
                self.session.add_mark(spec.resolve(ts));
            }
        }
        self.last_packet = Some(self.last_packet.map_or(ts, |t| t.max(ts)));
        match self.next_flush {
            None => {
                self.next_flush = Some(Timestamp(ts.0.saturating_add(FLUSH_EVERY_NS)));
                None
            }
            Some(due) if ts >= due => {
                self.next_flush = Some(Timestamp(ts.0.saturating_add(FLUSH_EVERY_NS)));
                self.session.last_flush = Some(ts);
                Some(self.batch(false))
            }
            Some(_) => None,
        }
    }

    /// Take one observation.
    pub fn observe(&mut self, obs: &Observation) {
        if !self.devices.is_empty() && !self.devices.contains(&device_of(obs)) {
            return;
        }
        self.contacts.observe(obs);
        self.dirty = true;
        if let Observation::Dhcp {
            device,
            host_name,
            vendor_class,
            ..
        } = obs
        {
            self.dhcp(*device, host_name.clone(), vendor_class.clone());
        }
        if let Some((key, ev)) = evidence_of(obs) {
            self.add_evidence(key, ev);
        }
        if let Observation::Request {
            device,
            flow,
            exchange,
        } = obs
        {
            self.request(*device, flow, exchange);
        }
    }

    /// Keep a request with the phase at its time (bounded by [`MAX_REQUESTS`]).
    fn request(&mut self, device: DeviceId, flow: &FlowKey, ex: &Exchange) {
        let stats = &mut self.session.stats;
        if stats.requests >= self.request_limit as u64 {
            stats.requests_dropped += 1;
            return;
        }
        let phase = self.session.phase_at(ex.ts);
        let who = self.attributor.request(ex, flow);
        let mut entry = RequestEntry::new(self.session.id, device, flow, ex, phase, &who);
        entry.seq = self.session.stats.requests;
        self.session.stats.requests += 1;
        self.pending_requests.push(entry);
    }

    /// DHCP told a device's host name and vendor class (either may be missing).
    pub fn dhcp(&mut self, device: DeviceId, host_name: Option<String>, vendor: Option<String>) {
        if !self.devices.is_empty() && !self.devices.contains(&device) {
            return;
        }
        self.dirty = true;
        let e = self.dhcp.entry(device).or_default();
        if host_name.is_some() {
            e.0 = host_name;
        }
        if vendor.is_some() {
            e.1 = vendor;
        }
    }

    /// Counters of a live capture: packets seen and every kind of drop, stored with the session.
    pub fn capture_stats(&mut self, stats: CaptureStats) {
        self.session.stats.packets = stats.packets;
        self.session.stats.kernel_dropped = stats.kernel_dropped;
        self.session.stats.interface_dropped = stats.interface_dropped;
        self.session.stats.channel_dropped = stats.channel_dropped;
        self.session.stats.outages = stats.outages;
        self.dirty = true;
    }

    /// The tester set a mark: a durable batch with everything so far.
    pub fn mark(&mut self, mark: Mark) -> Batch {
        self.session.add_mark(mark);
        // A mark may change phases of contacts first seen at or after it.
        self.dirty = true;
        if let Some(t) = self.last_packet {
            self.session.last_flush = Some(t);
        }
        self.batch(true)
    }

    /// The session ended (end of file, or the tester stopped it): the last, durable batch.
    pub fn finish(&mut self) -> Batch {
        self.session.ended = self.last_packet.or(self.session.started);
        self.session.last_flush = self.session.ended;
        self.session.state = SessionState::Ended;
        self.batch(true)
    }

    /// Every contact record as last written to the store (what a new subscriber is shown).
    pub fn stored(&self) -> Vec<ContactRecord> {
        let mut all: Vec<ContactRecord> = self.committed.values().cloned().collect();
        all.sort_by(|a, b| (a.first_seen, &a.name).cmp(&(b.first_seen, &b.name)));
        all
    }

    /// The store wrote `batch`.
    pub fn committed(&mut self, batch: Batch) {
        for c in batch.contacts {
            let key = c.key();
            self.unstored.remove(&key);
            self.committed.insert(key, c);
        }
    }

    /// The store refused `batch` (disk full, read-only): its contacts are counted and sent again
    /// with the next batch.
    pub fn failed(&mut self, batch: &Batch) {
        self.session.stats.failed_batches += 1;
        for c in &batch.contacts {
            self.unstored.insert(c.key());
        }
        // Requests are stored once: the refused ones go first in the next batch.
        let mut again = batch.requests.clone();
        again.append(&mut self.pending_requests);
        self.pending_requests = again;
        // Send them again with the next batch even if nothing new is observed.
        self.dirty = true;
        self.session.stats.unstored = self.unstored.len() as u64;
    }

    fn batch(&mut self, durable: bool) -> Batch {
        let mut changed = Vec::new();
        self.session.stats.unstored = self.unstored.len() as u64;
        if !std::mem::take(&mut self.dirty) {
            return Batch {
                session: self.session.clone(),
                contacts: changed,
                requests: Vec::new(),
                durable,
            };
        }
        let all = self.contacts.attributed(&self.attributor);
        let requests = self.take_requests(&all);
        for c in &all {
            let key = (c.device, c.name.clone());
            let evidence = self.evidence.get(&key).cloned().unwrap_or_default();
            let phase = self.session.phase_at(c.first_seen);
            let rec = ContactRecord::new(self.session.id, phase, c, evidence);
            if self.committed.get(&rec.key()) != Some(&rec) {
                changed.push(rec);
            }
        }
        self.session.stats.contacts = all.len() as u64;
        self.session.stats.dropped = self.contacts.dropped();
        self.session.devices = self.device_records();
        Batch {
            session: self.session.clone(),
            contacts: changed,
            requests,
            durable,
        }
    }

    /// Pending requests, attributed as their contact is (which knows CNAME cloaking) when the
    /// device contacted that host by name.
    fn take_requests(&mut self, all: &[crate::contact::Contact]) -> Vec<RequestEntry> {
        let mut requests = std::mem::take(&mut self.pending_requests);
        if requests.is_empty() {
            return requests;
        }
        let by_key: HashMap<(String, &str), &Attribution, Hasher> = all
            .iter()
            .map(|c| ((c.device.to_string(), c.name.as_str()), &c.attribution))
            .collect();
        for r in &mut requests {
            if let Some(who) = by_key.get(&(r.device.clone(), r.host.as_str())) {
                r.attribute(who);
            }
        }
        requests
    }

    fn device_records(&self) -> Vec<DeviceRecord> {
        let mut ids: Vec<DeviceId> = self.contacts.devices().keys().copied().collect();
        ids.extend(self.dhcp.keys().copied());
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let ips = self
                    .contacts
                    .devices()
                    .get(&id)
                    .map(|d| d.ips.iter().copied().collect())
                    .unwrap_or_default();
                let (host_name, vendor_class) = self.dhcp.get(&id).cloned().unwrap_or_default();
                DeviceRecord {
                    device: id.to_string(),
                    ips,
                    host_name,
                    vendor_class,
                }
            })
            .collect()
    }

    fn add_evidence(&mut self, key: Key, ev: Evidence) {
        if !self.evidence.contains_key(&key) && self.evidence.len() >= self.evidence_limit {
            self.evidence_dropped += 1;
            return;
        }
        let list = self.evidence.entry(key).or_default();
        // Keep the earliest MAX_EVIDENCE, in time order (flows end after later packets).
        let at = list.partition_point(|e| e.ts <= ev.ts);
        if at < MAX_EVIDENCE {
            list.insert(at, ev);
            list.truncate(MAX_EVIDENCE);
        }
    }
}

fn device_of(obs: &Observation) -> DeviceId {
    match obs {
        Observation::DnsQuery { device, .. }
        | Observation::DnsChain { device, .. }
        | Observation::Hello { device, .. }
        | Observation::HttpRequest { device, .. }
        | Observation::HttpResponse { device, .. }
        | Observation::Dhcp { device, .. }
        | Observation::Request { device, .. } => *device,
        Observation::FlowEnd(f) => f.device,
    }
}

fn flow_text(f: &FlowKey) -> String {
    let proto = match f.proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    };
    format!("{proto} {} -> {}", f.client, f.server)
}

/// The contact key an observation counts for (as [`Contacts`] computes it) and its evidence.
fn evidence_of(obs: &Observation) -> Option<(Key, Evidence)> {
    let ev = |ts, kind: &str, flow| Evidence {
        ts,
        kind: kind.to_owned(),
        flow,
    };
    match obs {
        Observation::DnsQuery {
            ts,
            device,
            client,
            server,
            name,
            ..
        } => {
            let name = name.trim_end_matches('.').to_lowercase();
            if name.is_empty() || name == "<root>" {
                return None;
            }
            let flow = Some(format!("{client} -> {server}"));
            Some(((*device, name), ev(*ts, "dns-query", flow)))
        }
        Observation::DnsChain {
            ts, device, name, ..
        } => Some(((*device, name.clone()), ev(*ts, "dns-chain", None))),
        Observation::Hello {
            ts,
            device,
            flow,
            via,
            hello,
            ..
        } => {
            let name = host_name(hello.sni.as_deref()?);
            let kind = if *via == Via::Quic {
                "quic-hello"
            } else {
                "tls-hello"
            };
            let key = (*device, name);
            Some((key, ev(*ts, kind, Some(flow_text(flow)))))
        }
        Observation::HttpRequest {
            ts,
            device,
            flow,
            host,
            ..
        } => {
            let name = host
                .as_deref()
                .map(host_name)
                .unwrap_or_else(|| flow.server.ip().to_string());
            let key = (*device, name);
            Some((key, ev(*ts, "http-request", Some(flow_text(flow)))))
        }
        Observation::HttpResponse { .. }
        | Observation::Dhcp { .. }
        | Observation::Request { .. } => None,
        Observation::FlowEnd(f) if !f.dns => {
            let key = (f.device, ech::destination(f).0.to_owned());
            Some((key, ev(f.first, "flow", Some(flow_text(&f.key)))))
        }
        Observation::FlowEnd(_) => None,
    }
}
