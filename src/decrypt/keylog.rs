//! NSS key log files (`SSLKEYLOGFILE`): the secrets a browser exports, by client random.
//!
//! Lines are `LABEL <client_random hex> <secret hex>`; `#` starts a comment. Unknown labels
//! (exporter secrets, ECH) are counted but not kept. The same text arrives from
//! a `--keylog` file or from pcapng Decryption Secrets Blocks.

use std::collections::HashMap;

/// Client randoms kept; a key log beyond this is cut (a day of browsing is a few thousand).
pub const MAX_KEYLOG_ENTRIES: usize = 1 << 18;
/// Longest secret accepted (SHA-384 is 48 bytes; TLS 1.2 master secrets are 48).
pub const MAX_SECRET_BYTES: usize = 64;

/// Bytes of a TLS client random.
pub const RANDOM_LEN: usize = 32;

/// The secrets known for one TLS connection, named as in the key log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS 1.2 `CLIENT_RANDOM`: the 48-byte master secret.
    pub master: Option<Vec<u8>>,
    /// TLS 1.3 `CLIENT_HANDSHAKE_TRAFFIC_SECRET`.
    pub client_handshake: Option<Vec<u8>>,
    /// TLS 1.3 `SERVER_HANDSHAKE_TRAFFIC_SECRET`.
    pub server_handshake: Option<Vec<u8>>,
    /// TLS 1.3 `CLIENT_TRAFFIC_SECRET_0`.
    pub client_traffic: Option<Vec<u8>>,
    /// TLS 1.3 `SERVER_TRAFFIC_SECRET_0`.
    pub server_traffic: Option<Vec<u8>>,
    /// TLS 1.3 `CLIENT_EARLY_TRAFFIC_SECRET` (0-RTT; QUIC decryption uses it).
    pub client_early: Option<Vec<u8>>,
}

/// What reading key log text found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyLogStats {
    /// Lines whose secret was kept.
    pub kept: u64,
    /// Lines with a label sporfri does not use (exporter, ECH).
    pub other_labels: u64,
    /// Lines that are not `LABEL hex hex` or whose lengths are wrong.
    pub malformed: u64,
    /// Lines dropped because [`MAX_KEYLOG_ENTRIES`] randoms are known.
    pub over_limit: u64,
}

/// All secrets known, by client random.
#[derive(Debug, Clone, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; RANDOM_LEN], Secrets>,
    stats: KeyLogStats,
}

impl KeyLog {
    /// An empty key log.
    pub fn new() -> KeyLog {
        KeyLog::default()
    }

    /// A key log from the text of a key log file.
    pub fn parse(text: &[u8]) -> KeyLog {
        let mut log = KeyLog::new();
        log.add(text);
        log
    }

    /// Add the lines of `text` (a whole file, a DSB payload, or lines appended to a live file).
    pub fn add(&mut self, text: &[u8]) {
        for line in text.split(|&b| b == b'\n') {
            self.add_line(line);
        }
    }

    /// The secrets for a client random.
    pub fn get(&self, client_random: &[u8; RANDOM_LEN]) -> Option<&Secrets> {
        self.by_random.get(client_random)
    }

    /// Client randoms with at least one secret.
    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    /// True when no secret is known.
    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    /// What the lines added so far contained.
    pub fn stats(&self) -> KeyLogStats {
        self.stats
    }

    fn add_line(&mut self, line: &[u8]) {
        let line = line.trim_ascii();
        if line.is_empty() || line.first() == Some(&b'#') {
            return;
        }
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let (Some(label), Some(random), Some(secret), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            self.stats.malformed += 1;
            return;
        };
        let (Some(random), Some(secret)) = (unhex(random), unhex(secret)) else {
            self.stats.malformed += 1;
            return;
        };
        let Ok(random) = <[u8; RANDOM_LEN]>::try_from(random.as_slice()) else {
            self.stats.malformed += 1;
            return;
        };
        if secret.is_empty() || secret.len() > MAX_SECRET_BYTES {
            self.stats.malformed += 1;
            return;
        }
        if !is_used_label(label) {
            self.stats.other_labels += 1;
            return;
        }
        if self.by_random.len() >= MAX_KEYLOG_ENTRIES && !self.by_random.contains_key(&random) {
            self.stats.over_limit += 1;
            return;
        }
        let entry = self.by_random.entry(random).or_default();
        let slot = match label {
            b"CLIENT_RANDOM" => &mut entry.master,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
            b"CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_traffic,
            b"CLIENT_EARLY_TRAFFIC_SECRET" => &mut entry.client_early,
            _ => &mut entry.server_traffic,
        };
        *slot = Some(secret);
        self.stats.kept += 1;
    }
}

fn is_used_label(label: &[u8]) -> bool {
    matches!(
        label,
        b"CLIENT_RANDOM"
            | b"CLIENT_HANDSHAKE_TRAFFIC_SECRET"
            | b"SERVER_HANDSHAKE_TRAFFIC_SECRET"
            | b"CLIENT_TRAFFIC_SECRET_0"
            | b"SERVER_TRAFFIC_SECRET_0"
            | b"CLIENT_EARLY_TRAFFIC_SECRET"
    )
}

/// Hex digits to bytes; `None` on odd length or a non-hex digit.
pub fn unhex(hex: &[u8]) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((digit(*hi)? << 4) | digit(*lo)?),
            _ => None,
        })
        .collect()
}

fn digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "0102030405060708091011121314151617181920212223242526272829303132";

    #[test]
    fn labels_are_sorted_into_secrets() {
        let text = format!(
            "# comment\nCLIENT_RANDOM {R} {m}\r\nSERVER_TRAFFIC_SECRET_0 {R} aabb\n\
             EXPORTER_SECRET {R} cc\nCLIENT_EARLY_TRAFFIC_SECRET {R} dd\nnonsense\nCLIENT_RANDOM zz {R}\n",
            m = "ab".repeat(48)
        );
        let log = KeyLog::parse(text.as_bytes());
        let random: [u8; 32] = unhex(R.as_bytes()).unwrap().try_into().unwrap();
        let s = log.get(&random).unwrap();
        assert_eq!(s.master.as_deref(), Some(&[0xab; 48][..]));
        assert_eq!(s.server_traffic.as_deref(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(s.client_traffic, None);
        assert_eq!(s.client_early.as_deref(), Some(&[0xdd][..]));
        let st = log.stats();
        assert_eq!((st.kept, st.other_labels, st.malformed), (3, 1, 2));
    }

    #[test]
    fn oversized_secret_and_short_random_are_malformed() {
        let text = format!(
            "CLIENT_RANDOM {R} {}\nCLIENT_RANDOM 0102 aa\n",
            "00".repeat(65)
        );
        let log = KeyLog::parse(text.as_bytes());
        assert!(log.is_empty());
        assert_eq!(log.stats().malformed, 2);
    }

    #[test]
    fn entries_are_capped() {
        let mut log = KeyLog::new();
        for i in 0..=MAX_KEYLOG_ENTRIES as u32 {
            let mut random = [0u8; 32];
            random[..4].copy_from_slice(&i.to_be_bytes());
            let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
            log.add(format!("CLIENT_RANDOM {hex} 01\n").as_bytes());
        }
        assert_eq!(log.len(), MAX_KEYLOG_ENTRIES);
        assert_eq!(log.stats().over_limit, 1);
    }
}
