//! The packet keys of one QUIC connection, both directions: Handshake keys from the handshake
//! traffic secrets, 0-RTT keys from the client's early secret, 1-RTT keys from the application traffic secrets, key updates (RFC 9001 §6),
//! and the cipher suite found by the first packet that opens.

use super::keylog::Secrets;
use super::quic_keys::{
    self, HeaderKey, Labels, PacketKey, QuicSuite, Unmasked, decode_pn, next_secret, unmask,
};

/// Packets tried before the cipher suite is known; then the connection is given up.
pub const MAX_KEY_TRIALS: u32 = 16;

/// The kinds of packet sporfri derives keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Handshake packets (long header).
    Handshake,
    /// 0-RTT packets (long header, client only).
    Early,
    /// 1-RTT packets (short header).
    Application,
}

impl Space {
    /// The packet number space: 0-RTT and 1-RTT share one (RFC 9000 §12.3).
    fn index(self) -> usize {
        match self {
            Space::Handshake => 0,
            Space::Early | Space::Application => 1,
        }
    }
}

/// Handshake or 0-RTT keys of one direction.
#[derive(Debug)]
struct Epoch {
    header: HeaderKey,
    packet: PacketKey,
}

/// 1-RTT keys of one direction, with the key phase they belong to.
#[derive(Debug)]
struct AppKeys {
    header: HeaderKey,
    secret: Vec<u8>,
    phase: bool,
    current: PacketKey,
    /// Keys of the next phase, derived when a packet first shows the other phase bit.
    next: Option<(Vec<u8>, PacketKey)>,
    /// Keys of the phase before, for packets reordered across an update.
    previous: Option<PacketKey>,
}

/// The keys of one direction.
#[derive(Debug, Default)]
struct Side {
    handshake: Option<Epoch>,
    /// 0-RTT keys (the client's side, when the key log has its early secret).
    early: Option<Epoch>,
    app: Option<AppKeys>,
    /// Largest packet number opened, per space.
    largest: [Option<u64>; 2],
}

/// Keys of a connection, found lazily: the secrets are looked up when the first protected
/// packet needs them, the suite when the first packet opens.
#[derive(Debug, Default)]
pub struct ConnKeys {
    secrets: Option<Secrets>,
    suite: Option<QuicSuite>,
    labels: Option<Labels>,
    /// [client's packets, server's packets].
    sides: [Side; 2],
    trials: u32,
}

/// Why a packet did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// No secret for this space and direction (counted once per connection, elsewhere).
    NoKey,
    /// Too short, or the AEAD did not verify.
    Bad,
    /// Every suite failed on too many packets: the secrets do not belong here.
    GiveUp,
}

impl ConnKeys {
    /// Keys from the secrets of the connection's client random.
    pub fn new(secrets: Secrets) -> ConnKeys {
        ConnKeys {
            secrets: Some(secrets),
            ..ConnKeys::default()
        }
    }

    /// Has any secret that QUIC uses (handshake or application traffic).
    pub fn usable(secrets: &Secrets) -> bool {
        [
            &secrets.client_handshake,
            &secrets.server_handshake,
            &secrets.client_traffic,
            &secrets.server_traffic,
            &secrets.client_early,
        ]
        .iter()
        .any(|s| s.is_some())
    }

    /// The suite, once a packet opened.
    #[cfg(test)]
    pub fn suite(&self) -> Option<QuicSuite> {
        self.suite
    }

    /// Remove protection from one packet of `space` sent by the client (or the server);
    /// `version` picks the labels (the version of the connection's long headers).
    pub fn open(
        &mut self,
        from_client: bool,
        space: Space,
        packet: &[u8],
        pn_offset: usize,
        version: u32,
    ) -> Result<Vec<u8>, OpenError> {
        let dir = usize::from(!from_client);
        if let (Some(suite), Some(labels)) = (self.suite, self.labels) {
            let side = self.sides.get_mut(dir).ok_or(OpenError::Bad)?;
            return side.open(space, packet, pn_offset, suite, labels);
        }
        if self.trials >= MAX_KEY_TRIALS {
            return Err(OpenError::GiveUp);
        }
        let secrets = self.secrets.as_ref().ok_or(OpenError::NoKey)?;
        let labels = Labels::of(version);
        let len = [
            &secrets.client_traffic,
            &secrets.server_traffic,
            &secrets.client_handshake,
            &secrets.server_handshake,
            &secrets.client_early,
        ]
        .into_iter()
        .find_map(|s| s.as_ref().map(Vec::len))
        .unwrap_or(0);
        let mut missing = true;
        for &suite in QuicSuite::candidates(len) {
            let mut sides = Side::both(suite, labels, secrets);
            let Some(side) = sides.get_mut(dir) else {
                continue;
            };
            match side.open(space, packet, pn_offset, suite, labels) {
                Ok(plain) => {
                    self.sides = sides;
                    self.suite = Some(suite);
                    self.labels = Some(labels);
                    return Ok(plain);
                }
                Err(OpenError::NoKey) => {}
                Err(_) => missing = false,
            }
        }
        if missing {
            return Err(OpenError::NoKey);
        }
        self.trials += 1;
        Err(OpenError::Bad)
    }
}

impl Side {
    /// The client's and the server's keys of a suite.
    fn both(suite: QuicSuite, labels: Labels, secrets: &Secrets) -> [Side; 2] {
        let mut client = Side::new(
            suite,
            labels,
            &secrets.client_handshake,
            &secrets.client_traffic,
        );
        client.early = Epoch::new(suite, labels, &secrets.client_early);
        let server = Side::new(
            suite,
            labels,
            &secrets.server_handshake,
            &secrets.server_traffic,
        );
        [client, server]
    }

    fn new(
        suite: QuicSuite,
        labels: Labels,
        handshake: &Option<Vec<u8>>,
        traffic: &Option<Vec<u8>>,
    ) -> Side {
        let handshake = Epoch::new(suite, labels, handshake);
        let app = traffic.as_deref().and_then(|s| {
            Some(AppKeys {
                header: HeaderKey::derive(suite, labels, s)?,
                secret: s.to_vec(),
                phase: false,
                current: PacketKey::derive(suite, labels, s)?,
                next: None,
                previous: None,
            })
        });
        Side {
            handshake,
            early: None,
            app,
            largest: [None; 2],
        }
    }

    fn open(
        &mut self,
        space: Space,
        packet: &[u8],
        pn_offset: usize,
        suite: QuicSuite,
        labels: Labels,
    ) -> Result<Vec<u8>, OpenError> {
        let largest = self.largest.get(space.index()).copied().flatten();
        let (pn, plain) = match space {
            Space::Handshake | Space::Early => {
                let keys = if space == Space::Early {
                    self.early.as_ref()
                } else {
                    self.handshake.as_ref()
                };
                let keys = keys.ok_or(OpenError::NoKey)?;
                let u = unmask(&keys.header, packet, pn_offset, true).ok_or(OpenError::Bad)?;
                let pn = decode_pn(largest, u.truncated_pn, u.pn_len);
                let plain = quic_keys::open(&keys.packet, pn, &u).ok_or(OpenError::Bad)?;
                (pn, plain)
            }
            Space::Application => {
                let keys = self.app.as_mut().ok_or(OpenError::NoKey)?;
                let u = unmask(&keys.header, packet, pn_offset, false).ok_or(OpenError::Bad)?;
                keys.open(&u, largest, suite, labels)
                    .ok_or(OpenError::Bad)?
            }
        };
        if let Some(l) = self.largest.get_mut(space.index()) {
            *l = Some(l.map_or(pn, |l| l.max(pn)));
        }
        Ok(plain)
    }
}

impl Epoch {
    fn new(suite: QuicSuite, labels: Labels, secret: &Option<Vec<u8>>) -> Option<Epoch> {
        let secret = secret.as_deref()?;
        Some(Epoch {
            header: HeaderKey::derive(suite, labels, secret)?,
            packet: PacketKey::derive(suite, labels, secret)?,
        })
    }
}

impl AppKeys {
    /// Open a 1-RTT packet with the keys its phase bit names, updating keys when it shows the
    /// next phase (RFC 9001 §6.3).
    fn open(
        &mut self,
        u: &Unmasked,
        largest: Option<u64>,
        suite: QuicSuite,
        labels: Labels,
    ) -> Option<(u64, Vec<u8>)> {
        let pn = decode_pn(largest, u.truncated_pn, u.pn_len);
        if u.key_phase == self.phase {
            return quic_keys::open(&self.current, pn, u).map(|p| (pn, p));
        }
        // The other phase: a packet from before the last update, or the first of the next.
        if let Some(previous) = &self.previous
            && largest.is_some_and(|l| pn < l)
            && let Some(plain) = quic_keys::open(previous, pn, u)
        {
            return Some((pn, plain));
        }
        let (secret, key) = match self.next.take() {
            Some(next) => next,
            None => {
                let secret = next_secret(suite, labels, &self.secret)?;
                let key = PacketKey::derive(suite, labels, &secret)?;
                (secret, key)
            }
        };
        let Some(plain) = quic_keys::open(&key, pn, u) else {
            self.next = Some((secret, key));
            return None;
        };
        self.previous = Some(std::mem::replace(&mut self.current, key));
        self.secret = secret;
        self.phase = !self.phase;
        Some((pn, plain))
    }
}

#[cfg(test)]
#[path = "quic_conn_tests.rs"]
mod tests;
