//! Connection keys against packets sealed with known secrets: suites found by trial, both
//! spaces and directions, key updates and their limits.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::decrypt::quic_testing::{Sealer, secrets};
use crate::decrypt::schedule::Cipher;
use crate::wire::quic::{VERSION_1, VERSION_2};

const DCID: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

fn suite(cipher: Cipher) -> QuicSuite {
    let len = if cipher == Cipher::Aes256Gcm { 48 } else { 32 };
    *QuicSuite::candidates(len)
        .iter()
        .find(|s| s.cipher == cipher)
        .unwrap()
}

#[test]
fn every_suite_and_version_opens_both_spaces_and_directions() {
    for version in [VERSION_1, VERSION_2] {
        for cipher in [
            Cipher::Aes128Gcm,
            Cipher::ChaCha20Poly1305,
            Cipher::Aes256Gcm,
        ] {
            let s = suite(cipher);
            let len = s.hash.output_len();
            let mut keys = ConnKeys::new(secrets(len));
            let server_hs = Sealer::new(s, version, &[2; 48][..len]);
            let hs = server_hs.handshake(version, &[], &DCID, 0, &[0x01]);
            let plain = keys.open(false, Space::Handshake, &hs, 13, version);
            assert_eq!(plain.unwrap()[0], 0x01, "{version:x} {cipher:?}");
            assert_eq!(keys.suite(), Some(s));
            let client_app = Sealer::new(s, version, &[3; 48][..len]);
            let p = client_app.short(&DCID, 0, false, &[0x01, 0x01]);
            assert_eq!(
                keys.open(true, Space::Application, &p, 1 + DCID.len(), version)
                    .unwrap()[..2],
                [0x01, 0x01]
            );
            let server_app = Sealer::new(s, version, &[4; 48][..len]);
            let p = server_app.short(&[], 0, false, &[0x1e]);
            assert_eq!(
                keys.open(false, Space::Application, &p, 1, version)
                    .unwrap()[0],
                0x1e
            );
        }
    }
}

#[test]
fn key_updates_follow_the_phase_bit() {
    let s = suite(Cipher::Aes128Gcm);
    let mut keys = ConnKeys::new(secrets(32));
    let labels = Labels::of(VERSION_1);
    let secret0 = vec![3u8; 32];
    let secret1 = next_secret(s, labels, &secret0).unwrap();
    let secret2 = next_secret(s, labels, &secret1).unwrap();
    let seal = |secret: &[u8], pn: u64, phase: bool| {
        let mut sealer = Sealer::new(s, VERSION_1, secret);
        // Header protection stays with the first secret (RFC 9001 §6).
        sealer.header = HeaderKey::derive(s, labels, &secret0).unwrap();
        sealer.short(&DCID, pn, phase, &[0x01])
    };
    let mut open = |packet: Vec<u8>| keys.open(true, Space::Application, &packet, 5, VERSION_1);
    assert!(open(seal(&secret0, 0, false)).is_ok());
    assert!(open(seal(&secret0, 1, false)).is_ok());
    assert!(
        open(seal(&secret1, 3, true)).is_ok(),
        "first packet of phase 1"
    );
    assert!(
        open(seal(&secret0, 2, false)).is_ok(),
        "reordered packet of phase 0"
    );
    assert!(open(seal(&secret1, 4, true)).is_ok());
    assert!(open(seal(&secret2, 5, false)).is_ok(), "second update");
    assert_eq!(open(seal(&secret0, 6, false)), Err(OpenError::Bad));
    assert!(open(seal(&secret2, 7, false)).is_ok());
}

#[test]
fn zero_rtt_shares_the_application_number_space() {
    let s = suite(Cipher::Aes128Gcm);
    let mut keys = ConnKeys::new(secrets(32));
    let early = Sealer::new(s, VERSION_1, &[5; 32]);
    for pn in 0..3 {
        let p = early.zero_rtt(&DCID, &[], pn, &[0x01]);
        assert!(
            keys.open(true, Space::Early, &p, 13, VERSION_1).is_ok(),
            "{pn}"
        );
    }
    // 1-RTT numbers go on from the 0-RTT ones; the server never sends 0-RTT.
    let p = Sealer::new(s, VERSION_1, &[3; 32]).short(&DCID, 3, false, &[0x01]);
    assert!(
        keys.open(true, Space::Application, &p, 5, VERSION_1)
            .is_ok()
    );
    let p = early.zero_rtt(&DCID, &[], 4, &[0x01]);
    assert_eq!(
        keys.open(false, Space::Early, &p, 13, VERSION_1),
        Err(OpenError::NoKey)
    );
}

#[test]
fn wrong_secrets_give_up_after_the_trial_limit() {
    let s = suite(Cipher::Aes128Gcm);
    let mut keys = ConnKeys::new(secrets(32));
    let wrong = Sealer::new(s, VERSION_1, &[9; 32]);
    for pn in 0..MAX_KEY_TRIALS as u64 {
        let p = wrong.short(&DCID, pn, false, &[0x01]);
        assert_eq!(
            keys.open(true, Space::Application, &p, 5, VERSION_1),
            Err(OpenError::Bad)
        );
    }
    let p = wrong.short(&DCID, 99, false, &[0x01]);
    assert_eq!(
        keys.open(true, Space::Application, &p, 5, VERSION_1),
        Err(OpenError::GiveUp)
    );
}

#[test]
fn missing_secrets_are_no_key_not_a_bad_packet() {
    let s = suite(Cipher::Aes128Gcm);
    let mut only_traffic = secrets(32);
    only_traffic.client_handshake = None;
    only_traffic.server_handshake = None;
    let mut keys = ConnKeys::new(only_traffic);
    let hs = Sealer::new(s, VERSION_1, &[1; 32]).handshake(VERSION_1, &DCID, &[], 0, &[0x01]);
    assert_eq!(
        keys.open(true, Space::Handshake, &hs, 13, VERSION_1),
        Err(OpenError::NoKey)
    );
    let p = Sealer::new(s, VERSION_1, &[3; 32]).short(&DCID, 0, false, &[0x01]);
    assert!(
        keys.open(true, Space::Application, &p, 5, VERSION_1)
            .is_ok()
    );
    assert!(ConnKeys::usable(&secrets(32)));
    assert!(!ConnKeys::usable(&Secrets::default()));
    // A truncated packet is bad, not a panic.
    assert_eq!(
        keys.open(true, Space::Application, &p[..10], 5, VERSION_1),
        Err(OpenError::Bad)
    );
}
