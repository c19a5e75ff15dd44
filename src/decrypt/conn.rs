//! One TLS connection's record layer: plaintext handshake records until the keys change, then
//! AEAD-protected records, both directions, handed on to the HTTP layer as they decrypt.
//!
//! Keys are looked up in the key log only when the first protected record needs them, so a
//! secret that arrives late (a Decryption Secrets Block after the handshake) still works.

use crate::weird::Weird;
use crate::wire::Parsed;

use super::app::AppLayer;
use super::hello::{self, HS_FINISHED, HS_KEY_UPDATE, HS_SERVER_HELLO, ServerHello};
use super::keylog::{KeyLog, RANDOM_LEN, Secrets};
use super::plain::Feed;
use super::schedule::{self, RecordKey, Suite};
use crate::observation::Exchange;

/// Largest record payload accepted (2^14 + 2048, the TLS 1.2 ciphertext limit).
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 2048;
/// Plaintext handshake bytes gathered per direction to find the ClientHello / ServerHello.
pub const MAX_HELLO_GATHER: usize = 64 * 1024;
/// Protected records stepped over per direction while its handshake keys are missing or do not
/// fit (0-RTT early data, whose secret sporfri does not use); more is a bad record.
pub const MAX_SKIPPED_RECORDS: u32 = 32;

const CT_CCS: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPLICATION: u8 = 23;
const HEADER_LEN: usize = 5;

/// Why a connection stopped being decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The key log has no secret for this connection (`decrypt.no_key`).
    NoKey,
    /// A record did not decrypt or was malformed (`decrypt.bad_record`).
    BadRecord,
    /// The negotiated suite is not an AEAD suite sporfri knows (`decrypt.unsupported_suite`).
    UnsupportedSuite,
}

impl Stop {
    /// The weird counted for this stop.
    pub fn weird(self) -> Weird {
        match self {
            Stop::NoKey => Weird::DecryptNoKey,
            Stop::BadRecord => Weird::DecryptBadRecord,
            Stop::UnsupportedSuite => Weird::DecryptUnsupportedSuite,
        }
    }
}

/// What handling one record led to.
enum Step {
    Next,
    /// The other direction must be read first (the ServerHello is not known yet).
    Wait,
    Stop(Stop),
}

/// Walks handshake message headers across records without keeping the messages.
#[derive(Debug, Default)]
struct HsWalk {
    head: Vec<u8>,
    remaining: usize,
}

impl HsWalk {
    /// Types of the messages that start in `bytes`.
    fn types(&mut self, mut bytes: &[u8]) -> Vec<u8> {
        let mut types = Vec::new();
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(bytes.len());
                self.remaining -= n;
                bytes = bytes.get(n..).unwrap_or_default();
                continue;
            }
            let want = 4 - self.head.len();
            let n = want.min(bytes.len());
            self.head
                .extend_from_slice(bytes.get(..n).unwrap_or_default());
            bytes = bytes.get(n..).unwrap_or_default();
            if let [kind, a, b, c] = self.head[..] {
                types.push(kind);
                self.remaining = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
                self.head.clear();
            }
        }
        types
    }
}

/// Key stage of one direction.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
enum Stage {
    #[default]
    Plain,
    /// TLS 1.3 handshake traffic keys.
    Handshake,
    /// Application traffic keys (TLS 1.3), or the TLS 1.2 keys after ChangeCipherSpec.
    Application,
}

/// One direction of the connection.
#[derive(Debug, Default)]
struct Side {
    stage: Stage,
    key: Option<RecordKey>,
    /// TLS 1.3: the current application traffic secret (for KeyUpdate).
    traffic_secret: Option<Vec<u8>>,
    /// TLS 1.2: keys waiting for this side's ChangeCipherSpec.
    pending12: Option<RecordKey>,
    /// Plaintext handshake bytes until the hello is found.
    gather: Vec<u8>,
    hello_done: bool,
    walk: HsWalk,
    /// Handshake-stage records stepped over.
    skipped: u32,
}

/// Decryption state of one TLS-over-TCP connection.
#[derive(Debug, Default)]
pub struct TlsConn {
    client_random: Option<[u8; RANDOM_LEN]>,
    server_hello: Option<ServerHello>,
    suite: Option<Suite>,
    keyed: bool,
    up: Side,
    down: Side,
    stopped: Option<Stop>,
    pub(super) app: AppLayer,
}

impl TlsConn {
    /// A connection before its first byte; `host` is the SNI (used when a request has none).
    pub fn new(host: Option<String>) -> TlsConn {
        TlsConn {
            app: AppLayer::new(host),
            ..TlsConn::default()
        }
    }

    /// Decrypted application bytes so far: (from the client, from the server).
    pub fn decrypted_bytes(&self) -> (u64, u64) {
        let [up, down] = self.app.bytes;
        (up, down)
    }

    /// Why decryption stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Read whole records from the start of one direction's stream; returns the bytes used.
    pub fn feed(&mut self, from_client: bool, stream: &[u8], feed: &mut Feed<'_>) -> usize {
        let mut used = 0;
        while self.stopped.is_none() {
            let rest = stream.get(used..).unwrap_or_default();
            let Some(&[ct, v1, v2, l1, l2]) = rest.get(..HEADER_LEN) else {
                break;
            };
            let len = usize::from(u16::from_be_bytes([l1, l2]));
            if len > MAX_CIPHERTEXT || v1 != 3 {
                self.stop(Stop::BadRecord, feed);
                break;
            }
            let Some(payload) = rest.get(HEADER_LEN..HEADER_LEN + len) else {
                break;
            };
            match self.record(from_client, [ct, v1, v2, l1, l2], payload, feed) {
                Step::Next => used += HEADER_LEN + len,
                Step::Wait => break,
                Step::Stop(why) => self.stop(why, feed),
            }
        }
        used
    }

    /// The connection ended: requests still waiting for a response are handed out.
    pub fn finish(&mut self, out: &mut Vec<Exchange>) {
        self.app.finish(out);
    }

    fn stop(&mut self, why: Stop, feed: &mut Feed<'_>) {
        if self.stopped.is_none() {
            feed.weirds.bump(why.weird());
            self.stopped = Some(why);
        }
    }

    fn side(&mut self, from_client: bool) -> &mut Side {
        if from_client {
            &mut self.up
        } else {
            &mut self.down
        }
    }

    fn record(
        &mut self,
        from_client: bool,
        header: [u8; 5],
        payload: &[u8],
        feed: &mut Feed<'_>,
    ) -> Step {
        let [ct, ..] = header;
        let tls13 = self.server_hello.map(|h| h.is_tls13());
        let side = self.side(from_client);
        let protected = match (ct, tls13) {
            _ if side.stage != Stage::Plain && tls13 == Some(false) => true,
            (CT_APPLICATION, Some(true)) => true,
            // The client's protected records wait for the ServerHello; the server's CCS after a
            // HelloRetryRequest comes before it.
            (CT_CCS, None) if !from_client => false,
            (CT_APPLICATION, None) if !from_client => return Step::Stop(Stop::BadRecord),
            (CT_APPLICATION | CT_CCS, None) => return Step::Wait,
            _ => false,
        };
        if !protected {
            return self.plain_record(from_client, ct, payload, feed);
        }
        if let Err(why) = self.ensure_keys(feed.keys) {
            return Step::Stop(why);
        }
        let mut buf = payload.to_vec();
        let Some(tls13) = tls13 else {
            return Step::Wait;
        };
        if tls13 {
            self.record13(from_client, header, &mut buf, feed)
        } else {
            let side = self.side(from_client);
            let Some(plain) = side.key.as_mut().and_then(|k| k.open(&header, &mut buf)) else {
                return Step::Stop(Stop::BadRecord);
            };
            if ct == CT_APPLICATION {
                self.app.data(from_client, plain, feed);
            }
            Step::Next
        }
    }

    fn plain_record(
        &mut self,
        from_client: bool,
        ct: u8,
        payload: &[u8],
        feed: &mut Feed<'_>,
    ) -> Step {
        match ct {
            CT_HANDSHAKE => self.plain_handshake(from_client, payload),
            CT_CCS => {
                if self.server_hello.is_some_and(|h| !h.is_tls13()) {
                    if let Err(why) = self.ensure_keys(feed.keys) {
                        return Step::Stop(why);
                    }
                    let side = self.side(from_client);
                    side.key = side.pending12.take();
                    side.stage = Stage::Application;
                }
                Step::Next
            }
            CT_ALERT => Step::Next,
            _ => Step::Stop(Stop::BadRecord),
        }
    }

    fn plain_handshake(&mut self, from_client: bool, payload: &[u8]) -> Step {
        let side = self.side(from_client);
        if side.hello_done {
            return Step::Next;
        }
        if side.gather.len() + payload.len() > MAX_HELLO_GATHER {
            return Step::Stop(Stop::BadRecord);
        }
        side.gather.extend_from_slice(payload);
        let gathered = std::mem::take(&mut side.gather);
        if from_client {
            match hello::client_random(&gathered) {
                Parsed::Done(random) => {
                    self.client_random = Some(random);
                    self.up.hello_done = true;
                }
                Parsed::Incomplete { .. } => self.up.gather = gathered,
                Parsed::NotThis | Parsed::Malformed(_) => return Step::Stop(Stop::BadRecord),
            }
            return Step::Next;
        }
        match server_hello_message(&gathered) {
            Parsed::Done((sh, used)) if sh.is_retry() => {
                self.down.gather = gathered.get(used..).unwrap_or_default().to_vec();
            }
            Parsed::Done((sh, _)) => {
                self.server_hello = Some(sh);
                self.down.hello_done = true;
            }
            Parsed::Incomplete { .. } => self.down.gather = gathered,
            Parsed::NotThis | Parsed::Malformed(_) => return Step::Stop(Stop::BadRecord),
        }
        Step::Next
    }

    /// Derive the record keys once the key log, the randoms and the suite are all known.
    fn ensure_keys(&mut self, keys: &KeyLog) -> Result<(), Stop> {
        if self.keyed {
            return Ok(());
        }
        let (Some(random), Some(sh)) = (self.client_random, self.server_hello) else {
            return Err(Stop::BadRecord);
        };
        let secrets = keys.get(&random).ok_or(Stop::NoKey)?;
        let suite = Suite::from_id(sh.cipher_suite).ok_or(Stop::UnsupportedSuite)?;
        self.suite = Some(suite);
        if sh.is_tls13() {
            self.keys13(suite, secrets)?;
        } else {
            let master = secrets.master.as_deref().ok_or(Stop::NoKey)?;
            let (c, s) =
                schedule::tls12_keys(suite, master, &random, &sh.random).ok_or(Stop::NoKey)?;
            self.up.pending12 = Some(c);
            self.down.pending12 = Some(s);
        }
        self.keyed = true;
        Ok(())
    }

    fn keys13(&mut self, suite: Suite, secrets: &Secrets) -> Result<(), Stop> {
        if secrets.client_traffic.is_none() && secrets.client_handshake.is_none() {
            return Err(Stop::NoKey);
        }
        for (side, hs, app) in [
            (
                &mut self.up,
                &secrets.client_handshake,
                &secrets.client_traffic,
            ),
            (
                &mut self.down,
                &secrets.server_handshake,
                &secrets.server_traffic,
            ),
        ] {
            side.key = hs.as_deref().and_then(|s| schedule::tls13_key(suite, s));
            side.stage = Stage::Handshake;
            side.traffic_secret = app.clone();
        }
        Ok(())
    }

    fn record13(
        &mut self,
        from_client: bool,
        header: [u8; 5],
        buf: &mut [u8],
        feed: &mut Feed<'_>,
    ) -> Step {
        let Some(suite) = self.suite else {
            return Step::Stop(Stop::BadRecord);
        };
        let side = self.side(from_client);
        // Early data (client) or missing handshake secrets: records neither key opens are
        // stepped over, a bounded number of times.
        let may_skip = side.stage == Stage::Handshake
            && (side.key.is_none() || from_client)
            && side.skipped < MAX_SKIPPED_RECORDS;
        let copy = buf.to_vec();
        let mut opened = side
            .key
            .as_mut()
            .and_then(|k| k.open(&header, buf))
            .map(|p| p.to_vec());
        if opened.is_none() && side.stage == Stage::Handshake {
            // Handshake secrets missing or the Finished not seen: try the traffic keys.
            let mut candidate = side
                .traffic_secret
                .as_deref()
                .and_then(|s| schedule::tls13_key(suite, s));
            let mut retry = copy;
            opened = candidate
                .as_mut()
                .and_then(|k| k.open(&header, &mut retry))
                .map(|p| p.to_vec());
            if opened.is_some() {
                side.stage = Stage::Application;
                side.walk = HsWalk::default();
                side.key = candidate;
            }
        }
        let Some(inner) = opened else {
            if may_skip {
                side.skipped += 1;
                feed.weirds.bump(Weird::DecryptHandshakeRecordSkipped);
                return Step::Next;
            }
            return Step::Stop(Stop::BadRecord);
        };
        let Some(end) = inner.iter().rposition(|&b| b != 0) else {
            return Step::Stop(Stop::BadRecord);
        };
        let (content, inner_type) = (
            inner.get(..end).unwrap_or_default(),
            inner.get(end).copied(),
        );
        match inner_type {
            Some(CT_HANDSHAKE) => {
                let types = side.walk.types(content);
                if side.stage == Stage::Handshake && types.contains(&HS_FINISHED) {
                    side.enter_application(suite);
                } else if side.stage == Stage::Application && types.contains(&HS_KEY_UPDATE) {
                    side.update(suite);
                }
            }
            Some(CT_APPLICATION) => self.app.data(from_client, content, feed),
            _ => {}
        }
        Step::Next
    }
}

impl Side {
    fn enter_application(&mut self, suite: Suite) {
        self.stage = Stage::Application;
        self.walk = HsWalk::default();
        self.key = self
            .traffic_secret
            .as_deref()
            .and_then(|s| schedule::tls13_key(suite, s));
    }

    fn update(&mut self, suite: Suite) {
        self.traffic_secret = self
            .traffic_secret
            .as_deref()
            .and_then(|s| schedule::next_traffic_secret(suite.hash, s));
        self.key = self
            .traffic_secret
            .as_deref()
            .and_then(|s| schedule::tls13_key(suite, s));
    }
}

/// The first ServerHello in gathered handshake bytes, and the bytes it took.
fn server_hello_message(bytes: &[u8]) -> Parsed<(ServerHello, usize)> {
    let Some(&[kind, a, b, c]) = bytes.get(..4) else {
        return Parsed::Incomplete { needed: Some(4) };
    };
    if kind != HS_SERVER_HELLO {
        return Parsed::Malformed(Weird::TlsNotServerHello);
    }
    let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    match bytes.get(4..4 + len) {
        Some(body) => hello::parse_server_hello(body).map(|h| (h, 4 + len)),
        None => Parsed::Incomplete {
            needed: Some(4 + len),
        },
    }
}
