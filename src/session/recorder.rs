//! Recording a session: an observer of observations, like [`Contacts`], that hands the store a
//! batch of changed contacts at most once per second of packet time, on every mark and at the
//! end. It reads no clock and does no I/O; the caller writes the batches and reports back.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::evidence::EvidenceBook;
use super::visit::{BaselinePlan, VisitTally};
use super::{
    Batch, CaptureStats, ContactRecord, DeviceRecord, Judge, Mark, MarkSpec, RequestEntry, Session,
    SessionState,
};
use crate::attribute::{Attribution, Attributor, SignatureSet};
use crate::contact::Contacts;
use crate::observation::{DeviceId, Exchange, FlowKey, Observation};
use crate::time::Timestamp;

/// Names with evidence kept at once; past this new names get no evidence (counted).
pub const MAX_PENDING_EVIDENCE: usize = crate::contact::MAX_CONTACTS;
/// Requests kept per session (plain HTTP and lab decryption); later ones are counted in
/// `stats.requests_dropped`. A request is at most ~10 KiB (URL and Referer are cut at 8 KiB).
pub const MAX_REQUESTS: usize = 20_000;
/// Packet time between two batches.
const FLUSH_EVERY_NS: u64 = 1_000_000_000;

type Hasher = foldhash::fast::RandomState;

/// Records one session from observations.
#[derive(Debug)]
pub struct Recorder {
    pub(super) session: Session,
    pub(super) attributor: Attributor,
    pub(super) contacts: Contacts,
    devices: Vec<DeviceId>,
    pending_marks: Vec<MarkSpec>,
    /// Evidence of each contact, attached to the contact [`Contacts::observe`] counted.
    pub(super) evidence: EvidenceBook,
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
    /// What the attributor was loaded from, until the store has it.
    unstored_signatures: Option<SignatureSet>,
    /// The idle baseline compared with (issue 18); `None` for a baseline or without one.
    baseline: Option<BaselinePlan>,
    /// Flows of each contact since the visit mark.
    visit: VisitTally,
    /// Contacts to tell a live run's subscribers about (`None`: not published live).
    pub(super) live: Option<Box<super::publish::Publication>>,
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
            unstored_signatures: attributor.signature_set().cloned(),
            attributor,
            contacts: Contacts::default(),
            devices,
            pending_marks: marks,
            evidence: EvidenceBook::new(MAX_PENDING_EVIDENCE),
            dhcp: BTreeMap::new(),
            committed: HashMap::default(),
            unstored: HashSet::default(),
            last_packet: None,
            next_flush: None,
            dirty: false,
            pending_requests: Vec::new(),
            request_limit: MAX_REQUESTS,
            baseline: None,
            visit: VisitTally::default(),
            live: None,
        }
    }

    /// Compare the session with an idle baseline as `plan` says (the command line loads the
    /// candidates from the store); the session stores the choice.
    pub fn with_baseline(mut self, plan: BaselinePlan) -> Recorder {
        self.session.against = Some(plan.against(&[]));
        self.baseline = Some(plan);
        self
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
        self.evidence.dropped()
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
        let touched = self.contacts.observe(obs);
        self.evidence.attach(obs, touched);
        self.visit.attach(obs, touched, self.session.visit());
        if let Some(live) = self.live.as_mut() {
            live.touch(touched);
        }
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
        if batch.signatures.is_some() {
            self.unstored_signatures = None;
        }
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
                signatures: self.unstored_signatures.clone(),
                durable,
            };
        }
        let all = self.contacts.attributed(&self.attributor);
        let requests = self.take_requests(&all);
        for rec in self.judged(&all) {
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
            signatures: self.unstored_signatures.clone(),
            durable,
        }
    }

    /// Every contact as the store gets it now: attributed, then compared with the baseline
    /// and the visit mark (what `replay --label` prints).
    pub fn records(&mut self) -> Vec<ContactRecord> {
        let all = self.contacts.attributed(&self.attributor);
        self.judged(&all)
    }

    /// The records of `all`, with what the baseline and the visit mark say of each.
    fn judged(&mut self, all: &[crate::contact::Contact]) -> Vec<ContactRecord> {
        let visit = self.session.visit();
        let mut records: Vec<ContactRecord> = all
            .iter()
            .map(|c| {
                let evidence = self.evidence.of(c.device, &c.name).to_vec();
                let phase = self.session.phase_at(c.first_seen);
                let mut rec = ContactRecord::new(self.session.id, phase, c, evidence);
                if visit.is_some() {
                    rec.baseline.since_visit = Some(self.visit.of(c.device, &c.name));
                }
                rec
            })
            .collect();
        if let Some(plan) = &mut self.baseline {
            plan.decide(&records);
            self.session.against = Some(plan.against(&records));
        }
        let plan = self.baseline.as_ref();
        Judge {
            baseline: plan.and_then(BaselinePlan::baseline),
            forced: plan.is_some_and(BaselinePlan::forced),
            visit,
            started: self.session.started,
            now: self.last_packet.or(self.session.started),
        }
        .apply(&mut records);
        records
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
}

fn device_of(obs: &Observation) -> DeviceId {
    match obs {
        Observation::DnsQuery { device, .. }
        | Observation::DnsChain { device, .. }
        | Observation::DnsAnswer { device, .. }
        | Observation::Hello { device, .. }
        | Observation::HttpRequest { device, .. }
        | Observation::HttpResponse { device, .. }
        | Observation::Dhcp { device, .. }
        | Observation::Request { device, .. } => *device,
        Observation::FlowEnd(f) => f.device,
    }
}
